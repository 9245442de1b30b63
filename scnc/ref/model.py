"""The bit-exact reference model of a quantized scnc graph: the oracle and the fast emulator.

:func:`run` computes, for a batch of samples, exactly what the generated hardware computes
(``docs/hardware.md``): every spike, every membrane after reset, every saturation. It reads only the
quantized IR and :mod:`scnc.sc` (to expand the SNG specs the IR names); it re-derives nothing.

The work per graph that does not depend on the samples (window counts of every cycle-rate stream,
dither values, input SNG values) is done once, in a cached :class:`_Plan`; the per-sample integer
arithmetic runs in the Numba kernels of :mod:`scnc.ref._kernels`, in parallel over samples.
"""

from __future__ import annotations

import warnings
import weakref
from functools import singledispatch
from dataclasses import dataclass

import numpy as np

from ..errors import DataError, IRError
from ..ir.graph import DelayDenseNode, DenseNode, Graph, Layer, SCLeak, ShiftLeak
from ..ir.options import QuantizationWarning
from ..ir.passes.validate import check_graph
from ..kinds import Encoding, InputCoding, Level, ResetMode
from ..trace import Trace
from ..sc import count_table, sequence
from . import _kernels

__all__ = [
    "ActivityWarning",
    "RefResult",
    "BackendLimitError",
    "MAX_MEMBRANE_BITS",
    "quantize_features",
    "run",
    "predict",
    "accuracy",
    "activity",
    "check_activity",
]

# the kernel's integer code of each reset mode (a table, so a new mode is one entry here)
_RESET_CODES: dict[ResetMode, int] = {
    ResetMode.SUBTRACT: _kernels.RESET_SUBTRACT,
    ResetMode.ZERO: _kernels.RESET_ZERO,
    ResetMode.SUBTRACT_DELAYED: _kernels.RESET_SUBTRACT_DELAYED,
}

#: Widest membrane register the int64 kernels handle exactly: ``v * C`` with ``C <= 2^16`` must fit.
MAX_MEMBRANE_BITS = 46
#: Entries (int32) of a step-dependent weight table kept in a graph's cached plan (32 MiB).
_WSTEP_CACHE = 1 << 23
#: Entries of a step-dependent weight table built at once when it is not cached (bounds memory).
_WSTEP_BUDGET = 1 << 24


class ActivityWarning(QuantizationWarning):
    """A layer of a quantized graph never spikes on the given data (its outputs carry no information).

    A :class:`scnc.ir.options.QuantizationWarning`: filtering that category filters this one too.
    """


#: What :func:`run` returns: the one :class:`scnc.trace.Trace` type that amaranth.sim, the cocotb
#: bench and HIL return too (layers in graph order; ``membranes`` is ``None`` with ``trace=False``).
RefResult = Trace


@dataclass(frozen=True)
class _LayerPlan:
    name: str
    n_in: int
    n_out: int
    sign: np.ndarray  # int64 (n_in, n_out)
    m: np.ndarray  # int64 (n_in, n_out), comparator thresholds
    stream: np.ndarray  # int64 (n_in,), synapse stream of each input
    tables: np.ndarray | None  # int32 (P, T, L+1) window counts, kept when wsteps is not precomputed
    wsteps: np.ndarray | None  # int32 (1 or T, n_in, n_out): sign * count of every synapse (and step)
    bias: np.ndarray
    threshold: np.ndarray
    leak_sc: bool
    leak_c: np.ndarray  # int64 (T, n_out)
    leak_d: np.ndarray  # int64 (T,)
    leak_shift: np.ndarray  # int64 (n_out,)
    vmin: int
    vmax: int
    reset: int  # the kernel's reset code (_RESET_CODES)
    delay_order: np.ndarray  # int64 (n_in, n_out): neurons of each input by increasing delay, or (0, 0): none
    delay_start: np.ndarray  # int64 (n_in, D + 2): where each delay begins in delay_order's row, or (0, 0)


@dataclass(frozen=True)
class _Plan:
    timesteps: int
    n_bits: int
    n_in: int
    coding: InputCoding
    input_bits: int
    input_values: np.ndarray | None  # int64 (n_in, T): Rin_j[t]
    layers: tuple
    class_labels: np.ndarray  # int64 (n_classes,), or object when the labels are strings


_PLANS: dict[int, tuple[weakref.ref, _Plan]] = {}


# ---- planning ---------------------------------------------------------------------------------------
# The graph was validated by the IR's one validator (scnc.ir.check_graph); planning only reads it.
class BackendLimitError(IRError):
    """A valid quantized graph exceeds a limit of the reference model itself (not of the IR)."""


def _expand(fn, *args) -> np.ndarray:
    """``fn(*args)`` (an SNG expansion from scnc.sc) as int64."""
    return np.asarray(fn(*args), dtype=np.int64)


def _plan_input(graph: Graph, T: int) -> tuple[int, InputCoding, int, np.ndarray | None]:
    node = graph.input
    q = node.quant
    if q.coding is InputCoding.SPIKES:
        return node.size, q.coding, 0, None
    values = np.empty((node.size, T), np.int64)
    for j, spec in enumerate(q.sngs):
        values[j] = _expand(sequence, spec, T)
    return node.size, q.coding, q.input_bits, values


@singledispatch
def _plan_leak(leak, T: int, hw) -> tuple:
    """``(leak_sc, leak_c (T, n_out), leak_d (T,), leak_shift (n_out,))`` for the kernel."""
    raise BackendLimitError("graph", "leak", f"scnc.ref has no kernel for a {type(leak).__name__} leak")


@_plan_leak.register
def _(leak: SCLeak, T: int, hw) -> tuple:
    n_out = leak.beta_q.shape[0]
    beta_q = leak.beta_q.astype(np.int64)
    if hw.encoding is Encoding.SC:
        leak_c = np.ascontiguousarray(_expand(count_table, leak.beta_sng, hw.stream_length, T)[:, beta_q])
        leak_d = _expand(sequence, leak.dither_sng, T)
    else:  # fixed point: the exact beta and the IR's rounding constant
        leak_c = np.ascontiguousarray(np.broadcast_to(beta_q, (T, n_out)))
        leak_d = np.full(T, leak.rounding, np.int64)
    return True, leak_c, np.ascontiguousarray(leak_d), np.zeros(n_out, np.int64)


@_plan_leak.register
def _(leak: ShiftLeak, T: int, hw) -> tuple:
    n_out = leak.shift.shape[0]
    shift = np.minimum(leak.shift.astype(np.int64), 63)  # v >> k == v >> 63 for every k >= 63 (|v| < 2^62)
    return False, np.zeros((T, n_out), np.int64), np.zeros(T, np.int64), shift


@singledispatch
def _plan_delays(synapse) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's ``(delay_order, delay_start)`` for a synapse kind; ``(0, 0)`` arrays: no delays."""
    raise BackendLimitError(synapse.name, "kind", f"scnc.ref has no kernel for a {type(synapse).__name__}")


@_plan_delays.register
def _(synapse: DenseNode) -> tuple[np.ndarray, np.ndarray]:
    none = np.zeros((0, 0), np.int64)
    return none, none


@_plan_delays.register
def _(synapse: DelayDenseNode) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(synapse.delays, dtype=np.int64)
    D = synapse.line.max_delay  # the IR's history depth (validated: max(delays))
    order = np.argsort(d, axis=1, kind="stable")
    ranked = np.take_along_axis(d, order, axis=1)
    start = np.stack([np.searchsorted(row, np.arange(D + 2)) for row in ranked]) if d.shape[0] else \
        np.zeros((0, D + 2), np.int64)
    return np.ascontiguousarray(order, dtype=np.int64), np.ascontiguousarray(start, dtype=np.int64)


def _plan_layer(layer: Layer, T: int, hw) -> _LayerPlan:
    """The kernel plan of a synapse node (dense, or dense with delays) feeding a LIFNode."""
    q, nq = layer.synapse.quant, layer.neuron.quant
    if nq.membrane_bits > MAX_MEMBRANE_BITS:
        raise BackendLimitError(layer.neuron.name, "quant.membrane_bits",
                                f"scnc.ref computes in int64 and takes membranes up to {MAX_MEMBRANE_BITS} bits, "
                                f"got {nq.membrane_bits}")
    L = hw.stream_length
    n_in, n_out = layer.n_in, layer.n_out
    wq = q.weight_q.astype(np.int64)
    sign = np.sign(wq)
    m = q.comparator_q
    P = q.parallel_inputs
    stream = np.arange(n_in, dtype=np.int64) % P  # the engine's lane of input j (docs/hardware.md)
    tables = None
    wsteps = None
    if hw.encoding is Encoding.SC:
        tables = np.stack([_expand(count_table, s, L, T).astype(np.int32) for s in q.synapse_sngs])
        if np.array_equal(tables, np.broadcast_to(tables[:, :1, :], tables.shape)):
            # every window counts alike (always so for VdC / Sobol): contributions are step-independent
            wsteps = np.empty((1, n_in, n_out), np.int32)
            _kernels.build_weight_steps(sign, m, stream, tables, 0, 1, wsteps)
            tables = None
        elif T * n_in * n_out <= _WSTEP_CACHE:
            wsteps = np.empty((T, n_in, n_out), np.int32)
            _kernels.build_weight_steps(sign, m, stream, tables, 0, T, wsteps)
            tables = None
    else:
        wsteps = np.ascontiguousarray((sign * m).astype(np.int32)[None])
    leak_sc, leak_c, leak_d, leak_shift = _plan_leak(nq.leak, T, hw)
    delay_order, delay_start = _plan_delays(layer.synapse)
    return _LayerPlan(
        name=layer.name, n_in=n_in, n_out=n_out, sign=np.ascontiguousarray(sign), m=np.ascontiguousarray(m),
        stream=stream, tables=tables, wsteps=wsteps, bias=nq.bias_q.astype(np.int64),
        threshold=nq.threshold_q.astype(np.int64), leak_sc=leak_sc, leak_c=leak_c, leak_d=leak_d,
        leak_shift=leak_shift, vmin=nq.membrane_min, vmax=nq.membrane_max, reset=_RESET_CODES[nq.reset],
        delay_order=delay_order, delay_start=delay_start,
    )


def _build_plan(graph: Graph) -> _Plan:
    check_graph(graph)  # the IR's one validator: everything below reads a valid graph
    if graph.level is not Level.QUANTIZED:
        raise IRError("graph", "level", f"scnc.ref runs quantized graphs only, got level {graph.level!r}")
    hw = graph.hardware
    T = graph.timesteps
    n_in, coding, bits, values = _plan_input(graph, T)
    # A feed-forward chain runs layer-major: step t of layer k reads only steps <= t of layer k-1,
    # so running each layer over all T steps before the next gives the step-major result.
    layers = tuple(_plan_layer(layer, T, hw) for layer in graph.layers)
    out = graph.output
    size = layers[-1].n_out
    labels = np.arange(size, dtype=np.int64)
    if len(out.class_labels):
        if all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in out.class_labels):
            labels = np.asarray([int(c) for c in out.class_labels], dtype=np.int64)
        else:  # string labels (or a mix) keep their Python values
            labels = np.empty(size, dtype=object)
            labels[:] = list(out.class_labels)
    return _Plan(timesteps=T, n_bits=hw.stream_bits, n_in=n_in, coding=coding, input_bits=bits,
                 input_values=values, layers=layers, class_labels=labels)


def _plan(graph: Graph) -> _Plan:
    """The validated, precomputed plan of ``graph`` (cached while the graph object lives)."""
    key = id(graph)
    hit = _PLANS.get(key)
    if hit is not None and hit[0]() is graph:
        return hit[1]
    plan = _build_plan(graph)
    try:
        ref = weakref.ref(graph, lambda _r, k=key: _PLANS.pop(k, None))
    except TypeError:  # not weak-referenceable: do not cache
        return plan
    _PLANS[key] = (ref, plan)
    return plan


# ---- inputs -----------------------------------------------------------------------------------------
def quantize_features(graph: Graph, x: np.ndarray) -> np.ndarray:
    """Float features in [0, 1] -> the unsigned ``input_bits``-bit intensities the core receives.

    ``x_int = min(round_half_even(f * 2^input_bits), 2^input_bits - 1)`` (``docs/hardware.md`` §2).

    Parameters
    ----------
    graph:
        A quantized graph with rate-coded input.
    x:
        float ``(batch, n_in)``, every value in [0, 1].

    Returns
    -------
    numpy.ndarray
        int32 ``(batch, n_in)``.
    """
    plan = _plan(graph)
    if plan.coding is not InputCoding.RATE:
        raise DataError(f"graph input is coded as {plan.coding!r}: features are only used with 'rate' coding")
    return _quantize(plan, x)


def _input_spikes(plan: _Plan, x, intensities, spikes) -> np.ndarray:
    given = [a is not None for a in (x, intensities, spikes)]
    if sum(given) != 1:
        raise DataError("give exactly one of x (float features), intensities= or spikes=")
    T = plan.timesteps
    if spikes is not None:
        if plan.coding is not InputCoding.SPIKES:
            raise DataError("graph input is rate coded: give x or intensities=, not spikes=")
        s = np.asarray(spikes)
        if s.ndim != 3 or s.shape[1:] != (T, plan.n_in):
            raise DataError(f"spikes must have shape (batch, {T}, {plan.n_in}), got {s.shape}")
        if s.size and (s.min() < 0 or s.max() > 1):
            raise DataError("spikes must be 0 or 1")
        return np.ascontiguousarray(s, dtype=np.uint8)
    if plan.coding is not InputCoding.RATE:
        raise DataError("graph input is spike coded: give spikes= (batch, T, n_in)")
    if x is not None:
        xi = np.asarray(_quantize(plan, x), dtype=np.int64)
    else:
        xi = np.asarray(intensities)
        if xi.ndim != 2 or xi.shape[1] != plan.n_in:
            raise DataError(f"intensities must have shape (batch, {plan.n_in}), got {xi.shape}")
        if xi.size and not np.issubdtype(xi.dtype, np.integer):
            raise DataError(f"intensities must be integers, got dtype {xi.dtype}")
        xi = xi.astype(np.int64)
        if xi.size and (xi.min() < 0 or xi.max() >= 1 << plan.input_bits):
            raise DataError(f"intensities must be in 0..{(1 << plan.input_bits) - 1} (input_bits = {plan.input_bits})")
    # s[b, t, j] = [Rin_j[t] < x_j]
    return np.ascontiguousarray(plan.input_values.T[None, :, :] < xi[:, None, :], dtype=np.uint8)


def _quantize(plan: _Plan, x) -> np.ndarray:
    xf = np.asarray(x, dtype=np.float64)
    if xf.ndim != 2 or xf.shape[1] != plan.n_in:
        raise DataError(f"features must have shape (batch, {plan.n_in}), got {xf.shape}")
    if not np.all(np.isfinite(xf)) or (xf.size and (xf.min() < 0.0 or xf.max() > 1.0)):
        raise DataError("features must be finite and in [0, 1]")
    return np.minimum(np.rint(xf * (1 << plan.input_bits)), (1 << plan.input_bits) - 1).astype(np.int32)


# ---- the model --------------------------------------------------------------------------------------
def _run_layer(lp: _Plan, layer: _LayerPlan, s_in: np.ndarray, trace: bool):
    B, T = s_in.shape[0], lp.timesteps
    out = np.zeros((B, T, layer.n_out), np.uint8)
    mem = np.zeros((B, T, layer.n_out) if trace else (1, 1, 1), np.int64)
    sat = np.zeros(B, np.int64)
    v = np.zeros((B, layer.n_out), np.int64)
    common = (layer.bias, layer.threshold, layer.leak_sc, layer.leak_c, layer.leak_d, layer.leak_shift,
              lp.n_bits, layer.vmin, layer.vmax, layer.reset, v, out, mem, trace, sat, layer.delay_order,
              layer.delay_start)
    if B == 0:
        pass
    elif layer.wsteps is not None:
        _kernels.lif_layer(s_in, layer.wsteps, 0, T, *common)
    else:
        chunk = max(1, min(T, _WSTEP_BUDGET // max(1, layer.n_in * layer.n_out)))
        wsteps = np.empty((chunk, layer.n_in, layer.n_out), np.int32)
        for t0 in range(0, T, chunk):
            t1 = min(T, t0 + chunk)
            _kernels.build_weight_steps(layer.sign, layer.m, layer.stream, layer.tables, t0, t1, wsteps)
            _kernels.lif_layer(s_in, wsteps, t0, t1, *common)
    return out, (mem if trace else None), sat


def run(
    graph: Graph,
    x: np.ndarray | None = None,
    *,
    intensities: np.ndarray | None = None,
    spikes: np.ndarray | None = None,
    trace: bool = True,
) -> RefResult:
    """Run a quantized graph on a batch of samples, bit-exactly as the hardware does.

    Give exactly one input: ``x`` (float features in [0, 1], rate coding), ``intensities`` (the
    ``input_bits``-bit integers the core receives, rate coding) or ``spikes`` (spike coding).

    Parameters
    ----------
    graph:
        A graph at level ``"quantized"`` (validated once, then cached while it lives).
    x:
        float ``(batch, n_in)``.
    intensities:
        int ``(batch, n_in)`` in ``0 .. 2^input_bits - 1``.
    spikes:
        0/1 ``(batch, T, n_in)``.
    trace:
        Keep every membrane (``RefResult.membranes``); False saves memory and time.

    Returns
    -------
    RefResult

    Raises
    ------
    IRError
        The graph is not a valid quantized chain.
    DataError
        The input has the wrong shape or range.
    """
    plan = _plan(graph)
    s = _input_spikes(plan, x, intensities, spikes)
    spikes_out, membranes, sats = [], [], []
    cur = s
    for layer in plan.layers:
        out, mem, sat = _run_layer(plan, layer, cur, trace)
        spikes_out.append(out)
        membranes.append(mem)
        sats.append(sat)
        cur = out
    counts = cur.sum(axis=1, dtype=np.int64)
    winners = np.argmax(counts, axis=1).astype(np.int64) if counts.shape[0] else np.zeros(0, np.int64)
    return RefResult(
        layer_names=tuple(lp.name for lp in plan.layers),
        input_spikes=s,
        spikes=tuple(spikes_out),
        membranes=tuple(membranes) if trace else None,
        saturations=tuple(sats),
        counts=counts,
        winners=winners,
        predictions=plan.class_labels[winners],
    )


def predict(graph: Graph, x: np.ndarray | None = None, *, intensities=None, spikes=None) -> np.ndarray:
    """Predicted class label of every sample (int64 ``(batch,)``); inputs as in :func:`run`."""
    return run(graph, x, intensities=intensities, spikes=spikes, trace=False).predictions


def accuracy(graph: Graph, x: np.ndarray | None, y: np.ndarray, *, intensities=None, spikes=None) -> float:
    """Fraction of samples whose winning output neuron equals ``y``.

    ``y`` holds class *indices* (output-neuron numbers), like :attr:`scnc.data.Dataset.y` and
    :func:`scnc.snn.accuracy`; ``class_labels[y]`` are the original labels (:func:`predict` returns those).
    """
    pred = run(graph, x, intensities=intensities, spikes=spikes, trace=False).winners
    yy = np.asarray(y).reshape(-1)
    if yy.shape != pred.shape:
        raise DataError(f"labels must have shape {pred.shape}, got {yy.shape}")
    return float(np.mean(pred == yy)) if yy.size else 0.0


def activity(graph: Graph, x: np.ndarray | None = None, *, intensities=None, spikes=None) -> dict:
    """Spike rate of every layer: spikes per neuron per time step, in [0, 1], keyed by layer name."""
    res = run(graph, x, intensities=intensities, spikes=spikes, trace=False)
    return {name: float(s.mean()) if s.size else 0.0 for name, s in zip(res.layer_names, res.spikes)}


def check_activity(graph: Graph, x: np.ndarray | None = None, *, intensities=None, spikes=None) -> dict:
    """:func:`activity`, warning (:class:`ActivityWarning`) about every layer that never spikes."""
    rates = activity(graph, x, intensities=intensities, spikes=spikes)
    silent = [name for name, r in rates.items() if r == 0.0]
    if silent:
        warnings.warn(
            f"layer(s) {', '.join(repr(s) for s in silent)} never spike on the given data "
            "(quantized thresholds too high or weights rounded to zero?)",
            ActivityWarning,
            stacklevel=2,
        )
    return rates

"""``validate``: structural and numerical checks of a graph at either level.

Guarantee: when :func:`validate` returns, the graph is a well-formed chain
``InputNode -> (DenseNode | DelayDenseNode -> LIFNode)+ -> OutputNode`` whose every field has the documented type, dtype,
shape and value range (``scnc/ir/graph.py``, ``docs/ir.md``); at the quantized level every number
``docs/hardware.md`` reads is present, in range, and the current accumulator width holds the worst
case current. Otherwise it raises :class:`~scnc.errors.IRError` naming the node and the field.
"""

from __future__ import annotations

import math
from functools import singledispatch
from typing import Any

import numpy as np

from ...errors import IRError
from ...kinds import Encoding, Engine, InputCoding, Level, ResetMode, SNGKind
from ..graph import (
    MAX_DELAY,
    SYNAPSE_KINDS,
    DelayDenseNode,
    DelayLine,
    DenseNode,
    LIFNode,
    QuantDense,
    Graph,
    HardwareParams,
    InputNode,
    OutputNode,
    QuantInput,
    QuantLIF,
    SCLeak,
    ShiftLeak,
)
from ..options import MAX_INPUT_BITS, MAX_MEMBRANE_BITS

__all__ = ["validate", "check_graph", "MAX_TIMESTEPS", "MAX_LEAK_SHIFT", "MAX_WIDTH"]

#: Largest number of time steps per sample a graph may declare.
MAX_TIMESTEPS = 1 << 20
#: Largest leak shift k (beta = 1 - 2^-k); wider shifts than the membrane are no-ops for v >= 0.
MAX_LEAK_SHIFT = 62
#: Largest current / count width (bits); the reference model computes in int64. Membranes are
#: capped lower, at :data:`scnc.ir.options.MAX_MEMBRANE_BITS`, so that every backend can take every
#: graph this validator accepts (the SC leak multiplies a membrane by up to L = 2^16 in int64).
MAX_WIDTH = 62
_INT32_MAX = (1 << 31) - 1


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _array(where: str, field: str, a: Any, dtype: Any, shape: tuple) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise IRError(where, field, f"expected a numpy array, got {type(a).__name__}")
    if a.dtype != np.dtype(dtype):
        raise IRError(where, field, f"expected dtype {np.dtype(dtype).name}, got {a.dtype.name}")
    if a.shape != shape:
        raise IRError(where, field, f"expected shape {shape}, got {a.shape}")
    return a


def _float_vec(where: str, field: str, a: Any, n_out: int, allow_scalar: bool) -> np.ndarray:
    if isinstance(a, np.ndarray) and allow_scalar and a.shape == (1,):
        _array(where, field, a, np.float32, (1,))
    else:
        _array(where, field, a, np.float32, (n_out,))
    if not np.all(np.isfinite(a)):
        raise IRError(where, field, "expected finite values, found NaN or infinity")
    return a


def _int_in(where: str, field: str, v: Any, lo: int, hi: int) -> int:
    if not _is_int(v):
        raise IRError(where, field, f"expected an integer, got {v!r}")
    if not lo <= int(v) <= hi:
        raise IRError(where, field, f"expected {lo} <= value <= {hi}, got {v}")
    return int(v)


def _range(where: str, field: str, a: np.ndarray, lo: int | None, hi: int | None) -> None:
    if a.size == 0:
        return
    amin, amax = int(a.min()), int(a.max())
    if lo is not None and amin < lo:
        raise IRError(where, field, f"expected every value >= {lo}, found {amin}")
    if hi is not None and amax > hi:
        raise IRError(where, field, f"expected every value <= {hi}, found {amax}")


def _spec(where: str, field: str, spec: Any, kind: SNGKind, bits: int) -> None:
    from ...sc.sng import LFSRSpec, SobolSpec, VdcSpec

    if not isinstance(spec, (LFSRSpec, SobolSpec, VdcSpec)):
        raise IRError(where, field, f"expected an SNG spec (VdcSpec, SobolSpec, LFSRSpec), got {spec!r}")
    if spec.kind != kind:
        raise IRError(where, field, f"expected an SNG of kind {kind!r} (hardware params), got {spec.kind!r}")
    if spec.bits != bits:
        raise IRError(where, field, f"expected an SNG {bits} bits wide, got {spec.bits}")


def signed_bits(lo: int, hi: int) -> int:
    """Smallest width B >= 1 (bits) whose signed range ``[-2^(B-1), 2^(B-1)-1]`` holds ``[lo, hi]``."""
    b = 1
    while lo < -(1 << (b - 1)) or hi > (1 << (b - 1)) - 1:
        b += 1
    return b


def _check_float_dense(node: DenseNode, n_in: int, source: str) -> int:
    """Float checks of a synapse node fed by ``n_in`` values from ``source``; returns ``n_out``."""
    w = node.name
    if node.source != source:
        raise IRError(w, "source", f"expected {source!r} (the previous node), got {node.source!r}")
    if not isinstance(node.weight, np.ndarray) or node.weight.ndim != 2:
        raise IRError(w, "weight", f"expected a 2-D array (n_in, n_out), got {getattr(node.weight, 'shape', node.weight)!r}")
    n_out = node.weight.shape[1]
    if n_out < 1:
        raise IRError(w, "weight", "expected at least one output neuron")
    _array(w, "weight", node.weight, np.float32, (n_in, n_out))
    if not np.all(np.isfinite(node.weight)):
        raise IRError(w, "weight", "expected finite values, found NaN or infinity")
    return n_out


def _check_float_lif(node: LIFNode, n_out: int, source: str, allow_scalar: bool) -> None:
    """Float checks of a neuron node of ``n_out`` neurons fed by the synapse node ``source``."""
    w = node.name
    if node.source != source:
        raise IRError(w, "source", f"expected {source!r} (the previous node), got {node.source!r}")
    _float_vec(w, "bias", node.bias, n_out, allow_scalar)
    beta = _float_vec(w, "beta", node.beta, n_out, allow_scalar)
    if not np.all((beta >= 0) & (beta <= 1)):
        raise IRError(w, "beta", f"expected values in [0, 1], got range [{beta.min()}, {beta.max()}]")
    thr = _float_vec(w, "threshold", node.threshold, n_out, allow_scalar)
    if not np.all(thr > 0):
        raise IRError(w, "threshold", f"expected values > 0, got minimum {thr.min()}")
    if not isinstance(node.reset, ResetMode):
        raise IRError(w, "reset", f"expected a ResetMode, got {node.reset!r}")


def window_counts(spec: Any, L: int, T: int) -> np.ndarray:
    """Every window count a cycle-rate stream can give in a sample: int64 ``(T', L + 1)`` with
    ``table[t, m] = cnt_R(t, m)``.

    Every SNG restarts at index 0 for each sample (``docs/hardware.md``), so windows ``0..T-1`` are all
    the windows there are: bounds taken over this table are exact, not estimates. VDC and Sobol repeat
    with period ``L``, so one window (``T' = 1``) stands for all; a VDC window is a permutation
    (``cnt == m``), a Sobol window is counted (its directions need not be independent).
    """
    from ...sc.sng import count_table

    if spec.kind == SNGKind.VDC:
        return np.arange(L + 1, dtype=np.int64)[None, :]
    return count_table(spec, L, 1 if spec.kind == SNGKind.SOBOL else T)


def max_counts(spec: Any, L: int, T: int) -> np.ndarray:
    """``mc[m]``: the largest window count of ``R < m`` over the ``T`` windows of a sample, int64 ``(L + 1,)``."""
    return window_counts(spec, L, T).max(axis=0)


def synapse_counts(q: QuantDense, L: int, T: int, encodings: tuple = ("sc", "fixed")) -> np.ndarray:
    """``c_ij`` (int64 ``(n_in, n_out)``): the largest count synapse ``(j, i)`` adds to a current in
    any of ``encodings``.

    ``"fixed"``: ``m_ij = |q_ij| << compare_shift``. ``"sc"``: the largest window count of synapse
    stream ``j mod P_i`` at threshold ``m_ij`` over the sample's ``T`` windows (:func:`max_counts`;
    ``m_ij`` itself for VDC and for Sobol with independent directions).
    """
    m = q.comparator_q
    c = m.copy() if "fixed" in encodings else np.zeros_like(m)
    P = len(q.synapse_sngs)
    for s, spec in enumerate(q.synapse_sngs if "sc" in encodings else ()):
        rows = m[s::P]
        cnt = max_counts(spec, L, T)[rows]
        c[s::P] = np.maximum(c[s::P], cnt)
    return c


def current_range(q: QuantDense, L: int, T: int, encodings: tuple = ("sc", "fixed")) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron worst-case current ``[lo_i, hi_i]`` (accumulator units) in any of ``encodings``.

    ``hi_i = sum_{j: q_ij > 0} c_ij`` and ``lo_i = -sum_{j: q_ij < 0} c_ij`` with ``c`` from
    :func:`synapse_counts`.
    """
    c = synapse_counts(q, L, T, encodings)
    wq = q.weight_q
    return -np.where(wq < 0, c, 0).sum(axis=0), np.where(wq > 0, c, 0).sum(axis=0)


def _check_leak(w: str, leak: Any, hw: HardwareParams, n_out: int) -> None:
    """The leak's own fields (dispatch on its type: :class:`SCLeak` or :class:`ShiftLeak`)."""
    L, n = hw.stream_length, hw.stream_bits
    if isinstance(leak, SCLeak):
        _range(w, "quant.leak.beta_q", _array(w, "quant.leak.beta_q", leak.beta_q, np.int32, (n_out,)), 0, L)
        _int_in(w, "quant.leak.rounding", leak.rounding, 0, L - 1)
        for f in ("beta_sng", "dither_sng"):
            spec = getattr(leak, f)
            if spec is None:
                if hw.encoding is Encoding.SC:
                    raise IRError(w, f"quant.leak.{f}", "an SC leak with encoding 'sc' needs this SNG")
            else:
                _spec(w, f"quant.leak.{f}", spec, hw.sng, n)
    elif isinstance(leak, ShiftLeak):
        _range(w, "quant.leak.shift", _array(w, "quant.leak.shift", leak.shift, np.int32, (n_out,)), 0, MAX_LEAK_SHIFT)
    else:
        raise IRError(w, "quant.leak", f"expected an SCLeak or a ShiftLeak, got {type(leak).__name__}")


def _check_quant_dense(node: DenseNode, hw: HardwareParams, T: int) -> None:
    w = node.name
    q = node.quant
    if not isinstance(q, QuantDense):
        raise IRError(w, "quant", f"a quantized graph needs QuantDense on every synapse node, got {type(q).__name__}")
    n_in, n_out = node.weight.shape
    L, n = hw.stream_length, hw.stream_bits
    wb = _int_in(w, "quant.weight_bits", q.weight_bits, 1, n)
    _range(w, "quant.weight_q", _array(w, "quant.weight_q", q.weight_q, np.int32, (n_in, n_out)),
           -((1 << wb) - 1), (1 << wb) - 1)
    if q.compare_shift != n - wb or not _is_int(q.compare_shift):
        raise IRError(w, "quant.compare_shift", f"expected log2 L - weight_bits = {n - wb} (a full-scale weight "
                      f"must compare against the whole window), got {q.compare_shift!r}")
    # a signed register needs a sign bit and a value bit; the RTL's accumulators rely on it
    cb = _int_in(w, "quant.current_bits", q.current_bits, 2, MAX_WIDTH)
    if not (isinstance(q.scale, float) and math.isfinite(q.scale) and q.scale > 0):
        raise IRError(w, "quant.scale", f"expected a finite float > 0, got {q.scale!r}")
    P = _int_in(w, "quant.parallel_inputs", q.parallel_inputs, 1, n_in)
    _int_in(w, "quant.parallel_neurons", q.parallel_neurons, 1, n_out)
    sc = hw.encoding is Encoding.SC
    # "fixed" uses no synapse / leak SNG: they may be absent, or kept from the "sc" graph (set_encoding).
    if not isinstance(q.synapse_sngs, tuple) or len(q.synapse_sngs) not in ((P,) if sc else (0, P)):
        want = f"parallel_inputs = {P}" + ("" if sc else " (or 0: the fixed encoding uses none)")
        raise IRError(w, "quant.synapse_sngs", f"expected a tuple of {want} SNG specs, got {q.synapse_sngs!r}")
    for s, spec in enumerate(q.synapse_sngs):
        _spec(w, f"quant.synapse_sngs[{s}]", spec, hw.sng, n)
    lo, hi = current_range(q, L, T, (hw.encoding,))
    need = signed_bits(int(lo.min()), int(hi.max()))
    if cb < need:
        raise IRError(w, "quant.current_bits", f"the worst-case current [{int(lo.min())}, {int(hi.max())}] needs {need} bits, got {cb}")


def _check_quant_lif(node: LIFNode, n_out: int, hw: HardwareParams) -> None:
    w = node.name
    q = node.quant
    if not isinstance(q, QuantLIF):
        raise IRError(w, "quant", f"a quantized graph needs QuantLIF on every neuron node, got {type(q).__name__}")
    _range(w, "quant.bias_q", _array(w, "quant.bias_q", q.bias_q, np.int32, (n_out,)), -_INT32_MAX, _INT32_MAX)
    _range(w, "quant.threshold_q", _array(w, "quant.threshold_q", q.threshold_q, np.int32, (n_out,)), 1, None)
    _check_leak(w, q.leak, hw, n_out)
    if q.reset != node.reset:
        raise IRError(w, "quant.reset", f"expected the layer's reset {node.reset!r}, got {q.reset!r}")
    mb = _int_in(w, "quant.membrane_bits", q.membrane_bits, 2, MAX_MEMBRANE_BITS)
    if int(q.threshold_q.max()) > (1 << (mb - 1)) - 1:
        raise IRError(w, "quant.threshold_q", f"expected values the {mb}-bit membrane can hold (<= {(1 << (mb - 1)) - 1}), found {int(q.threshold_q.max())}")
    lo_m, hi_m = -(1 << (mb - 1)), (1 << (mb - 1)) - 1
    if q.bias_q.size and (int(q.bias_q.min()) < lo_m or int(q.bias_q.max()) > hi_m):
        raise IRError(w, "quant.bias_q", f"expected values the {mb}-bit membrane can hold ([{lo_m}, {hi_m}]), "
                      f"found [{int(q.bias_q.min())}, {int(q.bias_q.max())}]")
    if not isinstance(q.overflow_free, bool):
        raise IRError(w, "quant.overflow_free", f"expected a bool, got {q.overflow_free!r}")


@singledispatch
def _check_synapse_extra(node: Any, quantized: bool) -> None:
    """The fields a synapse kind adds to a dense matrix (dispatch on the node type); none for DenseNode."""


@_check_synapse_extra.register
def _(node: DelayDenseNode, quantized: bool) -> None:
    w = node.name
    d = _array(w, "delays", node.delays, np.int16, node.weight.shape)
    _range(w, "delays", d, 0, MAX_DELAY)
    line = node.line
    if not quantized:
        if line is not None:
            raise IRError(w, "line", "a float graph has no hardware form; expected None")
        return
    if not isinstance(line, DelayLine):
        raise IRError(w, "line", f"a quantized delay synapse node needs a DelayLine (pass plan_delays), got {type(line).__name__}")
    D = _int_in(w, "line.max_delay", line.max_delay, 0, MAX_DELAY)
    if d.size and D != int(d.max()):
        raise IRError(w, "line.max_delay", f"expected the largest delay {int(d.max())} (the history depth), got {D}")
    _int_in(w, "line.delay_bits", line.delay_bits, max(1, D.bit_length()), max(1, D.bit_length()))


def check_graph(graph: Graph) -> None:
    """Raise :class:`~scnc.errors.IRError` unless ``graph`` is well formed (see the module docstring)."""
    if not isinstance(graph, Graph):
        raise IRError("graph", None, f"expected a Graph, got {type(graph).__name__}")
    if not isinstance(graph.level, Level):
        raise IRError("graph", "level", f"expected a Level, got {graph.level!r}")
    _int_in("graph", "timesteps", graph.timesteps, 1, MAX_TIMESTEPS)
    T = int(graph.timesteps)
    if not isinstance(graph.provenance, dict):
        raise IRError("graph", "provenance", f"expected a dict, got {type(graph.provenance).__name__}")
    if not isinstance(graph.passes, tuple) or not all(isinstance(p, dict) and isinstance(p.get("pass"), str) for p in graph.passes):
        raise IRError("graph", "passes", "expected a tuple of dicts, each with a 'pass' name")
    nodes = graph.nodes
    if not isinstance(nodes, tuple) or len(nodes) < 3:
        raise IRError("graph", "nodes", "expected a tuple: an input node, at least one layer and an output node")
    if not isinstance(nodes[0], InputNode):
        raise IRError("graph", "nodes", f"the first node must be an InputNode, got {type(nodes[0]).__name__}")
    if not isinstance(nodes[-1], OutputNode):
        raise IRError("graph", "nodes", f"the last node must be an OutputNode, got {type(nodes[-1]).__name__}")
    middle = nodes[1:-1]
    for k, node in enumerate(middle):
        want = (SYNAPSE_KINDS, (LIFNode,))[k % 2]  # the supported topology: (synapses -> neurons)+
        if not isinstance(node, want):
            raise IRError(getattr(node, "name", "graph"), None,
                          f"expected a {' or '.join(c.__name__ for c in want)} at position {k + 1} (chains of "
                          f"synapse node -> LIFNode), got {type(node).__name__}; scnc supports "
                          f"{', '.join(c.__name__ for c in SYNAPSE_KINDS + (LIFNode,))}")
    if len(middle) % 2:
        raise IRError(middle[-1].name, None, "a DenseNode must feed a LIFNode before the output")
    names = [getattr(n, "name", None) for n in nodes]
    for nm in names:
        if not isinstance(nm, str) or not nm:
            raise IRError("graph", "nodes", f"every node needs a non-empty string name, got {nm!r}")
    if len(set(names)) != len(names):
        raise IRError("graph", "nodes", f"node names must be unique, got {names}")
    quantized = graph.level is Level.QUANTIZED

    inp = nodes[0]
    _int_in(inp.name, "size", inp.size, 1, 1 << 24)
    if not isinstance(inp.encoder, dict):
        raise IRError(inp.name, "encoder", f"expected a dict, got {type(inp.encoder).__name__}")
    if quantized:
        hw = graph.hardware
        if not isinstance(hw, HardwareParams):
            raise IRError("graph", "hardware", "a quantized graph needs HardwareParams")
        hw.validate()
        if not _is_int(hw.seed) or hw.seed < 0:
            raise IRError("hardware", "seed", f"expected an integer >= 0, got {hw.seed!r}")
        qi = inp.quant
        if not isinstance(qi, QuantInput):
            raise IRError(inp.name, "quant", f"a quantized graph needs QuantInput, got {type(qi).__name__}")
        if qi.coding is InputCoding.RATE:
            b = _int_in(inp.name, "quant.input_bits", qi.input_bits, 1, MAX_INPUT_BITS)
            if not isinstance(qi.sngs, tuple) or len(qi.sngs) != inp.size:
                raise IRError(inp.name, "quant.sngs", f"rate coding needs one SNG per input ({inp.size}), got {len(qi.sngs) if isinstance(qi.sngs, tuple) else qi.sngs!r}")
            for j, spec in enumerate(qi.sngs):
                _spec(inp.name, f"quant.sngs[{j}]", spec, hw.input_sng, b)
        elif qi.input_bits != 0 or qi.sngs != ():
            raise IRError(inp.name, "quant.sngs", "spike coding takes no intensity: expected input_bits 0 and no SNG")
    else:
        if graph.hardware is not None:
            raise IRError("graph", "hardware", "a float graph has no hardware params; expected None")
        if inp.quant is not None:
            raise IRError(inp.name, "quant", "a float graph has no hardware form; expected None")

    size, source = inp.size, inp.name
    for dense, lif in zip(middle[0::2], middle[1::2]):
        n_out = _check_float_dense(dense, size, source)
        _check_float_lif(lif, n_out, dense.name, allow_scalar=not quantized)
        if quantized:
            _check_quant_dense(dense, graph.hardware, T)
            _check_quant_lif(lif, n_out, graph.hardware)
        else:
            for node in (dense, lif):
                if node.quant is not None:
                    raise IRError(node.name, "quant", "a float graph has no hardware form; expected None")
        _check_synapse_extra(dense, quantized)
        size, source = n_out, lif.name

    if quantized:
        _check_engine(graph)

    out = nodes[-1]
    if out.source != source:
        raise IRError(out.name, "source", f"expected {source!r} (the last layer), got {out.source!r}")
    if out.readout != "counts":
        raise IRError(out.name, "readout", f"expected 'counts', got {out.readout!r}")
    labels = out.class_labels
    if not isinstance(labels, tuple) or len(labels) != size:
        raise IRError(out.name, "class_labels", f"expected a tuple of {size} labels (one per output neuron), got {labels!r}")
    for lab in labels:
        if not (isinstance(lab, str) or _is_int(lab)):
            raise IRError(out.name, "class_labels", f"labels must be integers or strings, got {lab!r}")
    if len(set(labels)) != len(labels):
        raise IRError(out.name, "class_labels", f"labels must be distinct, got {labels}")
    if quantized:
        _int_in(out.name, "count_bits", out.count_bits, T.bit_length(), MAX_WIDTH)
    elif out.count_bits != 0:
        raise IRError(out.name, "count_bits", f"a float graph has no counter width; expected 0, got {out.count_bits!r}")


# ---- the engine (HardwareParams.engine) --------------------------------------------------------
def _window_exact(spec: Any, L: int) -> bool:
    """Does every window of ``L`` cycles of the cycle-rate stream ``spec`` hold each n-bit value once?

    Then ``cnt_R(t, m) = m`` for every step ``t`` and threshold ``m`` (``docs/hardware.md`` section 1): the
    count of a synapse or beta window is known without running the window. VDC and Sobol values depend
    only on ``k = c mod L`` (``L = 2^n``), so one window decides it for all; an LFSR window is a stretch
    of a longer sequence whose counts carry the SC error, so it is never exact.
    """
    from ...sc.sng import LFSRSpec, sequence

    if isinstance(spec, LFSRSpec):
        return False
    return bool(np.array_equal(np.sort(sequence(spec, L).astype(np.int64)), np.arange(L, dtype=np.int64)))


def _check_dense_engine(graph: Graph) -> None:
    """The dense engine runs every graph the rest of the validator accepts."""


def _check_event_engine(graph: Graph) -> None:
    """The event engine adds one cycle per spiking input row instead of an ``L``-cycle window per block,
    so (encoding ``"sc"``) it uses the window count ``cnt = m`` of every synapse and beta stream without
    running the window: exact only when every such stream is window-exact (:func:`_window_exact`)."""
    for layer in graph.layers:
        # the spike queue holds this step's spikes only; a delay synapse reads older steps' spikes
        if not isinstance(layer.synapse, EVENT_SYNAPSE_KINDS):
            raise IRError(layer.synapse.name, "kind", f"the event engine realises "
                          f"{[k.__name__ for k in EVENT_SYNAPSE_KINDS]} synapses, got {type(layer.synapse).__name__} "
                          "(its spike queue holds only the current step's spikes); use engine dense")
    hw = graph.hardware
    if hw.encoding is not Encoding.SC:
        return
    why = ("the event engine reads one weight row per cycle and needs window counts equal to the comparator "
           "threshold (every window holds each value once: vdc, or sobol with independent direction numbers); "
           "use sng vdc, encoding fixed, or engine dense")
    for layer in graph.layers:
        for s, spec in enumerate(layer.synapse.quant.synapse_sngs):
            if not _window_exact(spec, hw.stream_length):
                raise IRError(layer.synapse.name, f"quant.synapse_sngs[{s}]", f"{spec.kind} stream: {why}")
        leak = layer.neuron.quant.leak
        if isinstance(leak, SCLeak) and not _window_exact(leak.beta_sng, hw.stream_length):
            raise IRError(layer.neuron.name, "quant.leak.beta_sng", f"{leak.beta_sng.kind} stream: {why}")


#: Synapse node kinds the event engine realises (a delay synapse needs older steps' spikes).
EVENT_SYNAPSE_KINDS = (DenseNode,)

#: The rule of each engine (a new engine: one function above, one entry here).
_ENGINE_RULES = {Engine.DENSE: _check_dense_engine, Engine.EVENT: _check_event_engine}


def _check_engine(graph: Graph) -> None:
    rule = _ENGINE_RULES.get(graph.hardware.engine)
    if rule is None:
        raise IRError("hardware", "engine", f"expected one of {[e.value for e in _ENGINE_RULES]}, "
                      f"got {graph.hardware.engine!r}")
    rule(graph)


def validate(graph: Graph, options: Any = None) -> Graph:
    """Check ``graph`` (see the module docstring) and return it with the check recorded.

    Parameters
    ----------
    graph:
        A float- or quantized-level graph.
    options:
        Unused (every pass takes the same arguments).

    Raises
    ------
    IRError
        Naming the node and the field that is wrong and what was expected.
    """
    check_graph(graph)
    return graph.with_pass("validate", {"level": graph.level, "nodes": len(graph.nodes)})

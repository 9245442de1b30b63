"""NIR -> scnc: a NIR graph becomes an :class:`~scnc.transfer.SNNCheckpoint`, with a report of what was assumed.

The graph must be one feed-forward chain (:mod:`scnc.nir.topology`). Walking it, synapse nodes
(``Linear``, ``Affine``, ``Scale``; consecutive ones are composed) accumulate into one weight matrix
and bias, and ``Delay`` nodes before the matrix (per input) or after it (per output) into one integer
delay per synapse (``delay / dt`` rounded to whole steps); each neuron node (``LIF``, ``IF``, ``CubaLIF`` whose synaptic current has no memory)
closes a layer. ``Flatten`` only reshapes. The neuron's continuous parameters become ``beta``, an
input gain, a constant current and the threshold through :mod:`scnc.nir.conventions`; the gain is
folded into the layer's weights and bias. Everything else is refused with a :class:`NIRError`
naming the file, the node, its kind, the field and what scnc supports.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from ..kinds import ResetMode, choices, parse
from ..names import name_problem
from ..snn.network import EncoderConfig
from ..transfer import SNNCheckpoint
from ..snn.network import MAX_DELAY
from ..transfer.records import DelayDenseLIFRecord, DenseLIFRecord, FieldError
from ._hdf5 import read_graph
from .conventions import (PRESETS, Discretization, Preset, Producer, discretize, rockpool_dt, snntorch_gain_is_one,
                          unit_gain)
from .errors import NIRError
from .topology import ChainNode, chain

__all__ = ["LayerReport", "ImportResult", "read_nir", "import_graph", "SUPPORTED_NODES", "GAIN_RTOL"]

#: Node kinds scnc imports, by role (docs/nir.md).
SUPPORTED_NODES = {
    "graph": ("Input", "Output", "NIRGraph (flattened)", "Flatten"),
    "synapse": ("Linear", "Affine", "Scale", "Delay (before or after the matrix)"),
    "neuron": ("LIF", "IF", "CubaLIF (synaptic decay 0 only)"),
}
_SUPPORTED_TEXT = ("scnc imports Input, Output, Linear, Affine, Scale, Delay, Flatten, LIF, IF, CubaLIF with no "
                   "synaptic memory, and nested NIRGraphs")
#: How close ``r * dt / tau`` must be to 1 for the snnTorch preset to use a gain of exactly 1.
GAIN_RTOL = 1e-5
#: Largest synaptic decay treated as none (CubaLIF with ``tau_syn == dt`` under Euler has exactly 0).
_ALPHA_ZERO = 1e-6


@dataclass(frozen=True)
class LayerReport:
    """What one imported layer became, and what was assumed to get there.

    ``beta``, ``gain`` and ``threshold`` are per neuron (``gain`` already folded into the weights
    and bias); ``nodes`` are the NIR nodes merged into the layer, synapses first.
    """

    name: str
    nodes: tuple[str, ...]
    neuron_kind: str
    n_in: int
    n_out: int
    beta: np.ndarray
    gain: np.ndarray
    threshold: np.ndarray
    reset: str
    has_bias: bool
    assumptions: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """JSON-ready: ranges of the per-neuron values and the assumptions."""

        def rng(a: np.ndarray) -> list[float]:
            return [float(np.min(a)), float(np.max(a))]

        return {"name": self.name, "nodes": list(self.nodes), "neuron_kind": self.neuron_kind,
                "n_in": self.n_in, "n_out": self.n_out, "beta": rng(self.beta), "gain": rng(self.gain),
                "threshold": rng(self.threshold), "reset": self.reset, "bias": self.has_bias,
                "assumptions": list(self.assumptions)}


@dataclass(frozen=True)
class ImportResult:
    """A NIR graph as scnc's float network, with the per-layer report.

    Members
    -------
    checkpoint:
        The network (:meth:`network` gives the :class:`~scnc.snn.Network`).
    layers:
        One :class:`LayerReport` per layer.
    producer, dt, discretization:
        The conventions used (after ``auto`` and the options were resolved).
    warnings:
        Things the file cannot tell and the import had to assume.
    source:
        The file (or ``"<graph>"``).
    """

    checkpoint: SNNCheckpoint
    layers: tuple[LayerReport, ...]
    producer: Producer
    dt: float
    discretization: Discretization
    warnings: tuple[str, ...]
    source: str
    notes: tuple[str, ...] = field(default=())

    def network(self):
        """The :class:`~scnc.snn.network.Network` (arrays copied)."""
        return self.checkpoint.to_network()

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "producer": str(self.producer), "dt": self.dt,
                "discretization": str(self.discretization), "layers": [r.summary() for r in self.layers],
                "warnings": list(self.warnings), "notes": list(self.notes)}


# ------------------------------------------------------------------------------------------------
# Field access with errors naming the node


class _Ctx:
    def __init__(self, path: object) -> None:
        self.path = path

    def err(self, cn: ChainNode | None, message: str, field: str | None = None) -> NIRError:
        if cn is None:
            return NIRError(self.path, None, message, field=field)
        return NIRError(self.path, cn.name, message, kind=cn.kind, field=field)

    def array(self, cn: ChainNode, name: str, *, required: bool = True) -> np.ndarray | None:
        v = getattr(cn.node, name, None)
        if v is None:
            if required:
                raise self.err(cn, "is missing", name)
            return None
        try:
            a = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise self.err(cn, f"is not a numeric array ({exc})", name) from None
        bad = int(np.count_nonzero(np.isnan(a)))
        if bad:
            raise self.err(cn, f"holds {bad} NaN values", name)
        return a

    def per_neuron(self, cn: ChainNode, name: str, n: int, *, allow_inf: bool = False,
                   default: float | None = None) -> np.ndarray:
        """Field ``name`` broadcast to ``(n,)``: a scalar, a size-1 array or one value per neuron."""
        a = self.array(cn, name, required=default is None)
        if a is None:
            return np.full(n, float(default), np.float64)  # type: ignore[arg-type]
        if a.size == 1:
            a = np.full(n, float(a.reshape(-1)[0]))
        elif a.size == n:
            a = a.reshape(-1)
        else:
            raise self.err(cn, f"has shape {a.shape} ({a.size} values) but the node has {n} neurons (the synapse "
                           "before it has that many outputs); expected a scalar or one value per neuron", name)
        if not allow_inf and not np.all(np.isfinite(a)):
            raise self.err(cn, f"holds {int(np.count_nonzero(~np.isfinite(a)))} infinite values", name)
        return a


# ------------------------------------------------------------------------------------------------


@dataclass
class _Synapse:
    """The synapse accumulated since the last neuron: ``y = weight @ x + bias`` (NIR layout)."""

    weight: np.ndarray | None = None  # (n_out, n_in) float64, None = identity so far
    bias: np.ndarray | None = None
    nodes: list[str] = field(default_factory=list)
    composed: bool = False
    weight32: np.ndarray | None = None  # the single Linear/Affine's own float32 weights, when uncomposed
    last: ChainNode | None = None
    # NIR Delay nodes, in whole time steps: before the matrix (one per input: axonal) and after it
    # (one per output: dendritic); synapse (j, i) is delayed by pre[j] + post[i]
    pre_delay: np.ndarray | None = None
    post_delay: np.ndarray | None = None
    delay_notes: list[str] = field(default_factory=list)


#: How far ``delay / dt`` may be from a whole number of steps before the import warns that it rounded.
DELAY_RTOL = 1e-6


def _delay_steps(ctx: "_Ctx", cn: ChainNode, size: int, dt: float, warns: list[str]) -> np.ndarray:
    """A NIR ``Delay`` node's ``delay`` (file time unit, one per channel or one for all) in whole time
    steps of ``dt``, int64 ``(size,)``; rounded as DCLS rounds its learned positions, with a warning
    when a value was not already a whole number of steps."""
    d = ctx.per_neuron(cn, "delay", size)
    if np.any(d < 0):
        raise ctx.err(cn, f"must be >= 0 (a delay), got minimum {d.min():g}", "delay")
    steps = d / dt
    whole = np.rint(steps)
    if np.any(whole > MAX_DELAY):
        raise ctx.err(cn, f"delays up to {d.max():g} are {int(whole.max())} steps of dt = {dt:g}; scnc takes at most "
                      f"{MAX_DELAY} (MAX_DELAY)", "delay")
    if np.any(np.abs(steps - whole) > DELAY_RTOL * np.maximum(1.0, np.abs(steps))):
        warns.append(f"node '{cn.name}': delays are not whole multiples of dt = {dt:g} (up to "
                     f"{float(np.max(np.abs(steps - whole))):.3g} steps off): rounded to whole time steps")
    return whole.astype(np.int64)


def _meta(node: Any, key: str) -> Any:
    md = getattr(node, "metadata", None)
    if not isinstance(md, dict) or key not in md:
        return None
    v = md[key]
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v.item()
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
    return v


def _resolve_producer(graph: Any, cns: list[ChainNode], producer: Producer, ctx: _Ctx) -> tuple[Producer, str | None]:
    """The producer (``auto`` resolved) and a note saying how it was recognised."""
    if producer is not Producer.AUTO:
        return producer, None
    if _meta(graph, "producer") == "scnc":
        return Producer.SCNC, "producer recognised from the graph's metadata (written by scnc)"
    lifs = [cn for cn in cns if cn.kind in ("LIF", "CubaLIF")]
    if lifs and all(
        snntorch_gain_is_one(np.asarray(getattr(cn.node, "tau", getattr(cn.node, "tau_mem", np.nan)), np.float64),
                             np.asarray(cn.node.r, np.float64), rtol=GAIN_RTOL)
        for cn in lifs
    ):
        return Producer.SNNTORCH, "producer recognised as snnTorch: every LIF has r = tau / 1e-4 (snnTorch's export)"
    raise ctx.err(None, "cannot tell which framework wrote this file (its LIF nodes do not follow snnTorch's "
                  "r = tau/dt convention and it carries no scnc metadata): pass --producer snntorch|norse|sinabs|"
                  "rockpool|nir, or --producer nir with --dt to use NIR's own semantics")


def import_graph(
    graph: Any,
    *,
    source: str | os.PathLike = "<graph>",
    producer: Producer | str = Producer.AUTO,
    dt: float | None = None,
    discretization: Discretization | str | None = None,
    reset: ResetMode | str | None = None,
    timesteps: int = 25,
    encoder: EncoderConfig | None = None,
    class_labels: Sequence[int] | None = None,
) -> ImportResult:
    """Convert an in-memory ``nir.NIRGraph`` (arguments as :func:`read_nir`)."""
    ctx = _Ctx(source)
    try:
        prod = Producer(parse(Producer, producer, "producer"))
        disc_opt = None if discretization is None else Discretization(parse(Discretization, discretization, "discretization"))
        reset_opt = None if reset is None else ResetMode(parse(ResetMode, reset, "reset"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if dt is not None and not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ConfigError(f"dt must be a finite number > 0, got {dt!r}")
    cns = chain(graph, source)
    prod, recognised = _resolve_producer(graph, cns, prod, ctx)
    preset = PRESETS[prod]
    notes = [preset.note] + ([recognised] if recognised else [])
    warns: list[str] = list(preset.caveats)
    implied_dt = _dt_from_r(ctx, cns, prod) if preset.dt_from_r else None
    if dt is None and implied_dt is not None:
        dt_used = implied_dt
        notes.append(f"dt = {dt_used:.9g} recovered from every LIF's r = tau*exp(-dt/tau)/dt ({prod}'s export)")
    elif dt is None:
        if preset.dt is None:
            raise ConfigError(f"{source}: producer {prod} does not fix the time step: give --dt (the step, in the "
                              "file's time unit, that one scnc time step stands for)")
        dt_used = float(preset.dt)
    else:
        dt_used = float(dt)
        implied = preset.dt if implied_dt is None else implied_dt
        if implied is not None and not math.isclose(dt_used, implied, rel_tol=1e-5 if preset.dt_from_r else 1e-12):
            warns.append(f"dt = {dt_used:g} given, while {prod}'s exporter implies dt = {implied:.9g}: the imported "
                         "leak and gain differ from what the network was trained with")
    disc = disc_opt or preset.discretization
    if disc_opt is not None and disc_opt is not preset.discretization:
        warns.append(f"discretisation {disc} given, while {prod} steps its neurons with {preset.discretization}")

    inp = cns[0]
    try:
        shape = tuple(int(d) for d in np.asarray(inp.node.input_type["input"]).reshape(-1))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ctx.err(inp, "has no readable input shape", "shape") from None
    if not shape or any(d < 1 for d in shape):
        raise ctx.err(inp, f"input shape must be positive dimensions, got {shape}", "shape")
    size = int(np.prod(shape))
    in_notes = [] if len(shape) == 1 else [f"the input of shape {shape} is flattened row-major to {size} values"]

    records: list[DenseLIFRecord] = []
    reports: list[LayerReport] = []
    syn = _Synapse()
    names_used: set[str] = set()
    for cn in cns[1:-1]:
        kind = cn.kind
        if kind == "Flatten":
            syn.nodes.append(cn.name)
            continue
        if kind == "Delay":
            steps = _delay_steps(ctx, cn, size, dt_used, warns)
            if syn.weight is None:
                syn.pre_delay = steps if syn.pre_delay is None else syn.pre_delay + steps
            else:
                syn.post_delay = steps if syn.post_delay is None else syn.post_delay + steps
            syn.delay_notes.append(f"Delay node '{cn.name}': {'per input (axonal)' if syn.weight is None else 'per output'}"
                                   f" delays of {int(steps.min())}..{int(steps.max())} steps (delay / dt, dt = {dt_used:g})")
            syn.nodes.append(cn.name)
            syn.last = cn
            continue
        if kind in ("Linear", "Affine") and syn.post_delay is not None:
            raise ctx.err(cn, "follows a Delay that follows a synapse matrix: a delay per intermediate channel between "
                          "two matrices is not a per-synapse delay scnc can represent (put the Delay before the first "
                          "matrix or right before the neuron node)")
        if kind in ("Linear", "Affine"):
            w = ctx.array(cn, "weight")
            assert w is not None
            if w.ndim != 2:
                raise ctx.err(cn, f"weight must be 2-D (n_out, n_in), got shape {w.shape}", "weight")
            if w.shape[1] != size:
                raise ctx.err(cn, f"weight has shape {w.shape}: {w.shape[1]} inputs, but the node before it gives "
                              f"{size} values; expected ({w.shape[0]}, {size})", "weight")
            if not np.all(np.isfinite(w)):
                raise ctx.err(cn, "holds infinite values", "weight")
            b = None
            if kind == "Affine":
                b = ctx.per_neuron(cn, "bias", w.shape[0])
            if syn.weight is None and syn.bias is None:
                syn.weight, syn.bias = w, b
                syn.weight32 = np.asarray(cn.node.weight) if np.asarray(cn.node.weight).dtype == np.float32 else None
            else:
                carried = None if syn.bias is None else w @ syn.bias  # y = W2 (W1 x + b1) + b2
                syn.bias = carried if b is None else (b if carried is None else carried + b)
                syn.weight = w @ (np.eye(size) if syn.weight is None else syn.weight)
                syn.composed, syn.weight32 = True, None
            syn.nodes.append(cn.name)
            syn.last = cn
            size = int(w.shape[0])
            continue
        if kind == "Scale":
            s = ctx.per_neuron(cn, "scale", size)
            base = np.eye(size) if syn.weight is None else syn.weight
            syn.weight = s[:, None] * base
            syn.bias = None if syn.bias is None else s * syn.bias
            syn.composed, syn.weight32 = True, None
            syn.nodes.append(cn.name)
            syn.last = cn
            continue
        if kind in ("LIF", "IF", "CubaLIF"):
            if syn.weight is None:
                raise ctx.err(cn, "a neuron node needs a synapse node (Linear, Affine or Scale) before it: scnc's "
                              "layers are a synapse matrix feeding a neuron group")
            rec, rep = _neuron_layer(ctx, cn, syn, size, len(records), names_used, prod, preset, dt_used, disc,
                                     reset_opt, warns, (in_notes if not records else []) + syn.delay_notes)
            rec = _with_delays(ctx, cn, syn, rec)
            records.append(rec)
            reports.append(rep)
            syn = _Synapse()
            continue
        raise ctx.err(cn, f"node kind {kind} is not supported: {_SUPPORTED_TEXT}. " + _why_not(kind))
    if syn.weight is not None or syn.bias is not None:
        raise ctx.err(syn.last,
                      "the graph ends in a synapse with no neuron after it: scnc's read-out counts the spikes of "
                      "the last neuron layer")
    if not records:
        raise ctx.err(None, "the graph has no neuron layer (LIF, IF or CubaLIF)")
    prov = {"nir": {"file": Path(str(source)).name, "producer": str(prod), "dt": dt_used,
                    "discretization": str(disc), "layers": {r.name: list(r.nodes) for r in reports}}}
    try:
        ckpt = SNNCheckpoint(layers=tuple(records), timesteps=timesteps, encoder=encoder or EncoderConfig(),
                             class_labels=None if class_labels is None else list(class_labels), provenance=prov)
    except FieldError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return ImportResult(ckpt, tuple(reports), prod, dt_used, disc, tuple(dict.fromkeys(warns)), str(source),
                        tuple(notes))


def _dt_from_r(ctx: _Ctx, cns: list[ChainNode], prod: Producer) -> float | None:
    """The one ``dt`` that every LIF/CubaLIF's ``r = tau exp(-dt/tau) / dt`` implies (Rockpool), or ``None``.

    ``None`` when the graph has no LIF/CubaLIF; an error naming the node when ``r`` is not > 0 or
    the neurons disagree (then the file does not follow the convention and ``--dt`` must be given).
    """
    first: tuple[ChainNode, float] | None = None
    for cn in cns:
        if cn.kind not in ("LIF", "CubaLIF"):
            continue
        tau_name = "tau" if cn.kind == "LIF" else "tau_mem"
        tau, r = ctx.array(cn, tau_name), ctx.array(cn, "r")
        assert tau is not None and r is not None
        tau, r = np.broadcast_arrays(tau, r)
        dts = rockpool_dt(tau, r)
        if not np.all(np.isfinite(dts)):
            raise ctx.err(cn, f"{tau_name} and r must be finite and > 0 for {prod}'s convention r = "
                          "tau*exp(-dt/tau)/dt (from which the time step is recovered); or give --dt", "r")
        lo, hi = float(np.min(dts)), float(np.max(dts))
        ref = first[1] if first else lo
        if hi - lo > GAIN_RTOL * hi or abs(lo - ref) > GAIN_RTOL * ref:
            where = f"node '{first[0].name}' implies {ref:.9g}, " if first else ""
            raise ctx.err(cn, f"r and {tau_name} imply dt = {lo:.9g}..{hi:.9g} ({where}not one time step): this is not "
                          f"{prod}'s convention r = tau*exp(-dt/tau)/dt; give --dt", "r")
        if first is None:
            first = (cn, float(np.median(dts)))
    return None if first is None else first[1]


def _why_not(kind: str) -> str:
    reasons = {
        "LI": "A leaky integrator does not spike; scnc's read-out counts the spikes of the last layer.",
        "CubaLI": "A leaky integrator does not spike; scnc's read-out counts the spikes of the last layer.",
        "I": "An integrator does not spike; scnc's read-out counts the spikes of the last layer.",
        "Conv1d": "Convolutions are not a scnc node kind yet (dense layers only).",
        "Conv2d": "Convolutions are not a scnc node kind yet (dense layers only).",
        "SumPool2d": "Pooling is not a scnc node kind yet.",
        "AvgPool2d": "Pooling is not a scnc node kind yet.",
        "Threshold": "A stateless threshold is not a scnc neuron (scnc's neurons are LIF groups).",
    }
    return reasons.get(kind, "")


def _layer_name(cn: ChainNode, index: int, used: set[str], notes: list[str]) -> str:
    meta_name = _meta(cn.node, "scnc_layer")
    name = meta_name if isinstance(meta_name, str) else cn.name
    if name_problem(name) is not None or name in used:
        why = name_problem(name) or "is already used"
        new = f"layer{index}"
        while new in used:
            new += "_"
        notes.append(f"layer named {new!r}: the node name {name!r} {why}")
        name = new
    used.add(name)
    return name


def _neuron_layer(
    ctx: _Ctx, cn: ChainNode, syn: _Synapse, n: int, index: int, used: set[str], prod: Producer, preset: Preset,
    dt: float, disc: Discretization, reset_opt: ResetMode | None, warns: list[str], extra_notes: list[str],
) -> tuple[DenseLIFRecord, LayerReport]:
    notes = list(extra_notes)
    kind = cn.kind
    threshold = ctx.per_neuron(cn, "v_threshold", n)
    if not np.all(threshold > 0):
        raise ctx.err(cn, f"must be > 0 for every neuron (scnc fires when v >= threshold > 0), got minimum "
                      f"{threshold.min()}", "v_threshold")
    v_reset = ctx.per_neuron(cn, "v_reset", n, default=0.0)
    snn_gain = preset.gain_one
    if kind == "IF":
        r = ctx.per_neuron(cn, "r", n)
        if_dt = dt if preset.if_dt is None else preset.if_dt
        beta = np.ones(n)
        gain = r * if_dt
        v_leak = np.zeros(n)
        notes.append(f"IF: beta = 1, input gain r*dt = r*{if_dt:g}"
                     + (f" ({prod}'s IF adds its input unscaled)" if preset.if_dt is not None else ""))
        if preset.gain_one and np.allclose(gain, 1.0, rtol=GAIN_RTOL, atol=0):
            gain = np.ones(n)
    else:
        tau_name = "tau" if kind == "LIF" else "tau_mem"
        tau = ctx.per_neuron(cn, tau_name, n, allow_inf=True)
        r = ctx.per_neuron(cn, "r", n, allow_inf=True)
        v_leak = ctx.per_neuron(cn, "v_leak", n)
        if not np.all(tau > 0):
            raise ctx.err(cn, f"must be > 0 (a time constant), got minimum {tau.min()}"
                          + ("; snnTorch clamps a learned beta to [0, 1] in its forward pass but exports the raw "
                             "value: clamp beta before export_to_nir" if prod is Producer.SNNTORCH else ""), tau_name)
        snn_conv = snn_gain and unit_gain(prod, tau, r, dt, rtol=GAIN_RTOL)
        convention = "r = tau*exp(-dt/tau)/dt, Rockpool's" if prod is Producer.ROCKPOOL else "r = tau/dt, snnTorch's"
        if np.any(np.isinf(tau)) and not snn_conv:
            raise ctx.err(cn, "is infinite; only an snnTorch-convention file (r = tau/dt, both infinite for beta = 1) "
                          "can say 'no leak' this way", tau_name)
        if not np.all(np.isfinite(r)) and not snn_conv:
            raise ctx.err(cn, "holds infinite values", "r")
        with np.errstate(divide="ignore", invalid="ignore"):
            beta, gain = discretize(np.where(np.isinf(tau), 1.0, tau), r, dt, disc)
        beta = np.where(np.isinf(tau), 1.0, beta)
        if snn_conv:
            gain = np.ones(n)
            notes.append(f"input gain 1 ({convention} convention)")
        elif snn_gain:
            warns.append(f"layer from node '{cn.name}': r does not follow {convention} export convention (input gain 1); "
                         f"the input gain of the {disc} discretisation is folded into the weights")
        if np.any(beta < 0):
            raise ctx.err(cn, f"dt = {dt:g} exceeds tau (minimum {tau.min():g}): forward Euler gives beta = 1 - dt/tau "
                          "< 0; use --discretization exact or a smaller --dt", tau_name)
        notes.append(f"beta = {'1 - dt/tau' if disc is Discretization.EULER else 'exp(-dt/tau)'} with dt = {dt:g}")
        if kind == "CubaLIF":
            tau_syn = ctx.per_neuron(cn, "tau_syn", n)
            if not np.all(tau_syn > 0):
                raise ctx.err(cn, f"must be > 0, got minimum {tau_syn.min()}", "tau_syn")
            w_in = ctx.per_neuron(cn, "w_in", n, default=1.0)
            alpha, syn_gain = discretize(tau_syn, w_in, dt, disc)
            if preset.syn_input_decays:
                syn_gain = w_in * alpha  # I = alpha (I + x): the input decays before the membrane reads it
            if np.any(np.abs(alpha) > _ALPHA_ZERO):
                raise ctx.err(cn, f"the synaptic current decays with alpha = {float(np.max(np.abs(alpha))):.6g} per "
                              f"step (dt = {dt:g}): a second state per neuron, which scnc's LIF does not have; only a "
                              "CubaLIF whose synaptic current has no memory (alpha = 0, e.g. snnTorch's Synaptic with "
                              "alpha = 0) is imported"
                              + ("; Rockpool's LIFTorch scales its input by that same alpha, so only tau_syn << dt "
                                 "(with weights scaled up by 1/alpha) has no synaptic memory"
                                 if preset.syn_input_decays else ""), "tau_syn")
            if not (snn_conv and np.allclose(syn_gain, 1.0, rtol=GAIN_RTOL, atol=0)):
                gain = gain * syn_gain
            notes.append("CubaLIF with synaptic decay 0: a LIF whose input gain includes the synapse's "
                         + (f"w_in * exp(-dt/tau_syn) (at most {float(np.max(np.abs(syn_gain))):.3g}: {prod} decays "
                            "the synaptic current before the membrane reads it)" if preset.syn_input_decays else "w_in"))
        if np.any(v_leak != 0):
            notes.append("v_leak != 0 becomes a constant input current (1 - beta) * v_leak per step")
            if preset.starts_at_v_leak:
                warns.append(f"layer from node '{cn.name}': {prod} starts each neuron at v = v_leak (here up to "
                             f"{float(np.max(np.abs(v_leak))):g}), scnc at v = 0: the membranes differ by "
                             "beta^(t+1) * v_leak until the first reset, and spikes of the first steps may differ")
    beta = np.clip(beta, 0.0, 1.0)
    # Reset mode.
    meta_reset = _meta(cn.node, "scnc_reset") if prod is Producer.SCNC else None
    if reset_opt is not None:
        reset = reset_opt
        notes.append(f"reset '{reset}' (from the options)")
    elif meta_reset is not None:
        try:
            reset = ResetMode(meta_reset)
        except ValueError:
            raise ctx.err(cn, f"metadata scnc_reset must be one of {'/'.join(choices(ResetMode))}, got {meta_reset!r}",
                          "metadata") from None
        notes.append(f"reset '{reset}' (from the node's scnc metadata)")
    elif preset.reset is not None and preset.reset_fixed:
        reset = preset.reset
        notes.append(f"reset '{reset}' ({prod}'s neurons have no other reset)")
    elif preset.reset is not None:
        reset = preset.reset
        notes.append(f"reset '{reset}' ({prod}'s default; the file cannot tell)")
        others = " or ".join(f"--reset {m}" for m in choices(ResetMode) if m != reset)
        warns.append(f"{prod} files do not record the reset mechanism: assumed '{reset}' ({prod}'s default); pass "
                     f"{others} if the network was trained otherwise")
    else:
        reset = ResetMode.ZERO
        notes.append("reset to v_reset = 0 (NIR's rule): scnc's 'zero'")
    if reset is ResetMode.ZERO and np.any(v_reset != 0):
        raise ctx.err(cn, f"resetting to v_reset != 0 (values {v_reset.min():g}..{v_reset.max():g}) is not representable: "
                      "scnc resets to 0 or subtracts the threshold", "v_reset")
    if reset is not ResetMode.ZERO and np.any(v_reset != 0):
        notes.append("v_reset ignored: reset by subtracting the threshold")
    if reset is ResetMode.SUBTRACT and prod is Producer.SNNTORCH:
        notes.append("scnc's subtract = snnTorch Leaky with reset_delay=False; snnTorch's default reset_delay=True "
                     "subtracts an undecayed threshold one step later: scnc's subtract_delayed (docs/nir.md)")
    if reset is ResetMode.SUBTRACT_DELAYED and prod is Producer.SNNTORCH:
        notes.append("scnc's subtract_delayed = snnTorch Leaky's default (reset_mechanism='subtract', "
                     "reset_delay=True); for reset_delay=False pass --reset subtract (docs/nir.md)")
    if preset.compare == ">":
        notes.append(f"fires at v >= threshold ({prod} fires at v > threshold: differs only on exact equality)")

    # Weights and bias with the gain folded in.
    w = syn.weight
    assert w is not None
    gain_is_one = bool(np.all(gain == 1.0))
    if gain_is_one and syn.weight32 is not None:
        weight = np.ascontiguousarray(syn.weight32.T)  # the file's own float32 values, bit for bit
    else:
        weight = np.ascontiguousarray((w * gain[:, None]).T).astype(np.float32)
    if syn.composed:
        notes.append(f"synapse nodes {syn.nodes} composed into one matrix (float64, then float32)")
    bias64 = np.zeros(n)
    if syn.bias is not None:
        bias64 = bias64 + (syn.bias if gain_is_one else syn.bias * gain)
    leak_current = (1.0 - beta) * v_leak
    bias64 = bias64 + leak_current
    # An Affine node means the layer has a bias (even an all-zero one, as scnc's own export writes it).
    has_bias = syn.bias is not None or bool(np.any(leak_current != 0))
    name = _layer_name(cn, index, used, notes)
    try:
        rec = DenseLIFRecord(
            name=name, weight=weight, bias=bias64.astype(np.float32) if has_bias else None,
            beta=_compact(beta.astype(np.float32)), threshold=_compact(threshold.astype(np.float32)), reset=str(reset),
        )
    except FieldError as exc:
        raise ctx.err(cn, exc.reason, str(exc.path[-1]) if exc.path else None) from None
    rep = LayerReport(name=name, nodes=tuple(syn.nodes) + (cn.name,), neuron_kind=kind, n_in=rec.n_in, n_out=rec.n_out,
                      beta=rec.beta.copy() if rec.beta.size == n else np.full(n, rec.beta[0]), gain=gain.copy(),
                      threshold=np.broadcast_to(rec.threshold, (n,)).copy(), reset=str(reset), has_bias=has_bias,
                      assumptions=tuple(notes))
    return rec, rep


def _with_delays(ctx: _Ctx, cn: ChainNode, syn: _Synapse, rec: DenseLIFRecord) -> DenseLIFRecord:
    """``rec`` as a :class:`DelayDenseLIFRecord` when Delay nodes fed its synapse: delay of synapse
    ``(j, i)`` = the delay before the matrix on input ``j`` + the delay after it on output ``i``."""
    if syn.pre_delay is None and syn.post_delay is None:
        return rec
    pre = np.zeros(rec.n_in, np.int64) if syn.pre_delay is None else syn.pre_delay
    post = np.zeros(rec.n_out, np.int64) if syn.post_delay is None else syn.post_delay
    delays = pre[:, None] + post[None, :]
    if delays.size and int(delays.max()) > MAX_DELAY:
        raise ctx.err(syn.last, f"the delays before and after the matrix add up to {int(delays.max())} steps; scnc "
                      f"takes at most {MAX_DELAY} (MAX_DELAY)", "delay")
    values = {f.name: getattr(rec, f.name) for f in DenseLIFRecord.FIELDS if not f.dim}
    try:
        return DelayDenseLIFRecord(**values, delays=delays.astype(np.int16))
    except FieldError as exc:
        raise ctx.err(cn, exc.reason, str(exc.path[-1]) if exc.path else None) from None


def _compact(a: np.ndarray) -> np.ndarray:
    """``(1,)`` when every neuron has the same value (a per-layer parameter), else the array itself."""
    return a[:1].copy() if a.size and np.all(a == a[0]) else a


def read_nir(
    path: str | os.PathLike,
    *,
    producer: Producer | str = Producer.AUTO,
    dt: float | None = None,
    discretization: Discretization | str | None = None,
    reset: ResetMode | str | None = None,
    timesteps: int = 25,
    encoder: EncoderConfig | None = None,
    class_labels: Sequence[int] | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Read a NIR file (HDF5, written by ``nir.write`` or a framework's exporter) as a scnc network.

    Parameters
    ----------
    path:
        The ``.nir`` file.
    producer:
        Whose conventions the file follows (:class:`~scnc.nir.conventions.Producer`): ``auto``
        recognises scnc's own files and snnTorch's (``r = tau / 1e-4``) and asks otherwise.
    dt:
        The time step one scnc step stands for, in the file's time unit; default: the producer's.
    discretization:
        ``euler`` or ``exact`` (:mod:`scnc.nir.conventions`); default: the producer's.
    reset:
        ``subtract`` or ``zero`` for every layer; default: the producer's (a warning says so when
        the file cannot tell).
    timesteps:
        Time steps per example of the imported network (NIR does not store it).
    encoder:
        The float input encoder of the imported network (default: rate coding).
    class_labels:
        Label of each output neuron (default ``0 .. n-1``).
    max_bytes:
        Largest total size of the file's datasets (default :func:`scnc._io.max_array_bytes`).

    Returns
    -------
    ImportResult

    Raises
    ------
    NIRError
        The file is unreadable, not a feed-forward chain of supported nodes, or holds a value scnc
        cannot represent (the message names the node and the field).
    ConfigError
        A bad option (unknown producer, ``dt <= 0``...).
    """
    graph = read_graph(path, max_bytes=max_bytes)
    return import_graph(graph, source=path, producer=producer, dt=dt, discretization=discretization, reset=reset,
                        timesteps=timesteps, encoder=encoder, class_labels=class_labels)

"""The scnc IR: an immutable graph of typed nodes, at two levels.

* ``level == "float"``: lowered from a checkpoint; every parameter is a float array.
* ``level == "quantized"``: every node also carries its hardware form (``quant``): integers with
  explicit widths and every hardware choice stated (stream length, SNG per stream, widths...).
  :mod:`scnc.ref` and :mod:`scnc.rtl` read ONLY this; neither re-derives a number.

The exact arithmetic a quantized graph denotes is written in ``docs/hardware.md``.

Nodes are connected by name (``source``) and stored in topological order. As in NIR, synapses and
neurons are separate nodes: a synapse node (:class:`DenseNode`, :class:`DelayDenseNode`; ``Conv`` later) feeds a
neuron node (:class:`LIFNode`; ``IF``, ``LI``, WTA groups later). Today's graphs are chains
``InputNode -> (DenseNode -> LIFNode)+ -> OutputNode``; :attr:`Graph.layers` pairs each neuron node
with its synapse node, the unit the engines run. New node kinds are new dataclasses with handlers
per stage, found by type (``docs/architecture.md``).

Variants are enums (:mod:`scnc.kinds`) and, where a variant carries its own data, tagged dataclasses:
the leak of a quantized layer is an :class:`SCLeak` or a :class:`ShiftLeak`, each holding only its own
fields, and every stage dispatches on the type.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, Union

import numpy as np

from ..errors import IRError
from ..kinds import Encoding, Engine, InputCoding, LeakKind, Level, ResetMode, SNGKind, parse

__all__ = [
    "SCHEMA_VERSION",
    "InputNode",
    "QuantInput",
    "QuantDense",
    "DenseNode",
    "DelayLine",
    "DelayDenseNode",
    "MAX_DELAY",
    "QuantLIF",
    "LIFNode",
    "Layer",
    "SYNAPSE_KINDS",
    "NEURON_KINDS",
    "SCLeak",
    "ShiftLeak",
    "Leak",
    "OutputNode",
    "HardwareParams",
    "Graph",
    "Node",
]

SCHEMA_VERSION = 2


def _coerce(obj: object, field: str, enum: type, where: str) -> None:
    """Store ``enum(value)`` in a frozen dataclass field, or raise IRError naming it."""
    try:
        object.__setattr__(obj, field, parse(enum, getattr(obj, field), field))
    except ValueError as e:
        raise IRError(where, field, str(e)) from None

# An SNG spec is one of scnc.sc's frozen dataclasses (VdcSpec, LFSRSpec, SobolSpec). The IR only
# stores them; it never interprets them (that is scnc.sc's job).
SNGSpec = Any


@dataclass(frozen=True)
class HardwareParams:
    """Graph-wide hardware choices (quantized level only).

    Parameters
    ----------
    stream_length:
        L, SC stream length = clock cycles per synapse window, a power of two (2..2^16).
    encoding:
        ``"sc"``: synapse bits from SNG comparators, counted by APCs. ``"fixed"``: the same graph in
        plain fixed-point arithmetic (the counts an ideal SNG would give; no SNG hardware).
    sng:
        SNG kind of the cycle-rate streams (synapses, beta): ``"vdc"``, ``"lfsr"`` or ``"sobol"``.
    input_sng:
        SNG kind of the step-rate input encoder streams.
    seed:
        Seed every stream allocation was derived from.
    engine:
        How every layer's hardware is sequenced (:class:`~scnc.kinds.Engine`): ``"dense"`` walks every
        weight block each step; ``"event"`` reads only the weight rows of the inputs that spiked. The
        arithmetic (``docs/hardware.md``) is the same; only the schedule differs
        (:mod:`scnc.ir.schedule`). IR files without the field are ``"dense"``.
    """

    stream_length: int
    encoding: Encoding = Encoding.SC
    sng: SNGKind = SNGKind.VDC
    input_sng: SNGKind = SNGKind.VDC
    seed: int = 0
    engine: Engine = Engine.DENSE

    def __post_init__(self) -> None:
        _coerce(self, "encoding", Encoding, "hardware")
        _coerce(self, "engine", Engine, "hardware")
        _coerce(self, "sng", SNGKind, "hardware")
        _coerce(self, "input_sng", SNGKind, "hardware")

    @property
    def stream_bits(self) -> int:
        """n = log2(stream_length), the width of every cycle-rate SNG value (bits)."""
        return int(self.stream_length).bit_length() - 1

    def validate(self) -> None:
        L = self.stream_length
        if not (isinstance(L, int) and 2 <= L <= 1 << 16 and L & (L - 1) == 0):
            raise IRError("hardware", "stream_length", f"must be a power of two in 2..65536, got {L!r}")


@dataclass(frozen=True)
class QuantInput:
    """Hardware form of the input.

    ``coding == "rate"``: the core receives one unsigned ``input_bits``-wide intensity ``x_j`` per input
    per sample and makes the spikes itself: ``s_j[t] = R_j[t] < x_j`` where ``R_j`` is ``sngs[j]`` (an
    ``input_bits``-wide SNG advanced once per time step, index ``t``). A float feature ``f`` in [0, 1]
    becomes ``x = min(round(f * 2^input_bits), 2^input_bits - 1)``.
    ``coding == "spikes"``: the core receives the spike vector of every time step.
    """

    coding: InputCoding
    input_bits: int = 0
    sngs: tuple = ()

    def __post_init__(self) -> None:
        _coerce(self, "coding", InputCoding, "input")


@dataclass(frozen=True)
class InputNode:
    """The network input: ``size`` features, and the float encoder it was trained with."""

    name: str
    size: int
    encoder: dict = field(default_factory=dict)
    quant: QuantInput | None = None


@dataclass(frozen=True)
class SCLeak:
    """The leak ``v * beta`` with beta an SC value (``docs/hardware.md`` section 3).

    Members
    -------
    beta_q:
        int32 ``(n_out,)`` in ``[0, L]``: beta in units of ``1/L``.
    beta_sng:
        Cycle-rate SNG whose window count ``C_t = cnt(t, beta_q)`` multiplies the membrane (encoding
        ``sc``); the fixed encoding uses ``C = beta_q`` itself.
    dither_sng:
        Step-rate SNG (``log2 L`` bits, index ``t``) giving the rounding dither ``d_t`` (encoding ``sc``).
    rounding:
        The dither of the fixed encoding, a constant (``L / 2``: round half up), 0..L-1.
    """

    beta_q: np.ndarray
    beta_sng: SNGSpec | None = None
    dither_sng: SNGSpec | None = None
    rounding: int = 0

    kind: ClassVar[LeakKind] = LeakKind.SC
    #: Hardware multipliers (membrane x count) one engine needs for this leak.
    multipliers: ClassVar[int] = 1


@dataclass(frozen=True)
class ShiftLeak:
    """The leak ``v - (v >> k)``, i.e. beta = ``1 - 2^-k`` exactly; ``shift`` is int32 ``(n_out,)``, k >= 0."""

    shift: np.ndarray

    kind: ClassVar[LeakKind] = LeakKind.SHIFT
    multipliers: ClassVar[int] = 0


Leak = Union[SCLeak, ShiftLeak]


@dataclass(frozen=True)
class QuantDense:
    """Hardware form of a dense synapse matrix. Units: one accumulator unit = ``scale`` float units.

    Members
    -------
    weight_bits:
        w, magnitude bits of a weight (w <= log2 L); sign is separate (split-unipolar).
    weight_q:
        int32 ``(n_in, n_out)``, ``|q| <= 2^w - 1``.
    compare_shift:
        ``log2 L - w``: the comparator threshold of synapse ``(j, i)`` is
        ``m = |q| << compare_shift`` (:attr:`comparator_q`); a full window of an exact SNG counts
        ``m`` ones.
    scale:
        Float value of one accumulator unit (``S / L`` for the calibrated clip ``S``).
    current_bits:
        Width of the signed per-step current accumulator (provably wide enough).
    parallel_inputs:
        P_i, inputs processed per cycle; also the number of synapse SNG streams: input ``j`` uses
        stream ``j % P_i``.
    parallel_neurons:
        P_n, neurons processed per cycle (they share the stream values).
    synapse_sngs:
        ``P_i`` cycle-rate SNG specs, each ``log2 L`` bits wide, indexed by ``c = t*L + k``.
    """

    weight_bits: int
    weight_q: np.ndarray
    compare_shift: int
    scale: float
    current_bits: int
    parallel_inputs: int
    parallel_neurons: int
    synapse_sngs: tuple

    @property
    def comparator_q(self) -> np.ndarray:
        """int64 ``(n_in, n_out)``: ``m = |q| << compare_shift``, the window count of an exact SNG."""
        return np.abs(np.asarray(self.weight_q, dtype=np.int64)) << int(self.compare_shift)


@dataclass(frozen=True)
class DenseNode:
    """A dense synapse matrix: ``I_i = sum_j s_j * W_ji`` each step (``quant`` once quantized).

    ``weight`` is float32 ``(n_in, n_out)``.
    """

    name: str
    source: str
    weight: np.ndarray
    quant: QuantDense | None = None

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[1])


#: Largest synaptic delay a graph may hold (time steps); the same bound as the training contract
#: (:data:`scnc.snn.network.MAX_DELAY`, ``tests/test_ir_delay.py`` checks they agree).
MAX_DELAY = 1024


@dataclass(frozen=True)
class DelayLine:
    """Hardware form of the delay line of a :class:`DelayDenseNode` (decided by the ``plan_delays`` pass).

    Members
    -------
    max_delay:
        D, the history depth (time steps): the engine keeps the spikes of steps ``t-1 .. t-D`` of
        every input. ``D == max(delays)`` (0 when every delay is 0), ``D <= MAX_DELAY``.
    delay_bits:
        Width of one stored delay (bits), ``max(1, bit_length(D))``: the delay field beside each
        weight in the engine's ROM.
    """

    max_delay: int
    delay_bits: int


@dataclass(frozen=True)
class DelayDenseNode:
    """A dense synapse matrix with one integer delay per synapse.

    ``I_i[t] = sum_j s_j[t - delays[j, i]] * W_ji`` (a spike before step 0 is 0): the spike of input
    ``j`` at step ``t`` reaches neuron ``i`` at step ``t + delays[j, i]``. A per-axon (per-channel,
    NIR ``Delay``) delay is the special case of equal rows. Not a subclass of :class:`DenseNode`:
    a stage that does not know delays must refuse this node, not run it as a plain dense matrix.

    Members
    -------
    weight:
        float32 ``(n_in, n_out)``.
    delays:
        int16 ``(n_in, n_out)``, every value in ``[0, MAX_DELAY]`` (time steps), at both levels.
    quant:
        :class:`QuantDense` (the weights' hardware form, exactly as for a :class:`DenseNode`).
    line:
        :class:`DelayLine` (quantized level).
    """

    name: str
    source: str
    weight: np.ndarray
    delays: np.ndarray
    quant: QuantDense | None = None
    line: DelayLine | None = None

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[1])


@dataclass(frozen=True)
class QuantLIF:
    """Hardware form of a group of LIF neurons, in the accumulator units of the synapse node feeding it.

    Members
    -------
    bias_q:
        int32 ``(n,)``, added once per time step (accumulator units).
    leak:
        :class:`SCLeak` or :class:`ShiftLeak`.
    threshold_q:
        int32 ``(n,)``, >= 1 (accumulator units).
    reset:
        :class:`~scnc.kinds.ResetMode`.
    membrane_bits:
        M: the membrane is a signed M-bit register, saturating at ``[-2^(M-1), 2^(M-1) - 1]``.
    overflow_free:
        True when the bounds pass proved the membrane can never saturate.
    """

    bias_q: np.ndarray
    leak: Leak
    threshold_q: np.ndarray
    reset: ResetMode
    membrane_bits: int
    overflow_free: bool = False

    def __post_init__(self) -> None:
        _coerce(self, "reset", ResetMode, "neurons")

    @property
    def membrane_min(self) -> int:
        return -(1 << (self.membrane_bits - 1))

    @property
    def membrane_max(self) -> int:
        return (1 << (self.membrane_bits - 1)) - 1


@dataclass(frozen=True)
class LIFNode:
    """A group of ``size`` leaky integrate-and-fire neurons fed by a synapse node (``source``).

    Each step: ``v = beta * v + I + bias``; fire when ``v >= threshold``; reset by ``reset``.
    Arrays: ``bias``, ``beta``, ``threshold`` float32 ``(size,)`` (a checkpoint without bias lowers to
    zeros; per-layer beta/threshold are broadcast by ``fold``).
    """

    name: str
    source: str
    bias: np.ndarray
    beta: np.ndarray
    threshold: np.ndarray
    reset: ResetMode = ResetMode.SUBTRACT
    quant: QuantLIF | None = None

    def __post_init__(self) -> None:
        _coerce(self, "reset", ResetMode, self.name)

    @property
    def size(self) -> int:
        return int(self.threshold.shape[0])


#: Synapse node kinds (a neuron node's source); neuron node kinds (stateful: a membrane each).
SYNAPSE_KINDS = (DenseNode, DelayDenseNode)
NEURON_KINDS = (LIFNode,)


@dataclass(frozen=True)
class Layer:
    """A view (not a node): a neuron node and the synapse node feeding it, as the engines run them.

    ``name`` is the neuron node's name (the layer name traces, manifests and reports use).
    """

    synapse: DenseNode | DelayDenseNode
    neuron: LIFNode

    @property
    def name(self) -> str:
        return self.neuron.name

    @property
    def n_in(self) -> int:
        return self.synapse.n_in

    @property
    def n_out(self) -> int:
        return self.synapse.n_out


@dataclass(frozen=True)
class OutputNode:
    """What is read out: the source layer's spikes every step and their counts at the end.

    ``count_bits`` (quantized level) is the width of each spike counter: enough for ``timesteps``.
    ``class_labels[i]`` is the original label of output neuron ``i``.
    """

    name: str
    source: str
    readout: Literal["counts"] = "counts"
    class_labels: tuple = ()
    count_bits: int = 0


Node = Union[InputNode, DenseNode, DelayDenseNode, LIFNode, OutputNode]


@dataclass(frozen=True)
class Graph:
    """An immutable graph ``InputNode -> (DenseNode -> LIFNode)+ -> OutputNode``, in topological order.

    Passes never mutate a graph: they return a new one (``dataclasses.replace``).
    ``provenance`` records where the graph came from (checkpoint hash, options) and ``passes`` the
    passes applied so far, in order, with what each reported.
    """

    nodes: tuple
    timesteps: int
    level: Level = Level.FLOAT
    hardware: HardwareParams | None = None
    provenance: dict = field(default_factory=dict)
    passes: tuple = ()

    def __post_init__(self) -> None:
        _coerce(self, "level", Level, "graph")

    # ---- navigation -------------------------------------------------------------------------
    @property
    def input(self) -> InputNode:
        return self.nodes[0]

    @property
    def layers(self) -> tuple[Layer, ...]:
        """Every neuron node with the synapse node feeding it, in topological order.

        Nodes are stored in topological order (the validator checks that every ``source`` comes
        earlier), so this is one pass over the nodes.
        """
        by_name = {n.name: n for n in self.nodes}
        out = []
        for n in self.nodes:
            if isinstance(n, NEURON_KINDS):
                syn = by_name.get(n.source)
                if not isinstance(syn, SYNAPSE_KINDS):
                    raise IRError(n.name, "source", f"a neuron node is fed by a synapse node, got {syn!r:.80}")
                out.append(Layer(synapse=syn, neuron=n))
        return tuple(out)

    def replace_layer(self, layer: Layer, synapse: DenseNode | None = None, neuron: LIFNode | None = None) -> "Graph":
        """A new graph with the nodes of ``layer`` replaced (names unchanged)."""
        g = self
        if synapse is not None:
            g = g.replace_node(layer.synapse.name, synapse)
        if neuron is not None:
            g = g.replace_node(layer.neuron.name, neuron)
        return g

    @property
    def output(self) -> OutputNode:
        return self.nodes[-1]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise IRError("graph", name, f"no node named {name!r}; nodes are {[n.name for n in self.nodes]}")

    def replace_node(self, name: str, new: Node) -> "Graph":
        """A new graph with node ``name`` replaced by ``new``."""
        return replace(self, nodes=tuple(new if n.name == name else n for n in self.nodes))

    def with_pass(self, name: str, report: dict | None = None) -> "Graph":
        """A new graph recording that pass ``name`` ran (and what it reported)."""
        return replace(self, passes=self.passes + ({"pass": name, **(report or {})},))

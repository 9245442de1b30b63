"""The schedule of a quantized graph: the one cycle model (``scnc ir show``, the RTL manifest, benches).

The IR decides how the hardware is scheduled (parallelism per layer, stream length, encoding), so
the exact cycle counts are a property of the quantized graph: the gateware implements them
(``scnc.rtl`` builds its state machines from :func:`layer_plan`), the manifest states them,
``scnc ir show`` prints them, and ``tests/test_rtl_network.py`` measures them in simulation.

A layer with ``n_in`` inputs and ``n_out`` neurons is cut into ``G = ceil(n_in / P_i)`` input groups
and ``H = ceil(n_out / P_n)`` neuron groups; block ``(h, g)`` is one window of ``L`` cycles
(encoding ``"sc"``) or one cycle (``"fixed"``). The formulas below are the exact cycle counts of
the generated state machines with every output stream ready (no stall); ``tests/test_rtl_network.py``
measures them in simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import IRError
from ..kinds import Encoding, Engine, InputCoding

__all__ = ["LayerPlan", "layer_plan", "input_cycles_per_step", "step_cycles", "sample_cycles", "cdiv",
           "EventLayerPlan", "event_layer_plan", "event_row_tokens", "event_sample_cycles", "overlaps_input_stage",
           "overlapped_sample_cycles", "OVERLAPS_INPUT_STAGE", "EVENT_LOAD_CYCLES", "EVENT_TAIL_CYCLES"]


def cdiv(a: int, b: int) -> int:
    """Ceiling division of non-negative integers."""
    return -(-a // b)


@dataclass(frozen=True)
class LayerPlan:
    """How one dense LIF layer is scheduled.

    Members
    -------
    n_in, n_out:
        Layer size.
    p_in, p_out:
        Parallel inputs (P_i, also the number of synapse streams) and parallel neurons (P_n).
    groups_in, groups_out:
        G and H.
    window:
        Cycles per block: L (``"sc"``) or 1 (``"fixed"``).
    """

    n_in: int
    n_out: int
    p_in: int
    p_out: int
    groups_in: int
    groups_out: int
    window: int

    @property
    def blocks(self) -> int:
        """Weight blocks per time step (H * G)."""
        return self.groups_in * self.groups_out

    @property
    def cycles_per_step(self) -> int:
        """Cycles of one time step after the ``go`` cycle, up to and including ``done`` (no stall).

        ``blocks * window`` (accumulate) + ``2 * n_out`` (per neuron: read membrane and constants,
        then update/write/trace). The ``go`` cycle itself is the previous stage's ``done`` cycle
        (stages are chained combinationally), so per-stage counts add up to the step total.
        """
        return self.blocks * self.window + 2 * self.n_out


def layer_plan(layer, hw) -> LayerPlan:
    """The :class:`LayerPlan` of a quantized layer (:class:`~scnc.ir.graph.Layer`) under ``hw``.

    The engine's schedule is set by the synapse node (its parallelism); the layer must be quantized
    (the graph validated: :func:`scnc.ir.check_graph`).
    """
    q = layer.synapse.quant
    if q is None:
        raise IRError(layer.synapse.name, "quant", "layer is not quantized")
    p_in, p_out = int(q.parallel_inputs), int(q.parallel_neurons)
    node = layer
    window = hw.stream_length if hw.encoding is Encoding.SC else 1
    return LayerPlan(
        n_in=node.n_in,
        n_out=node.n_out,
        p_in=p_in,
        p_out=p_out,
        groups_in=cdiv(node.n_in, p_in),
        groups_out=cdiv(node.n_out, p_out),
        window=window,
    )


def input_cycles_per_step(graph) -> int:
    """Cycles the input stage takes per time step, not counting waiting for input beats.

    ``"rate"``: n_in + 2 (one cycle to start the encoder, then one input per cycle through a
    one-deep pipeline; its last cycle starts the first layer).
    ``"spikes"``: 2 (the cycle that accepts the step's spike beat, then the cycle that starts the
    first layer).
    """
    q = graph.input.quant
    if q.coding is InputCoding.RATE:
        return graph.input.size + 2
    return 2


#: Whether the rate encoder of step ``t + 1`` runs while the layers compute step ``t``, by engine. The
#: encoder's spikes do not depend on the layers, so the only cost is a copy of the step's spike vector
#: (``n_in`` flip-flops) that the first layer reads while the encoder writes the next. It pays where the
#: encoder's ``n_in + 2`` cycles are a large part of a step: on the event engine (W-digits at P 4x8,1x16:
#: 66 of ~217 cycles per step) but not on the dense engine (66 of 38,231 at L 64, P 8x2), whose cycle
#: counts the golden tests pin.
OVERLAPS_INPUT_STAGE = {Engine.DENSE: False, Engine.EVENT: True}


def overlaps_input_stage(graph) -> bool:
    """Whether the core encodes step ``t + 1``'s input spikes while its layers compute step ``t``
    (rate coding on an engine of :data:`OVERLAPS_INPUT_STAGE`); ``scnc.rtl.network`` builds it so."""
    return graph.input.quant.coding is InputCoding.RATE and OVERLAPS_INPUT_STAGE[graph.hardware.engine]


def overlapped_sample_cycles(n_in: int, layer_cycles):
    """Cycles per sample of a core whose encoder overlaps the layers (:func:`overlaps_input_stage`).

    ``n_in`` cycles accept the intensities; the first step's encoding takes ``n_in + 2`` cycles (start,
    one input per cycle, the *ready* flag); then each step ``t`` starts with a hand-off cycle (the first
    layer's spikes copied from the encoder, the first layer and the encoder for ``t + 1`` started) and
    the next step's hand-off follows ``max(L_t + 2, n_in + 2)`` cycles later -- the layers and the
    output beat, or the encoder, whichever is longer; the last step ends with its output beat and the
    counts beat: ``2 n_in + 2 + sum_{t < T-1} max(L_t + 2, n_in + 2) + L_{T-1} + 3``.

    Parameters
    ----------
    n_in:
        Inputs (intensity beats, encoder cycles).
    layer_cycles:
        int ``(..., T)``: ``L_t``, the cycles of every layer at step ``t`` summed (each counted from its
        ``go`` to its ``done``, inclusive).
    """
    import numpy as np

    L = np.asarray(layer_cycles, dtype=np.int64)
    periods = np.maximum(L[..., :-1] + 2, n_in + 2).sum(axis=-1)
    return 2 * n_in + 2 + periods + L[..., -1] + 3


def step_cycles(graph) -> dict:
    """Cycles per time step: per layer, the input stage, the output beat, and the total (no stall).

    Engine ``"event"``: the layers' figures are their upper bound, every input spiking
    (:meth:`EventLayerPlan.worst_cycles_per_step`); :func:`event_sample_cycles` gives the exact count.
    """
    per_layer = [_LAYER_STEP_BOUND[graph.hardware.engine](n, graph.hardware) for n in graph.layers]
    inp = input_cycles_per_step(graph)
    out = 1
    return {
        "input": inp,
        "layers": per_layer,
        "output": out,
        "total": inp + sum(per_layer) + out,
    }


def sample_cycles(graph) -> dict:
    """Cycles per sample (no stall, input beats offered every cycle).

    ``"rate"``: n_in cycles to accept the intensities, then T steps, then the counts beat; an engine
    that overlaps the input stage (:func:`overlaps_input_stage`) takes
    :func:`overlapped_sample_cycles` instead (``per_step`` then bounds every step's period).
    ``"spikes"``: T steps (each accepts its spike beat), then the counts beat.
    Latency is counted from the first accepted input beat to the accepted counts beat, inclusive.
    """
    sc = step_cycles(graph)
    load = graph.input.size if graph.input.quant.coding is InputCoding.RATE else 0
    total = load + graph.timesteps * sc["total"] + 1
    if overlaps_input_stage(graph):  # every step at its bound, the encoder hidden behind the layers
        total = int(overlapped_sample_cycles(graph.input.size, [sum(sc["layers"])] * graph.timesteps))
    return {"load": load, "per_step": sc["total"], "timesteps": graph.timesteps, "counts_beat": 1, "total": total}


# ---- the event engine ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EventLayerPlan:
    """How one dense LIF layer is scheduled by the event engine (``scnc.rtl.event``).

    The inputs are dealt to ``B = P_i`` *banks*, interleaved: input ``j`` is entry ``j // B`` of bank
    ``j % B`` (neighbouring pixels land in different banks, so their spikes spread evenly). Each bank
    has its own address queue and its own weight ROM, so every cycle each bank pops one of its
    inputs that spiked. Per neuron group ``h`` (``P_n`` neurons, ``H = ceil(n_out / P_n)`` groups) and
    time step the engine issues *row tokens*, one per cycle, each reading one weight row ``(j, h)``
    (``P_n`` weights) from every bank that still has a spiking input, and adds the ``B`` rows two
    cycles later; a group takes as many row tokens as its fullest bank has spiking inputs
    (:func:`event_row_tokens`). An end token follows the last row and launches the group's pipelined
    update (all ``P_n`` neurons at once, written back three cycles after the end token). Without a
    trace port the next group is issued while a group's tokens and update are in flight; a trace build
    runs one group at a time and emits its trace beats, one per neuron per cycle.
    :meth:`cycles_per_step` counts these cycles.

    Members
    -------
    n_in, n_out:
        Layer size.
    p_in:
        B, input banks (rows read and added per cycle; 1: one spiking input per cycle).
    p_out:
        P_n, neurons updated per cycle.
    groups_out:
        H.
    """

    n_in: int
    n_out: int
    p_in: int
    p_out: int
    groups_out: int

    @property
    def bank_inputs(self) -> int:
        """Inputs per bank, ``ceil(n_in / B)`` (the last banks may hold one fewer: their tail rows are 0)."""
        return cdiv(self.n_in, self.p_in)

    @property
    def bank_rows(self) -> int:
        """Words of one bank's weight ROM: a row of ``P_n`` weights per bank input and neuron group."""
        return self.bank_inputs * self.groups_out

    @property
    def rows(self) -> int:
        """Weight rows of all banks together (``B * bank_rows``; ``n_in * H`` when ``B`` divides ``n_in``)."""
        return self.p_in * self.bank_rows

    def cycles_per_step(self, row_tokens: int, trace: bool = False) -> int:
        """Cycles of one time step after ``go`` up to and including ``done`` (no stall) when every group
        issues ``row_tokens`` row tokens: the most spiking inputs any bank holds this step
        (:func:`event_row_tokens`; the number of spiking inputs when ``B = 1``).

        One cycle loads the address queues from the input spikes; then every group issues one token
        per cycle, ``row_tokens`` row tokens and an end token (``row_tokens + 1`` cycles). A token
        passes A1 (ROM address) and A2 (accumulate; for an end token A2 is its group's update stage S2),
        then S3 (write-back): :data:`EVENT_TAIL_CYCLES` cycles from the end token to S3.

        * no trace port: the groups overlap -- group ``h + 1`` is issued while group ``h`` goes down
          the pipelines -- so only the last group's tail adds: ``1 + H * (row_tokens + 1) + 3``;
        * trace build: one group at a time, its beats read the held S3 (one cycle each):
          ``1 + H * (row_tokens + 3) + n_out``.
        """
        issue = EVENT_LOAD_CYCLES + self.groups_out * (row_tokens + 1)
        if trace:
            return issue + self.groups_out * (EVENT_TAIL_CYCLES - 1) + self.n_out
        return issue + EVENT_TAIL_CYCLES

    @property
    def worst_cycles_per_step(self) -> int:
        """:meth:`cycles_per_step` with every input spiking and no trace port (the manifest's bound)."""
        return self.cycles_per_step(self.bank_inputs)


def event_row_tokens(spikes, banks: int):
    """Row tokens per group of the event engine: the most spiking inputs any of ``banks`` interleaved banks
    holds (bank ``b`` = inputs ``b, b + B, b + 2B, ...``).

    Parameters
    ----------
    spikes:
        Spike bits, int or bool ``(..., n_in)``.
    banks:
        ``B`` (the layer's ``parallel_inputs`` under the event engine), >= 1.

    Returns
    -------
    numpy.ndarray
        int64 ``(...)``: ``max_b sum_k spikes[..., k * B + b]``.
    """
    import numpy as np

    s = np.asarray(spikes, dtype=np.int64)
    n = s.shape[-1]
    pad = cdiv(n, banks) * banks - n
    if pad:
        s = np.concatenate([s, np.zeros((*s.shape[:-1], pad), dtype=np.int64)], axis=-1)
    return s.reshape(*s.shape[:-1], -1, banks).sum(axis=-2).max(axis=-1)


#: Cycles the event engine spends loading its address queue at the start of a layer-step.
EVENT_LOAD_CYCLES = 1
#: Cycles from a group's end token to its write-back, inclusive: A1 (membrane word and constants
#: read), A2 = S2 (accumulators complete: leak, integrate, clamp), S3 (fire, reset, write back) -- the
#: stages of :class:`scnc.rtl.event.EventLayerEngine` and
#: :class:`scnc.rtl.engine.lif_update.PipelinedLIFUpdate` (``STAGES = 2``: S2, S3).
EVENT_TAIL_CYCLES = 3


def event_layer_plan(layer, hw) -> EventLayerPlan:
    """The :class:`EventLayerPlan` of a quantized layer (its ``parallel_neurons`` is P_n)."""
    q = layer.synapse.quant
    if q is None:
        raise IRError(layer.synapse.name, "quant", "layer is not quantized")
    p_in, p_out = int(q.parallel_inputs), int(q.parallel_neurons)
    return EventLayerPlan(n_in=layer.n_in, n_out=layer.n_out, p_in=p_in, p_out=p_out,
                          groups_out=cdiv(layer.n_out, p_out))


#: The per-step cycles of a layer, or their upper bound, by engine (a new engine: one entry).
_LAYER_STEP_BOUND = {
    Engine.DENSE: lambda layer, hw: layer_plan(layer, hw).cycles_per_step,
    Engine.EVENT: lambda layer, hw: event_layer_plan(layer, hw).worst_cycles_per_step,
}


def event_sample_cycles(graph, row_tokens, *, trace: bool = False):
    """Exact cycles per sample of the event engine (no stall, input beats offered every cycle).

    Parameters
    ----------
    graph:
        A quantized graph (its engine need not be ``"event"``: this is what the event engine would take).
    row_tokens:
        int ``(B, T, n_layers)``: the row tokens of layer ``l`` at step ``t`` of sample ``b``, the most
        spiking inputs any of its banks holds (:func:`event_row_tokens` of layer ``l``'s input spikes
        with ``B_l = parallel_inputs``; with one bank, the number of inputs that spiked). Layer 0's
        inputs are the input spikes, layer ``l > 0``'s are layer ``l - 1``'s spikes.
        :func:`scnc.ref.cycles.row_token_counts` computes them from a reference run.
    trace:
        A trace build (each neuron update also emits one trace beat, one cycle each).

    Returns
    -------
    numpy.ndarray
        int64 ``(B,)``: ``load + sum_t (input + sum_l c_l(s_l[t]) + 1) + 1`` cycles (rate coding:
        :func:`overlapped_sample_cycles` of ``L_t = sum_l c_l(s_l[t])``, the encoder hidden), with
        ``c_l(s) = 1 + H_l * (s + 1) + 3`` (no trace port) or ``1 + H_l * (s + 3) + n_out_l`` (trace build):
        :meth:`EventLayerPlan.cycles_per_step`, linear in ``s`` with slope ``H_l`` either way.
    """
    import numpy as np

    plans = [event_layer_plan(n, graph.hardware) for n in graph.layers]
    s = np.asarray(row_tokens, dtype=np.int64)
    if s.ndim != 3 or s.shape[1:] != (graph.timesteps, len(plans)):
        raise ValueError(f"row_tokens must have shape (B, {graph.timesteps}, {len(plans)}), got {s.shape}")
    H = np.array([p.groups_out for p in plans], dtype=np.int64)
    layers = sum(p.cycles_per_step(0, trace) for p in plans) + (s * H).sum(axis=2)  # L_t, (B, T)
    if overlaps_input_stage(graph):
        return overlapped_sample_cycles(graph.input.size, layers)
    load = graph.input.size if graph.input.quant.coding is InputCoding.RATE else 0
    per_step = input_cycles_per_step(graph) + 1 + layers
    return load + per_step.sum(axis=1) + 1

"""The network top: input stage, layer engines in order, output and trace streams (docs/rtl.md).

Per sample: (``"rate"``) accept ``n_in`` intensity beats, then for every time step encode the input
spikes, run every layer engine in order, and emit one output beat with the last layer's spikes (on an
engine that overlaps the input stage, :func:`scnc.ir.schedule.overlaps_input_stage`, the encoder works
on step ``t + 1`` while the layers compute step ``t`` from a copy of its spikes);
(``"spikes"``) every time step starts by accepting one spike-vector beat. After step ``T-1`` one
more output beat carries the spike counts. Stalled output or trace streams stall the core.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..errors import IRError
from ..ir.passes.validate import check_graph
from ..ir.schedule import overlaps_input_stage
from ..kinds import Engine, InputCoding, Level
from ._build import silence_on_error
from .encoder import InputEncoder
from .event import EventLayerEngine
from .layer import LayerEngine

__all__ = ["NetworkCore", "check_buildable", "trace_layout", "output_layout", "input_shape"]


#: The layer engine of each :class:`~scnc.kinds.Engine` (a new engine: one class, one entry here).
ENGINES = {Engine.DENSE: LayerEngine, Engine.EVENT: EventLayerEngine}


def _ubits(n: int) -> int:
    return max(1, (max(n, 1) - 1).bit_length())


def check_buildable(graph) -> None:
    """Refuse a graph the generator cannot build; everything else about it is the IR validator's call.

    The graph must pass the IR's one validator (:func:`scnc.ir.check_graph`: a quantized chain with
    every number in range). The generator itself adds no limit today: every width and size the
    validator accepts has a gateware form. A backend limit, when one is added, raises an
    :class:`~scnc.errors.IRError` naming the node and the limit.
    """
    check_graph(graph)
    if graph.level is not Level.QUANTIZED:
        raise IRError("graph", "level", f"scnc.rtl builds quantized graphs only, got level {graph.level!r}")


def trace_layout(graph) -> data.StructLayout:
    """Layout of a trace beat (LSB first): layer, neuron, step, membrane (signed), spike, saturated."""
    layers = graph.layers
    return data.StructLayout(
        {
            "layer": unsigned(_ubits(len(layers))),
            "neuron": unsigned(_ubits(max(n.n_out for n in layers))),
            "step": unsigned(_ubits(graph.timesteps)),
            "membrane": signed(max(layer.neuron.quant.membrane_bits for layer in layers)),
            "spike": unsigned(1),
            "saturated": unsigned(1),
        }
    )


def output_layout(graph) -> data.StructLayout:
    """Layout of an output beat: ``data`` (spikes, or counts ``count_bits`` each), then ``last``."""
    n_out = graph.layers[-1].n_out
    width = max(n_out, n_out * graph.output.count_bits)
    return data.StructLayout({"data": unsigned(width), "last": unsigned(1)})


def input_shape(graph):
    """Payload of an input beat: one intensity (``"rate"``) or one step's spike vector (``"spikes"``)."""
    q = graph.input.quant
    return unsigned(q.input_bits) if q.coding is InputCoding.RATE else unsigned(graph.input.size)


class NetworkCore(wiring.Component):
    """The generated core of a quantized graph.

    Parameters
    ----------
    graph:
        A quantized ``Graph`` (chain input -> dense LIF layers -> output).
    trace:
        Add the ``trace`` stream (verification builds).

    Members
    -------
    i_data: In(stream.Signature(input_shape(graph)))
        ``"rate"``: ``n_in`` beats per sample, intensity ``x_j`` in beat ``j``.
        ``"spikes"``: ``T`` beats per sample, bit ``j`` of beat ``t`` is ``s0_j[t]``.
    o_data: Out(stream.Signature(output_layout(graph)))
        ``T`` beats with ``last = 0`` and ``data[i]`` = output spike ``i`` of the step, then one beat
        with ``last = 1`` and count ``i`` in ``data[i*count_bits : (i+1)*count_bits]``.
    trace: Out(stream.Signature(trace_layout(graph)))
        One beat per neuron update: layers in order within a step, neurons in index order.
    start: Out(1)
        Strobe: a sample began (its first input beat was accepted).
    busy: Out(1)
        A sample is in progress.
    done: Out(1)
        Strobe: the sample's counts beat was accepted.
    """

    @silence_on_error
    def __init__(self, graph, *, trace: bool = True) -> None:
        check_buildable(graph)
        self.graph = graph
        self.with_trace = bool(trace)
        self.t_bits = _ubits(graph.timesteps)
        sig = {
            "i_data": In(stream.Signature(input_shape(graph))),
            "o_data": Out(stream.Signature(output_layout(graph))),
            "start": Out(1),
            "busy": Out(1),
            "done": Out(1),
        }
        if trace:
            sig["trace"] = Out(stream.Signature(trace_layout(graph)))
        super().__init__(sig)
        tl = trace_layout(graph) if trace else None
        engine = ENGINES[graph.hardware.engine]
        self.engines = [
            engine(node, graph.hardware, idx, t_bits=self.t_bits, trace_layout=tl)
            for idx, node in enumerate(graph.layers)
        ]
        q = graph.input.quant
        self.encoder = (
            InputEncoder(graph.input, graph.hardware.input_sng, t_bits=self.t_bits)
            if q.coding is InputCoding.RATE
            else None
        )

    def elaborate(self, platform) -> Module:
        m = Module()
        g = self.graph
        T = g.timesteps
        n_in = g.input.size
        rate = self.encoder is not None
        engines = self.engines
        last = engines[-1]
        n_out = g.layers[-1].n_out
        cb = g.output.count_bits

        t = Signal(self.t_bits)
        first = Signal()
        init = Signal()
        m.d.comb += first.eq(t == 0)

        for idx, e in enumerate(engines):
            m.submodules[f"layer{idx}"] = e
            m.d.comb += [e.init.eq(init), e.t.eq(t), e.first.eq(first)]
        for a, b in zip(engines, engines[1:]):
            m.d.comb += [b.spikes_in.eq(a.spikes_out), b.go.eq(a.done)]

        overlap = overlaps_input_stage(g)  # the IR's schedule decides (scnc.ir.schedule)
        if rate:
            enc = self.encoder
            m.submodules.encoder = enc
            if overlap:
                # the encoder runs a step ahead: step t + 1's spikes are encoded while the layers compute
                # step t from a copy (spikes0), taken in the hand-off cycle that starts both
                t_enc = Signal(self.t_bits)
                spikes0 = Signal(n_in)
                enc_ready = Signal()  # the encoder's spikes are final and not yet handed off
                handoff = Signal()
                m.d.comb += [enc.t.eq(t_enc), enc.first.eq(t_enc == 0),
                             engines[0].spikes_in.eq(spikes0), engines[0].go.eq(handoff)]
                with m.If(enc.done):
                    m.d.sync += enc_ready.eq(1)
                with m.If(handoff):
                    m.d.sync += [spikes0.eq(enc.spikes), enc_ready.eq(0), t_enc.eq(t + 1)]
                    m.d.comb += enc.go.eq(t != T - 1)
            else:
                m.d.comb += [enc.t.eq(t), enc.first.eq(first),
                             engines[0].spikes_in.eq(enc.spikes), engines[0].go.eq(enc.done)]
            j = Signal(range(max(n_in, 2)))
            m.d.comb += [enc.wr_addr.eq(j), enc.wr_data.eq(self.i_data.payload)]
        else:
            spk = Signal(n_in)
            go0 = Signal()
            m.d.comb += [engines[0].spikes_in.eq(spk), engines[0].go.eq(go0)]

        counts = [Signal(cb, name=f"count{i}") for i in range(n_out)]
        with m.If(init):
            m.d.sync += [c.eq(0) for c in counts]

        if self.with_trace:
            tr_valid = [e.trace.valid for e in engines]
            m.d.comb += self.trace.valid.eq(Cat(*tr_valid).any())
            for e in engines:
                m.d.comb += e.trace.ready.eq(self.trace.ready)
                with m.If(e.trace.valid):
                    m.d.comb += self.trace.payload.eq(e.trace.payload)

        with m.FSM(name="top"):
            with m.State("IDLE"):
                m.d.comb += self.i_data.ready.eq(1)
                with m.If(self.i_data.valid):
                    m.d.comb += [init.eq(1), self.start.eq(1)]
                    m.d.sync += [t.eq(0), self.busy.eq(1)]
                    if rate and overlap:
                        m.d.sync += t_enc.eq(0)
                    if rate:
                        m.d.comb += [enc.wr_en.eq(1), enc.wr_addr.eq(0)]
                        if n_in == 1:
                            m.next = "ENCODE"
                        else:
                            m.d.sync += j.eq(1)
                            m.next = "LOAD"
                    else:
                        m.d.sync += spk.eq(self.i_data.payload)
                        m.next = "GO"
            if rate:
                with m.State("LOAD"):
                    m.d.comb += self.i_data.ready.eq(1)
                    with m.If(self.i_data.valid):
                        m.d.comb += enc.wr_en.eq(1)
                        m.d.sync += j.eq(j + 1)
                        with m.If(j == n_in - 1):
                            m.next = "ENCODE"
                with m.State("ENCODE"):
                    m.d.comb += enc.go.eq(1)
                    m.next = "HANDOFF" if overlap else "COMPUTE"
                if overlap:
                    with m.State("HANDOFF"):
                        # step t starts once its spikes are final (at once from step 1 on, when the encoder
                        # finished during step t - 1's layers)
                        with m.If(enc_ready):
                            m.d.comb += handoff.eq(1)
                            m.next = "COMPUTE"
            else:
                with m.State("SPIKES"):
                    m.d.comb += self.i_data.ready.eq(1)
                    with m.If(self.i_data.valid):
                        m.d.sync += spk.eq(self.i_data.payload)
                        m.next = "GO"
                with m.State("GO"):
                    m.d.comb += go0.eq(1)
                    m.next = "COMPUTE"
            with m.State("COMPUTE"):
                with m.If(last.done):
                    m.next = "OUTPUT"
            with m.State("OUTPUT"):
                m.d.comb += [self.o_data.valid.eq(1), self.o_data.payload.data.eq(last.spikes_out),
                             self.o_data.payload.last.eq(0)]
                with m.If(self.o_data.ready):
                    m.d.sync += [c.eq(c + last.spikes_out[i]) for i, c in enumerate(counts)]
                    with m.If(t == T - 1):
                        m.next = "COUNTS"
                    with m.Else():
                        m.d.sync += t.eq(t + 1)
                        m.next = ("HANDOFF" if overlap else "ENCODE") if rate else "SPIKES"
            with m.State("COUNTS"):
                m.d.comb += [self.o_data.valid.eq(1), self.o_data.payload.data.eq(Cat(*counts)),
                             self.o_data.payload.last.eq(1)]
                with m.If(self.o_data.ready):
                    m.d.comb += self.done.eq(1)
                    m.d.sync += self.busy.eq(0)
                    m.next = "IDLE"
        return m

"""The engine of one dense LIF layer: a sequencer over the components of :mod:`scnc.rtl.engine`.

One time step, started by ``go`` (docs/hardware.md §3, docs/rtl.md)::

                 +-----------+  block   +---------------+ currents[P_n]
     b --------->| WeightROM |--------->| SynapseLanes  |---------------+
                 +-----------+          |  (APC / lane) |               |  [u]
     spikes_in[g*P_i +: P_i] ---------->|               |               v
     CycleSNG x P_i (streams) --------->+---------------+         +-----------+
                                                                  | LIFUpdate |--> membrane RAM,
     membrane RAM[i] --> v --> leak unit (by leak type) -- leaked>|           |    spike i, trace
                                                                  +-----------+
     ConstTable bias_q[i], threshold_q[i] ---------------------------^

1. For every neuron group ``h`` (``P_n`` neurons) and input group ``g`` (``P_i`` inputs), in that order,
   weight block ``(h, g)`` sits on the weight ROM's output register for one window (``L`` cycles,
   ``"sc"``; one cycle, ``"fixed"``) while the synapse lanes accumulate it and, during the ``g == 0``
   window, the leak unit counts its beta stream. Cycle-rate LFSRs rewind to the window start after
   every block and commit the next window's start after the last block, so every block sees indices
   ``t*L .. t*L + L - 1``.
2. After the last input group of a neuron group, its neurons are updated one at a time (2 cycles
   each): READ the membrane RAM and the per-neuron constants, then UPDATE: leak, integrate, saturate,
   fire, reset, write back, set the spike bit, emit a trace beat (a stalled trace stream holds it).

What reaches the lanes depends on the synapse node's type (``_SYNAPSE_INPUTS``): a ``DenseNode``'s
weight block and this step's spikes; a ``DelayDenseNode``'s weight block gated by each synapse's
delayed spike (:mod:`scnc.rtl.engine.delay_line`), with the same schedule.

Every width and count comes from the IR and the layer's plan (:func:`scnc.ir.schedule.layer_plan`).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..errors import IRError
from ..ir.graph import DelayDenseNode, DenseNode
from ..ir.schedule import layer_plan
from ..kinds import Encoding
from ._build import silence_on_error
from ._specs import sng_form
from .engine import (
    ConstTable,
    DelayROM,
    DelaySelect,
    SpikeHistory,
    group_taps,
    LeakParams,
    LIFUpdate,
    WeightROM,
    leak_unit,
    signed_bits_of,
    synapse_lanes,
    unsigned_bits_of,
)
from .sng import CycleSNG

__all__ = ["LayerEngine"]



def layer_engine_signature(n_in: int, n_out: int, t_bits: int, trace_layout: data.StructLayout | None) -> dict:
    """The members every layer engine has, whatever its schedule (the network wires engines by them):
    ``go``/``done`` one step, ``init`` clears the state before a sample, ``t`` (``t_bits``) and ``first``
    the time step, ``spikes_in`` / ``spikes_out`` one bit per input / neuron, and, in a trace build, a
    ``trace`` stream of ``trace_layout`` beats."""
    sig = {
        "go": In(1),
        "done": Out(1),
        "init": In(1),
        "t": In(t_bits),
        "first": In(1),
        "spikes_in": In(n_in),
        "spikes_out": Out(n_out),
    }
    if trace_layout is not None:
        sig["trace"] = Out(stream.Signature(trace_layout))
    return sig

class LayerEngine(wiring.Component):
    """Engine of one quantized layer: a dense synapse matrix feeding LIF neurons.

    Parameters
    ----------
    layer:
        The quantized layer (:class:`~scnc.ir.graph.Layer`: a ``DenseNode`` or ``DelayDenseNode``
        feeding a ``LIFNode``).
    hw:
        The graph's ``HardwareParams``.
    index:
        Layer index (reported in trace beats).
    t_bits:
        Width of the time-step index (bits).
    trace_layout:
        Layout of a trace beat (``None``: no trace port).

    Members
    -------
    go: In(1)
        Start one time step (one-cycle strobe while idle).
    done: Out(1)
        One-cycle strobe: the step's spikes are in ``spikes_out`` and every membrane is written.
    init: In(1)
        Sample start: every SNG returns to index 0.
    t: In(t_bits)
        The time step being computed.
    first: In(1)
        ``t == 0``: membranes read as 0 (a new sample), so no clearing pass is needed.
    spikes_in: In(n_in)
        Input spikes of the step (held stable from ``go`` to ``done``).
    spikes_out: Out(n_out)
        Output spikes of the last completed step (a register).
    trace: Out(stream.Signature(trace_layout))
        One beat per neuron update (only with ``trace_layout``).
    """

    @silence_on_error
    def __init__(self, layer, hw, index: int, *, t_bits: int, trace_layout=None) -> None:
        self.layer = layer
        self.hw = hw
        self.index = index
        if type(layer.synapse) not in _SYNAPSE_INPUTS:  # a synapse kind the IR knows but no engine yet
            raise IRError(layer.synapse.name, "kind", f"scnc.rtl has no engine for a {type(layer.synapse).__name__}; "
                          f"it builds {', '.join(c.__name__ for c in _SYNAPSE_INPUTS)}")
        self.plan = layer_plan(layer, hw)
        self.trace_layout = trace_layout
        q, nq = layer.synapse.quant, layer.neuron.quant
        self.n = hw.stream_bits
        self.t_bits = max(1, t_bits)
        super().__init__(layer_engine_signature(layer.n_in, layer.n_out, self.t_bits, trace_layout))
        self.stochastic = hw.encoding is Encoding.SC
        self.syn_forms = (
            tuple(
                sng_form(s, kind=hw.sng, bits=self.n, where=layer.synapse.name, field=f"synapse_sngs[{i}]")
                for i, s in enumerate(q.synapse_sngs)
            )
            if self.stochastic
            else ()
        )
        # Built here so that an IR problem (an SNG spec of the wrong kind) is raised at construction.
        self.leak = leak_unit(
            nq.leak,
            LeakParams(encoding=hw.encoding, sng=hw.sng, stream_bits=self.n, membrane_bits=nq.membrane_bits,
                       n_out=layer.n_out, p_out=self.plan.p_out, t_bits=self.t_bits, where=layer.neuron.name),
        )

    def elaborate(self, platform) -> Module:
        m = Module()
        layer, hw, plan = self.layer, self.hw, self.plan
        q, nq = layer.synapse.quant, layer.neuron.quant
        L = hw.stream_length
        G, H, Pi, Pn = plan.groups_in, plan.groups_out, plan.p_in, plan.p_out
        n_out = plan.n_out
        M = nq.membrane_bits

        # ---- counters: window cycle k, input group g, neuron group h, block b, neuron i, lane u ----
        k = Signal(max(1, self.n))
        g = Signal(range(max(G, 2)))
        h = Signal(range(max(H, 2)))
        b = Signal(range(max(plan.blocks, 2)))
        i = Signal(range(max(n_out, 2)))
        u = Signal(range(max(Pn, 2)))
        last_k = (k == L - 1) if self.stochastic else Const(1, 1)
        last_g = g == G - 1
        last_h = h == H - 1
        last_block = last_g & last_h

        # ---- weights and synapse lanes --------------------------------------------------------
        m.submodules.weights = rom = WeightROM(q.weight_q, plan, q.weight_bits)
        m.d.comb += rom.addr.eq(b)  # the FSM presents b + 1 in a window's last cycle (prefetch)
        m.submodules.lanes = lanes = synapse_lanes(
            hw.encoding, p_in=Pi, p_out=Pn, weight_bits=q.weight_bits, compare_shift=q.compare_shift,
            stream_bits=self.n, current_bits=q.current_bits)
        step_done = Signal()
        # the synapse kind decides what reaches the lanes (a table keyed by the node type)
        _SYNAPSE_INPUTS[type(layer.synapse)](m, self, rom, lanes, g, step_done)

        # ---- cycle-rate streams: one SNG per input lane ---------------------------------------
        sng_advance = Signal()
        sng_rewind = Signal()
        sng_commit = Signal()
        for il, f in enumerate(self.syn_forms):
            s = CycleSNG(f)
            m.submodules[f"syn_sng{il}"] = s
            m.d.comb += [s.k.eq(k), s.init.eq(self.init), s.advance.eq(sng_advance),
                         s.rewind.eq(sng_rewind), s.commit.eq(sng_commit), lanes.streams[il].eq(s.value)]

        # ---- leak unit (by leak type), with the same stream controls ---------------------------
        m.submodules.leak = leak = self.leak
        m.d.comb += [leak.k.eq(k), leak.init.eq(self.init), leak.advance.eq(sng_advance),
                     leak.rewind.eq(sng_rewind), leak.commit.eq(sng_commit), leak.t.eq(self.t),
                     leak.group.eq(h), leak.neuron.eq(i), leak.lane.eq(u), leak.step_done.eq(step_done),
                     leak.clear.eq(lanes.clear)]

        # ---- per-neuron constants and the membrane RAM (addressed by neuron index i) -----------
        bias_q = np.asarray(nq.bias_q, dtype=np.int64)
        thr_q = np.asarray(nq.threshold_q, dtype=np.int64)
        m.submodules.bias_q = bias = ConstTable(bias_q, signed(signed_bits_of(bias_q)))
        m.submodules.threshold_q = thr = ConstTable(thr_q, unsigned(unsigned_bits_of(thr_q)))
        const_en = Signal()
        for tbl in (bias, thr):
            m.d.comb += [tbl.addr.eq(i), tbl.en.eq(const_en)]
        m.d.comb += leak.load.eq(const_en)
        mem = Memory(shape=signed(M), depth=n_out, init=[])
        m.submodules.membrane = mem
        mrd = mem.read_port()
        mwr = mem.write_port()
        m.d.comb += [mrd.en.eq(0), mrd.addr.eq(i), mwr.addr.eq(i)]  # a read port's en is 1 unless driven

        # ---- the update of neuron i (lane u) ----------------------------------------------------
        m.submodules.update = upd = LIFUpdate(membrane_bits=M, current_bits=q.current_bits,
                                              bias_shape=bias.shape, threshold_shape=thr.shape, reset=nq.reset)
        v_old = Mux(self.first, 0, mrd.data)  # the stored membrane (0 at a sample's first step)
        if upd.reads_old:  # the delayed subtract compares the stored membrane with the threshold
            m.d.comb += upd.old.eq(v_old)
        m.d.comb += [
            leak.v.eq(v_old),
            upd.leaked.eq(leak.leaked),
            upd.current.eq(Array(lanes.currents[nl] for nl in range(Pn))[u]),
            upd.bias.eq(bias.data),
            upd.threshold.eq(thr.data),
            mwr.data.eq(upd.v_new),
        ]

        accept = Signal()
        if self.trace_layout is not None:
            tr = self.trace.payload
            m.d.comb += [
                tr.layer.eq(self.index),
                tr.neuron.eq(i),
                tr.step.eq(self.t),
                tr.membrane.eq(upd.v_new),
                tr.spike.eq(upd.spike),
                tr.saturated.eq(upd.saturated),
                accept.eq(self.trace.ready),
            ]
        else:
            m.d.comb += accept.eq(1)

        # ---- control ------------------------------------------------------------------------
        with m.FSM(name="engine"):
            with m.State("IDLE"):
                with m.If(self.go):
                    m.d.comb += [rom.addr.eq(0), rom.en.eq(1), lanes.clear.eq(1), leak.group.eq(0),
                                 leak.load_group.eq(1)]
                    m.d.sync += [k.eq(0), g.eq(0), h.eq(0), b.eq(0), i.eq(0), u.eq(0)]
                    m.next = "RUN"
            with m.State("RUN"):
                m.d.comb += [lanes.accumulate.eq(1), leak.count.eq(g == 0)]
                if self.stochastic:
                    m.d.sync += k.eq(k + 1)
                    with m.If(~last_k):
                        m.d.comb += sng_advance.eq(1)
                    with m.Elif(last_block):
                        m.d.comb += sng_commit.eq(1)
                    with m.Else():
                        m.d.comb += sng_rewind.eq(1)
                with m.If(last_k):
                    with m.If(~last_block):
                        m.d.comb += [rom.addr.eq(b + 1), rom.en.eq(1)]
                        m.d.sync += b.eq(b + 1)
                        with m.If(last_g):  # the next neuron group's per-group leak constants
                            m.d.comb += [leak.group.eq(h + 1), leak.load_group.eq(1)]
                    with m.If(last_g):
                        m.d.sync += g.eq(0)
                        m.next = "READ"
                    with m.Else():
                        m.d.sync += g.eq(g + 1)
            with m.State("READ"):
                m.d.comb += [mrd.en.eq(1), const_en.eq(1)]
                m.next = "UPDATE"
            with m.State("UPDATE"):
                if self.trace_layout is not None:
                    m.d.comb += self.trace.valid.eq(1)
                with m.If(accept):
                    m.d.comb += mwr.en.eq(1)
                    m.d.sync += [self.spikes_out.bit_select(i, 1).eq(upd.spike), i.eq(i + 1), u.eq(u + 1)]
                    with m.If(i == n_out - 1):
                        m.d.comb += [self.done.eq(1), step_done.eq(1)]
                        m.next = "IDLE"
                    with m.Elif(u == Pn - 1):
                        m.d.comb += lanes.clear.eq(1)
                        m.d.sync += [u.eq(0), h.eq(h + 1)]
                        m.next = "RUN"
                    with m.Else():
                        m.next = "READ"
        return m


# ---- what reaches the synapse lanes, per synapse kind ------------------------------------------
def _dense_inputs(m: Module, engine: LayerEngine, rom: WeightROM, lanes, g: Signal, step_done: Signal) -> None:
    """A dense matrix: the weight block as read, and this step's spikes of input group ``g``."""
    plan = engine.plan
    G, Pi = plan.groups_in, plan.p_in
    spk = engine.spikes_in
    spk_pad = Cat(spk, Const(0, G * Pi - plan.n_in)) if G * Pi > plan.n_in else spk
    m.d.comb += [lanes.block.eq(rom.block), lanes.spikes.eq(spk_pad.word_select(g, Pi) if G > 1 else spk_pad)]


def _delay_inputs(m: Module, engine: LayerEngine, rom: WeightROM, lanes, g: Signal, step_done: Signal) -> None:
    """A dense matrix with per-synapse delays (:mod:`.engine.delay_line`): the spike history of every
    input, the delay ROM read beside the weight ROM, and the weight block gated by each synapse's
    delayed spike; the lanes' own spike inputs are held at 1."""
    plan, syn = engine.plan, engine.layer.synapse
    line = syn.line
    m.submodules.history = hist = SpikeHistory(plan.n_in, line.max_delay)
    m.d.comb += [hist.spikes.eq(engine.spikes_in), hist.shift.eq(step_done), hist.clear.eq(engine.init)]
    m.submodules.delays = drom = DelayROM(syn.delays, plan, line.delay_bits)
    m.d.comb += [drom.addr.eq(rom.addr), drom.en.eq(rom.en)]  # the weight ROM's twin: same block, same cycle
    m.submodules.delay_select = sel = DelaySelect(p_in=plan.p_in, p_out=plan.p_out, weight_bits=syn.quant.weight_bits,
                                                  depth=line.max_delay, delay_bits=line.delay_bits)
    taps = group_taps(hist.taps, g, plan.groups_in, plan.p_in, plan.n_in, line.max_delay)
    m.d.comb += [sel.taps[il].eq(t) for il, t in enumerate(taps)]
    m.d.comb += [sel.delays.eq(drom.block), sel.weights.eq(rom.block), lanes.block.eq(sel.block),
                 lanes.spikes.eq((1 << plan.p_in) - 1)]


#: The lanes' inputs of each synapse node kind (a kind without an entry cannot be built).
_SYNAPSE_INPUTS = {DenseNode: _dense_inputs, DelayDenseNode: _delay_inputs}

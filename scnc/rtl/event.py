"""The event-driven engine of one dense LIF layer: reads only the weight rows of inputs that spiked.

Same ports and same arithmetic as :class:`~scnc.rtl.layer.LayerEngine` (``docs/hardware.md`` §3), a
different schedule (:class:`~scnc.ir.schedule.EventLayerPlan`). The inputs are dealt to ``B = P_i``
interleaved banks (input ``j`` is entry ``j // B`` of bank ``j % B``), each with its own
:class:`~scnc.rtl.engine.SpikeQueue` and weight ROM. One time step, started by ``go``, is a stream of
*tokens* through a pipeline, one token per cycle::

    ISSUE     every bank with a spiking input left pops one address (a row token), or, when all are
              empty, the group's end token; the queues reload from spikes_in for the next group
                                                                       | registered: j_b, bank bits, h, kind
    A1        row: bank b's WeightROM address h * ceil(n_in / B) + j_b    end: membrane word h, constants of h
    A2        row: currents[P_n] += sum_b sign(q_b) * m_b over the banks that read (FixedSynapseLanes, P_i = B)
              end: = S2 of the group's update: its currents are complete, its word and constants on
                   the read ports: leak; v_pre = leaked + current + bias [- delayed reset]; clamp;
                   the accumulators clear for the next group
    S3        spike = [v_sat >= threshold]; reset; membrane word and spike bits written back

(:class:`~scnc.rtl.engine.lif_update.PipelinedLIFUpdate` is S2..S3, ``P_n`` of them.) A step begins
with one LOAD cycle (the queues copy ``spikes_in``, final from the cycle after ``go``). Group ``h``
issues ``s + 1`` tokens when its fullest bank holds ``s`` spiking inputs (the row tokens,
:func:`~scnc.ir.schedule.event_row_tokens`); without a trace port group ``h + 1`` is issued while
group ``h`` is in A1..S3 (different membrane words, and each stage holds one group), so a step is
``1 + H * (s + 1) + 3`` cycles; ``done`` comes with the last group's S3. A trace build issues one
group at a time and holds S3 while the group's beats go out (one cycle per neuron; a stalled trace
stream holds it): ``1 + H * (s + 3) + n_out``.

Every register boundary is there for Fmax: the queue's output is registered before the ROM address
adder (the old path queue -> adder -> ROM address was the UP5K critical path), and the update's
leak -> add -> clamp -> compare -> reset chain is cut after the clamp. No stage ever stalls and every token
takes one cycle per stage, which is why the cycle count is exact and data-dependent only through ``s``.

Why the currents are exact: the dense engine adds ``sign(q) * cnt_S(t, m)`` per synapse, a count over the
window. Encoding ``"fixed"`` defines it as ``m``; encoding ``"sc"`` needs ``cnt_S(t, m) = m``, which holds
when every window of the synapse stream holds each value once -- the IR validator admits the event
engine with ``"sc"`` only then (vdc, or sobol with independent directions), so the count is known
without running the window. An LFSR window's count depends on its position in the sequence; such a
graph is refused by the validator rather than computed differently. The leak's beta count is the same
argument (:mod:`scnc.rtl.engine.group_leak`).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory

from ..ir.schedule import LayerPlan, event_layer_plan
from ..kinds import Encoding
from ._build import silence_on_error
from .engine.group_leak import GroupLeakParams, GroupTable, group_leak
from .engine.lif_update import PipelinedLIFUpdate
from .engine.spike_queue import BankedSpikeQueue
from .engine.synapse_lanes import synapse_lanes
from .engine.tables import signed_bits_of, unsigned_bits_of
from .engine.weight_rom import WeightROM
from .layer import layer_engine_signature

__all__ = ["EventLayerEngine", "row_plan", "bank_weights"]


#: A bank's weight ROM of at least this many bits is placed in block RAM (``BLOCK_ROM_ATTRS``). Left to
#: itself yosys' memory_libmap weighs a ROM in logic at 1/16 of a block per bit, so on the iCE40 a 64 x 32
#: ROM (2 kbit, 2 blocks) ties and goes to logic (measured: W-digits at P 4x8, whose four layer-1 bank ROMs
#: are such, packed to 5,808 logic cells with them in logic and to 5,276 with them in 8 block RAMs; ~130
#: cells per ROM). Logic cells are the scarce resource of the small parts, a 4 kbit block RAM is 1/30 of
#: the UP5K's.
BLOCK_ROM_MIN_BITS = 1024
#: The synthesis attribute that asks memory_libmap for block RAM (yosys, 1364.1 / Synplify names).
BLOCK_ROM_ATTRS = {"rom_style": "block"}


def row_plan(plan) -> LayerPlan:
    """The :class:`~scnc.ir.schedule.LayerPlan` whose blocks are the rows of one bank's weight ROM: ``P_i = 1``,
    so block ``h * bank_inputs + k`` of :class:`~scnc.rtl.engine.WeightROM` is row ``(k, h)`` (``P_n``
    weights of the bank's input ``k``, i.e. of input ``k * B + b``)."""
    nb = plan.bank_inputs
    return LayerPlan(n_in=nb, n_out=plan.n_out, p_in=1, p_out=plan.p_out, groups_in=nb,
                     groups_out=plan.groups_out, window=1)


def bank_weights(weight_q: np.ndarray, bank: int, banks: int) -> np.ndarray:
    """The weights of bank ``bank`` of ``banks``: rows ``bank, bank + B, ...`` of ``weight_q`` (int
    ``(n_in, n_out)``), padded with zero rows to ``ceil(n_in / B)`` (inputs that do not exist never spike)."""
    q = np.asarray(weight_q, dtype=np.int64)
    rows = q[bank::banks]
    nb = -(-q.shape[0] // banks)
    if rows.shape[0] < nb:
        rows = np.concatenate([rows, np.zeros((nb - rows.shape[0], q.shape[1]), dtype=np.int64)])
    return rows


def _bank_name(what: str, bank: int, banks: int) -> str:
    """Submodule name of a bank's ROM (the single bank keeps the plain name)."""
    return what if banks == 1 else f"{what}{bank}"


class EventLayerEngine(wiring.Component):
    """Event-driven engine of one quantized layer (members as :class:`~scnc.rtl.layer.LayerEngine`).

    Parameters
    ----------
    layer:
        The quantized layer (:class:`~scnc.ir.graph.Layer`).
    hw:
        The graph's ``HardwareParams``.
    index:
        Layer index (reported in trace beats).
    t_bits:
        Width of the time-step index (bits).
    trace_layout:
        Layout of a trace beat (``None``: no trace port).
    """

    @silence_on_error
    def __init__(self, layer, hw, index: int, *, t_bits: int, trace_layout=None) -> None:
        self.layer = layer
        self.hw = hw
        self.index = index
        self.plan = event_layer_plan(layer, hw)
        self.trace_layout = trace_layout
        self.t_bits = max(1, t_bits)
        super().__init__(layer_engine_signature(layer.n_in, layer.n_out, self.t_bits, trace_layout))
        nq = layer.neuron.quant
        # built here so that an IR problem (an SNG spec of the wrong kind) is raised at construction
        self.leak = group_leak(nq.leak, GroupLeakParams(
            encoding=hw.encoding, stream_bits=hw.stream_bits, membrane_bits=nq.membrane_bits,
            n_out=layer.n_out, p_out=self.plan.p_out, t_bits=self.t_bits, where=layer.neuron.name))

    def elaborate(self, platform) -> Module:
        m = Module()
        layer, plan = self.layer, self.plan
        q, nq = layer.synapse.quant, layer.neuron.quant
        n_in, n_out, H, Pn = plan.n_in, plan.n_out, plan.groups_out, plan.p_out
        B, nb = plan.p_in, plan.bank_inputs
        M = nq.membrane_bits
        traced = self.trace_layout is not None

        # ---- ISSUE: one token per cycle, a row token (every bank with a spiking input left pops one
        # address) or, when every bank is empty, the group's end token -------------------------------
        h = Signal(range(max(H, 2)))             # the group being issued
        base = Signal(range(max(plan.bank_rows, 2)))  # h * bank_inputs: group h's first row in every bank
        last_h = h == H - 1
        issue = Signal()                         # this cycle issues a token (FSM state ISSUE)
        load = Signal()                          # every bank's queue starts over from spikes_in
        m.submodules.queue = queue = BankedSpikeQueue(n_in, B)
        m.d.comb += [queue.spikes.eq(self.spikes_in), queue.load.eq(load), queue.pop.eq(issue)]
        pending = queue.valid                    # some bank still has a spiking input: a row token
        # the token registers of stage A1 (row addresses) and A2 (rows on the ROMs' outputs)
        # (data registers reset-less, so they pack with any LUT; the token kinds row/end are reset)
        row1, end1 = Signal(), Signal()
        last1, h1 = Signal(reset_less=True), Signal.like(h, reset_less=True)
        base1 = Signal.like(base, reset_less=True)
        bank1 = Signal(B, reset_less=True)       # banks that read a row in this token
        j1 = Signal.like(queue.addr, reset_less=True)
        row2, end2 = Signal(), Signal()
        last2, h2 = Signal(reset_less=True), Signal.like(h, reset_less=True)
        bank2 = Signal(B, reset_less=True)
        m.d.sync += [row1.eq(issue & pending), end1.eq(issue & ~pending), last1.eq(last_h),
                     base1.eq(base), h1.eq(h), bank1.eq(queue.pending), j1.eq(queue.addr),
                     row2.eq(row1), end2.eq(end1), last2.eq(last1), h2.eq(h1), bank2.eq(bank1)]

        # ---- A1: every bank that popped reads its row; an end token reads its group's membrane word
        # and constants --------------------------------------------------------------------------
        roms = []
        rplan = row_plan(plan)  # every bank's ROM has this shape
        rom_bits = rplan.blocks * rplan.p_out * (q.weight_bits + 1)
        rom_attrs = BLOCK_ROM_ATTRS if rom_bits >= BLOCK_ROM_MIN_BITS else None
        for b in range(B):
            rom = WeightROM(bank_weights(q.weight_q, b, B), rplan, q.weight_bits, attrs=rom_attrs)
            m.submodules[_bank_name("weights", b, B)] = rom
            # (one bank: a row token always reads it)
            m.d.comb += [rom.addr.eq(base1 + j1[b]), rom.en.eq(row1 & bank1[b] if B > 1 else row1)]
            roms.append(rom)
        bias_q = np.asarray(nq.bias_q, dtype=np.int64)
        thr_q = np.asarray(nq.threshold_q, dtype=np.int64)
        m.submodules.bias_q = bias = GroupTable(bias_q, signed(signed_bits_of(bias_q)), Pn)
        m.submodules.threshold_q = thr = GroupTable(thr_q, unsigned(unsigned_bits_of(thr_q)), Pn)
        m.submodules.leak = leak = self.leak
        for tbl in (bias, thr, leak):
            m.d.comb += tbl.group.eq(h1)
        m.d.comb += [bias.en.eq(end1), thr.en.eq(end1), leak.load.eq(end1)]
        step_done = Signal()
        m.d.comb += [leak.init.eq(self.init), leak.t.eq(self.t), leak.step_done.eq(step_done)]
        word = data.ArrayLayout(signed(M), Pn)
        membrane_write = Signal()  # S3 writes its group's word (the write-back, below)
        v_new = Signal(word)
        h_s3 = Signal.like(h, reset_less=True)
        if H > 1:
            mem = Memory(shape=unsigned(word.size), depth=H, init=[])
            m.submodules.membrane = mem
            mrd = mem.read_port()
            mwr = mem.write_port()
            m.d.comb += [mrd.en.eq(end1), mrd.addr.eq(h1), mwr.addr.eq(h_s3), mwr.data.eq(v_new),
                         mwr.en.eq(membrane_write)]
            stored = data.View(word, mrd.data)
        else:
            # one group: the word itself is the register the launch reads (a read register would be a
            # second copy: the only group is launched, then written back, once per step)
            stored = Signal(word, name="membrane")
            with m.If(membrane_write):
                m.d.sync += stored.eq(v_new)

        # ---- A2: accumulate a row (sign(q) * m, see the module docstring); an end token is its
        # group's S2: the currents are complete, the word and constants on the read ports; the
        # accumulators clear for the next group (whose first row lands a cycle later at the earliest)
        # (the B rows are the B input lanes of one block: lane ``nl`` adds bank ``b``'s weight ``nl``
        # when bank ``b`` read a row in this token)
        m.submodules.lanes = lanes = synapse_lanes(
            Encoding.FIXED, p_in=B, p_out=Pn, weight_bits=q.weight_bits, compare_shift=q.compare_shift,
            stream_bits=self.hw.stream_bits, current_bits=q.current_bits)
        for b, rom in enumerate(roms):
            m.d.comb += [lanes.spikes[b].eq(row2 & bank2[b] if B > 1 else row2)]
            for nl in range(Pn):
                m.d.comb += lanes.block[nl][b].eq(rom.block[nl][0])
        m.d.comb += [lanes.accumulate.eq(1), lanes.clear.eq(end2)]

        # ---- S2 (= A2 of the end token: leak, integrate, clamp), S3 (fire, reset, write back) ------
        advance = Signal()  # the update pipeline moves (a trace build holds S3 while its beats go out)
        valid_s3, last_s3 = Signal(), Signal(reset_less=True)  # S3 holds a group (write-back; h_s3 above)
        with m.If(advance):
            m.d.sync += [valid_s3.eq(end2), last_s3.eq(last2), h_s3.eq(h2)]
        spikes = Signal(Pn)
        saturated = Signal(Pn)
        for nl in range(Pn):
            upd = PipelinedLIFUpdate(membrane_bits=M, current_bits=q.current_bits, bias_shape=bias.shape,
                                     threshold_shape=thr.shape, reset=nq.reset,
                                     const_bias=bias.values[0] if bias.shared else None,
                                     const_threshold=thr.values[0] if thr.shared else None)
            m.submodules[f"update{nl}"] = upd
            v_old = Mux(self.first, 0, stored[nl])  # the stored membrane (0 at a sample's first step)
            if upd.reads_old:
                m.d.comb += upd.old.eq(v_old)
            if upd.const_threshold is None:
                m.d.comb += upd.threshold.eq(thr.data[nl])
            if upd.const_bias is None:
                m.d.comb += upd.bias.eq(bias.data[nl])
            m.d.comb += [upd.advance.eq(advance), leak.v[nl].eq(v_old), upd.leaked.eq(leak.leaked[nl]),
                         upd.current.eq(lanes.currents[nl]),
                         v_new[nl].eq(upd.v_new), spikes[nl].eq(upd.spike), saturated[nl].eq(upd.saturated)]
        write = Signal()  # S3 writes its group back: membranes and spike bits
        m.d.comb += membrane_write.eq(write)
        spk = Signal(H * Pn)  # spike bits of every lane (lanes past n_out are never read)
        with m.If(write):
            m.d.sync += spk.word_select(h_s3, Pn).eq(spikes)
        m.d.comb += self.spikes_out.eq(spk[:n_out])

        # ---- sequencer ---------------------------------------------------------------------------
        def next_group() -> None:
            m.d.sync += [h.eq(h + 1), base.eq(base + nb)]

        with m.FSM(name="engine"):
            with m.State("IDLE"):
                with m.If(self.go):
                    m.d.sync += [h.eq(0), base.eq(0)]
                    m.next = "LOAD"
            with m.State("LOAD"):
                # spikes_in is final from the cycle after go (the stage before writes it in its done cycle)
                m.d.comb += load.eq(1)
                m.next = "ISSUE"
            with m.State("ISSUE"):
                m.d.comb += issue.eq(1)
                with m.If(~pending):  # the group's end token; the queues start over for the next group
                    m.d.comb += load.eq(1)
                    if traced:
                        m.next = "UPDATE"
                    else:
                        with m.If(last_h):
                            m.next = "DRAIN"
                        with m.Else():
                            next_group()
            if not traced:
                # overlapped: group h+1 is issued and accumulated while group h goes down the pipeline
                m.d.comb += [advance.eq(1), write.eq(valid_s3)]
                with m.State("DRAIN"):
                    with m.If(valid_s3 & last_s3):
                        m.d.comb += [self.done.eq(1), step_done.eq(1)]
                        m.next = "IDLE"
            else:
                # a trace build runs one group at a time: the beats read the held S3
                u = Signal(range(max(Pn, 2)))  # trace lane
                nidx = Signal(range(max(n_out, 2)))
                tr = self.trace.payload
                m.d.comb += [tr.layer.eq(self.index), tr.neuron.eq(nidx), tr.step.eq(self.t),
                             tr.membrane.eq(v_new.as_value().word_select(u, M).as_signed()),
                             tr.spike.eq(spikes.bit_select(u, 1)), tr.saturated.eq(saturated.bit_select(u, 1))]
                with m.State("UPDATE"):
                    # the end token in A1, then A2 = S2; S3 follows and is held for the beats
                    m.d.comb += advance.eq(1)
                    with m.If(end2):
                        m.d.sync += [u.eq(0), nidx.eq(h * Pn)]
                        m.next = "TRACE"
                with m.State("TRACE"):
                    # the write-back is repeated while the beats go out (same word, same bits)
                    m.d.comb += [write.eq(1), self.trace.valid.eq(1)]
                    with m.If(self.trace.ready):
                        m.d.sync += [u.eq(u + 1), nidx.eq(nidx + 1)]
                        with m.If((u == Pn - 1) | (nidx == n_out - 1)):
                            with m.If(last_h):
                                m.d.comb += [self.done.eq(1), step_done.eq(1)]
                                m.next = "IDLE"
                            with m.Else():
                                next_group()
                                m.next = "ISSUE"
        return m

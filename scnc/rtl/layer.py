"""The time-multiplexed engine of one dense LIF layer (docs/hardware.md §3, docs/rtl.md).

One time step, started by ``go``:

1. For every neuron group ``h`` (P_n neurons) and input group ``g`` (P_i inputs), in that order, the
   ``P_i x P_n`` weight block ``(h, g)`` sits on the weight ROM's output register for one window.
   Encoding ``"sc"``: for ``L`` cycles, lane ``l`` of the inputs compares synapse stream ``l``'s value
   with every neuron's threshold ``m = |q| << compare_shift``, ANDs the input spike, and each neuron lane's
   APC adds ``popcount(positive) - popcount(negative)`` to its current accumulator. During the
   ``g == 0`` window each neuron lane also counts ``R_B < beta_q`` (the leak count ``C``).
   Encoding ``"fixed"``: one cycle per block adds ``sum s * sign * m``.
   Cycle-rate LFSRs rewind to the window start after every block and commit the next window's
   start after the last block, so every block sees indices ``t*L .. t*L + L - 1``.
2. After the last input group of a neuron group, the neurons of the group are updated one at a
   time (2 cycles each): read the membrane RAM and the per-neuron constants, then leak, integrate,
   saturate, fire, reset, write back, set the spike bit, and emit a trace beat (a stalled trace
   stream holds the update).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..ir.graph import SCLeak, ShiftLeak
from ..kinds import Encoding, ResetMode
from ._build import silence_on_error
from ._specs import sng_form
from .apc import tree_sum
from ..ir.schedule import layer_plan
from .sng import CycleSNG, StepSNG

__all__ = ["LayerEngine", "weight_block_words"]


def _signed_bits(lo: int, hi: int) -> int:
    """Smallest signed width holding every integer in [lo, hi]."""
    b = 1
    while not (-(1 << (b - 1)) <= lo and hi <= (1 << (b - 1)) - 1):
        b += 1
    return b


def weight_block_words(layer, plan, weight_bits: int) -> list:
    """ROM words of the weight blocks, block ``b = h * G + g``.

    Entry ``e = nl * P_i + il`` (neuron lane ``nl``, input lane ``il``) of a word occupies bits
    ``[e*(w+1), (e+1)*(w+1))``: the low ``w`` bits are ``|q|``, the top bit is 1 for a negative
    weight. Entries past ``n_in`` or ``n_out`` are 0 (no synapse).
    """
    w = weight_bits
    q = np.asarray(layer.synapse.quant.weight_q, dtype=np.int64)
    G, H, Pi, Pn = plan.groups_in, plan.groups_out, plan.p_in, plan.p_out
    pad = np.zeros((G * Pi, H * Pn), dtype=np.int64)
    pad[: plan.n_in, : plan.n_out] = q
    field = np.abs(pad) | ((pad < 0).astype(np.int64) << w)  # (G*Pi, H*Pn)
    # blocks[h, g, nl, il]
    blk = field.reshape(G, Pi, H, Pn).transpose(2, 0, 3, 1).reshape(H * G, Pn * Pi)
    fb = w + 1
    words = []
    for row in blk:
        word = 0
        for e in np.flatnonzero(row)[::-1]:
            word |= int(row[e]) << (int(e) * fb)
        words.append(word)
    return words


class _ConstTable:
    """A per-neuron constant: a ``Const`` when all neurons share it, else a ROM read at ``addr``."""

    def __init__(self, m: Module, name: str, values, shape, addr, en) -> None:
        vals = [int(v) for v in np.asarray(values).reshape(-1)]
        if len(set(vals)) == 1:
            self.value = Const(vals[0], shape)
            return
        rom = Memory(shape=shape, depth=len(vals), init=vals)
        m.submodules[name] = rom
        rd = rom.read_port()
        m.d.comb += [rd.addr.eq(addr), rd.en.eq(en)]
        self.value = rd.data


class LayerEngine(wiring.Component):
    """Engine of one quantized layer: a dense synapse matrix feeding LIF neurons.

    Parameters
    ----------
    layer:
        The quantized layer (:class:`~scnc.ir.graph.Layer`: a ``DenseNode`` feeding a ``LIFNode``).
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
        self.plan = layer_plan(layer, hw)
        self.trace_layout = trace_layout
        q, leak = layer.synapse.quant, layer.neuron.quant.leak
        self.n = hw.stream_bits
        self.t_bits = max(1, t_bits)
        sig = {
            "go": In(1),
            "done": Out(1),
            "init": In(1),
            "t": In(self.t_bits),
            "first": In(1),
            "spikes_in": In(layer.n_in),
            "spikes_out": Out(layer.n_out),
        }
        if trace_layout is not None:
            sig["trace"] = Out(stream.Signature(trace_layout))
        super().__init__(sig)
        sc = hw.encoding is Encoding.SC
        sc_leak = leak if sc and isinstance(leak, SCLeak) else None
        self.syn_forms = (
            tuple(
                sng_form(s, kind=hw.sng, bits=self.n, where=layer.synapse.name, field=f"synapse_sngs[{i}]")
                for i, s in enumerate(q.synapse_sngs)
            )
            if sc
            else ()
        )
        self.beta_form = (
            sng_form(sc_leak.beta_sng, kind=hw.sng, bits=self.n, where=layer.neuron.name, field="leak.beta_sng")
            if sc_leak is not None
            else None
        )
        self.dither_form = (
            sng_form(sc_leak.dither_sng, kind=None, bits=self.n, where=layer.neuron.name, field="leak.dither_sng")
            if sc_leak is not None
            else None
        )

    def elaborate(self, platform) -> Module:
        m = Module()
        layer, hw, plan = self.layer, self.hw, self.plan
        q, nq = layer.synapse.quant, layer.neuron.quant
        n, L, w = self.n, hw.stream_length, q.weight_bits
        sc = hw.encoding is Encoding.SC
        leak = nq.leak
        G, H, Pi, Pn = plan.groups_in, plan.groups_out, plan.p_in, plan.p_out
        n_out = plan.n_out
        M = nq.membrane_bits

        # ---- counters -----------------------------------------------------------------------
        k = Signal(max(1, n))
        g = Signal(range(max(G, 2)))
        h = Signal(range(max(H, 2)))
        b = Signal(range(max(plan.blocks, 2)))
        i = Signal(range(max(n_out, 2)))
        u = Signal(range(max(Pn, 2)))
        acc = [Signal(signed(q.current_bits), name=f"acc{l}") for l in range(Pn)]
        last_k = (k == L - 1) if sc else Const(1, 1)
        last_g = g == G - 1
        last_h = h == H - 1
        last_block = last_g & last_h

        # ---- weight ROM: one P_i x P_n block per word, held on the read register --------------
        words = weight_block_words(layer, plan, w)
        wrom = Memory(shape=unsigned(Pn * Pi * (w + 1)), depth=plan.blocks, init=words)
        m.submodules.weights = wrom
        wrd = wrom.read_port()
        m.d.comb += [wrd.en.eq(0), wrd.addr.eq(b)]

        # ---- SNGs ---------------------------------------------------------------------------
        sng_advance = Signal()
        sng_rewind = Signal()
        sng_commit = Signal()
        syn = []
        for l, f in enumerate(self.syn_forms):
            s = CycleSNG(f)
            m.submodules[f"syn_sng{l}"] = s
            m.d.comb += [s.k.eq(k), s.init.eq(self.init), s.advance.eq(sng_advance),
                         s.rewind.eq(sng_rewind), s.commit.eq(sng_commit)]
            syn.append(s.value)

        beta_cnt = []
        brd = None
        if self.beta_form is not None:
            bs = CycleSNG(self.beta_form)
            m.submodules.beta_sng = bs
            m.d.comb += [bs.k.eq(k), bs.init.eq(self.init), bs.advance.eq(sng_advance),
                         bs.rewind.eq(sng_rewind), bs.commit.eq(sng_commit)]
            bq = np.zeros(H * Pn, dtype=np.int64)
            bq[:n_out] = np.asarray(leak.beta_q, dtype=np.int64)
            bwords = []
            for hh in range(H):
                word = 0
                for nl in range(Pn):
                    word |= int(bq[hh * Pn + nl]) << (nl * (n + 1))
                bwords.append(word)
            brom = Memory(shape=unsigned(Pn * (n + 1)), depth=H, init=bwords)
            m.submodules.beta_q = brom
            brd = brom.read_port()
            m.d.comb += [brd.en.eq(0), brd.addr.eq(h)]
            beta_cnt = [Signal(n + 1, name=f"beta_cnt{l}") for l in range(Pn)]

        dither_advance = Signal()
        if self.dither_form is not None:
            ds = StepSNG(self.dither_form, self.t_bits)
            m.submodules.dither_sng = ds
            m.d.comb += [ds.t.eq(self.t), ds.init.eq(self.init), ds.advance.eq(dither_advance)]
            dither = ds.value
        elif isinstance(leak, SCLeak):
            dither = Const(leak.rounding, n + 1)  # the fixed encoding's rounding constant (from the IR)

        # ---- per-cycle accumulation ---------------------------------------------------------
        spk_pad = Cat(self.spikes_in, Const(0, G * Pi - plan.n_in)) if G * Pi > plan.n_in else self.spikes_in
        blk = Signal(Pi)
        m.d.comb += blk.eq(spk_pad.word_select(g, Pi) if G > 1 else spk_pad)
        fb = w + 1
        deltas = []
        for nl in range(Pn):
            pos, neg = [], []
            for il in range(Pi):
                e = nl * Pi + il
                word = wrd.data[e * fb : (e + 1) * fb]
                mag, sgn = word[:w], word[w]
                shift = q.compare_shift  # m = |q| << compare_shift (the IR's comparator threshold)
                mval = Cat(Const(0, shift), mag) if shift else mag
                if sc:
                    bit = blk[il] & (syn[il] < mval)
                    pos.append(bit & ~sgn)
                    neg.append(bit & sgn)
                else:
                    pos.append(Mux(blk[il] & ~sgn, mval, 0))
                    neg.append(Mux(blk[il] & sgn, mval, 0))
            deltas.append(tree_sum(pos) - tree_sum(neg))

        clear = Signal()  # zero the accumulators and leak counters (group start)
        with m.If(clear):
            m.d.sync += [a.eq(0) for a in acc] + [c.eq(0) for c in beta_cnt]

        # ---- per-neuron constants (ROMs addressed by neuron index) ---------------------------
        const_addr = Signal(range(max(n_out, 2)))
        const_en = Signal()
        bias_vals = np.asarray(nq.bias_q, dtype=np.int64)
        thr_vals = np.asarray(nq.threshold_q, dtype=np.int64)
        bias = _ConstTable(m, "bias_q", bias_vals, signed(_signed_bits(int(bias_vals.min()), int(bias_vals.max()))),
                           const_addr, const_en).value
        thr = _ConstTable(m, "threshold_q", thr_vals, unsigned(int(thr_vals.max()).bit_length()),
                          const_addr, const_en).value
        if isinstance(leak, ShiftLeak):
            ks = np.asarray(leak.shift, dtype=np.int64)
            kshift = _ConstTable(m, "leak_shift", ks, unsigned(max(1, int(ks.max()).bit_length())),
                                 const_addr, const_en).value
        elif not sc:
            beta_fixed = _ConstTable(m, "beta_q", np.asarray(leak.beta_q, dtype=np.int64), unsigned(n + 1),
                                     const_addr, const_en).value

        # ---- membrane RAM -------------------------------------------------------------------
        mem = Memory(shape=signed(M), depth=n_out, init=[])
        m.submodules.membrane = mem
        mrd = mem.read_port()
        mwr = mem.write_port()
        m.d.comb += [mrd.en.eq(0), mrd.addr.eq(i), const_addr.eq(i), mwr.addr.eq(i)]

        # ---- the LIF update of neuron i (lane u) ---------------------------------------------
        v_old = Signal(signed(M))
        m.d.comb += v_old.eq(Mux(self.first, 0, mrd.data))
        cur = Array(acc)[u]
        if isinstance(leak, SCLeak):
            cnt = Array(beta_cnt)[u] if sc else beta_fixed
            lv = (v_old * cnt + dither) >> n
        else:
            lv = v_old - (v_old >> kshift)
        v_pre_e = lv + cur + bias
        v_pre = Signal(v_pre_e.shape())
        m.d.comb += v_pre.eq(v_pre_e)
        vmin, vmax = nq.membrane_min, nq.membrane_max
        over = v_pre > vmax
        under = v_pre < vmin
        v_sat = Signal(signed(M))
        m.d.comb += v_sat.eq(Mux(over, vmax, Mux(under, vmin, v_pre)))
        spike = Signal()
        m.d.comb += spike.eq(v_sat >= thr)
        v_new = Signal(signed(M))
        if nq.reset is ResetMode.SUBTRACT:
            m.d.comb += v_new.eq(v_sat - Mux(spike, thr, 0))
        else:
            m.d.comb += v_new.eq(Mux(spike, 0, v_sat))
        m.d.comb += mwr.data.eq(v_new)

        accept = Signal()
        if self.trace_layout is not None:
            tr = self.trace.payload
            m.d.comb += [
                tr.layer.eq(self.index),
                tr.neuron.eq(i),
                tr.step.eq(self.t),
                tr.membrane.eq(v_new),
                tr.spike.eq(spike),
                tr.saturated.eq(over | under),
                accept.eq(self.trace.ready),
            ]
        else:
            m.d.comb += accept.eq(1)

        # ---- control ------------------------------------------------------------------------
        with m.FSM(name="engine"):
            with m.State("IDLE"):
                with m.If(self.go):
                    m.d.comb += [wrd.addr.eq(0), wrd.en.eq(1), clear.eq(1)]
                    if brd is not None:
                        m.d.comb += [brd.addr.eq(0), brd.en.eq(1)]
                    m.d.sync += [k.eq(0), g.eq(0), h.eq(0), b.eq(0), i.eq(0), u.eq(0)]
                    m.next = "RUN"
            with m.State("RUN"):
                m.d.sync += [a.eq(a + d) for a, d in zip(acc, deltas)]
                if beta_cnt:
                    with m.If(g == 0):
                        for nl in range(Pn):
                            bqv = brd.data[nl * (n + 1) : (nl + 1) * (n + 1)]
                            m.d.sync += beta_cnt[nl].eq(beta_cnt[nl] + (bs.value < bqv))
                if sc:
                    m.d.sync += k.eq(k + 1)
                    with m.If(~last_k):
                        m.d.comb += sng_advance.eq(1)
                    with m.Elif(last_block):
                        m.d.comb += sng_commit.eq(1)
                    with m.Else():
                        m.d.comb += sng_rewind.eq(1)
                with m.If(last_k):
                    with m.If(~last_block):
                        m.d.comb += [wrd.addr.eq(b + 1), wrd.en.eq(1)]
                        m.d.sync += b.eq(b + 1)
                        if brd is not None:
                            with m.If(last_g):
                                m.d.comb += [brd.addr.eq(h + 1), brd.en.eq(1)]
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
                    m.d.sync += [self.spikes_out.bit_select(i, 1).eq(spike), i.eq(i + 1), u.eq(u + 1)]
                    with m.If(i == n_out - 1):
                        m.d.comb += [self.done.eq(1), dither_advance.eq(1)]
                        m.next = "IDLE"
                    with m.Elif(u == Pn - 1):
                        m.d.comb += clear.eq(1)
                        m.d.sync += [u.eq(0), h.eq(h + 1)]
                        m.next = "RUN"
                    with m.Else():
                        m.next = "READ"
        return m


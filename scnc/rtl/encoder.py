"""The rate-coding input stage: ``s_j[t] = [R_j[t] < x_j]`` for every input ``j`` (docs/hardware.md §2).

The intensities ``x_j`` of a sample sit in a RAM (written by the network top as the input beats
arrive). Each time step the encoder walks ``j = 0..n_in-1``, one input per cycle through a
one-deep pipeline: it reads ``x_j`` and input ``j``'s SNG constants (a ROM word of
:func:`~scnc.rtl.sng.sng_layout`, or a constant when every input shares them) and, for an LFSR, its
state (a RAM, the seed at ``t == 0``), then writes spike bit ``j`` and the advanced LFSR state.
The SNG value logic is :mod:`scnc.rtl.sng`'s (the same functions the layer streams use), fed with the
ROM word instead of constants.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..kinds import SNGKind
from ._build import silence_on_error
from ._specs import sng_form
from .sng import index_value, lfsr_next, lfsr_value, sng_constants, sng_layout

__all__ = ["InputEncoder"]


class InputEncoder(wiring.Component):
    """Rate encoder of a quantized ``InputNode`` (``coding == "rate"``).

    Parameters
    ----------
    node:
        The quantized ``InputNode``.
    kind:
        ``HardwareParams.input_sng``: the kind every ``node.quant.sngs[j]`` must be.
    t_bits:
        Width of the time-step index (bits).

    Members
    -------
    wr_en, wr_addr, wr_data: In
        Write intensity ``x_{wr_addr} = wr_data`` (``input_bits`` wide).
    go: In(1)
        Encode time step ``t`` (strobe while idle).
    done: Out(1)
        Strobe: ``spikes`` holds step ``t``'s input spikes from the next cycle on.
    t: In(t_bits)
    first: In(1)
        ``t == 0``: LFSR states come from the seeds.
    spikes: Out(n_in)
    """

    @silence_on_error
    def __init__(self, node, kind: SNGKind, *, t_bits: int) -> None:
        q = node.quant
        self.node = node
        self.bits = q.input_bits
        self.forms = tuple(
            sng_form(s, kind=kind, bits=q.input_bits, where=node.name, field=f"quant.sngs[{j}]")
            for j, s in enumerate(q.sngs)
        )
        self.t_bits = max(1, t_bits)
        n_in = node.size
        super().__init__(
            {
                "wr_en": In(1),
                "wr_addr": In(range(max(n_in, 2))),
                "wr_data": In(q.input_bits),
                "go": In(1),
                "done": Out(1),
                "t": In(self.t_bits),
                "first": In(1),
                "spikes": Out(n_in),
            }
        )

    def elaborate(self, platform) -> Module:
        m = Module()
        n_in, nb, forms = self.node.size, self.bits, self.forms
        kind = forms[0].kind

        xram = Memory(shape=unsigned(nb), depth=n_in, init=[])
        m.submodules.intensity = xram
        xw = xram.write_port()
        xr = xram.read_port()
        m.d.comb += [xw.en.eq(self.wr_en), xw.addr.eq(self.wr_addr), xw.data.eq(self.wr_data)]

        j = Signal(range(n_in + 1))
        pj = Signal(range(max(n_in, 2)))  # index being processed (read issued last cycle)
        busy = Signal()
        pvalid = Signal()
        m.d.comb += [xr.addr.eq(j), xr.en.eq(busy & (j < n_in))]

        # Per-input SNG constants: one word of sng_layout per input (a ROM), or a data.Const when every
        # input shares them (then the value logic below is static wiring, as in CycleSNG).
        W = max(f.width for f in forms) if kind is SNGKind.LFSR else 0
        layout = sng_layout(kind, nb, W)
        per_input = [sng_constants(f, layout) for f in forms]
        words = [c.as_bits() for c in per_input]
        if len(set(words)) == 1:
            consts = per_input[0]
        else:
            crom = Memory(shape=unsigned(layout.size), depth=n_in, init=words)
            m.submodules.sng_consts = crom
            cr = crom.read_port()
            m.d.comb += [cr.addr.eq(j), cr.en.eq(busy & (j < n_in))]
            consts = data.View(layout, cr.data)

        if kind is SNGKind.LFSR:
            sram = Memory(shape=unsigned(W), depth=n_in, init=[])
            m.submodules.lfsr_state = sram
            sr = sram.read_port()
            sw = sram.write_port()
            m.d.comb += [sr.addr.eq(j), sr.en.eq(busy & (j < n_in))]
            state = Signal(W)
            m.d.comb += state.eq(Mux(self.first, consts.seed, sr.data))
            value = lfsr_value(consts, state, nb)
            m.d.comb += [sw.addr.eq(pj), sw.data.eq(lfsr_next(consts, state)), sw.en.eq(pvalid)]
        else:
            value = index_value(kind, consts, self.t, nb)
        spike = value[:nb] < xr.data

        with m.If(pvalid):
            m.d.sync += self.spikes.bit_select(pj, 1).eq(spike)
        m.d.sync += [pvalid.eq(0)]
        with m.If(self.go & ~busy):
            m.d.sync += [busy.eq(1), j.eq(0)]
        with m.If(busy):
            with m.If(j < n_in):
                m.d.sync += [pvalid.eq(1), pj.eq(j), j.eq(j + 1)]
            with m.Else():
                m.d.sync += busy.eq(0)
        m.d.comb += self.done.eq(busy & (j == n_in))
        return m


"""The rate-coding input stage: ``s_j[t] = [R_j[t] < x_j]`` for every input ``j`` (docs/hardware.md §2).

The intensities ``x_j`` of a sample sit in a RAM (written by the network top as the input beats
arrive). Each time step the encoder walks ``j = 0..n_in-1``, one input per cycle through a
one-deep pipeline: it reads ``x_j`` and input ``j``'s SNG constants (a ROM word, or a constant when
every input shares them) and, for an LFSR, its state (a RAM, the seed at ``t == 0``), then writes
spike bit ``j`` and the advanced LFSR state.
"""

from __future__ import annotations

from functools import reduce

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..kinds import SNGKind
from ._build import silence_on_error
from ._specs import sng_form

__all__ = ["InputEncoder"]


def _pack(fields: list) -> tuple:
    """Pack ``[(value, width), ...]`` LSB first; return ``(word, total_width)``."""
    word, off = 0, 0
    for v, wd in fields:
        word |= int(v) << off
        off += wd
    return word, off


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

        # per-input SNG constants: one packed word per input
        if kind is SNGKind.VDC:
            layout = [("mask", nb)]
            vals = [[f.xor_mask] for f in forms]
        elif kind is SNGKind.SOBOL:
            layout = [(f"dir{b}", nb) for b in range(nb)] + [("mask", nb)]
            vals = [list(f.directions) + [f.xor_mask] for f in forms]
        else:
            W = max(f.width for f in forms)
            sb = max(1, (W - 1).bit_length())
            layout = [("seed", W), ("taps", W), ("wmask", W)] + [(f"sel{b}", sb) for b in range(nb)]
            vals = [[f.seed, f.tap_mask, (1 << f.width) - 1] + list(f.select) for f in forms]
        words = [_pack(list(zip(v, [wd for _, wd in layout])))[0] for v in vals]
        total = sum(wd for _, wd in layout)
        if len(set(words)) == 1:
            cword = Const(words[0], total)
        else:
            crom = Memory(shape=unsigned(total), depth=n_in, init=words)
            m.submodules.sng_consts = crom
            cr = crom.read_port()
            m.d.comb += [cr.addr.eq(j), cr.en.eq(busy & (j < n_in))]
            cword = cr.data
        fld, off = {}, 0
        for name, wd in layout:
            fld[name] = cword[off : off + wd]
            off += wd

        t = self.t if len(self.t) >= nb else Cat(self.t, Const(0, nb - len(self.t)))
        t = t[:nb]
        next_state = None
        if kind is SNGKind.VDC:
            value = Cat(*(t[nb - 1 - b] for b in range(nb))) ^ fld["mask"]
        elif kind is SNGKind.SOBOL:
            terms = [t[b].replicate(nb) & fld[f"dir{b}"] for b in range(nb)]
            value = reduce(lambda a, c: a ^ c, terms) ^ fld["mask"]
        else:
            sram = Memory(shape=unsigned(W), depth=n_in, init=[])
            m.submodules.lfsr_state = sram
            sr = sram.read_port()
            sw = sram.write_port()
            m.d.comb += [sr.addr.eq(j), sr.en.eq(busy & (j < n_in))]
            state = Signal(W)
            m.d.comb += state.eq(Mux(self.first, fld["seed"], sr.data))
            fb = (state & fld["taps"]).xor()
            next_state = Cat(fb, state[: W - 1]) & fld["wmask"] if W > 1 else fb
            value = Cat(*(state.bit_select(fld[f"sel{b}"], 1) for b in range(nb)))
            m.d.comb += [sw.addr.eq(pj), sw.data.eq(next_state), sw.en.eq(pvalid)]
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


"""The delay line of a dense layer with per-synapse delays (``DelayDenseNode``, docs/hardware.md §3b).

Three components, wired by :class:`~scnc.rtl.LayerEngine` between the weight ROM and the synapse
lanes; the lanes themselves are unchanged::

     spikes_in --+--> SpikeHistory (D registers of n_in bits) --> taps[j] = s_j[t], s_j[t-1], .., s_j[t-D]
                 |                                                 | (the P_i taps of input group g)
     b -----> DelayROM --> delays[nl][il] ---------------------> DelaySelect --> gated block --> lanes
     b -----> WeightROM --> block[nl][il] --------------------->      (entry kept iff tap[il][delay] = 1)

* :class:`SpikeHistory`: per input ``j`` a shift register of depth ``D = line.max_delay``; ``shift``
  (the engine's step-done strobe) moves this step's spikes in, ``clear`` (a new sample) empties it,
  so ``taps[j]`` bit ``d`` is ``s_j[t - d]`` with 0 before step 0.
* :class:`DelayROM`: the delays of block ``b = h * G + g``, same addressing and prefetch as the
  :class:`~.weight_rom.WeightROM` (a parallel memory read with the same ``addr`` / ``en``).
* :class:`DelaySelect`: entry ``(nl, il)`` of the weight block passes when the spike its synapse
  sees, ``taps[il][delays[nl][il]]``, is 1, and is zeroed (no synapse) otherwise; the lanes then
  run with every spike input at 1. A zeroed entry adds nothing in either encoding (``m = 0``), so
  the lanes compute ``I_i = sum_j s_j[t - d_ji] * sign * cnt`` exactly.

Why a spike history and not a ring buffer of future currents (docs/hardware.md gives the numbers):
the history costs ``n_in * D`` flip-flops and leaves the schedule as it is; a per-neuron ring buffer
costs ``n_out * (D + 1) * current_bits`` bits and needs each step's contribution of every synapse
accumulated into the slot of its own delay, i.e. ``D + 1`` accumulators per lane.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ...ir.schedule import LayerPlan
from .._build import silence_on_error
from .weight_rom import BlockROM, block_words, weight_block_layout

__all__ = ["SpikeHistory", "DelayROM", "DelaySelect", "delay_block_layout", "delay_block_words", "group_taps"]


class SpikeHistory(wiring.Component):
    """The last ``depth`` steps' spikes of ``n_in`` inputs, and this step's.

    Parameters
    ----------
    n_in:
        Inputs.
    depth:
        D, steps kept (``line.max_delay``), >= 0.

    Members
    -------
    spikes: In(n_in)
        This step's input spikes (stable from ``go`` to ``done``).
    shift: In(1)
        End of a step: the history takes ``spikes`` as step ``t - 1`` of the next step.
    clear: In(1)
        A new sample: every stored spike becomes 0 (wins over ``shift``).
    taps: Out(ArrayLayout(unsigned(D + 1), n_in))
        ``taps[j]`` bit ``d`` = ``s_j[t - d]`` (bit 0 is ``spikes[j]`` itself).
    """

    @silence_on_error
    def __init__(self, n_in: int, depth: int) -> None:
        for name, v, lo in (("n_in", n_in, 1), ("depth", depth, 0)):
            if not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, not {v!r}")
        self.n_in, self.depth = n_in, depth
        super().__init__({
            "spikes": In(n_in),
            "shift": In(1),
            "clear": In(1),
            "taps": Out(data.ArrayLayout(unsigned(depth + 1), n_in)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        regs = [Signal(self.n_in, name=f"s_t_minus_{d}") for d in range(1, self.depth + 1)]
        with m.If(self.clear):
            m.d.sync += [r.eq(0) for r in regs]
        with m.Elif(self.shift):
            m.d.sync += [r.eq(prev) for r, prev in zip(regs, [self.spikes] + regs[:-1])]
        for j in range(self.n_in):
            m.d.comb += self.taps[j].eq(Cat(self.spikes[j], *(r[j] for r in regs)))
        return m


def delay_block_layout(p_in: int, p_out: int, delay_bits: int) -> data.ArrayLayout:
    """A delay block word: ``block[nl][il]`` is the delay (time steps) of the synapse from input lane
    ``il`` to neuron lane ``nl``, ``delay_bits`` wide (LSB first, entry ``nl * P_i + il``)."""
    return data.ArrayLayout(data.ArrayLayout(unsigned(delay_bits), p_in), p_out)


def delay_block_words(delays: np.ndarray, plan: LayerPlan, delay_bits: int) -> list[int]:
    """ROM words of the delay blocks of ``delays`` (int ``(n_in, n_out)``), block ``b = h * G + g``;
    entries past ``n_in`` or ``n_out`` are 0 (their weight is 0 too)."""
    return block_words(np.asarray(delays, dtype=np.int64), plan, delay_bits)


class DelayROM(BlockROM):
    """The delay blocks of one layer: the :class:`~.weight_rom.WeightROM`'s twin (same ``addr``/``en``).

    Members
    -------
    addr: In(range(blocks))
        Block to read (``h * G + g``).
    en: In(1)
        Read ``addr`` into ``block`` at the next clock edge.
    block: Out(delay_block_layout(P_i, P_n, delay_bits))
        The block read last.
    """

    @silence_on_error
    def __init__(self, delays: np.ndarray, plan: LayerPlan, delay_bits: int) -> None:
        self.delay_bits = delay_bits
        super().__init__(delay_block_words(delays, plan, delay_bits),
                         delay_block_layout(plan.p_in, plan.p_out, delay_bits), plan)


class DelaySelect(wiring.Component):
    """Gate a weight block by the delayed spike each of its synapses sees (combinational).

    Parameters
    ----------
    p_in, p_out:
        P_i input lanes, P_n neuron lanes.
    weight_bits:
        w, magnitude bits of a weight entry.
    depth:
        D, the history depth (``taps`` are ``D + 1`` bits).
    delay_bits:
        Width of a stored delay; every stored delay is ``<= D`` (the IR's line guarantees it).

    Members
    -------
    taps: In(ArrayLayout(unsigned(D + 1), P_i))
        The history of the block's inputs (input lane ``il`` = input ``g * P_i + il``).
    delays: In(delay_block_layout(P_i, P_n, delay_bits))
        The block's delays (the :class:`DelayROM`'s output).
    weights: In(weight_block_layout(P_i, P_n, w))
        The block's weights (the :class:`~.weight_rom.WeightROM`'s output).
    block: Out(weight_block_layout(P_i, P_n, w))
        ``weights`` with entry ``(nl, il)`` zeroed unless ``taps[il][delays[nl][il]]``.
    """

    @silence_on_error
    def __init__(self, *, p_in: int, p_out: int, weight_bits: int, depth: int, delay_bits: int) -> None:
        for name, v, lo in (("p_in", p_in, 1), ("p_out", p_out, 1), ("weight_bits", weight_bits, 1),
                            ("depth", depth, 0), ("delay_bits", delay_bits, 1)):
            if not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, not {v!r}")
        self.p_in, self.p_out, self.depth = p_in, p_out, depth
        wl = weight_block_layout(p_in, p_out, weight_bits)
        super().__init__({
            "taps": In(data.ArrayLayout(unsigned(depth + 1), p_in)),
            "delays": In(delay_block_layout(p_in, p_out, delay_bits)),
            "weights": In(wl),
            "block": Out(wl),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        for nl in range(self.p_out):
            for il in range(self.p_in):
                seen = Signal(name=f"seen_{nl}_{il}")
                m.d.comb += seen.eq(self.taps[il].bit_select(self.delays[nl][il], 1))
                w_in, w_out = self.weights[nl][il], self.block[nl][il]
                m.d.comb += [w_out.magnitude.eq(Mux(seen, w_in.magnitude, 0)),
                             w_out.negative.eq(w_in.negative & seen)]
        return m


def group_taps(taps, g, groups: int, p_in: int, n_in: int, depth: int) -> list:
    """The taps of input group ``g`` (a signal): for each input lane ``il`` the history of input
    ``g * P_i + il`` (0 past ``n_in``), selected by a ``G:1`` multiplexer per lane."""
    zero = Const(0, depth + 1)
    out = []
    for il in range(p_in):
        choices = [taps[gg * p_in + il] if gg * p_in + il < n_in else zero for gg in range(groups)]
        out.append(Array(choices)[g] if groups > 1 else choices[0])
    return out

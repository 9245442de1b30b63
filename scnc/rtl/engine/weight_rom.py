"""The weight ROM of a dense layer engine: one ``P_i x P_n`` weight block per word.

Block ``b = h * G + g`` holds the synapses from inputs ``g*P_i .. g*P_i + P_i - 1`` to neurons
``h*P_n .. h*P_n + P_n - 1``. Its word is an array of ``P_n`` neuron lanes of ``P_i`` input-lane
entries, entry ``e = nl * P_i + il`` at bits ``[e*(w+1), (e+1)*(w+1))``::

    entry:  | magnitude : w | negative : 1 |          (LSB first)
    word:   | entry(0, 0) | entry(0, 1) | ... | entry(0, P_i-1) | entry(1, 0) | ... | entry(P_n-1, P_i-1) |

``magnitude = |q|`` and ``negative = [q < 0]`` (split-unipolar); entries past ``n_in`` or ``n_out`` are
0 (no synapse). The ROM's read register holds the block for the whole window: the sequencer presents
the next block's address in the last cycle of a window (prefetch), so there is no load cycle.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ...ir.schedule import LayerPlan

from .._build import silence_on_error

__all__ = ["weight_entry_layout", "weight_block_layout", "weight_block_words", "block_words", "BlockROM", "WeightROM"]


def weight_entry_layout(weight_bits: int) -> data.StructLayout:
    """One synapse of a block: ``magnitude`` (``w`` bits, ``|q|``) then ``negative`` (1 bit)."""
    return data.StructLayout({"magnitude": unsigned(weight_bits), "negative": unsigned(1)})


def weight_block_layout(p_in: int, p_out: int, weight_bits: int) -> data.ArrayLayout:
    """A block word: ``block[nl][il]`` is the synapse from input lane ``il`` to neuron lane ``nl``."""
    return data.ArrayLayout(data.ArrayLayout(weight_entry_layout(weight_bits), p_in), p_out)


def weight_block_words(weight_q: np.ndarray, plan: LayerPlan, weight_bits: int) -> list[int]:
    """ROM words of the weight blocks of ``weight_q`` (int ``(n_in, n_out)``), block ``b = h * G + g``.

    The bit layout is :func:`weight_block_layout` (see the module docstring).
    """
    q = np.asarray(weight_q, dtype=np.int64)
    field = np.abs(q) | ((q < 0).astype(np.int64) << weight_bits)  # entry bits: magnitude, then sign
    return block_words(field, plan, weight_bits + 1)


def block_words(entries: np.ndarray, plan: LayerPlan, entry_bits: int) -> list[int]:
    """Pack per-synapse ``entries`` (non-negative int ``(n_in, n_out)``, ``entry_bits`` each) into block
    words, block ``b = h * G + g``, entry ``nl * P_i + il`` at bit ``(nl * P_i + il) * entry_bits``;
    entries past ``n_in`` or ``n_out`` are 0. Every per-synapse ROM (weights, delays) uses this order."""
    G, H, Pi, Pn = plan.groups_in, plan.groups_out, plan.p_in, plan.p_out
    pad = np.zeros((G * Pi, H * Pn), dtype=np.int64)
    pad[: plan.n_in, : plan.n_out] = entries
    blk = pad.reshape(G, Pi, H, Pn).transpose(2, 0, 3, 1).reshape(H * G, Pn * Pi)  # [h*G + g, nl*Pi + il]
    words = []
    for row in blk:
        word = 0
        for e in np.flatnonzero(row)[::-1]:
            word |= int(row[e]) << (int(e) * entry_bits)
        words.append(word)
    return words


class BlockROM(wiring.Component):
    """A ROM of one word per block of a layer (``plan.blocks`` words of ``layout``), one synchronous read
    per block: the body of every per-synapse ROM (:class:`WeightROM`, the delay ROM).

    Members
    -------
    addr: In(range(blocks))
        Block to read (``h * G + g``).
    en: In(1)
        Read ``addr`` into ``block`` at the next clock edge; ``block`` holds its value otherwise.
    block: Out(layout)
        The block read last.
    """

    def __init__(self, words: list[int], layout: data.ArrayLayout, plan: LayerPlan, *,
                 attrs: dict | None = None) -> None:
        self.plan = plan
        self.words = words
        self.layout = layout
        self.attrs = dict(attrs or {})
        super().__init__({"addr": In(range(max(plan.blocks, 2))), "en": In(1), "block": Out(layout)})

    def elaborate(self, platform) -> Module:
        m = Module()
        rom = Memory(shape=unsigned(self.layout.size), depth=self.plan.blocks, init=self.words, attrs=self.attrs)
        m.submodules.rom = rom
        rd = rom.read_port()
        m.d.comb += [rd.addr.eq(self.addr), rd.en.eq(self.en), self.block.eq(rd.data)]
        return m


class WeightROM(BlockROM):
    """The weight blocks of one layer, one synchronous read per block.

    Parameters
    ----------
    weight_q:
        int ``(n_in, n_out)``: the quantized weights (``|q| <= 2^w - 1``).
    plan:
        The layer's schedule (:func:`scnc.ir.schedule.layer_plan`): ``P_i``, ``P_n``, ``G``, ``H``.
    weight_bits:
        ``w``, magnitude bits.

    Members
    -------
    addr: In(range(blocks))
        Block to read (``h * G + g``).
    en: In(1)
        Read ``addr`` into ``block`` at the next clock edge; ``block`` holds its value otherwise.
    block: Out(weight_block_layout(P_i, P_n, w))
        The block read last.
    """

    @silence_on_error
    def __init__(self, weight_q: np.ndarray, plan: LayerPlan, weight_bits: int, *, attrs: dict | None = None) -> None:
        self.weight_bits = weight_bits
        super().__init__(weight_block_words(weight_q, plan, weight_bits),
                         weight_block_layout(plan.p_in, plan.p_out, weight_bits), plan, attrs=attrs)

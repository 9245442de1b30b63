"""Accumulative parallel counters: exact signed counts of split-unipolar synapse bits.

``tree_sum`` adds a list of unsigned values with a balanced adder tree (log depth); ``APC`` is the
per-neuron-lane counter the layer engine uses each cycle: ``popcount(pos) - popcount(neg)``.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["tree_sum", "APC"]


def tree_sum(values: list) -> Value:
    """Sum of ``values`` (unsigned expressions) with a balanced adder tree; ``0`` for an empty list."""
    vals = [Value.cast(v) for v in values]
    if not vals:
        return Const(0, 1)
    while len(vals) > 1:
        nxt = [vals[i] + vals[i + 1] for i in range(0, len(vals) - 1, 2)]
        if len(vals) % 2:
            nxt.append(vals[-1])
        vals = nxt
    return vals[0]


class APC(wiring.Component):
    """Signed parallel counter of ``width`` positive and ``width`` negative bits (combinational).

    Members
    -------
    pos: In(width)
        Bits that count +1.
    neg: In(width)
        Bits that count -1.
    count: Out(signed(bits))
        ``popcount(pos) - popcount(neg)``, ``bits = width.bit_length() + 1``.
    """

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError(f"APC width must be >= 1, not {width!r}")
        self.width = width
        super().__init__({"pos": In(width), "neg": In(width), "count": Out(signed(width.bit_length() + 1))})

    def elaborate(self, platform) -> Module:
        m = Module()
        p = tree_sum([self.pos[i] for i in range(self.width)])
        q = tree_sum([self.neg[i] for i in range(self.width)])
        m.d.comb += self.count.eq(p - q)
        return m

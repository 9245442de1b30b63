"""The address queue of the event engine: the inputs that spiked this step, lowest address first.

The queue is the layer's input spike vector with a priority encoder: ``valid`` says an address is
pending, ``addr`` is the lowest pending one, ``pop`` removes it. One address per cycle, like a FIFO the
previous stage filled, but with no write phase: the spike register the previous stage (the input
encoder or the layer before) already holds *is* the queue, so no cycle is spent enqueueing and no
memory is needed. ``load`` (re)starts the queue from ``spikes`` in the same cycle (a bypass), so the
first address is available the cycle the queue is started.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .._build import silence_on_error

__all__ = ["SpikeQueue"]


class SpikeQueue(wiring.Component):
    """Pops the indices of the set bits of a spike vector, lowest first, one per cycle.

    Parameters
    ----------
    n:
        Width of the spike vector (the layer's inputs).

    Members
    -------
    spikes: In(n)
        The step's input spikes (read when ``load``).
    load: In(1)
        Start over from ``spikes`` this cycle (``valid``/``addr`` already reflect them).
    pop: In(1)
        Remove ``addr`` (ignored when not ``valid``).
    valid: Out(1)
        An address is pending.
    addr: Out(range(n))
        The lowest pending address (0 when none).
    """

    @silence_on_error
    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, not {n!r}")
        self.n = n
        super().__init__({"spikes": In(n), "load": In(1), "pop": In(1), "valid": Out(1),
                          "addr": Out(range(max(n, 2)))})

    def elaborate(self, platform) -> Module:
        m = Module()
        n = self.n
        pending = Signal(n)
        cur = Signal(n)
        m.d.comb += cur.eq(Mux(self.load, self.spikes, pending))
        # lowest set bit, one-hot: cur & -cur (a carry chain), then its index by an OR per address bit
        low = Signal(n)
        m.d.comb += low.eq(cur & (~cur + 1))
        for b in range(len(self.addr)):
            hits = [low[j] for j in range(n) if (j >> b) & 1]
            if hits:
                m.d.comb += self.addr[b].eq(_any(hits))
        m.d.comb += self.valid.eq(cur.any())
        with m.If(self.pop & self.valid):
            m.d.sync += pending.eq(cur & ~low)
        with m.Elif(self.load):
            m.d.sync += pending.eq(cur)
        return m


def _any(bits: list):
    out = bits[0]
    for b in bits[1:]:
        out = out | b
    return out

"""The address queue of the event engine: the inputs that spiked this step, lowest address first.

The queue is the layer's input spike vector with a priority encoder: ``valid`` says an address is
pending, ``addr`` is the lowest pending one, ``pop`` removes it. One address per cycle, like a FIFO the
previous stage filled, but with no write phase: the spike register the previous stage (the input
encoder or the layer before) already holds *is* the queue, so no cycle is spent enqueueing and no
memory is needed. The priority encoder has two levels (chunks of :data:`CHUNK` inputs), so its longest
carry chain is ``max(CHUNK, n / CHUNK)`` rather than ``n``. ``load`` (re)starts the queue from ``spikes`` in the same cycle (a bypass), so the
first address is available the cycle the queue is started.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value
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
        n, C = self.n, CHUNK
        K = -(-n // C)
        pending = Signal(n)
        cur = Signal(K * C)  # padded to whole chunks (the padding is never set)
        m.d.comb += cur.eq(Mux(self.load, self.spikes, pending))
        # two levels, so no carry chain is longer than max(K, C): the lowest chunk holding a spike, then
        # the lowest spike in it (one long chain over n bits limited Fmax to ~12 MHz at n = 128)
        nonempty = Signal(K)
        m.d.comb += nonempty.eq(Cat(*(cur[k * C:(k + 1) * C].any() for k in range(K))))
        ksel = _lowest(m, nonempty, "ksel")
        chunk = Signal(C)
        m.d.comb += chunk.eq(_or([Mux(ksel[k], cur[k * C:(k + 1) * C], 0) for k in range(K)]))
        isel = _lowest(m, chunk, "isel")
        onehot = Signal(K * C)
        m.d.comb += onehot.eq(Cat(*(ksel[j // C] & isel[j % C] for j in range(K * C))))
        m.d.comb += [self.addr.eq(Cat(_index(isel, C), _index(ksel, K))), self.valid.eq(nonempty.any())]
        with m.If(self.pop & self.valid):
            m.d.sync += pending.eq((cur & ~onehot)[:n])
        with m.Elif(self.load):
            m.d.sync += pending.eq(cur[:n])
        return m


#: Bits per chunk of the two-level priority encoder (a power of two).
CHUNK = 8


def _lowest(m: Module, bits: Signal, name: str) -> Signal:
    """One-hot of the lowest set bit of ``bits``: ``bits & -bits`` (one carry chain of ``len(bits)``)."""
    low = Signal(len(bits), name=name)
    m.d.comb += low.eq(bits & (~bits + 1))
    return low


def _index(onehot: Signal, width: int) -> Value:
    """The index of the set bit of a one-hot ``width``-bit value: an OR per index bit (0 when none)."""
    nbits = max(1, (width - 1).bit_length())
    return Cat(*(_or([onehot[j] for j in range(width) if (j >> b) & 1] or [Const(0, 1)]) for b in range(nbits)))


def _or(values: list) -> Value:
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out

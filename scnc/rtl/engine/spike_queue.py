"""The address queue of the event engine: the inputs that spiked this step, lowest address first.

The queue is the layer's input spike vector with a priority encoder: ``valid`` says an address is
pending, ``addr`` is the lowest pending one, ``pop`` removes it. One address per cycle, like a FIFO the
previous stage filled, but with no write phase: ``load`` copies the spike register the previous stage
(the input encoder or the layer before) already holds into the queue's ``pending`` register in one
cycle, so no cycle per address is spent enqueueing and no memory is needed.

``valid`` and ``addr`` are functions of the ``pending`` register alone (``load`` acts at the clock edge,
there is no bypass), so the engine can register them: the longest path is ``pending -> pending``
(find the lowest bit and clear it). It is kept short by cutting the vector into chunks of
:data:`CHUNK` bits: every chunk finds its own lowest bit and its index in parallel, from its own
register bits (one ``CHUNK``-bit carry chain each), while a second carry chain over the ``K`` chunk
"nonempty" bits picks the lowest chunk; the address is an AND-OR of the chunks' indices, and a pop
clears the picked chunk's lowest bit. (One carry chain over all ``n`` bits limited Fmax to ~12 MHz at
``n = 128``; the chunk select after the chunk's contents, with a bypass mux in front, to ~20 MHz.)
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .._build import silence_on_error

__all__ = ["SpikeQueue", "BankedSpikeQueue"]


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
        Start over from ``spikes`` at the clock edge (``valid``/``addr`` show them from the next cycle);
        wins over ``pop``.
    pop: In(1)
        Remove ``addr`` at the clock edge (nothing when not ``valid``).
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
        pending = Signal(K * C)  # padded to whole chunks (the padding is never set)
        chunks = [pending[k * C:(k + 1) * C] for k in range(K)]
        # every chunk on its own: its lowest pending bit (one-hot) and that bit's index
        lows = [_lowest(m, chunks[k], f"low{k}") for k in range(K)]
        nonempty = Signal(K)
        m.d.comb += nonempty.eq(Cat(*(c.any() for c in chunks)))
        ksel = _lowest(m, nonempty, "ksel")  # the lowest nonempty chunk (one-hot)
        local = _or([Mux(ksel[k], _index(lows[k], C), 0) for k in range(K)])
        m.d.comb += [self.addr.eq(Cat(local, _index(ksel, K))), self.valid.eq(nonempty.any())]
        with m.If(self.load):
            m.d.sync += pending.eq(self.spikes)
        with m.Elif(self.pop):
            m.d.sync += [chunks[k].eq(Mux(ksel[k], chunks[k] & ~lows[k], chunks[k])) for k in range(K)]
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


class BankedSpikeQueue(wiring.Component):
    """``B`` :class:`SpikeQueue` s over one spike vector, interleaved: bank ``b`` holds inputs ``b, b + B,
    b + 2B, ...`` (entry ``k`` is input ``k * B + b``); a pop removes the lowest pending entry of every
    bank that has one, so each pop yields up to ``B`` addresses.

    Parameters
    ----------
    n:
        Width of the spike vector (the layer's inputs).
    banks:
        ``B`` >= 1 (``B = 1``: one :class:`SpikeQueue`).

    Members
    -------
    spikes: In(n)
        The step's input spikes (read when ``load``).
    load: In(1)
        Every bank starts over from ``spikes`` at the clock edge; wins over ``pop``.
    pop: In(1)
        Every bank with a pending entry removes its ``addr`` at the clock edge.
    valid: Out(1)
        Some bank has a pending entry.
    pending: Out(B)
        Bit ``b``: bank ``b`` has a pending entry (its ``addr[b]`` is one).
    addr: Out(ArrayLayout(unsigned(bits), B))
        The lowest pending entry of every bank (0 when none).
    """

    @silence_on_error
    def __init__(self, n: int, banks: int) -> None:
        if not isinstance(banks, int) or banks < 1:
            raise ValueError(f"banks must be an int >= 1, not {banks!r}")
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, not {n!r}")
        self.n, self.banks = n, banks
        self.bank_inputs = -(-n // banks)
        bits = max(1, (max(self.bank_inputs, 2) - 1).bit_length())
        super().__init__({"spikes": In(n), "load": In(1), "pop": In(1), "valid": Out(1), "pending": Out(banks),
                          "addr": Out(data.ArrayLayout(unsigned(bits), banks))})

    def elaborate(self, platform) -> Module:
        m = Module()
        n, B, nb = self.n, self.banks, self.bank_inputs
        for b in range(B):
            queue = SpikeQueue(nb)
            m.submodules[f"bank{b}"] = queue
            # the bank's entries past n never spike
            m.d.comb += [queue.spikes.eq(Cat(*(self.spikes[j] if j < n else Const(0, 1) for j in range(b, nb * B, B)))),
                         queue.load.eq(self.load), queue.pop.eq(self.pop & queue.valid),
                         self.pending[b].eq(queue.valid), self.addr[b].eq(queue.addr)]
        m.d.comb += self.valid.eq(self.pending.any())
        return m

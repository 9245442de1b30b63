"""Per-neuron constants of a layer (bias, threshold, leak shift, fixed-point beta), read by neuron index."""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Module, Shape, ShapeCastable
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .._build import silence_on_error

__all__ = ["ConstTable", "signed_bits_of", "unsigned_bits_of"]


def signed_bits_of(values: np.ndarray) -> int:
    """Smallest signed width (bits) holding every value of ``values`` (at least 1)."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    lo, hi = (int(v.min()), int(v.max())) if v.size else (0, 0)
    b = 1
    while not (-(1 << (b - 1)) <= lo and hi <= (1 << (b - 1)) - 1):
        b += 1
    return b


def unsigned_bits_of(values: np.ndarray) -> int:
    """Smallest unsigned width (bits) holding every value of ``values`` (non-negative; at least 1)."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    return max(1, int(v.max()).bit_length() if v.size else 0)


class ConstTable(wiring.Component):
    """One constant per neuron: a constant when every neuron shares it, else a ROM read by index.

    Parameters
    ----------
    values:
        int ``(n,)``: the constant of each neuron.
    shape:
        Shape of one value (every value must fit).

    Members
    -------
    addr: In(range(n))
        Neuron index.
    en: In(1)
        Read ``addr`` into ``data`` at the next clock edge (a ROM); ignored by a shared constant.
    data: Out(shape)
        The value read last (a shared constant: always that constant).

    Attributes
    ----------
    shared:
        True when every neuron has the same value (no ROM: synthesis folds the constant into the logic).
    """

    @silence_on_error
    def __init__(self, values: np.ndarray, shape: ShapeCastable) -> None:
        self.values = [int(v) for v in np.asarray(values).reshape(-1)]
        if not self.values:
            raise ValueError("a ConstTable needs at least one value")
        self.shape = Shape.cast(shape)
        lo, hi = min(self.values), max(self.values)
        top = 1 << (self.shape.width - self.shape.signed)
        if lo < (-top if self.shape.signed else 0) or hi >= top:
            raise ValueError(f"values in [{lo}, {hi}] do not fit {self.shape!r}")
        self.shared = len(set(self.values)) == 1
        super().__init__({"addr": In(range(max(len(self.values), 2))), "en": In(1), "data": Out(self.shape)})

    def elaborate(self, platform) -> Module:
        m = Module()
        if self.shared:
            m.d.comb += self.data.eq(self.values[0])
            return m
        rom = Memory(shape=self.shape, depth=len(self.values), init=self.values)
        m.submodules.rom = rom
        rd = rom.read_port()
        m.d.comb += [rd.addr.eq(self.addr), rd.en.eq(self.en), self.data.eq(rd.data)]
        return m

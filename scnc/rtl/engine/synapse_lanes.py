"""The synapse lanes of a dense layer engine: the current of ``P_n`` neurons from ``P_i`` inputs per cycle.

Each cycle, for the weight block on the ROM's output (``block[nl][il]``, :mod:`.weight_rom`), the
input spikes ``spikes[il]`` of the block's inputs and (encoding ``"sc"``) the synapse stream values
``streams[il]``::

    m(il, nl)   = block[nl][il].magnitude << compare_shift          comparator threshold (IR: compare_shift)
    "sc":       bit(il, nl) = spikes[il] & (streams[il] < m(il, nl))
                delta[nl]   = APC(pos = bit & ~negative, neg = bit & negative)   (popcount(pos) - popcount(neg))
    "fixed":    delta[nl]   = sum_il spikes[il] * (-1)^negative * m(il, nl)   (adder trees)
    accumulate: currents[nl] += delta[nl];   clear: currents[nl] = 0

Over one block window (``L`` cycles, ``"sc"``; one cycle, ``"fixed"``) lane ``nl`` thus adds
:func:`scnc.ref.scalar.lane_window_current` (``"sc"``) or :func:`~scnc.ref.scalar.fixed_block_current`,
the terms of ``I_i`` in docs/hardware.md §3. The ``"sc"`` lanes count with the exported
:class:`~scnc.rtl.apc.APC`, one per neuron lane.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Value, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ...kinds import Encoding
from .._build import silence_on_error
from ..apc import APC, tree_sum
from .weight_rom import weight_block_layout

__all__ = ["SynapseLanes", "SCSynapseLanes", "FixedSynapseLanes", "synapse_lanes"]


class SynapseLanes(wiring.Component):
    """The lanes of one encoding (base class; :func:`synapse_lanes` picks the subclass).

    Parameters
    ----------
    p_in, p_out:
        ``P_i`` input lanes and ``P_n`` neuron lanes.
    weight_bits:
        ``w``, magnitude bits of a weight entry.
    compare_shift:
        ``log2 L - w`` (from the IR): ``m = |q| << compare_shift``.
    stream_bits:
        ``n = log2 L``: width of a synapse stream value (bits).
    current_bits:
        Width of each signed current accumulator (from the IR's bounds pass).

    Members
    -------
    spikes: In(P_i)
        Input spikes of the block's inputs (bit ``il`` = input ``g*P_i + il``).
    block: In(weight_block_layout(P_i, P_n, w))
        The weight block (the :class:`~.weight_rom.WeightROM`'s output).
    clear: In(1)
        Zero every accumulator (a neuron group starts); wins over ``accumulate``.
    accumulate: In(1)
        Add this cycle's ``delta`` to every accumulator.
    currents: Out(ArrayLayout(signed(current_bits), P_n))
        The accumulators: the current of each neuron lane so far.
    streams: In(ArrayLayout(n, P_i))
        (``"sc"`` only) the synapse stream values of this cycle, stream ``il`` for input lane ``il``.
    """

    @silence_on_error
    def __init__(self, *, p_in: int, p_out: int, weight_bits: int, compare_shift: int, stream_bits: int,
                 current_bits: int) -> None:
        for name, v, lo in (("p_in", p_in, 1), ("p_out", p_out, 1), ("weight_bits", weight_bits, 1),
                            ("compare_shift", compare_shift, 0), ("stream_bits", stream_bits, 1),
                            ("current_bits", current_bits, 2)):
            if not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, not {v!r}")
        self.p_in, self.p_out = p_in, p_out
        self.weight_bits, self.compare_shift = weight_bits, compare_shift
        self.stream_bits, self.current_bits = stream_bits, current_bits
        super().__init__(self._signature_members())

    def _signature_members(self) -> dict:
        return {
            "spikes": In(self.p_in),
            "block": In(weight_block_layout(self.p_in, self.p_out, self.weight_bits)),
            "clear": In(1),
            "accumulate": In(1),
            "currents": Out(data.ArrayLayout(signed(self.current_bits), self.p_out)),
        }

    def threshold(self, nl: int, il: int) -> Value:
        """Comparator threshold ``m = |q| << compare_shift`` of entry ``(nl, il)`` of the block."""
        mag = self.block[nl][il].magnitude
        return Cat(Const(0, self.compare_shift), mag) if self.compare_shift else mag

    def lane_delta(self, m: Module, nl: int) -> Value:
        """This cycle's signed contribution to neuron lane ``nl`` (built by the subclass)."""
        raise NotImplementedError

    def elaborate(self, platform) -> Module:
        m = Module()
        deltas = [self.lane_delta(m, nl) for nl in range(self.p_out)]
        with m.If(self.clear):
            m.d.sync += [self.currents[nl].eq(0) for nl in range(self.p_out)]
        with m.Elif(self.accumulate):
            m.d.sync += [self.currents[nl].eq(self.currents[nl] + deltas[nl]) for nl in range(self.p_out)]
        return m


class SCSynapseLanes(SynapseLanes):
    """Encoding ``"sc"``: comparators against the synapse streams, AND the spikes, one APC per neuron lane."""

    def _signature_members(self) -> dict:
        return {**super()._signature_members(),
                "streams": In(data.ArrayLayout(unsigned(self.stream_bits), self.p_in))}

    def lane_delta(self, m: Module, nl: int) -> Value:
        apc = APC(self.p_in)
        m.submodules[f"apc{nl}"] = apc
        for il in range(self.p_in):
            bit = self.spikes[il] & (self.streams[il] < self.threshold(nl, il))
            neg = self.block[nl][il].negative
            m.d.comb += [apc.pos[il].eq(bit & ~neg), apc.neg[il].eq(bit & neg)]
        return apc.count


class FixedSynapseLanes(SynapseLanes):
    """Encoding ``"fixed"``: the exact sum ``sum s * sign * m`` of the block in one cycle (adder trees)."""

    def lane_delta(self, m: Module, nl: int) -> Value:
        pos, neg = [], []
        for il in range(self.p_in):
            mval = self.threshold(nl, il)
            sgn = self.block[nl][il].negative
            pos.append(Mux(self.spikes[il] & ~sgn, mval, 0))
            neg.append(Mux(self.spikes[il] & sgn, mval, 0))
        return tree_sum(pos) - tree_sum(neg)


# The lanes of each encoding, by encoding.
_LANES = {Encoding.SC: SCSynapseLanes, Encoding.FIXED: FixedSynapseLanes}


def synapse_lanes(encoding: Encoding, **params) -> SynapseLanes:
    """The :class:`SynapseLanes` of ``encoding`` (keyword parameters as :class:`SynapseLanes`)."""
    return _LANES[Encoding(encoding)](**params)

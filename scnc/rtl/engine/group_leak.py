"""Per-neuron-group constants and ``P_n``-wide leak units of the event engine.

The event engine updates the ``P_n`` neurons of a group at once, so every per-neuron constant is read
as one word per group (:class:`GroupTable`) and the leak is ``P_n`` lanes of the same scalar function
the serial leak units compute (:func:`scnc.ref.scalar.sc_leak` / :func:`~scnc.ref.scalar.shift_leak`):

* :class:`GroupSCLeak` (:class:`~scnc.ir.graph.SCLeak`): ``leaked = (v * C + d) >> n`` with ``C = beta_q``.
  Encoding ``"fixed"``: that is the definition (``d`` = the IR's rounding). Encoding ``"sc"``: ``C`` is the
  window count of the beta stream, ``cnt_B(t, beta_q)``, which equals ``beta_q`` because the validator
  admits the event engine only with window-exact beta streams (every window holds each value once);
  ``d = D[t]``, the layer's step-rate dither SNG, as in the dense engine. ``P_n`` multipliers.
* :class:`GroupShiftLeak` (:class:`~scnc.ir.graph.ShiftLeak`): ``leaked = v - (v >> k)``, ``k`` per neuron.

A new leak kind is one class here and one entry in :func:`group_leak`'s table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Module, Shape, ShapeCastable, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ...errors import IRError
from ...ir.graph import SCLeak, ShiftLeak
from ...ir.schedule import cdiv
from ...kinds import Encoding
from .._build import silence_on_error
from .._specs import sng_form
from ..sng import StepSNG
from .tables import unsigned_bits_of

__all__ = ["GroupTable", "GroupLeakParams", "GroupSCLeak", "GroupShiftLeak", "group_leak"]


class GroupTable(wiring.Component):
    """One constant per neuron, read ``P_n`` at a time: a ``depth H`` ROM of group words, or a constant
    when every neuron shares the value.

    Parameters
    ----------
    values:
        int ``(n_out,)``.
    shape:
        Shape of one value.
    p_out:
        ``P_n``: lane ``nl`` of group ``h`` is neuron ``h * P_n + nl`` (0 past ``n_out``).

    Members
    -------
    group: In(range(H))
    en: In(1)
        Read group ``group`` into ``data`` at the next clock edge (a ROM; ignored by a shared constant).
    data: Out(ArrayLayout(shape, P_n))
    """

    @silence_on_error
    def __init__(self, values: np.ndarray, shape: ShapeCastable, p_out: int) -> None:
        self.values = [int(v) for v in np.asarray(values).reshape(-1)]
        if not self.values:
            raise ValueError("a GroupTable needs at least one value")
        self.shape = Shape.cast(shape)
        self.p_out = p_out
        self.groups = cdiv(len(self.values), p_out)
        self.shared = len(set(self.values)) == 1
        self.layout = data.ArrayLayout(self.shape, p_out)
        super().__init__({"group": In(range(max(self.groups, 2))), "en": In(1), "data": Out(self.layout)})

    def words(self) -> list[int]:
        """The ROM words: group ``h`` holds neurons ``h*P_n .. h*P_n + P_n - 1`` (0 past the end)."""
        pad = self.values + [0] * (self.groups * self.p_out - len(self.values))
        return [self.layout.const(pad[h * self.p_out:(h + 1) * self.p_out]).as_bits() for h in range(self.groups)]

    def elaborate(self, platform) -> Module:
        m = Module()
        if self.shared:
            m.d.comb += self.data.eq(self.layout.const([self.values[0]] * self.p_out))
            return m
        rom = Memory(shape=unsigned(self.layout.size), depth=self.groups, init=self.words())
        m.submodules.rom = rom
        rd = rom.read_port()
        m.d.comb += [rd.addr.eq(self.group), rd.en.eq(self.en), self.data.eq(rd.data)]
        return m


@dataclass(frozen=True)
class GroupLeakParams:
    """What a group leak unit needs besides the leak (all from the IR).

    Members
    -------
    encoding:
        The graph's encoding.
    stream_bits:
        ``n = log2 L`` (bits).
    membrane_bits:
        ``M`` (bits).
    n_out, p_out:
        Neurons and neuron lanes ``P_n``.
    t_bits:
        Width of the time-step index (bits).
    where:
        Name of the neuron node (for error messages).
    """

    encoding: Encoding
    stream_bits: int
    membrane_bits: int
    n_out: int
    p_out: int
    t_bits: int
    where: str


def group_leak_signature(p: GroupLeakParams) -> dict:
    """Members of every group leak unit.

    Members
    -------
    v: In(ArrayLayout(signed(M), P_n))
        The stored membranes of the group (0 at a sample's first step).
    leaked: Out(ArrayLayout(signed(M), P_n))
    group: In(range(H)), load: In(1)
        Read the group's constants (used from the next cycle on).
    init: In(1)
        Sample start (step-rate SNGs to index 0).
    t: In(t_bits)
        The time step.
    step_done: In(1)
        The step ends: step-rate SNGs move to ``t + 1``.
    """
    M = p.membrane_bits
    lanes = data.ArrayLayout(signed(M), p.p_out)
    return {"v": In(lanes), "leaked": Out(lanes), "group": In(range(max(cdiv(p.n_out, p.p_out), 2))),
            "load": In(1), "init": In(1), "t": In(max(1, p.t_bits)), "step_done": In(1)}


class GroupSCLeak(wiring.Component):
    """``leaked[nl] = (v[nl] * beta_q[nl] + d) >> n`` for the ``P_n`` lanes (see the module docstring)."""

    @silence_on_error
    def __init__(self, leak: SCLeak, params: GroupLeakParams) -> None:
        self.leak, self.params = leak, params
        self.beta_q = np.asarray(leak.beta_q, dtype=np.int64)
        if self.beta_q.shape != (params.n_out,):
            raise ValueError(f"leak.beta_q has shape {self.beta_q.shape}, params.n_out is {params.n_out}")
        self.stochastic = params.encoding is Encoding.SC
        if self.stochastic:
            self.dither_form = sng_form(leak.dither_sng, kind=None, bits=params.stream_bits, where=params.where,
                                        field="leak.dither_sng")
        super().__init__(group_leak_signature(params))

    def elaborate(self, platform) -> Module:
        m = Module()
        p, n = self.params, self.params.stream_bits
        m.submodules.beta_q = table = GroupTable(self.beta_q, unsigned(n + 1), p.p_out)
        m.d.comb += [table.group.eq(self.group), table.en.eq(self.load)]
        if self.stochastic:
            m.submodules.dither_sng = dither = StepSNG(self.dither_form, p.t_bits)
            m.d.comb += [dither.t.eq(self.t), dither.init.eq(self.init), dither.advance.eq(self.step_done)]
            d = dither.value
        else:
            d = self.leak.rounding
        for nl in range(p.p_out):
            m.d.comb += self.leaked[nl].eq((self.v[nl] * table.data[nl] + d) >> n)
        return m


class GroupShiftLeak(wiring.Component):
    """``leaked[nl] = v[nl] - (v[nl] >> k[nl])`` for the ``P_n`` lanes (a barrel shifter each)."""

    @silence_on_error
    def __init__(self, leak: ShiftLeak, params: GroupLeakParams) -> None:
        self.leak, self.params = leak, params
        self.shift = np.asarray(leak.shift, dtype=np.int64)
        if self.shift.shape != (params.n_out,):
            raise ValueError(f"leak.shift has shape {self.shift.shape}, params.n_out is {params.n_out}")
        super().__init__(group_leak_signature(params))

    def elaborate(self, platform) -> Module:
        m = Module()
        p = self.params
        m.submodules.leak_shift = table = GroupTable(self.shift, unsigned(unsigned_bits_of(self.shift)), p.p_out)
        m.d.comb += [table.group.eq(self.group), table.en.eq(self.load)]
        for nl in range(p.p_out):
            m.d.comb += self.leaked[nl].eq(self.v[nl] - (self.v[nl] >> table.data[nl]))
        return m


# The group unit of each leak type, by type (a new leak kind: one class above, one entry here).
_UNITS = {SCLeak: GroupSCLeak, ShiftLeak: GroupShiftLeak}


def group_leak(leak: SCLeak | ShiftLeak, params: GroupLeakParams) -> wiring.Component:
    """The ``P_n``-wide leak unit of ``leak``'s type.

    Raises
    ------
    IRError
        ``leak`` is of a type with no unit.
    """
    unit = _UNITS.get(type(leak))
    if unit is None:
        raise IRError(params.where, "quant.leak", f"the event engine has no leak unit for a {type(leak).__name__}")
    return unit(leak, params)

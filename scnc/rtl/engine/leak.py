"""Leak units of a LIF layer engine: one component per leak type, chosen by the leak's type.

Every unit has the same signature (:func:`leak_signature`), so the sequencer wires any of them the
same way and a new leak kind is one new class plus one entry in :func:`leak_unit`'s table:

* :class:`SCLeakUnit` (:class:`~scnc.ir.graph.SCLeak`): ``leaked = (v * C + d) >> n``
  (:func:`scnc.ref.scalar.sc_leak`). Encoding ``"sc"``: ``C`` is the count of the beta stream
  ``R_B < beta_q`` over the neuron group's first window (one counter per neuron lane, ``beta_q`` per
  lane from a ``depth H`` ROM read like the weights) and ``d`` the step-rate dither stream ``D[t]``.
  Encoding ``"fixed"``: ``C = beta_q`` (per neuron) and ``d`` the IR's rounding constant.
* :class:`ShiftLeakUnit` (:class:`~scnc.ir.graph.ShiftLeak`): ``leaked = v - (v >> k)``
  (:func:`scnc.ref.scalar.shift_leak`), ``k`` per neuron, a barrel shifter.

``leaked`` is ``membrane_bits`` wide: it lies between 0 and ``v`` (``0 <= C <= L``, ``0 <= d < L``, the
IR validator's ranges; ``v >> k`` lies between ``v`` and 0), so no bit of the exact result is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Array, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ...errors import IRError
from ...ir.graph import SCLeak, ShiftLeak
from ...ir.schedule import cdiv
from ...kinds import Encoding, SNGKind
from .._build import silence_on_error
from .._specs import sng_form
from ..sng import CycleSNG, StepSNG
from .tables import ConstTable, unsigned_bits_of

__all__ = ["LeakParams", "leak_signature", "SCLeakUnit", "ShiftLeakUnit", "leak_unit"]


@dataclass(frozen=True)
class LeakParams:
    """What a leak unit needs besides the leak itself (all from the IR and the layer's plan).

    Members
    -------
    encoding:
        The graph's encoding.
    sng:
        Kind of the cycle-rate streams (``HardwareParams.sng``): the beta stream's kind.
    stream_bits:
        ``n = log2 L`` (bits).
    membrane_bits:
        ``M``: width of the signed membrane (bits).
    n_out:
        Neurons of the layer.
    p_out:
        ``P_n``, neuron lanes.
    t_bits:
        Width of the time-step index (bits).
    where:
        Name of the neuron node (for error messages).
    """

    encoding: Encoding
    sng: SNGKind
    stream_bits: int
    membrane_bits: int
    n_out: int
    p_out: int
    t_bits: int
    where: str

    @property
    def groups_out(self) -> int:
        """``H = ceil(n_out / P_n)`` neuron groups."""
        return cdiv(self.n_out, self.p_out)


def leak_signature(p: LeakParams) -> dict:
    """The members every leak unit has (a unit ignores the controls its leak does not need).

    Members
    -------
    v: In(signed(M))
        Membrane after the previous step (of the neuron being updated).
    leaked: Out(signed(M))
        The leaked membrane (combinational in ``v`` and the unit's state).
    neuron: In(range(n_out))
        Index of the neuron being updated.
    load: In(1)
        Read neuron ``neuron``'s constants; they are used from the next cycle on.
    lane: In(range(P_n))
        Neuron lane of the neuron being updated.
    init: In(1)
        Sample start: the unit's SNGs return to index 0.
    t: In(t_bits)
        The time step (index of step-rate streams).
    k: In(n)
        Cycle within the window (index of cycle-rate streams).
    advance, rewind, commit: In(1)
        Cycle-rate stream controls (as :class:`~scnc.rtl.CycleSNG`).
    group: In(range(H))
        Neuron group to read per-group constants of.
    load_group: In(1)
        Read group ``group``'s constants (used from the next cycle on).
    clear: In(1)
        A neuron group starts: zero the per-lane counts (wins over ``count``).
    count: In(1)
        This cycle is in the group's first window: count it.
    step_done: In(1)
        The time step ends: step-rate streams move to ``t + 1``.
    """
    M = p.membrane_bits
    return {
        "v": In(signed(M)),
        "leaked": Out(signed(M)),
        "neuron": In(range(max(p.n_out, 2))),
        "load": In(1),
        "lane": In(range(max(p.p_out, 2))),
        "init": In(1),
        "t": In(max(1, p.t_bits)),
        "k": In(max(1, p.stream_bits)),
        "advance": In(1),
        "rewind": In(1),
        "commit": In(1),
        "group": In(range(max(p.groups_out, 2))),
        "load_group": In(1),
        "clear": In(1),
        "count": In(1),
        "step_done": In(1),
    }


class SCLeakUnit(wiring.Component):
    """Leak ``v * beta`` with beta an SC value: ``leaked = (v * C + d) >> n`` (one multiplier).

    Parameters
    ----------
    leak:
        The layer's :class:`~scnc.ir.graph.SCLeak`.
    params:
        :class:`LeakParams`.

    Members
    -------
    See :func:`leak_signature`. Encoding ``"sc"`` uses every control: the beta stream follows the
    synapse streams' ``k``/``advance``/``rewind``/``commit``, the per-lane counts are cleared by
    ``clear`` and count ``R_B < beta_q`` while ``count``; ``group``/``load_group`` read the group's
    ``beta_q`` word (``P_n`` fields of ``n + 1`` bits, lane ``nl`` at bits ``[nl*(n+1), (nl+1)*(n+1))``);
    ``C`` is lane ``lane``'s count; the dither ``d = D[t]`` advances on ``step_done``. Encoding
    ``"fixed"`` reads ``C = beta_q`` of neuron ``neuron`` (``load``) and uses ``d = rounding``.
    """

    @silence_on_error
    def __init__(self, leak: SCLeak, params: LeakParams) -> None:
        self.leak, self.params = leak, params
        n = params.stream_bits
        self.beta_q = np.asarray(leak.beta_q, dtype=np.int64)
        if self.beta_q.shape != (params.n_out,):
            raise ValueError(f"leak.beta_q has shape {self.beta_q.shape}, params.n_out is {params.n_out}")
        self.stochastic = params.encoding is Encoding.SC
        if self.stochastic:
            self.beta_form = sng_form(leak.beta_sng, kind=params.sng, bits=n, where=params.where,
                                      field="leak.beta_sng")
            self.dither_form = sng_form(leak.dither_sng, kind=None, bits=n, where=params.where,
                                        field="leak.dither_sng")
        super().__init__(leak_signature(params))

    def beta_words(self) -> list[int]:
        """ROM words of ``beta_q`` per neuron group (``"sc"``): lane ``nl`` of group ``h`` is neuron ``h*P_n + nl``."""
        p, n = self.params, self.params.stream_bits
        bq = np.zeros(p.groups_out * p.p_out, dtype=np.int64)
        bq[: p.n_out] = self.beta_q
        layout = data.ArrayLayout(unsigned(n + 1), p.p_out)
        return [layout.const(bq[h * p.p_out : (h + 1) * p.p_out].tolist()).as_bits() for h in range(p.groups_out)]

    def elaborate(self, platform) -> Module:
        m = Module()
        p, n = self.params, self.params.stream_bits
        if self.stochastic:
            beta = CycleSNG(self.beta_form)
            m.submodules.beta_sng = beta
            m.d.comb += [beta.k.eq(self.k), beta.init.eq(self.init), beta.advance.eq(self.advance),
                         beta.rewind.eq(self.rewind), beta.commit.eq(self.commit)]
            lanes = data.ArrayLayout(unsigned(n + 1), p.p_out)
            rom = Memory(shape=unsigned(lanes.size), depth=p.groups_out, init=self.beta_words())
            m.submodules.beta_q = rom
            rd = rom.read_port()
            m.d.comb += [rd.addr.eq(self.group), rd.en.eq(self.load_group)]
            beta_q = data.View(lanes, rd.data)
            counts = [Signal(n + 1, name=f"beta_cnt{nl}") for nl in range(p.p_out)]
            with m.If(self.clear):
                m.d.sync += [c.eq(0) for c in counts]
            with m.Elif(self.count):
                m.d.sync += [c.eq(c + (beta.value < beta_q[nl])) for nl, c in enumerate(counts)]
            dither = StepSNG(self.dither_form, p.t_bits)
            m.submodules.dither_sng = dither
            m.d.comb += [dither.t.eq(self.t), dither.init.eq(self.init), dither.advance.eq(self.step_done)]
            c, d = Array(counts)[self.lane], dither.value
        else:
            table = ConstTable(self.beta_q, unsigned(n + 1))
            m.submodules.beta_q = table
            m.d.comb += [table.addr.eq(self.neuron), table.en.eq(self.load)]
            c, d = table.data, self.leak.rounding
        m.d.comb += self.leaked.eq((self.v * c + d) >> n)
        return m


class ShiftLeakUnit(wiring.Component):
    """Leak ``beta = 1 - 2^-k``: ``leaked = v - (v >> k)`` with ``k`` per neuron (a barrel shifter).

    Members
    -------
    See :func:`leak_signature`; only ``v``, ``leaked``, ``neuron`` and ``load`` are used.
    """

    @silence_on_error
    def __init__(self, leak: ShiftLeak, params: LeakParams) -> None:
        self.leak, self.params = leak, params
        self.shift = np.asarray(leak.shift, dtype=np.int64)
        if self.shift.shape != (params.n_out,):
            raise ValueError(f"leak.shift has shape {self.shift.shape}, params.n_out is {params.n_out}")
        super().__init__(leak_signature(params))

    def elaborate(self, platform) -> Module:
        m = Module()
        table = ConstTable(self.shift, unsigned(unsigned_bits_of(self.shift)))
        m.submodules.leak_shift = table
        m.d.comb += [table.addr.eq(self.neuron), table.en.eq(self.load)]
        m.d.comb += self.leaked.eq(self.v - (self.v >> table.data))
        return m


# The unit of each leak type, by type (a new leak kind: one class above, one entry here).
_UNITS = {SCLeak: SCLeakUnit, ShiftLeak: ShiftLeakUnit}


def leak_unit(leak: SCLeak | ShiftLeak, params: LeakParams) -> wiring.Component:
    """The leak unit of ``leak``'s type, built for ``params``.

    Raises
    ------
    IRError
        ``leak`` is of a type with no unit.
    """
    unit = _UNITS.get(type(leak))
    if unit is None:
        raise IRError(params.where, "quant.leak", f"scnc.rtl has no leak unit for a {type(leak).__name__}")
    return unit(leak, params)

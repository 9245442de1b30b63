"""Stochastic-number generators in gateware (the :mod:`scnc.sc` kinds, see docs/hardware.md §1).

* :func:`index_value` -- the value of a stateless SNG (vdc, sobol) at an index signal: pure wiring
  (a bit reversal) or an XOR of direction numbers; no registers.
* :func:`lfsr_value` / :func:`lfsr_next` -- an LFSR's value and next state as expressions of a state.
* :class:`CycleSNG` -- a cycle-rate stream: value ``R[t*L + k]``. A stateless kind is a function of the
  window cycle ``k`` (``t*L + k mod L == k``); an LFSR keeps a live state and a saved window-start state
  so that every block of a time step can replay the same window (``rewind``), and ``commit`` moves
  the saved state on to the next window at the end of a step.
* :class:`StepSNG` -- a step-rate stream (the leak dither): value ``R[t]``.
"""

from __future__ import annotations

from functools import reduce

from amaranth.hdl import Cat, Const, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..kinds import SNGKind
from ._specs import SNGForm

__all__ = ["index_value", "lfsr_value", "lfsr_next", "CycleSNG", "StepSNG"]


def index_value(form: SNGForm, index: Value) -> Value:
    """Value of a vdc or sobol SNG at ``index mod 2^bits`` (an expression, ``form.bits`` wide)."""
    n = form.bits
    k = index[:n]
    if form.kind is SNGKind.VDC:
        raw = Cat(*(k[n - 1 - b] for b in range(n)))
    elif form.kind is SNGKind.SOBOL:
        terms = [k[b].replicate(n) & Const(form.directions[b], n) for b in range(n)]
        raw = reduce(lambda a, b: a ^ b, terms)
    else:
        raise ValueError(f"index_value needs a vdc or sobol SNG, not {form.kind!r}")
    return (raw ^ Const(form.xor_mask, n))[:n]


def lfsr_value(form: SNGForm, state: Value) -> Value:
    """The ``form.bits``-bit value an LFSR in ``state`` produces: bit ``b`` is state bit ``select[b]``."""
    return Cat(*(state[s] for s in form.select))


def lfsr_next(form: SNGForm, state: Value) -> Value:
    """The next LFSR state: ``((state << 1) | XOR of tapped bits) mod 2^width``."""
    taps = [state[b] for b in range(form.width) if (form.tap_mask >> b) & 1]
    fb = reduce(lambda a, b: a ^ b, taps)
    if form.width == 1:
        return fb
    return Cat(fb, state[: form.width - 1])


class CycleSNG(wiring.Component):
    """A cycle-rate SNG stream over the windows of a sample.

    Parameters
    ----------
    form:
        The stream's SNG (its ``bits`` is ``log2 L``).

    Members
    -------
    k: In(bits)
        Cycle within the window (used by vdc and sobol only).
    init: In(1)
        Sample start: the stream returns to index 0 (LFSR: live and saved state <- seed).
    advance: In(1)
        The current cycle's value has been used; move to the next index.
    rewind: In(1)
        Block end: return to the index the window started at.
    commit: In(1)
        Step end: move to the next index, and make it the new window start.
    value: Out(bits)
        The stream's value at the current index (combinational).
    """

    def __init__(self, form: SNGForm) -> None:
        self.form = form
        super().__init__(
            {
                "k": In(form.bits),
                "init": In(1),
                "advance": In(1),
                "rewind": In(1),
                "commit": In(1),
                "value": Out(form.bits),
            }
        )

    def elaborate(self, platform) -> Module:
        m = Module()
        f = self.form
        if not f.stateful:
            m.d.comb += self.value.eq(index_value(f, self.k))
            return m
        live = Signal(f.width, init=f.seed)
        saved = Signal(f.width, init=f.seed)
        nxt = lfsr_next(f, live)
        m.d.comb += self.value.eq(lfsr_value(f, live))
        with m.If(self.init):
            m.d.sync += [live.eq(f.seed), saved.eq(f.seed)]
        with m.Elif(self.commit):
            m.d.sync += [live.eq(nxt), saved.eq(nxt)]
        with m.Elif(self.rewind):
            m.d.sync += live.eq(saved)
        with m.Elif(self.advance):
            m.d.sync += live.eq(nxt)
        return m


class StepSNG(wiring.Component):
    """A step-rate SNG stream: value ``R[t]`` at time step ``t`` of the sample.

    Members
    -------
    t: In(t_bits)
        The time step (used by vdc and sobol only).
    init: In(1)
        Sample start (LFSR: state <- seed).
    advance: In(1)
        Step end: move to index ``t + 1`` (LFSR only).
    value: Out(bits)
    """

    def __init__(self, form: SNGForm, t_bits: int) -> None:
        self.form = form
        super().__init__({"t": In(max(1, t_bits)), "init": In(1), "advance": In(1), "value": Out(form.bits)})

    def elaborate(self, platform) -> Module:
        m = Module()
        f = self.form
        if not f.stateful:
            n = f.bits
            t = self.t if len(self.t) >= n else Cat(self.t, Const(0, n - len(self.t)))
            m.d.comb += self.value.eq(index_value(f, t))
            return m
        state = Signal(f.width, init=f.seed)
        m.d.comb += self.value.eq(lfsr_value(f, state))
        with m.If(self.init):
            m.d.sync += state.eq(f.seed)
        with m.Elif(self.advance):
            m.d.sync += state.eq(lfsr_next(f, state))
        return m

"""Stochastic-number generators in gateware (the :mod:`scnc.sc` kinds, see docs/hardware.md §1).

One SNG gateware serves every stream of the core. An SNG is its *constants* (a vdc mask, sobol
direction numbers, an LFSR's seed, taps and bit selects) and, for an LFSR, a *state*; the value
logic is three functions of those:

* :func:`sng_layout` / :func:`sng_constants` -- the constants of one SNG as a bit layout and as a
  :class:`amaranth.lib.data.Const` of that layout;
* :func:`index_value` -- the value of a stateless SNG (vdc, sobol) at an index: a bit reversal or an
  XOR of direction numbers, XOR the mask; no registers;
* :func:`lfsr_value` / :func:`lfsr_next` -- an LFSR's value and next state as expressions of a state.

The functions take the constants either as a ``data.Const`` (one fixed SNG: its fields are Python
ints, so the logic is static wiring, as in :class:`CycleSNG` and :class:`StepSNG`) or as a
``data.View`` over a signal of the same layout (one SNG per input read from a ROM word, as in
:class:`~scnc.rtl.InputEncoder`): the same function builds both.

* :class:`CycleSNG` -- a cycle-rate stream: value ``R[t*L + k]``. A stateless kind is a function of
  the window cycle ``k`` (``t*L + k mod L == k``); an LFSR keeps a live state and a saved window-start
  state so that every block of a time step can replay the same window (``rewind``), and ``commit``
  moves the saved state on to the next window at the end of a step.
* :class:`StepSNG` -- a step-rate stream (the leak dither): value ``R[t]``.
"""

from __future__ import annotations

from functools import reduce

from amaranth.hdl import Cat, Const, Module, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..kinds import SNGKind
from ._specs import SNGForm

__all__ = [
    "sng_layout",
    "sng_constants",
    "index_value",
    "lfsr_value",
    "lfsr_next",
    "CycleSNG",
    "StepSNG",
]

def _select_bits(width: int) -> int:
    """Width of an LFSR bit-select field: enough to name state bits ``0..width-1`` (at least 1 bit)."""
    return max(1, (width - 1).bit_length())


def sng_layout(kind: SNGKind, bits: int, width: int = 0) -> data.StructLayout:
    """The constants of one ``kind`` SNG of ``bits``-bit values, as a layout (fields LSB first).

    ::

        vdc:    | xor_mask : bits |
        sobol:  | directions[0] : bits | ... | directions[bits-1] : bits | xor_mask : bits |
        lfsr:   | seed : W | taps : W | width_mask : W | select[0] : S | ... | select[bits-1] : S |

    ``W = width`` (the widest LFSR sharing the layout), ``S = ceil(log2 W)`` (at least 1). ``taps`` is
    the tap mask (bit ``t-1`` for tap ``t``), ``width_mask`` is ``2^w - 1`` for the SNG's own width
    ``w <= W`` (a narrower LFSR in a wider state register), ``select[b]`` names the state bit that
    becomes value bit ``b``.

    Parameters
    ----------
    kind:
        The SNG kind.
    bits:
        Width of the generated value (bits).
    width:
        LFSR state width W (bits); ignored for vdc and sobol.
    """
    kind = SNGKind(kind)
    if kind is SNGKind.VDC:
        return data.StructLayout({"xor_mask": unsigned(bits)})
    if kind is SNGKind.SOBOL:
        return data.StructLayout({"directions": data.ArrayLayout(unsigned(bits), bits), "xor_mask": unsigned(bits)})
    if width < 1:
        raise ValueError(f"an LFSR layout needs a state width >= 1, not {width!r}")
    return data.StructLayout(
        {
            "seed": unsigned(width),
            "taps": unsigned(width),
            "width_mask": unsigned(width),
            "select": data.ArrayLayout(unsigned(_select_bits(width)), bits),
        }
    )


def sng_constants(form: SNGForm, layout: data.StructLayout | None = None) -> data.Const:
    """The constants of ``form`` as a ``data.Const`` of ``layout`` (default: ``form``'s own layout).

    ``layout`` may be wider than the form needs (an LFSR layout of a larger ``W``): that is how SNGs
    of different widths share one ROM word format.
    """
    if layout is None:
        layout = sng_layout(form.kind, form.bits, form.width)
    if form.kind is SNGKind.VDC:
        return layout.const({"xor_mask": form.xor_mask})
    if form.kind is SNGKind.SOBOL:
        return layout.const({"directions": list(form.directions), "xor_mask": form.xor_mask})
    return layout.const(
        {
            "seed": form.seed,
            "taps": form.tap_mask,
            "width_mask": (1 << form.width) - 1,
            "select": list(form.select),
        }
    )


def _vdc(consts, k: Value, n: int) -> Value:
    return Cat(*(k[n - 1 - b] for b in range(n)))


def _sobol(consts, k: Value, n: int) -> Value:
    terms = [k[b].replicate(n) & consts.directions[b] for b in range(n)]
    return reduce(lambda a, b: a ^ b, terms)


# The stateless kinds, by kind: the raw value (before the mask) at window index k.
_STATELESS = {SNGKind.VDC: _vdc, SNGKind.SOBOL: _sobol}


def index_value(kind: SNGKind, consts, index: Value, bits: int) -> Value:
    """Value of a vdc or sobol SNG at ``index mod 2^bits`` (an expression, ``bits`` wide).

    Parameters
    ----------
    kind:
        ``SNGKind.VDC`` or ``SNGKind.SOBOL``.
    consts:
        The SNG's constants (:func:`sng_layout` of ``kind``): a ``data.Const`` or a ``data.View``.
    index:
        The stream index; only its low ``bits`` bits are used (a window of ``L = 2^bits``).
    bits:
        Width of the value (bits).
    """
    raw_of = _STATELESS.get(SNGKind(kind))
    if raw_of is None:
        raise ValueError(f"index_value needs a vdc or sobol SNG, not {kind!r}")
    k = Value.cast(index)
    if len(k) < bits:
        k = Cat(k, Const(0, bits - len(k)))
    raw = raw_of(consts, k[:bits], bits)
    return (raw ^ consts.xor_mask)[:bits]


def lfsr_value(consts, state: Value, bits: int) -> Value:
    """The ``bits``-bit value an LFSR in ``state`` produces: bit ``b`` is state bit ``select[b]``."""
    sel = consts.select
    return Cat(*(state[s] if isinstance(s, int) else state.bit_select(s, 1) for s in (sel[b] for b in range(bits))))


def lfsr_next(consts, state: Value) -> Value:
    """The next LFSR state: ``((state << 1) | XOR of tapped bits) & width_mask`` (``len(state)`` bits)."""
    W = len(state)
    taps = consts.taps
    if isinstance(taps, int):  # a fixed LFSR: XOR the tapped bits (wiring)
        fb = reduce(lambda a, b: a ^ b, [state[b] for b in range(W) if (taps >> b) & 1])
    else:
        fb = (state & taps).xor()
    nxt = fb if W == 1 else Cat(fb, state[: W - 1])
    mask = consts.width_mask
    if isinstance(mask, int) and mask == (1 << W) - 1:
        return nxt  # the LFSR fills the register: nothing to mask
    return nxt & mask


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
        consts = sng_constants(f)
        if not f.stateful:
            m.d.comb += self.value.eq(index_value(f.kind, consts, self.k, f.bits))
            return m
        live = Signal(f.width, init=f.seed)
        saved = Signal(f.width, init=f.seed)
        nxt = lfsr_next(consts, live)
        m.d.comb += self.value.eq(lfsr_value(consts, live, f.bits))
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
        consts = sng_constants(f)
        if not f.stateful:
            m.d.comb += self.value.eq(index_value(f.kind, consts, self.t, f.bits))
            return m
        state = Signal(f.width, init=f.seed)
        m.d.comb += self.value.eq(lfsr_value(consts, state, f.bits))
        with m.If(self.init):
            m.d.sync += state.eq(f.seed)
        with m.Elif(self.advance):
            m.d.sync += state.eq(lfsr_next(consts, state))
        return m

"""The LIF update of one neuron: integrate, saturate, fire, reset (combinational).

::

    v_pre     = leaked + current + bias                       exact (widths grow)
              - threshold * [old >= threshold]  (reset "subtract_delayed" only; ``old`` is the
                                                 stored membrane ``leaked`` came from)
    v_sat     = clamp(v_pre, -2^(M-1), 2^(M-1) - 1)           saturated = [v_pre was clamped]
    spike     = [v_sat >= threshold]
    v_new     = v_sat - threshold * spike     (reset "subtract")
              = v_sat * (1 - spike)           (reset "zero")
              = v_sat                         (reset "subtract_delayed": stored un-reset)

This is :func:`scnc.ref.scalar.lif_update` (docs/hardware.md §3); ``v_new`` is what the engine
writes back and reports in the trace beat.
"""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Shape, ShapeCastable, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ...kinds import ResetMode

from .._build import silence_on_error

__all__ = ["LIFUpdate", "PipelinedLIFUpdate", "saturate", "delayed_reset"]


def _reset_subtract(v_sat: Value, spike: Value, threshold: Value) -> Value:
    return v_sat - Mux(spike, threshold, 0)


def _reset_zero(v_sat: Value, spike: Value, threshold: Value) -> Value:
    return Mux(spike, 0, v_sat)


def _reset_none(v_sat: Value, spike: Value, threshold: Value) -> Value:
    return v_sat


# The membrane after a reset, by reset mode.
_RESETS = {ResetMode.SUBTRACT: _reset_subtract, ResetMode.ZERO: _reset_zero, ResetMode.SUBTRACT_DELAYED: _reset_none}

# The modes whose update also reads the stored (pre-leak) membrane ``old``: the delayed subtract
# takes the previous step's reset off ``v_pre`` when ``old >= threshold`` (``old`` is the stored,
# un-reset membrane, so the comparison is the previous step's spike and no extra state is kept).
# Only these modes get the ``old`` port, so the others' gateware is unchanged.
_NEEDS_OLD = frozenset({ResetMode.SUBTRACT_DELAYED})


class LIFUpdate(wiring.Component):
    """One neuron's update from its leaked membrane, its current and its constants.

    Parameters
    ----------
    membrane_bits:
        ``M``: the membrane is a signed M-bit register (from the IR's bounds pass).
    current_bits:
        Width of the signed current (bits).
    bias_shape, threshold_shape:
        Shapes of the bias (signed) and threshold (unsigned) values fed in.
    reset:
        :class:`~scnc.kinds.ResetMode`.

    Members
    -------
    leaked: In(signed(M))
        The membrane after the leak.
    current: In(signed(current_bits))
        The step's synaptic current.
    bias: In(bias_shape)
    threshold: In(threshold_shape)
    old: In(signed(M))
        Only for ``ResetMode.SUBTRACT_DELAYED``: the stored membrane before the leak.
    v_new: Out(signed(M))
        The membrane after saturation and reset (written back, and reported in the trace beat).
    spike: Out(1)
    saturated: Out(1)
        ``v_pre`` was outside the membrane range and was clamped.
    """

    @property
    def reads_old(self) -> bool:
        """Whether this reset mode reads the stored membrane (the ``old`` port exists)."""
        return self.reset in _NEEDS_OLD

    @silence_on_error
    def __init__(self, *, membrane_bits: int, current_bits: int, bias_shape: ShapeCastable,
                 threshold_shape: ShapeCastable, reset: ResetMode) -> None:
        if not isinstance(membrane_bits, int) or membrane_bits < 2:
            raise ValueError(f"membrane_bits must be an int >= 2, not {membrane_bits!r}")
        self.membrane_bits = membrane_bits
        self.reset = ResetMode(reset)
        members = {
            "leaked": In(signed(membrane_bits)),
            "current": In(signed(current_bits)),
            "bias": In(Shape.cast(bias_shape)),
            "threshold": In(Shape.cast(threshold_shape)),
            "v_new": Out(signed(membrane_bits)),
            "spike": Out(1),
            "saturated": Out(1),
        }
        if self.reads_old:
            members["old"] = In(signed(membrane_bits))
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        M = self.membrane_bits
        v_pre_e = self.leaked + self.current + self.bias
        if self.reads_old:
            v_pre_e = v_pre_e - delayed_reset(self.old, self.threshold)
        v_pre = Signal(v_pre_e.shape())
        m.d.comb += v_pre.eq(v_pre_e)
        v_sat = Signal(signed(M))
        sat_value, saturated = saturate(v_pre, M)
        m.d.comb += [v_sat.eq(sat_value), self.saturated.eq(saturated)]
        m.d.comb += self.spike.eq(v_sat >= self.threshold)
        m.d.comb += self.v_new.eq(_RESETS[self.reset](v_sat, self.spike, self.threshold))
        return m


# ---- the pieces of the update, shared by the combinational and the pipelined unit ---------------

def delayed_reset(old: Value, threshold: Value) -> Value:
    """The previous step's reset that ``"subtract_delayed"`` takes off ``v_pre``: ``threshold * [old >= threshold]``."""
    return Mux(old >= threshold, threshold, 0)


def saturate(v_pre: Value, membrane_bits: int) -> tuple[Value, Value]:
    """``(clamp(v_pre, -2^(M-1), 2^(M-1) - 1), [v_pre was clamped])``."""
    vmin, vmax = -(1 << (membrane_bits - 1)), (1 << (membrane_bits - 1)) - 1
    over = v_pre > vmax
    under = v_pre < vmin
    return Mux(over, vmax, Mux(under, vmin, v_pre)), over | under


class PipelinedLIFUpdate(wiring.Component):
    """:class:`LIFUpdate` with a register after the clamp: two stages (the event engine's update).

    The arithmetic is :class:`LIFUpdate`'s, term for term (the same :func:`saturate`,
    :func:`delayed_reset` and reset functions); only registers are added::

        S2 (inputs):  v_pre = leaked + current + bias [- delayed reset]; clamp          -> registers
        S3 (outputs): spike = [v_sat >= threshold]; v_new = reset(v_sat)                (combinational)

    The outputs are :class:`LIFUpdate`'s on the inputs presented ``STAGES - 1`` advancing edges before.
    The cut separates the leak -> three-input add -> clamp chain from compare -> subtract -> write-back.
    (A third register stage after the leak was measured too, on W-digits' SC P 8x8 board build and an
    otherwise equal engine: 208 more flip-flops and 29.8 MHz against 30.1 MHz -- the critical path is
    in the address queue, docs/rtl.md.)

    Parameters
    ----------
    membrane_bits, current_bits, bias_shape, threshold_shape, reset:
        As :class:`LIFUpdate`.
    const_bias, const_threshold:
        The bias / threshold when every neuron shares it: a constant, so no port (and, for the
        threshold, no register; ``None``: per-neuron, the threshold is registered with its neuron).

    Members
    -------
    leaked, current, bias, threshold[, old]: In
        As :class:`LIFUpdate` (``bias`` / ``threshold`` only without the constant).
    advance: In(1)
        The registers take their stage's value at this clock edge (0: the pipeline holds).
    v_new, spike, saturated: Out
        As :class:`LIFUpdate` (S3's outputs).
    """

    #: Stages from the inputs to the outputs: the outputs are the inputs' update ``STAGES - 1``
    #: advancing edges later.
    STAGES = 2

    reads_old = LIFUpdate.reads_old

    @silence_on_error
    def __init__(self, *, membrane_bits: int, current_bits: int, bias_shape: ShapeCastable,
                 threshold_shape: ShapeCastable, reset: ResetMode, const_bias: int | None = None,
                 const_threshold: int | None = None) -> None:
        if not isinstance(membrane_bits, int) or membrane_bits < 2:
            raise ValueError(f"membrane_bits must be an int >= 2, not {membrane_bits!r}")
        if const_bias is not None and not isinstance(const_bias, int):
            raise ValueError(f"const_bias must be None or an int, not {const_bias!r}")
        if const_threshold is not None and (not isinstance(const_threshold, int) or const_threshold < 0):
            raise ValueError(f"const_threshold must be None or an int >= 0, not {const_threshold!r}")
        self.membrane_bits = membrane_bits
        self.current_bits = current_bits
        self.bias_shape, self.threshold_shape = Shape.cast(bias_shape), Shape.cast(threshold_shape)
        self.reset = ResetMode(reset)
        self.const_bias, self.const_threshold = const_bias, const_threshold
        members = {
            "leaked": In(signed(membrane_bits)),
            "current": In(signed(current_bits)),
            "advance": In(1),
            "v_new": Out(signed(membrane_bits)),
            "spike": Out(1),
            "saturated": Out(1),
        }
        if const_bias is None:
            members["bias"] = In(self.bias_shape)
        if const_threshold is None:
            members["threshold"] = In(self.threshold_shape)
        if self.reads_old:
            members["old"] = In(signed(membrane_bits))
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        M = self.membrane_bits
        bias = Const(self.const_bias, self.bias_shape) if self.const_bias is not None else self.bias
        # the data registers have no reset (only the engine's valid bits do): iCE40 logic cells share
        # their set/reset line per block, so reset-less registers pack next to any LUT
        regs = []
        if self.const_threshold is None:  # a per-neuron threshold travels with its neuron
            thr, thr3 = self.threshold, Signal(self.threshold_shape, reset_less=True)
            regs.append(thr3.eq(thr))
        else:
            thr = thr3 = Const(self.const_threshold, self.threshold_shape)
        # S2: v_pre and its clamp
        v_pre_e = self.leaked + self.current + bias
        if self.reads_old:
            v_pre_e = v_pre_e - delayed_reset(self.old, thr)
        v_pre = Signal(v_pre_e.shape())
        m.d.comb += v_pre.eq(v_pre_e)
        sat_value, saturated = saturate(v_pre, M)
        v_sat3 = Signal(signed(M), reset_less=True)
        sat3 = Signal(reset_less=True)
        regs += [v_sat3.eq(sat_value), sat3.eq(saturated)]
        with m.If(self.advance):
            m.d.sync += regs
        # S3: fire and reset (combinational, read in the cycle the engine writes back)
        m.d.comb += [self.spike.eq(v_sat3 >= thr3), self.saturated.eq(sat3)]
        m.d.comb += self.v_new.eq(_RESETS[self.reset](v_sat3, self.spike, thr3))
        return m

"""The arithmetic of one dense LIF layer, one neuron at a time, in plain Python integers.

These functions are ``docs/hardware.md`` §3 written per neuron (and per block window of the
engine), with unbounded Python integers. They are the one scalar statement of the arithmetic that
both backends are tested against: ``tests/test_ref_scalar.py`` checks that the Numba kernels of
:mod:`scnc.ref._kernels` compute exactly these on random values, and ``tests/test_rtl_engine.py``
checks each gateware component of :mod:`scnc.rtl.engine` against the same functions.

Units: membranes, currents, biases and thresholds are accumulator units; ``n_bits = log2 L``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..kinds import ResetMode

__all__ = [
    "window_count",
    "lane_window_current",
    "fixed_block_current",
    "sc_leak",
    "shift_leak",
    "LIFStep",
    "lif_update",
]


def window_count(values: Sequence[int], m: int) -> int:
    """``cnt = sum_k [R[k] < m]``: the ones a comparator with threshold ``m`` emits over a window.

    Parameters
    ----------
    values:
        The stream's values ``R[k]`` over the window (``L`` of them for a full window).
    m:
        Comparator threshold (``|q| << compare_shift``, or ``beta_q`` for the beta stream).
    """
    return sum(1 for r in values if r < m)


def lane_window_current(
    spikes: Sequence[int], signs: Sequence[int], thresholds: Sequence[int], windows: Sequence[Sequence[int]]
) -> int:
    """The current one neuron lane accumulates over one block window (encoding ``"sc"``).

    ``sum_l s_l * sign_l * cnt_{R_l}(m_l)`` over the block's input lanes ``l``: input lane ``l`` carries
    input spike ``s_l``, the weight sign ``sign_l`` in {-1, 0, 1} and comparator threshold ``m_l`` of
    its synapse to this neuron, and compares synapse stream ``l``'s window ``windows[l]``.
    """
    return sum(s * sg * window_count(w, m) for s, sg, m, w in zip(spikes, signs, thresholds, windows, strict=True))


def fixed_block_current(spikes: Sequence[int], signs: Sequence[int], thresholds: Sequence[int]) -> int:
    """The current one neuron lane accumulates from one block (encoding ``"fixed"``): ``sum s * sign * m``."""
    return sum(s * sg * m for s, sg, m in zip(spikes, signs, thresholds, strict=True))


def sc_leak(v: int, count: int, dither: int, n_bits: int) -> int:
    """Leak ``"sc"``: ``(v * C + d) >> n``, i.e. ``floor((v * C + d) / L)``.

    Parameters
    ----------
    v:
        Membrane after the previous step.
    count:
        ``C``: the beta stream's window count (encoding ``"sc"``) or ``beta_q`` (``"fixed"``), 0..L.
    dither:
        ``d``: the dither stream's value at this step (``"sc"``) or the IR's rounding constant, 0..L-1.
    n_bits:
        ``n = log2 L``.
    """
    return (v * count + dither) >> n_bits


def shift_leak(v: int, shift: int) -> int:
    """Leak ``"shift"``: ``v - (v >> k)`` (beta = 1 - 2^-k, exact; ``>>`` is a floor shift)."""
    return v - (v >> shift)


@dataclass(frozen=True)
class LIFStep:
    """The outcome of one neuron's update.

    Members
    -------
    membrane:
        ``v`` after saturation and reset (what the trace port reports).
    spike:
        1 if the neuron fired, else 0.
    saturated:
        True if ``v_pre`` was clamped to the membrane range.
    """

    membrane: int
    spike: int
    saturated: bool


def lif_update(
    leaked: int, current: int, bias: int, threshold: int, membrane_bits: int, reset: ResetMode,
    old: int | None = None,
) -> LIFStep:
    """Integrate, saturate, fire and reset one neuron (``docs/hardware.md`` §3).

    ``v_pre = leaked + current + bias``, clamped to the signed ``membrane_bits`` range; fire when
    ``v_sat >= threshold``; ``reset`` subtracts the threshold or sets the membrane to zero on a spike.
    With ``ResetMode.SUBTRACT_DELAYED`` the threshold is subtracted from ``v_pre`` *before* the clamp
    when the stored membrane ``old`` (the one ``leaked`` came from) is ``>= threshold``, and
    ``v_sat`` is stored without a reset.

    Raises
    ------
    ValueError
        ``SUBTRACT_DELAYED`` without ``old``.
    """
    mode = ResetMode(reset)
    vmin, vmax = -(1 << (membrane_bits - 1)), (1 << (membrane_bits - 1)) - 1
    v = leaked + current + bias
    if mode is ResetMode.SUBTRACT_DELAYED:
        if old is None:
            raise ValueError("lif_update: the delayed subtract reset needs the old membrane (old=)")
        if old >= threshold:
            v -= threshold
    saturated = not vmin <= v <= vmax
    v = min(max(v, vmin), vmax)
    spike = int(v >= threshold)
    if spike and mode is not ResetMode.SUBTRACT_DELAYED:
        v = 0 if mode is ResetMode.ZERO else v - threshold
    return LIFStep(membrane=v, spike=spike, saturated=saturated)

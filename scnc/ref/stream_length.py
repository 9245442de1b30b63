"""Right-sized stream length: the shortest ``L`` (and weight bits) whose hardware accuracy is close to float.

The cost of the SC hardware grows with ``L`` (the dense engine's cycles are proportional to it, the
comparators and counters are ``log2 L`` bits wide), while ``docs/accuracy.md`` measures SC accuracy at
``L = 8`` equal to float on the digits. :func:`choose_stream_length` tries the candidates from the
cheapest up -- ``L`` ascending, and for each ``L`` the weight bits ascending -- quantizes the float graph
with each, measures the bit-exact hardware accuracy (:func:`scnc.ref.accuracy`) on a calibration split
the network was not trained on, and takes the first within ``tolerance`` of the float accuracy on the
same split. Every candidate tried is returned, so the caller can print the table it chose from.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ConfigError
from ..ir import QuantOptions, quantize
from .model import accuracy

__all__ = ["STREAM_LENGTHS", "LengthTrial", "LengthChoice", "choose_stream_length", "format_choice",
           "calibration_split"]

#: The stream lengths ``auto`` chooses from (cycles per window), shortest first.
STREAM_LENGTHS: tuple[int, ...] = (8, 16, 32, 64)
#: Weight magnitude bits tried for each ``L`` (those <= log2 L), fewest first.
WEIGHT_BITS: tuple[int, ...] = (3, 4, 5, 6)


@dataclass(frozen=True)
class LengthTrial:
    """One candidate: its stream length ``L`` (cycles), weight bits, and hardware accuracy (fraction)."""

    stream_length: int
    weight_bits: int
    accuracy: float
    within: bool


@dataclass(frozen=True)
class LengthChoice:
    """What :func:`choose_stream_length` decided.

    Members
    -------
    options:
        The chosen :class:`~scnc.ir.QuantOptions` (the input options with ``stream_length`` and
        ``weight_bits`` set).
    chosen:
        The chosen trial.
    trials:
        Every candidate tried, in the order tried.
    float_accuracy:
        Float accuracy on the calibration split (fraction).
    tolerance:
        The allowed loss (fraction; 0.003 = 0.3 points).
    samples:
        Size of the calibration split.
    """

    options: QuantOptions
    chosen: LengthTrial
    trials: tuple[LengthTrial, ...]
    float_accuracy: float
    tolerance: float
    samples: int

    @property
    def met(self) -> bool:
        """Whether the chosen candidate is within the tolerance (else it is the most accurate one)."""
        return self.chosen.within


def calibration_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(fit, calibration)`` index arrays: a seeded, class-stratified ``fraction`` of the samples held out.

    Raises
    ------
    ConfigError
        ``fraction`` outside (0, 1), or a split that leaves either part empty.
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"the calibration fraction must be in (0, 1), got {fraction!r}")
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(len(idx) * fraction))
        held.append(rng.permutation(idx)[:k])
    cal = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    fit = np.setdiff1d(np.arange(len(y)), cal)
    if len(cal) == 0 or len(fit) == 0:
        raise ConfigError(f"a calibration fraction of {fraction} of {len(y)} samples leaves an empty split")
    return fit, cal


def choose_stream_length(
    float_graph,
    x: np.ndarray,
    y: np.ndarray,
    float_accuracy: float,
    options: QuantOptions | None = None,
    *,
    tolerance: float = 0.003,
    lengths: tuple[int, ...] = STREAM_LENGTHS,
    weight_bits: tuple[int, ...] = WEIGHT_BITS,
) -> LengthChoice:
    """The shortest ``L`` (then fewest weight bits) whose hardware accuracy on ``(x, y)`` is at least
    ``float_accuracy - tolerance``.

    Parameters
    ----------
    float_graph:
        The float-level graph (:func:`scnc.ir.from_checkpoint`).
    x, y:
        The calibration split: float features in [0, 1] ``(B, n_in)`` and class indices ``(B,)``. It
        must not be data the network was trained on, or the choice is optimistic.
    float_accuracy:
        The float network's accuracy on ``(x, y)`` (fraction).
    options:
        Every other hardware option (their ``stream_length`` / ``weight_bits`` are replaced).
    tolerance:
        Allowed accuracy loss (fraction, >= 0).
    lengths, weight_bits:
        Candidates (powers of two; bits), tried in ascending order.

    Returns
    -------
    LengthChoice
        The first candidate within the tolerance; when none is, the most accurate (the shortest among
        equals), with ``met`` False.
    """
    if not (isinstance(tolerance, float) and 0.0 <= tolerance <= 1.0):
        raise ConfigError(f"the accuracy tolerance must be a fraction in [0, 1], got {tolerance!r}")
    y = np.asarray(y)
    if len(y) == 0:
        raise ConfigError("the calibration split is empty")
    base = options or QuantOptions()
    trials: list[LengthTrial] = []
    best: tuple[LengthTrial, QuantOptions] | None = None
    for L in sorted(lengths):
        n = int(L).bit_length() - 1
        for w in sorted(b for b in weight_bits if b <= n) or [n]:
            opts = replace(base, stream_length=int(L), weight_bits=int(w))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a layer that cannot fire shows up as low accuracy
                acc = float(accuracy(quantize(float_graph, opts), x, y))
            trial = LengthTrial(int(L), int(w), acc, acc >= float_accuracy - tolerance - 1e-12)
            trials.append(trial)
            if trial.within:
                return LengthChoice(opts, trial, tuple(trials), float(float_accuracy), tolerance, int(len(y)))
            if best is None or acc > best[0].accuracy:
                best = (trial, opts)
    assert best is not None
    return LengthChoice(best[1], best[0], tuple(trials), float(float_accuracy), tolerance, int(len(y)))


def format_choice(choice: LengthChoice) -> list[str]:
    """The table of candidates and the decision, one line each (what the CLI prints)."""
    lines = [f"stream length auto: calibration split of {choice.samples} samples, float accuracy "
             f"{100 * choice.float_accuracy:.2f}%, tolerance {100 * choice.tolerance:.2f} points",
             f"  {'L':>4} {'w bits':>6} {'hw accuracy':>11} {'vs float':>9}"]
    for t in choice.trials:
        mark = "  <- chosen" if t is choice.chosen else ""
        lines.append(f"  {t.stream_length:>4} {t.weight_bits:>6} {100 * t.accuracy:>10.2f}% "
                     f"{100 * (t.accuracy - choice.float_accuracy):>+8.2f}{mark}")
    if not choice.met:
        lines.append("  no candidate is within the tolerance: chose the most accurate")
    return lines

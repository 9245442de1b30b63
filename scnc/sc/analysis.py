"""Measured accuracy of SC encoding and multiplication versus stream length, per SNG kind.

Used by docs and benchmarks to justify the hardware numerics (split-unipolar AND multiplication,
``L = 2**n`` windows). Operands are drawn with numpy's PCG64 from ``seed`` (test data, not
hardware numbers); the streams come from :mod:`scnc.sc.streams`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import ConfigError
from ._mix import derive
from .sng import _int_field, sequence
from .streams import lfsr_streams, sobol_streams, vdc_streams

__all__ = ["ERROR_KINDS", "equal_error_length_ratio", "error_stats", "format_error_stats"]

ERROR_KINDS = ("lfsr", "vdc", "sobol", "random")
"""SNG kinds :func:`error_stats` knows; ``random`` is an ideal i.i.d. uniform source (baseline)."""

_METRICS = ("encode", "and", "xnor", "split")


def _pair_values(kind: str, n: int, seed: int, lfsr_width: int | None, rng: np.random.Generator):
    L = 1 << n
    if kind == "random":
        return rng.integers(0, L, size=(2, L), dtype=np.int64)
    if kind == "lfsr":
        w = max(n, 3) if lfsr_width is None else lfsr_width
        specs = lfsr_streams(2, w, n, seed)
    elif kind == "vdc":
        specs = vdc_streams(2, n, seed)
    else:
        specs = sobol_streams(2, n, seed)
    return np.stack([sequence(s, L).astype(np.int64) for s in specs])


def error_stats(
    kinds: Sequence[str] = ("lfsr", "vdc", "sobol", "random"),
    stream_lengths: Sequence[int] = (16, 64, 256, 1024),
    n_trials: int = 512,
    seed: int = 0,
    n_stream_sets: int = 32,
    lfsr_width: int | None = None,
) -> dict[str, dict[int, dict[str, float]]]:
    """Mean absolute error and RMSE of SC encoding and multiplication, per kind and length.

    For each kind and ``L = 2**n`` (cycles), ``n_stream_sets`` pairs of streams are allocated
    (``seed`` derived per set) and ``n_trials`` operand pairs are drawn per set. Metrics, each as
    ``<metric>_mae`` and ``<metric>_rmse``:

    - ``encode``: ``|mean(R1 < q) - q/L|``, ``q`` uniform in ``[0, L]``.
    - ``and``: unipolar ``|mean((R1 < qa) AND (R2 < qb)) - qa*qb/L**2|``.
    - ``xnor``: bipolar, ``x = 2u/L - 1`` with ``u`` uniform in ``[0, L]``; estimate
      ``2 * mean(XNOR(R1 < ua, R2 < ub)) - 1`` against ``xa * xb``.
    - ``split``: split-unipolar for the same ``x``: ``sign(xa) sign(xb) * mean((R1 < |xa| L) AND
      (R2 < |xb| L))`` against ``xa * xb``.

    Parameters
    ----------
    kinds:
        Subset of :data:`ERROR_KINDS`.
    stream_lengths:
        Powers of two ``>= 8`` (``>= 2`` unless ``lfsr`` is measured).
    n_trials:
        Operand pairs per stream set.
    seed:
        Seed of streams and operands.
    n_stream_sets:
        Stream pairs per length.
    lfsr_width:
        LFSR register width W; ``None`` means ``W = n`` (smallest register, full-period windows).

    Returns
    -------
    dict
        ``stats[kind][L][metric]`` as floats.
    """
    kinds = list(kinds)
    for k in kinds:
        if k not in ERROR_KINDS:
            raise ConfigError(f"kinds: expected a subset of {ERROR_KINDS}, got {k!r}")
    n_trials = _int_field(n_trials, "n_trials", 1, 1 << 20)
    n_sets = _int_field(n_stream_sets, "n_stream_sets", 1, 1 << 16)
    seed = _int_field(seed, "seed", 0, (1 << 63) - 1)
    lengths = []
    for L in stream_lengths:
        L = _int_field(L, "stream_lengths", 2, 1 << 20)
        if L & (L - 1):
            raise ConfigError(f"stream_lengths: expected powers of two, got {L}")
        if "lfsr" in kinds and lfsr_width is None and L < 8:
            raise ConfigError(f"stream_lengths: LFSR with W = n needs L >= 8, got {L}")
        if lfsr_width is not None and "lfsr" in kinds and L.bit_length() - 1 > lfsr_width:
            raise ConfigError(f"lfsr_width: expected >= log2(L) = {L.bit_length() - 1}")
        lengths.append(L)
    out: dict[str, dict[int, dict[str, float]]] = {}
    for ki, kind in enumerate(kinds):
        out[kind] = {}
        for L in lengths:
            n = L.bit_length() - 1
            rng = np.random.default_rng(derive(seed, ki, L) % (1 << 63))
            errs: dict[str, list[np.ndarray]] = {m: [] for m in _METRICS}
            for s in range(n_sets):
                r1, r2 = _pair_values(kind, n, derive(seed, L, s) % (1 << 63), lfsr_width, rng)
                qa = rng.integers(0, L + 1, size=(n_trials, 1))
                qb = rng.integers(0, L + 1, size=(n_trials, 1))
                a, b = r1[None, :] < qa, r2[None, :] < qb
                errs["encode"].append(a.mean(axis=1) - qa[:, 0] / L)
                errs["and"].append((a & b).mean(axis=1) - qa[:, 0] * qb[:, 0] / L**2)
                xa, xb = 2.0 * qa[:, 0] / L - 1.0, 2.0 * qb[:, 0] / L - 1.0
                exact = xa * xb
                xnor = 2.0 * (a == b).mean(axis=1) - 1.0
                errs["xnor"].append(xnor - exact)
                ma, mb = np.abs(2 * qa - L), np.abs(2 * qb - L)
                sign = np.sign(xa) * np.sign(xb)
                split = sign * ((r1[None, :] < ma) & (r2[None, :] < mb)).mean(axis=1)
                errs["split"].append(split - exact)
            row: dict[str, float] = {}
            for m in _METRICS:
                e = np.concatenate(errs[m])
                row[f"{m}_mae"] = float(np.mean(np.abs(e)))
                row[f"{m}_rmse"] = float(np.sqrt(np.mean(e * e)))
            out[kind][L] = row
    return out


def equal_error_length_ratio(
    stats: dict[str, dict[int, dict[str, float]]],
    kind: str,
    slow: str = "xnor_rmse",
    fast: str = "split_rmse",
) -> float:
    """How many times longer ``slow`` streams must be to match ``fast`` streams' error.

    For each measured length ``L`` the ``fast`` error ``e(L)`` is located on the ``slow`` error
    curve by log-log interpolation, giving ``L'``; the result is the median of ``L' / L`` over
    lengths where ``e(L)`` lies inside the measured ``slow`` range (``nan`` if none does).
    """
    if kind not in stats:
        raise ConfigError(f"kind: expected one of {sorted(stats)}, got {kind!r}")
    rows = stats[kind]
    Ls = sorted(rows)
    logL = np.log([float(L) for L in Ls])
    slow_e = np.array([rows[L][slow] for L in Ls])
    fast_e = np.array([rows[L][fast] for L in Ls])
    if np.any(slow_e <= 0) or np.any(np.diff(slow_e) >= 0):
        return math.nan  # need a strictly decreasing, positive curve to invert
    ratios = []
    log_slow = np.log(slow_e)
    for L, e in zip(Ls, fast_e):
        if e <= 0 or not slow_e[-1] <= e <= slow_e[0]:
            continue
        lp = np.interp(np.log(e), log_slow[::-1], logL[::-1])
        ratios.append(math.exp(lp) / L)
    return float(np.median(ratios)) if ratios else math.nan


def format_error_stats(stats: dict[str, dict[int, dict[str, float]]]) -> str:
    """A plain-text table of :func:`error_stats` output, one line per kind and length."""
    lines = []
    for kind, rows in stats.items():
        for L, row in sorted(rows.items()):
            vals = " ".join(f"{k}={v:.4f}" for k, v in row.items())
            lines.append(f"{kind:6s} L={L:5d} {vals}")
    return "\n".join(lines)

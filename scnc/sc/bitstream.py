"""Bitstream maths: comparator encoding, decoding, SC multiplication, APC, SCC, stochastic rounding.

Bitstreams are ``uint8`` arrays of 0/1 with time (cycles) on the last axis unless stated.

Unipolar: a stream with ``P(b = 1) = p`` represents ``p in [0, 1]``; with an n-bit SNG and
threshold ``q`` the stream ``R < q`` represents ``q / 2**n``. Bipolar: ``x = 2p - 1 in [-1, 1]``.
Split-unipolar (what scnc's hardware uses for weights): a sign bit plus a unipolar magnitude.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = [
    "and_mul",
    "apc",
    "bipolar_decode",
    "bipolar_to_threshold",
    "decode",
    "encode",
    "probability_to_threshold",
    "scc",
    "scc_matrix",
    "stochastic_round_shift",
    "xnor_mul",
]


def _int_array(x: Any, field: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
        raise ConfigError(f"{field}: expected integers, got dtype {a.dtype}")
    return a


def _bits(x: Any, field: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == np.bool_:
        return a.astype(np.uint8)
    if not np.issubdtype(a.dtype, np.integer):
        raise ConfigError(f"{field}: expected a 0/1 integer or bool array, got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() > 1):
        raise ConfigError(f"{field}: expected only 0 and 1")
    return a


def encode(values: Any, threshold: Any) -> np.ndarray:
    """Comparator SNG output ``b = (values < threshold)`` as ``uint8`` (broadcasting).

    Parameters
    ----------
    values:
        SNG values ``R[k]`` (integers, e.g. from :func:`scnc.sc.sequence`).
    threshold:
        Integer threshold(s) ``q``; with n-bit values, ``q in [0, 2**n]`` encodes ``q / 2**n``.
    """
    v = _int_array(values, "values")
    q = _int_array(threshold, "threshold")
    return (v.astype(np.int64) < q.astype(np.int64)).astype(np.uint8)


def decode(bits: Any, axis: int = -1) -> np.ndarray | float:
    """Unipolar value of a bitstream: the fraction of 1s along ``axis``."""
    return np.mean(_bits(bits, "bits"), axis=axis)


def bipolar_decode(bits: Any, axis: int = -1) -> np.ndarray | float:
    """Bipolar value ``2 * mean - 1`` of a bitstream along ``axis``."""
    return 2.0 * np.mean(_bits(bits, "bits"), axis=axis) - 1.0


def probability_to_threshold(p: Any, bits: int) -> np.ndarray:
    """Nearest n-bit threshold of a probability: ``rint(p * 2**bits)`` (ties to even), int64.

    Raises ``ConfigError`` unless every ``p`` is in ``[0, 1]``.
    """
    a = np.asarray(p, dtype=np.float64)
    if not np.all((a >= 0.0) & (a <= 1.0)):
        raise ConfigError("p: expected probabilities in [0, 1]")
    return np.rint(a * float(1 << bits)).astype(np.int64)


def bipolar_to_threshold(x: Any, bits: int) -> np.ndarray:
    """Nearest n-bit threshold of a bipolar value: ``rint((x + 1) / 2 * 2**bits)``, int64."""
    a = np.asarray(x, dtype=np.float64)
    if not np.all((a >= -1.0) & (a <= 1.0)):
        raise ConfigError("x: expected bipolar values in [-1, 1]")
    return np.rint((a + 1.0) * float(1 << (bits - 1))).astype(np.int64)


def and_mul(a: Any, b: Any) -> np.ndarray:
    """Unipolar SC multiplication: ``a AND b`` (``p_a * p_b`` for uncorrelated streams)."""
    return (_bits(a, "a") & _bits(b, "b")).astype(np.uint8)


def xnor_mul(a: Any, b: Any) -> np.ndarray:
    """Bipolar SC multiplication: ``NOT (a XOR b)`` (``x_a * x_b`` for uncorrelated streams)."""
    return (1 - (_bits(a, "a") ^ _bits(b, "b"))).astype(np.uint8)


def apc(bits: Any, axis: int = 0) -> np.ndarray:
    """Accumulative parallel counter: the exact popcount of parallel streams along ``axis``, int64.

    With ``bits`` of shape ``(streams, cycles)`` and ``axis=0`` this is the per-cycle count;
    ``axis=None`` gives the total count.
    """
    return np.sum(_bits(bits, "bits"), axis=axis, dtype=np.int64)


def stochastic_round_shift(value: Any, shift: int, dither: Any) -> np.ndarray:
    """Stochastic rounding of ``value / 2**shift``: ``floor((value + dither) / 2**shift)``, int64.

    ``dither`` is an unsigned ``shift``-bit SNG value in ``[0, 2**shift)``. With dither uniform over
    that range the result is unbiased: summed over all ``2**shift`` dither values it equals
    ``value`` exactly (Hermite's identity), for negative values too (floor, i.e. arithmetic shift).
    """
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or not 0 <= shift <= 62:
        raise ConfigError(f"shift: expected an int in [0, 62], got {shift!r}")
    v = _int_array(value, "value").astype(np.int64)
    d = _int_array(dither, "dither").astype(np.int64)
    if d.size and (d.min() < 0 or d.max() >= (1 << int(shift))):
        raise ConfigError(f"dither: expected values in [0, 2**{int(shift)})")
    return (v + d) >> np.int64(shift)


def _scc_from_counts(n: Any, na: Any, nb: Any, nab: Any) -> np.ndarray:
    n, na, nb, nab = (np.asarray(x, dtype=np.int64) for x in (n, na, nb, nab))
    num = n * nab - na * nb
    den_pos = n * np.minimum(na, nb) - na * nb
    den_neg = na * nb - n * np.maximum(na + nb - n, 0)
    den = np.where(num > 0, den_pos, den_neg)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den != 0, den, 1), 0.0)
    return out.astype(np.float64)


def scc(a: Any, b: Any) -> float:
    """Stochastic cross-correlation of two equal-length bitstreams (Alaghi & Hayes, 2013).

    With ``p_a, p_b`` the fractions of 1s and ``p_ab`` that of ``a AND b``::

        delta = p_ab - p_a * p_b
        SCC   = delta / (min(p_a, p_b) - p_a * p_b)          if delta > 0
        SCC   = delta / (p_a * p_b - max(p_a + p_b - 1, 0))  otherwise

    and ``0`` when the denominator is 0 (a constant stream). ``SCC in [-1, 1]``; ``+1`` for
    maximal overlap, ``-1`` for minimal overlap, ``0`` for independent-looking streams. Computed
    exactly from integer counts.
    """
    x, y = _bits(a, "a").ravel(), _bits(b, "b").ravel()
    if x.shape != y.shape:
        raise ConfigError(f"b: expected the length of a ({x.size}), got {y.size}")
    if x.size == 0:
        raise ConfigError("a: expected a non-empty bitstream")
    na, nb = int(x.sum(dtype=np.int64)), int(y.sum(dtype=np.int64))
    nab = int((x & y).sum(dtype=np.int64))
    return float(_scc_from_counts(x.size, na, nb, nab))


def scc_matrix(streams: Any) -> np.ndarray:
    """Pairwise :func:`scc` of the rows of ``streams`` (shape ``(S, N)``): a symmetric ``(S, S)``.

    The diagonal is 1 for non-constant streams and 0 for constant ones.
    """
    s = _bits(streams, "streams")
    if s.ndim != 2 or s.shape[1] == 0:
        raise ConfigError(f"streams: expected shape (S, N) with N >= 1, got {s.shape}")
    f = s.astype(np.float64)  # exact: counts < 2**53
    nab = np.rint(f @ f.T).astype(np.int64)
    cnt = s.sum(axis=1, dtype=np.int64)
    return _scc_from_counts(s.shape[1], cnt[:, None], cnt[None, :], nab)

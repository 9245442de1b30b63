"""Allocation of decorrelated SNG streams, and their measured stochastic cross-correlation.

The IR uses these helpers to give every stream its own generator. Every derived number
(state, bit selection, XOR mask) comes from ``seed`` through SplitMix64
(``scnc.sc._mix.derive``), never from numpy's RNG, so allocations are identical on every
machine and numpy version.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from ._mix import derive
from .bitstream import encode, scc_matrix
from .gf2 import alternative_taps, n_primitive_polynomials
from .sng import (
    MAX_BITS,
    LFSRSpec,
    SNGSpec,
    SobolSpec,
    VdcSpec,
    _check_spec,
    _int_field,
    sequence,
    sobol_directions,
)

__all__ = ["lfsr_streams", "measure_scc", "sobol_streams", "vdc_streams"]

_LABEL_STATE, _LABEL_SELECT, _LABEL_MASK = 1, 2, 3


def _seed_field(seed: Any) -> int:
    return _int_field(seed, "seed", 0, (1 << 64) - 1)


def _permutation(n: int, seed: int, stream: int) -> list[int]:
    """Fisher-Yates permutation of ``range(n)`` driven by ``derive(seed, stream, 2, j)``."""
    p = list(range(n))
    for j in range(n - 1, 0, -1):
        r = derive(seed, stream, _LABEL_SELECT, j) % (j + 1)
        p[j], p[r] = p[r], p[j]
    return p


def lfsr_streams(
    n_streams: int, width: int, bits: int, seed: int, max_polys: int = 16
) -> list[LFSRSpec]:
    """``n_streams`` decorrelated maximal-length LFSR generators.

    Stream ``i`` gets

    - ``taps = alternative_taps(W, P)[i % P]`` with ``P = min(n_streams, max_polys, #primitive
      polynomials of degree W)``: different feedback polynomials, not phase-shifted copies;
    - ``select`` = the first ``bits`` entries of a permutation of ``range(W)`` (Fisher-Yates with
      ``r_j = derive(seed, i, 2, j) mod (j + 1)`` for ``j = W-1 .. 1``): a per-stream choice and
      order of state bits;
    - ``seed_state = 1 + derive(seed, i, 1) mod (2**W - 1)``.

    Parameters
    ----------
    n_streams:
        Number of generators, ``>= 1``.
    width:
        Register width W in bits, ``3 <= W <= 32``.
    bits:
        Output width n in bits, ``1 <= n <= W``.
    seed:
        Allocation seed, ``0 <= seed < 2**64``.
    max_polys:
        Cap on the number of distinct polynomials searched (the search cost grows with it).
    """
    n_streams = _int_field(n_streams, "n_streams", 1, 1 << 24)
    w = _int_field(width, "width", 3, 32)
    n = _int_field(bits, "bits", 1, min(w, MAX_BITS))
    seed = _seed_field(seed)
    max_polys = _int_field(max_polys, "max_polys", 1, 1 << 16)
    n_polys = min(n_streams, max_polys, n_primitive_polynomials(w))
    taps = alternative_taps(w, n_polys)
    out = []
    for i in range(n_streams):
        state = 1 + derive(seed, i, _LABEL_STATE) % ((1 << w) - 1)
        select = tuple(_permutation(w, seed, i)[:n])
        out.append(LFSRSpec(width=w, taps=taps[i % n_polys], seed=state, select=select))
    return out


def vdc_streams(n_streams: int, bits: int, seed: int) -> list[VdcSpec]:
    """``n_streams`` Van der Corput generators differing by ``xor_mask = derive(seed, i, 3) mod 2**n``.

    A digital shift only flips value bits, so VDC streams stay strongly correlated with each
    other (at threshold ``2**(n-1)`` the SCC is exactly +1 or -1); prefer Sobol or LFSR streams
    where independence matters, VDC where one stream meets binary spikes.
    """
    n_streams = _int_field(n_streams, "n_streams", 1, 1 << 24)
    n = _int_field(bits, "bits", 1, MAX_BITS)
    seed = _seed_field(seed)
    return [
        VdcSpec(bits=n, xor_mask=derive(seed, i, _LABEL_MASK) % (1 << n)) for i in range(n_streams)
    ]


def _top_bit_functional(directions: tuple[int, ...], n: int) -> int:
    """Mask of the ``b`` whose ``v_b`` has bit ``n - 1`` set: the top value bit as a function of k."""
    return sum(1 << b for b, v in enumerate(directions) if (v >> (n - 1)) & 1)


def sobol_streams(n_streams: int, bits: int, seed: int) -> list[SobolSpec]:
    """``n_streams`` Sobol generators: distinct dimensions, each with a digital shift.

    Dimension choice: scan ``dim = 0, 1, 2, ...`` and keep a dimension only if its top-bit
    functional (the set of ``b`` with bit ``n-1`` of ``v_b`` set; the comparator at threshold
    ``2**(n-1)`` is the XOR of those bits of ``k``) differs from every kept one. Distinct nonzero
    linear functionals give exactly independent, balanced bits over an aligned block of ``2**n``
    cycles, so any two kept dimensions have SCC exactly 0 at threshold ``2**(n-1)``. At most
    ``2**(n-1)`` such dimensions exist (bit 0 is always set, ``m_1 = 1``); the scan stops there or
    at ``dim = 8 * n_streams + 64``, and stream ``i`` uses kept dimension ``i mod D``.
    XOR mask of stream ``i``: ``derive(seed, i, 3) mod 2**n``.
    """
    n_streams = _int_field(n_streams, "n_streams", 1, 1 << 24)
    n = _int_field(bits, "bits", 1, MAX_BITS)
    seed = _seed_field(seed)
    limit = 1 << (n - 1)
    kept: list[tuple[int, ...]] = []
    seen: set[int] = set()
    dim = 0
    while len(kept) < min(n_streams, limit) and dim <= 8 * n_streams + 64:
        dirs = sobol_directions(dim, n)
        f = _top_bit_functional(dirs, n)
        if f not in seen:
            seen.add(f)
            kept.append(dirs)
        dim += 1
    d = len(kept)
    return [
        SobolSpec(bits=n, directions=kept[i % d], xor_mask=derive(seed, i, _LABEL_MASK) % (1 << n))
        for i in range(n_streams)
    ]


def measure_scc(
    specs: Sequence[SNGSpec],
    stream_length: int,
    levels: Sequence[float] = (0.5,),
    start: int = 0,
) -> dict[str, Any]:
    """Max and mean ``|SCC|`` over all pairs of the streams' comparator bitstreams.

    Each generator's values ``R[start .. start + L)`` are compared with threshold
    ``round(level * 2**bits)`` (``level = 0.5`` is the brief's ``L/2`` when ``L == 2**bits``);
    every pair of distinct streams at the same level contributes one ``|SCC|``.
    Cost ``O(S**2 * L)`` per level.

    Returns
    -------
    dict
        JSON-safe: ``max_abs_scc``, ``mean_abs_scc``, ``n_streams``, ``n_pairs`` (per level),
        ``stream_length`` (cycles) and ``levels``. With one stream both SCC values are 0.
    """
    specs = list(specs)
    if not specs:
        raise ConfigError("specs: expected at least one generator")
    for s in specs:
        _check_spec(s)
    L = _int_field(stream_length, "stream_length", 1, 1 << 30)
    levels = [float(x) for x in levels]
    if not levels or not all(0.0 <= x <= 1.0 for x in levels):
        raise ConfigError(f"levels: expected fractions in [0, 1], got {levels!r}")
    vals = np.stack([sequence(s, L, start) for s in specs])
    bits = np.array([s.bits for s in specs], dtype=np.int64)
    iu = np.triu_indices(len(specs), k=1)
    absvals = []
    for lev in levels:
        thr = np.array([round(lev * (1 << int(b))) for b in bits], dtype=np.int64)
        m = scc_matrix(encode(vals, thr[:, None]))
        absvals.append(np.abs(m[iu]))
    allv = np.concatenate(absvals) if absvals else np.zeros(0)
    return {
        "max_abs_scc": float(allv.max()) if allv.size else 0.0,
        "mean_abs_scc": float(allv.mean()) if allv.size else 0.0,
        "n_streams": len(specs),
        "n_pairs": int(iu[0].size),
        "stream_length": L,
        "levels": levels,
    }

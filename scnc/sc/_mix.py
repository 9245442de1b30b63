"""Deterministic integer hashing (SplitMix64) used to derive seeds, masks and Sobol initial values.

Pure Python integer arithmetic, so derived hardware numbers never depend on numpy's RNG
algorithms or versions.
"""

from __future__ import annotations

_M64 = (1 << 64) - 1


def splitmix64(x: int) -> int:
    """SplitMix64 finaliser of ``x mod 2**64`` (Steele, Lea & Flood 2014): a 64-bit integer."""
    z = (x + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def derive(seed: int, *labels: int) -> int:
    """A 64-bit value derived from ``seed`` and integer ``labels`` by chained SplitMix64."""
    h = splitmix64(seed & _M64)
    for lab in labels:
        h = splitmix64(h ^ (lab & _M64))
    return h

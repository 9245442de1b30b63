"""Numba kernels behind :mod:`scnc.sc`. Inputs are validated by the public wrappers.

All integers are ``int64`` (LFSR states and tap masks are < 2**32); no Python objects inside.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _parity(x: np.int64) -> np.int64:
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    x ^= x >> 4
    x ^= x >> 2
    x ^= x >> 1
    return x & 1


@njit(cache=True)
def lfsr_values(state, tapmask, width, select, n_values):
    """Outputs ``R[0..n_values)`` from ``state_0 = state``; returns (values uint32, next state).

    ``tapmask`` has bit ``t - 1`` set for each tap ``t``; ``select[b]`` is the state bit that
    becomes output bit ``b``.
    """
    mask = (np.int64(1) << width) - 1
    out = np.empty(n_values, dtype=np.uint32)
    nsel = select.shape[0]
    s = np.int64(state)
    for k in range(n_values):
        v = np.int64(0)
        for b in range(nsel):
            v |= ((s >> select[b]) & 1) << b
        out[k] = v
        fb = _parity(s & tapmask)
        s = ((s << 1) | fb) & mask
    return out, s


@njit(cache=True)
def lfsr_period(state, tapmask, width, limit):
    """Steps until the state first returns to ``state`` (``-1`` if not within ``limit`` steps)."""
    mask = (np.int64(1) << width) - 1
    s = np.int64(state)
    for k in range(1, limit + 1):
        fb = _parity(s & tapmask)
        s = ((s << 1) | fb) & mask
        if s == state:
            return k
    return -1


@njit(cache=True)
def _mat_apply(rows, s):
    out = np.int64(0)
    for i in range(rows.shape[0]):
        out |= _parity(rows[i] & s) << i
    return out


@njit(cache=True)
def _mat_mul(a, b):
    """Rows of the GF(2) matrix product ``a @ b`` (row i of a matrix: mask of its 1 columns)."""
    w = a.shape[0]
    out = np.zeros(w, dtype=np.int64)
    for i in range(w):
        acc = np.int64(0)
        r = a[i]
        for j in range(w):
            if (r >> j) & 1:
                acc ^= b[j]
        out[i] = acc
    return out


@njit(cache=True)
def lfsr_jump(state, tapmask, width, steps):
    """State after ``steps`` updates, by square-and-multiply of the companion matrix over GF(2)."""
    m = np.zeros(width, dtype=np.int64)
    m[0] = tapmask  # new bit 0 = parity(state & tapmask)
    for i in range(1, width):
        m[i] = np.int64(1) << (i - 1)  # new bit i = old bit i - 1
    s = np.int64(state)
    e = np.int64(steps)
    while e > 0:
        if e & 1:
            s = _mat_apply(m, s)
        e >>= 1
        if e > 0:
            m = _mat_mul(m, m)
    return s


@njit(cache=True)
def xor_directions(k, directions, n_bits):
    """``R[i] = XOR_{b : bit b of k[i] set} directions[b]`` (Sobol / VDC core), uint32 out."""
    out = np.empty(k.shape[0], dtype=np.uint32)
    for i in range(k.shape[0]):
        kk = k[i]
        v = np.int64(0)
        for b in range(n_bits):
            if (kk >> b) & 1:
                v ^= directions[b]
        out[i] = v
    return out

"""Numba kernels of the pretraining ANN (one time step, dense layers, clipped-linear activation).

Private module: the typed, validated API is :mod:`scnc.snn.pretrain`.

Per dense layer, with ``x`` the layer input ``(B, n_in)`` float32 and ``W`` ``(n_in, n_out)``::

    z[b, j] = (sum_{i : x[b, i] != 0} x[b, i] * W[i, j]) + bias[j]     # i increasing, from 0
    h[b, j] = clip((z[b, j] - lo[j]) / (hi[j] - lo[j]), 0, 1)

The sum runs in the same order as the SNN's gather-add (:mod:`scnc.snn._kernels`), so ``z`` is
bit-identical to the SNN's ``v_pre`` at its first time step for the same real-valued input.

Backward, given ``dh = dL/dh``::

    dz[b, j]  = dh[b, j] * d(z[b, j])
    gW[i, j]  = sum_b x[b, i] * dz[b, j]          (b increasing, from 0)
    gbias[j]  = sum_b dz[b, j]                    (b increasing, from 0)
    dx[b, i]  = sum_j W[i, j] * dz[b, j]          (j increasing, from 0)

where ``d`` is, by ``kind``: the SNN's surrogate of the spike step at the threshold,
``sg(z - theta)`` (``fast_sigmoid`` 0 / ``arctan`` 1, the formulas of :mod:`scnc.snn._kernels`),
or (``kind == 2``) the exact slope of the clipped line, ``1 / (hi - lo)`` for ``lo < z < hi`` and
0 elsewhere. Every output element is computed by one thread in a fixed order, so results are
bit-identical for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._kernels import _surrogate

BACKWARD_WINDOW = 2


@njit(cache=True, parallel=True)
def dense_forward(x, w, bias, lo, hi, z, h):  # pragma: no cover - compiled
    """``z = x @ W + bias`` (gather-add over non-zero inputs) and ``h = clip((z - lo)/(hi - lo), 0, 1)``."""
    B, nin = x.shape
    nout = w.shape[1]
    for b in prange(B):
        zr = z[b]
        for j in range(nout):
            zr[j] = np.float32(0.0)
        xr = x[b]
        for i in range(nin):
            a = xr[i]
            if a != np.float32(0.0):
                row = w[i]
                for j in range(nout):
                    zr[j] += a * row[j]
        hr = h[b]
        for j in range(nout):
            v = zr[j] + bias[j]
            zr[j] = v
            u = (v - lo[j]) / (hi[j] - lo[j])
            if u < np.float32(0.0):
                u = np.float32(0.0)
            elif u > np.float32(1.0):
                u = np.float32(1.0)
            hr[j] = u


@njit(cache=True, parallel=True)
def dense_backward(x, w, z, dh, kind, slope, theta, lo, hi, dz, gw, gbias, dx, want_dx):  # pragma: no cover
    """Gradients of one layer (formulas in the module docstring); ``dx`` only when ``want_dx``."""
    B, nin = x.shape
    nout = w.shape[1]
    for b in prange(B):
        for j in range(nout):
            v = z[b, j]
            if kind == BACKWARD_WINDOW:
                d = np.float32(0.0)
                if v > lo[j] and v < hi[j]:
                    d = np.float32(1.0) / (hi[j] - lo[j])
            else:
                d = _surrogate(v - theta[j], kind, slope)
            dz[b, j] = dh[b, j] * d
    for i in prange(nin):
        gr = gw[i]
        for j in range(nout):
            gr[j] = np.float32(0.0)
        for b in range(B):
            a = x[b, i]
            if a != np.float32(0.0):
                dzr = dz[b]
                for j in range(nout):
                    gr[j] += a * dzr[j]
    for j in range(nout):
        gbias[j] = np.float32(0.0)
    for b in range(B):
        for j in range(nout):
            gbias[j] += dz[b, j]
    if want_dx:
        for b in prange(B):
            dzr = dz[b]
            for i in range(nin):
                row = w[i]
                acc = np.float32(0.0)
                for j in range(nout):
                    acc += row[j] * dzr[j]
                dx[b, i] = acc

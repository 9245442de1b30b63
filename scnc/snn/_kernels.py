"""Numba kernels: forward, backward through time and Adam for a stack of dense LIF layers.

Private module: the typed, validated API is :mod:`scnc.snn.bptt` (and :mod:`scnc.snn.optim`).

Parameter packing (all float32, 1-D)
------------------------------------
Layer ``l`` maps ``sizes[l]`` inputs to ``sizes[l+1]`` neurons.

* ``w``: every layer's ``weight`` (row-major ``(n_in, n_out)``) back to back; layer ``l`` starts
  at ``w_off[l]``, element ``(i, j)`` is ``w[w_off[l] + i * n_out + j]``.
* ``bias``, ``beta``, ``theta``: per neuron, every layer back to back; layer ``l``'s neurons start
  at ``n_off[l]`` (a layer without bias passes zeros; per-layer beta/threshold are broadcast).
* ``reset_zero[l]``: 1 for ``reset == "zero"``, 0 for ``"subtract"``.

Dynamics (float32 arithmetic, see :mod:`scnc.snn.network`)::

    I      = sum_{i : s_in[i] != 0} s_in[i] * w[i, :]  + bias     # inputs summed in increasing i
    v_pre  = beta * v_prev + I
    s      = v_pre >= theta
    v      = v_pre - theta * s     (subtract)      or      v_pre * (1 - s)     (zero)

Input currents are a gather-add over the non-zero inputs only: for binary inputs (spikes) the
multiply is skipped (``binary=True``); the direct encoder's real-valued currents take the
multiply-add path (``binary=False``). Hidden layers always see binary spikes.

Backward (surrogate gradient, reset detached as in snnTorch)
------------------------------------------------------------
With ``u = v_pre - theta`` the spike derivative is replaced by a surrogate ``sg(u)``:

* fast sigmoid (``surrogate == 0``): ``sg(u) = 1 / (1 + slope * |u|)**2``
* arctan (``surrogate == 1``):       ``sg(u) = 1 / (1 + (pi * slope * u / 2)**2)``

The reset's spike is treated as a constant (detached), so per neuron and step, going back in time::

    dv      = beta * dv_pre[t+1] + dL/dv[t]        (dL/dv[t]: membrane loss, output layer only)
    dv_pre  = dv * (1 - s[t] if zero-reset else 1) + dL/ds[t] * sg(u[t])
    dW[i,:] += s_in[t, i] * dv_pre,  dbias += dv_pre,  dbeta += dv_pre * v[t-1]
    dtheta  += -dL/ds[t] * sg(u[t]) - (dv * s[t] if subtract-reset else 0)
    dL/ds_in[t, i] = sum_j w[i, j] * dv_pre[j]      (the previous layer's dL/ds at step t)

Determinism
-----------
The batch is split into ``n_chunks`` fixed, contiguous sample ranges (independent of the
number of threads). ``prange`` runs over chunks; each chunk processes its samples in order and
accumulates into its own gradient slice; the slices are then summed in chunk order. Results are
therefore bit-identical for any thread count and any thread timing.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

SURROGATE_FAST_SIGMOID = 0
SURROGATE_ARCTAN = 1

_HALF_PI = np.float32(np.pi / 2.0)


@njit(cache=True, inline="always")
def _surrogate(u, kind, slope):  # pragma: no cover - compiled
    if kind == SURROGATE_FAST_SIGMOID:
        d = np.float32(1.0) + slope * abs(u)
        return np.float32(1.0) / (d * d)
    a = _HALF_PI * slope * u
    return np.float32(1.0) / (np.float32(1.0) + a * a)


@njit(cache=True, inline="always")
def _gather_inputs(x, t, b, nin, binary, idx, val):  # pragma: no cover - compiled
    """Indices (and values unless binary) of the non-zero inputs ``x[t, b, :]``; returns count."""
    nnz = 0
    for i in range(nin):
        xv = x[t, b, i]
        if xv != np.float32(0.0):
            idx[nnz] = i
            val[nnz] = xv
            nnz += 1
    return nnz


@njit(cache=True, inline="always")
def _gather_spikes(spikes, b, t, off, nin, idx):  # pragma: no cover - compiled
    nnz = 0
    for i in range(nin):
        if spikes[b, t, off + i] != 0:
            idx[nnz] = i
            nnz += 1
    return nnz


@njit(cache=True, inline="always")
def _add_rows(w, wo, nout, idx, val, nnz, weighted, cur):  # pragma: no cover - compiled
    """``cur[:nout] = sum_k (val[k] if weighted else 1) * W[idx[k], :]`` for the layer at ``w[wo:]``.

    The gather-add at the heart of every layer: only the ``nnz`` active inputs are visited, in
    increasing index order (the summation order every kernel shares, so results match bit for bit).
    """
    for j in range(nout):
        cur[j] = np.float32(0.0)
    for k in range(nnz):
        base = wo + idx[k] * nout
        if weighted:
            a = val[k]
            for j in range(nout):
                cur[j] += a * w[base + j]
        else:
            for j in range(nout):
                cur[j] += w[base + j]


@njit(cache=True, inline="always")
def _chunk_bounds(c, n_chunks, batch):  # pragma: no cover - compiled
    return (c * batch) // n_chunks, ((c + 1) * batch) // n_chunks


@njit(cache=True, parallel=True)
def forward_train(x, binary, sizes, w_off, n_off, w, bias, beta, theta, reset_zero, n_chunks,
                  spikes, vpre, vpost):  # pragma: no cover - compiled
    """Forward pass storing what the backward pass needs.

    Parameters
    ----------
    x:
        float32 ``(T, B, sizes[0])`` encoded input.
    spikes, vpre, vpost:
        Outputs, ``(B, T, sum(sizes[1:]))``: uint8 spikes, float32 membrane before the reset
        (``v_pre``) and after it (``v``), every layer at its ``n_off``.
    """
    T = x.shape[0]
    B = x.shape[1]
    L = sizes.shape[0] - 1
    max_n = 0
    for l in range(L + 1):
        if sizes[l] > max_n:
            max_n = sizes[l]
    for c in prange(n_chunks):
        b0, b1 = _chunk_bounds(c, n_chunks, B)
        idx = np.empty(max_n, np.int64)
        val = np.empty(max_n, np.float32)
        cur = np.empty(max_n, np.float32)
        for b in range(b0, b1):
            for t in range(T):
                for l in range(L):
                    nin = sizes[l]
                    nout = sizes[l + 1]
                    wo = w_off[l]
                    no = n_off[l]
                    if l == 0:
                        nnz = _gather_inputs(x, t, b, nin, binary, idx, val)
                        _add_rows(w, wo, nout, idx, val, nnz, not binary, cur)
                    else:
                        nnz = _gather_spikes(spikes, b, t, n_off[l - 1], nin, idx)
                        _add_rows(w, wo, nout, idx, val, nnz, False, cur)
                    rz = reset_zero[l]
                    for j in range(nout):
                        n = no + j
                        vprev = vpost[b, t - 1, n] if t > 0 else np.float32(0.0)
                        vp = beta[n] * vprev + (cur[j] + bias[n])
                        vpre[b, t, n] = vp
                        if vp >= theta[n]:
                            spikes[b, t, n] = 1
                            vpost[b, t, n] = np.float32(0.0) if rz else vp - theta[n]
                        else:
                            spikes[b, t, n] = 0
                            vpost[b, t, n] = vp


@njit(cache=True, parallel=True)
def backward(x, binary, sizes, w_off, n_off, w, beta, theta, reset_zero, surrogate, slope,
             spikes, vpre, vpost, g_spk, g_mem, n_chunks,
             gw_chunks, gn_chunks, gw, gbias, gbeta, gtheta):  # pragma: no cover - compiled
    """Backward pass through time; writes the batch-summed gradients.

    Parameters
    ----------
    g_spk, g_mem:
        float32 ``(T, B, sizes[-1])``: dL/d(output spikes) and dL/d(output membrane ``v``) per
        step (either may be all zeros).
    gw_chunks, gn_chunks:
        Scratch, float32 ``(n_chunks, len(w))`` and ``(n_chunks, 3, len(bias))``.
    gw, gbias, gbeta, gtheta:
        Outputs, shaped like ``w``, ``bias``, ``beta``, ``theta`` (per neuron).
    """
    T = x.shape[0]
    B = x.shape[1]
    L = sizes.shape[0] - 1
    n_w = w.shape[0]
    n_n = beta.shape[0]
    max_n = 0
    for l in range(L + 1):
        if sizes[l] > max_n:
            max_n = sizes[l]
    for c in prange(n_chunks):
        b0, b1 = _chunk_bounds(c, n_chunks, B)
        gwc = gw_chunks[c]
        gnc = gn_chunks[c]
        for k in range(n_w):
            gwc[k] = np.float32(0.0)
        for r in range(3):
            for k in range(n_n):
                gnc[r, k] = np.float32(0.0)
        idx = np.empty(max_n, np.int64)
        val = np.empty(max_n, np.float32)
        ds = np.zeros((T, max_n), np.float32)       # dL/ds of the current layer, per step
        ds_in = np.zeros((T, max_n), np.float32)    # dL/ds of the layer below
        dvp = np.empty(max_n, np.float32)           # dL/dv_pre at the step just processed
        for b in range(b0, b1):
            nlast = sizes[L]
            for t in range(T):
                for j in range(nlast):
                    ds[t, j] = g_spk[t, b, j]
            for l in range(L - 1, -1, -1):
                nin = sizes[l]
                nout = sizes[l + 1]
                wo = w_off[l]
                no = n_off[l]
                rz = reset_zero[l]
                last = l == L - 1
                for j in range(nout):
                    dvp[j] = np.float32(0.0)
                for t in range(T - 1, -1, -1):
                    for j in range(nout):
                        n = no + j
                        dv = beta[n] * dvp[j]
                        if last:
                            dv += g_mem[t, b, j]
                        sg = _surrogate(vpre[b, t, n] - theta[n], surrogate, slope)
                        s = spikes[b, t, n]
                        dss = ds[t, j]
                        if rz and s:
                            d = dss * sg
                        else:
                            d = dv + dss * sg
                        dvp[j] = d
                        gnc[0, n] += d
                        if t > 0:
                            gnc[1, n] += d * vpost[b, t - 1, n]
                        gth = -(dss * sg)
                        if s and not rz:
                            gth -= dv
                        gnc[2, n] += gth
                    # weight gradient over the active inputs of this step
                    if l == 0:
                        nnz = _gather_inputs(x, t, b, nin, binary, idx, val)
                        if binary:
                            for k in range(nnz):
                                base = wo + idx[k] * nout
                                grow = gwc[base:base + nout]
                                for j in range(nout):
                                    grow[j] += dvp[j]
                        else:
                            for k in range(nnz):
                                base = wo + idx[k] * nout
                                grow = gwc[base:base + nout]
                                a = val[k]
                                for j in range(nout):
                                    grow[j] += a * dvp[j]
                    else:
                        nnz = _gather_spikes(spikes, b, t, n_off[l - 1], nin, idx)
                        for k in range(nnz):
                            base = wo + idx[k] * nout
                            grow = gwc[base:base + nout]
                            for j in range(nout):
                                grow[j] += dvp[j]
                        # dL/ds of the layer below at this step
                        for i in range(nin):
                            base = wo + i * nout
                            row = w[base:base + nout]
                            acc = np.float32(0.0)
                            for j in range(nout):
                                acc += row[j] * dvp[j]
                            ds_in[t, i] = acc
                if l > 0:
                    ds, ds_in = ds_in, ds
    # deterministic reduction: chunks summed in order
    for k in prange(n_w):
        acc = np.float32(0.0)
        for c in range(n_chunks):
            acc += gw_chunks[c, k]
        gw[k] = acc
    for k in prange(n_n):
        a0 = np.float32(0.0)
        a1 = np.float32(0.0)
        a2 = np.float32(0.0)
        for c in range(n_chunks):
            a0 += gn_chunks[c, 0, k]
            a1 += gn_chunks[c, 1, k]
            a2 += gn_chunks[c, 2, k]
        gbias[k] = a0
        gbeta[k] = a1
        gtheta[k] = a2


@njit(cache=True, parallel=True)
def infer_counts(x, binary, sizes, w_off, n_off, w, bias, beta, theta, reset_zero,
                 counts):  # pragma: no cover - compiled
    """Inference only: output spike counts ``counts[b, k]`` (int32), no traces kept.

    Same arithmetic, in the same order, as :func:`forward_train`; each sample writes only its own
    row, so the result does not depend on threading.
    """
    T = x.shape[0]
    B = x.shape[1]
    L = sizes.shape[0] - 1
    n_n = beta.shape[0]
    max_n = 0
    for l in range(L + 1):
        if sizes[l] > max_n:
            max_n = sizes[l]
    nlast = sizes[L]
    olast = n_off[L - 1]
    for b in prange(B):
        idx = np.empty(max_n, np.int64)
        val = np.empty(max_n, np.float32)
        cur = np.empty(max_n, np.float32)
        v = np.zeros(n_n, np.float32)
        s = np.zeros(n_n, np.uint8)
        for k in range(nlast):
            counts[b, k] = 0
        for t in range(T):
            for l in range(L):
                nin = sizes[l]
                nout = sizes[l + 1]
                wo = w_off[l]
                no = n_off[l]
                if l == 0:
                    nnz = _gather_inputs(x, t, b, nin, binary, idx, val)
                    _add_rows(w, wo, nout, idx, val, nnz, not binary, cur)
                else:
                    po = n_off[l - 1]
                    nnz = 0
                    for i in range(nin):
                        if s[po + i] != 0:
                            idx[nnz] = i
                            nnz += 1
                    _add_rows(w, wo, nout, idx, val, nnz, False, cur)
                rz = reset_zero[l]
                for j in range(nout):
                    n = no + j
                    vp = beta[n] * v[n] + (cur[j] + bias[n])
                    if vp >= theta[n]:
                        s[n] = 1
                        v[n] = np.float32(0.0) if rz else vp - theta[n]
                    else:
                        s[n] = 0
                        v[n] = vp
            for k in range(nlast):
                counts[b, k] += s[olast + k]


@njit(cache=True)
def adam_update(p, g, m, v, lr, beta1, beta2, eps, bc1, bc2, weight_decay):  # pragma: no cover
    """One in-place Adam step on float32 arrays (decoupled weight decay, AdamW style).

    ``m = beta1*m + (1-beta1)*g``, ``v = beta2*v + (1-beta2)*g*g``,
    ``p -= lr * ((m/bc1) / (sqrt(v/bc2) + eps) + weight_decay * p)`` with ``bc1 = 1 - beta1**t``,
    ``bc2 = 1 - beta2**t``; scalars in float64, arrays stored as float32.
    """
    pf = p.reshape(-1)
    gf = g.reshape(-1)
    mf = m.reshape(-1)
    vf = v.reshape(-1)
    for k in range(pf.shape[0]):
        gk = np.float64(gf[k])
        mk = beta1 * np.float64(mf[k]) + (1.0 - beta1) * gk
        vk = beta2 * np.float64(vf[k]) + (1.0 - beta2) * gk * gk
        mf[k] = mk
        vf[k] = vk
        pk = np.float64(pf[k])
        pf[k] = pk - lr * ((mk / bc1) / (np.sqrt(vk / bc2) + eps) + weight_decay * pk)

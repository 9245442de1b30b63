"""An independent, naive float64 model of delayed / DCLS dense LIF layers and their BPTT.

Written from the equations only (no scnc kernels): loops over time, NumPy over batch and neurons.
Subtract reset, fast-sigmoid surrogate, ``ce_count`` or ``ce_membrane_mean`` loss. The DCLS
position gradient is taken by central differences of the (smooth) Gaussian kernel, so it does not
share the analytic formula of :mod:`scnc.snn.dcls`.
"""

from __future__ import annotations

import numpy as np


def gauss_kernel(w: np.ndarray, p: np.ndarray, sigma: float, taps: int, eps: float = 1e-7) -> np.ndarray:
    """``keff[k, i, j] = w * exp(-((k-p)/sigma)^2/2) / (sum_k exp(..) + eps)``, float64."""
    k = np.arange(taps, dtype=np.float64)[:, None, None]
    e = np.exp(-0.5 * ((k - p) / sigma) ** 2)
    return w * e / (e.sum(axis=0) + eps)


def onehot_kernel(w: np.ndarray, d: np.ndarray, taps: int) -> np.ndarray:
    """Integer delays as a kernel: ``keff[d[i, j], i, j] = w[i, j]``."""
    keff = np.zeros((taps, *w.shape))
    i, j = np.indices(w.shape)
    keff[d, i, j] = w
    return keff


def forward(kernels, betas, thetas, x):
    """Per layer ``(input, spikes, v_pre, v)``; ``x`` ``(T, B, n_in)``; subtract reset."""
    recs = []
    inp = np.asarray(x, np.float64)
    for keff, beta, theta in zip(kernels, betas, thetas):
        T, B, _ = inp.shape
        n = keff.shape[2]
        v = np.zeros((B, n))
        spk = np.zeros((T, B, n))
        vpre = np.zeros((T, B, n))
        vpost = np.zeros((T, B, n))
        for t in range(T):
            cur = np.zeros((B, n))
            for k in range(min(keff.shape[0], t + 1)):
                cur += inp[t - k] @ keff[k]
            vp = beta * v + cur
            s = (vp >= theta).astype(np.float64)
            v = vp - theta * s
            spk[t], vpre[t], vpost[t] = s, vp, v
        recs.append((inp, spk, vpre, vpost))
        inp = spk
    return recs


def loss_and_seeds(recs, y, loss: str):
    """Loss and its gradient wrt the output spikes and membranes ``(T, B, K)``."""
    _, spk, _, vpost = recs[-1]
    T, B, K = spk.shape
    logits = spk.sum(axis=0) if loss == "ce_count" else vpost.mean(axis=0)
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    value = float(-np.log(p[np.arange(B), y]).mean())
    g = (p - np.eye(K)[y]) / B
    ds = np.zeros((T, B, K))
    gm = np.zeros((T, B, K))
    if loss == "ce_count":
        ds[:] = g
    else:
        gm[:] = g / T
    return value, ds, gm


def backward(kernels, betas, thetas, recs, ds, gm, slope: float):
    """dL/dkeff and dL/dbeta per layer (surrogate ``1/(1+slope|u|)^2``, reset detached)."""
    gks, gbetas = [None] * len(kernels), [None] * len(kernels)
    for l in range(len(kernels) - 1, -1, -1):
        keff, beta, theta = kernels[l], betas[l], thetas[l]
        inp, spk, vpre, vpost = recs[l]
        T = spk.shape[0]
        dvp = np.zeros_like(vpre)
        dnext = np.zeros(vpre.shape[1:])
        for t in range(T - 1, -1, -1):
            sg = 1.0 / (1.0 + slope * np.abs(vpre[t] - theta)) ** 2
            dv = beta * dnext + gm[t]
            dnext = dv + ds[t] * sg
            dvp[t] = dnext
        gk = np.zeros_like(keff)
        ds_in = np.zeros(inp.shape)
        for k in range(keff.shape[0]):
            for t in range(T - k):
                gk[k] += inp[t].T @ dvp[t + k]
                ds_in[t] += dvp[t + k] @ keff[k].T
        gks[l] = gk
        gbetas[l] = float((dvp[1:] * vpost[:-1]).sum())
        ds, gm = ds_in, np.zeros(ds_in.shape)
    return gks, gbetas


def dcls_grads(w, p, sigma, taps, gk, h: float = 1e-6):
    """(dL/dw, dL/dp) of a DCLS layer from dL/dkeff, the kernel differentiated numerically."""
    gw = (gauss_kernel(np.ones_like(w), p, sigma, taps) * gk).sum(axis=0)
    dk = (gauss_kernel(w, p + h, sigma, taps) - gauss_kernel(w, p - h, sigma, taps)) / (2 * h)
    return gw, (dk * gk).sum(axis=0)

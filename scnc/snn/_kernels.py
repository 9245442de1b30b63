"""Numba kernels: forward, backward through time and Adam for a stack of dense LIF layers.

Private module: the typed, validated API is :mod:`scnc.snn.bptt` (and :mod:`scnc.snn.optim`).

Parameter packing (all float32, 1-D)
------------------------------------
Layer ``l`` maps ``sizes[l]`` inputs to ``sizes[l+1]`` neurons.

* ``w``: every layer's ``weight`` (row-major ``(n_in, n_out)``) back to back; layer ``l`` starts
  at ``w_off[l]``, element ``(i, j)`` is ``w[w_off[l] + i * n_out + j]``.
* ``bias``, ``beta``, ``theta``: per neuron, every layer back to back; layer ``l``'s neurons start
  at ``n_off[l]`` (a layer without bias passes zeros; per-layer beta/threshold are broadcast).
* ``reset_code[l]`` (int8): :data:`RESET_SUBTRACT`, :data:`RESET_ZERO` or
  :data:`RESET_SUBTRACT_DELAYED` (:mod:`scnc.snn.bptt` maps :class:`~scnc.kinds.ResetMode` to them).

Dynamics (float32 arithmetic, see :mod:`scnc.snn.network`)::

    I      = sum_{i : s_in[i] != 0} s_in[i] * w[i, :]  + bias     # inputs summed in increasing i
    v_pre  = beta * v_prev + I
    s      = v_pre >= theta
    v      = v_pre - theta * s     (subtract)      or      v_pre * (1 - s)     (zero)

    subtract_delayed (snnTorch's default Leaky; the reset of step t-1's spike lands at step t):
    v_pre  = (beta * v_prev + I) - theta * (v_prev >= theta)
    s      = v_pre >= theta
    v      = v_pre

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
    dtheta  += -dL/ds[t] * sg(u[t]) - (dv * s[t]          if subtract
                                        dv_pre[t+1] * s[t] if subtract_delayed
                                        0                  if zero)

(With the delayed reset, ``theta * s[t]`` is subtracted inside ``v_pre[t+1]``, hence its
threshold term takes ``dv_pre[t+1]``; the detached reset adds nothing else.)
    dL/ds_in[t, i] = sum_j w[i, j] * dv_pre[j]      (the previous layer's dL/ds at step t)

Determinism
-----------
The batch is split into ``n_chunks`` fixed, contiguous sample ranges (independent of the
number of threads). Every batch-summed gradient element is accumulated chunk by chunk: within a
chunk, samples in increasing order and steps in decreasing order, starting from zero; the chunk
partial sums are then added in chunk order. The backward kernel first stores ``dv_pre`` per
sample, step and neuron (parallel over chunks, each sample writing only its own rows), then forms
the sums in that order, parallel over blocks of weight rows (each block owned by one thread).
Results are therefore bit-identical for any thread count and any thread timing.

Performance notes: inner loops run over contiguous slices (no index arithmetic, so LLVM
vectorises them) and the non-zero gathers are branch-free.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

SURROGATE_FAST_SIGMOID = 0
SURROGATE_ARCTAN = 1

RESET_SUBTRACT = 0
RESET_ZERO = 1
RESET_SUBTRACT_DELAYED = 2

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
    """Indices (and values unless binary) of the non-zero inputs ``x[t, b, :]``; returns count.

    Branch-free: every index is written, the count only advances past non-zeros.
    """
    xr = x[t, b, :nin]
    nnz = 0
    if binary:
        for i in range(nin):
            idx[nnz] = i
            nnz += xr[i] != np.float32(0.0)
    else:
        for i in range(nin):
            xv = xr[i]
            idx[nnz] = i
            val[nnz] = xv
            nnz += xv != np.float32(0.0)
    return nnz


@njit(cache=True, inline="always")
def _gather_spikes(sr, nin, idx):  # pragma: no cover - compiled
    """Indices of the non-zero entries of the spike row ``sr[:nin]``; returns count."""
    nnz = 0
    for i in range(nin):
        idx[nnz] = i
        nnz += sr[i] != 0
    return nnz


@njit(cache=True, inline="always")
def _add_rows(w, wo, nout, idx, val, nnz, weighted, cur):  # pragma: no cover - compiled
    """``cur[:nout] = sum_k (val[k] if weighted else 1) * W[idx[k], :]`` for the layer at ``w[wo:]``.

    The gather-add at the heart of every layer: only the ``nnz`` active inputs are visited, in
    increasing index order (the summation order every kernel shares, so results match bit for bit).
    Rows are taken as slices so the inner loops are free of index arithmetic and vectorise.
    """
    for j in range(nout):
        cur[j] = np.float32(0.0)
    for k in range(nnz):
        base = wo + idx[k] * nout
        row = w[base:base + nout]
        if weighted:
            a = val[k]
            for j in range(nout):
                cur[j] += a * row[j]
        else:
            for j in range(nout):
                cur[j] += row[j]


@njit(cache=True, inline="always")
def _lif_step(cur, bias_r, beta_r, theta_r, vprev_r, rc, nout, vpre_r, spk_r, vpost_r):  # pragma: no cover
    """One membrane update of ``nout`` neurons: ``v_pre``, spike and ``v`` (the dynamics above).

    ``vprev_r`` and ``vpost_r`` may be the same array (inference updates in place): each element
    is read before it is written.
    """
    for j in range(nout):
        vo = vprev_r[j]
        vp = beta_r[j] * vo + (cur[j] + bias_r[j])
        th = theta_r[j]
        if rc == RESET_SUBTRACT_DELAYED and vo >= th:
            # the previous step fired (same comparison, same stored value): its reset lands now
            vp = vp - th
        s = vp >= th
        vpre_r[j] = vp
        spk_r[j] = s
        if rc == RESET_ZERO:
            vpost_r[j] = np.float32(0.0) if s else vp
        elif rc == RESET_SUBTRACT:
            vpost_r[j] = vp - th if s else vp
        else:
            vpost_r[j] = vp


@njit(cache=True, inline="always")
def _chunk_bounds(c, n_chunks, batch):  # pragma: no cover - compiled
    return (c * batch) // n_chunks, ((c + 1) * batch) // n_chunks


@njit(cache=True, inline="always")
def _max_size(sizes):  # pragma: no cover - compiled
    max_n = 0
    for l in range(sizes.shape[0]):
        if sizes[l] > max_n:
            max_n = sizes[l]
    return max_n


@njit(cache=True, inline="always")
def _lif_grad(dv, dnext, u, s, dss, rc, surrogate, slope):  # pragma: no cover - compiled
    """One neuron, one step of the LIF backward recursion (module docstring): from ``dv`` (dL/dv after
    the reset, the leak path included), ``dnext`` (dL/dv_pre at step t+1), ``u = v_pre - theta``, the
    spike ``s`` and ``dss = dL/ds``, return ``(dL/dv_pre, threshold term)``. The fused kernels and the
    layer-by-layer (delay) kernels both use it, so their gradients are the same arithmetic."""
    sg = _surrogate(u, surrogate, slope)
    if rc == RESET_ZERO and s:
        d = dss * sg
    else:
        d = dv + dss * sg
    gth = -(dss * sg)
    if s:
        if rc == RESET_SUBTRACT:
            gth -= dv
        elif rc == RESET_SUBTRACT_DELAYED:
            gth -= dnext
    return d, gth


@njit(cache=True, parallel=True)
def forward_train(x, binary, sizes, w_off, n_off, w, bias, beta, theta, reset_code, n_chunks,
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
    max_n = _max_size(sizes)
    for c in prange(n_chunks):
        b0, b1 = _chunk_bounds(c, n_chunks, B)
        idx = np.empty(max_n, np.int64)
        val = np.empty(max_n, np.float32)
        cur = np.empty(max_n, np.float32)
        zero = np.zeros(max_n, np.float32)
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
                        po = n_off[l - 1]
                        nnz = _gather_spikes(spikes[b, t, po:po + nin], nin, idx)
                        _add_rows(w, wo, nout, idx, val, nnz, False, cur)
                    vprev_r = vpost[b, t - 1, no:no + nout] if t > 0 else zero[:nout]
                    _lif_step(cur, bias[no:no + nout], beta[no:no + nout], theta[no:no + nout], vprev_r,
                              reset_code[l], nout, vpre[b, t, no:no + nout], spikes[b, t, no:no + nout],
                              vpost[b, t, no:no + nout])


@njit(cache=True, parallel=True)
def backward(x, binary, sizes, w_off, n_off, w, beta, theta, reset_code, surrogate, slope,
             spikes, vpre, vpost, g_spk, g_mem, n_chunks,
             dvp_all, gth_all, gw, gbias, gbeta, gtheta):  # pragma: no cover - compiled
    """Backward pass through time; writes the batch-summed gradients.

    Two phases. (1) Per sample (parallel over chunks of samples), the recursion back through time
    and layers, storing ``dv_pre`` and the threshold term per sample, step and neuron. (2) The
    batch sums, each element accumulated in the fixed order of the module docstring (chunk by
    chunk; within a chunk samples in increasing order, steps in decreasing order; the chunk
    partial sums then added in chunk order). Weight rows are parallel over blocks of input rows,
    so no per-chunk copy of the weight gradient is needed.

    Parameters
    ----------
    g_spk, g_mem:
        float32 ``(T, B, sizes[-1])``: dL/d(output spikes) and dL/d(output membrane ``v``) per
        step (either may be all zeros).
    dvp_all, gth_all:
        Scratch, float32 ``(B, T, len(beta))``: dL/dv_pre and the threshold-gradient term.
    gw, gbias, gbeta, gtheta:
        Outputs, shaped like ``w``, ``bias``, ``beta``, ``theta`` (per neuron).
    """
    T = x.shape[0]
    B = x.shape[1]
    L = sizes.shape[0] - 1
    n_w = w.shape[0]
    n_n = beta.shape[0]
    max_n = _max_size(sizes)
    # transposed weights of the layers above the first: dL/ds_in[i] = sum_j w[i, j] dv_pre[j]
    # is then, for each j in increasing order, a vectorised axpy over i (same order per element)
    wt = np.empty(n_w, np.float32)
    for l in range(1, L):
        nin = sizes[l]
        nout = sizes[l + 1]
        wo = w_off[l]
        for i in range(nin):
            for j in range(nout):
                wt[wo + j * nin + i] = w[wo + i * nout + j]
    # ---- phase 1: dv_pre per sample, step and neuron
    for c in prange(n_chunks):
        b0, b1 = _chunk_bounds(c, n_chunks, B)
        ds = np.zeros((T, max_n), np.float32)       # dL/ds of the current layer, per step
        ds_in = np.zeros((T, max_n), np.float32)    # dL/ds of the layer below
        dvn = np.empty(max_n, np.float32)           # dL/dv_pre at the step just processed
        gmz = np.zeros(max_n, np.float32)
        for b in range(b0, b1):
            nlast = sizes[L]
            for t in range(T):
                ds[t, :nlast] = g_spk[t, b, :]
            for l in range(L - 1, -1, -1):
                nin = sizes[l]
                nout = sizes[l + 1]
                wo = w_off[l]
                no = n_off[l]
                rc = reset_code[l]
                last = l == L - 1
                beta_r = beta[no:no + nout]
                theta_r = theta[no:no + nout]
                for j in range(nout):
                    dvn[j] = np.float32(0.0)
                for t in range(T - 1, -1, -1):
                    gm = g_mem[t, b, :] if last else gmz[:nout]
                    vpre_r = vpre[b, t, no:no + nout]
                    spk_r = spikes[b, t, no:no + nout]
                    ds_r = ds[t, :nout]
                    dvp = dvp_all[b, t, no:no + nout]
                    gth_r = gth_all[b, t, no:no + nout]
                    for j in range(nout):
                        dnext = dvn[j]      # dL/dv_pre at step t+1
                        dv = beta_r[j] * dnext
                        if last:
                            dv += gm[j]
                        d, gth = _lif_grad(dv, dnext, vpre_r[j] - theta_r[j], spk_r[j], ds_r[j], rc, surrogate, slope)
                        dvn[j] = d
                        dvp[j] = d
                        gth_r[j] = gth
                    if l > 0:
                        # dL/ds of the layer below at this step: j outer, i inner (vectorised)
                        dsi = ds_in[t, :nin]
                        for i in range(nin):
                            dsi[i] = np.float32(0.0)
                        for j in range(nout):
                            col = wt[wo + j * nin:wo + (j + 1) * nin]
                            dj = dvp[j]
                            for i in range(nin):
                                dsi[i] += col[i] * dj
                if l > 0:
                    ds, ds_in = ds_in, ds
    # ---- phase 2a: per-neuron sums (bias, beta, threshold)
    acc0 = np.empty(n_n, np.float32)
    acc1 = np.empty(n_n, np.float32)
    acc2 = np.empty(n_n, np.float32)
    gbias[:] = np.float32(0.0)
    gbeta[:] = np.float32(0.0)
    gtheta[:] = np.float32(0.0)
    for c in range(n_chunks):
        b0, b1 = _chunk_bounds(c, n_chunks, B)
        acc0[:] = np.float32(0.0)
        acc1[:] = np.float32(0.0)
        acc2[:] = np.float32(0.0)
        for b in range(b0, b1):
            for t in range(T - 1, -1, -1):
                d_r = dvp_all[b, t]
                g_r = gth_all[b, t]
                for k in range(n_n):
                    acc0[k] += d_r[k]
                    acc2[k] += g_r[k]
                if t > 0:
                    v_r = vpost[b, t - 1]
                    for k in range(n_n):
                        acc1[k] += d_r[k] * v_r[k]
        for k in range(n_n):
            gbias[k] += acc0[k]
            gbeta[k] += acc1[k]
            gtheta[k] += acc2[k]
    # ---- phase 2b: weight rows, parallel over (layer, block of input rows)
    rb = 32
    n_tasks = 0
    for l in range(L):
        n_tasks += (sizes[l] + rb - 1) // rb
    for task in prange(n_tasks):
        l = 0
        first = 0
        while task - first >= (sizes[l] + rb - 1) // rb:
            first += (sizes[l] + rb - 1) // rb
            l += 1
        nin = sizes[l]
        nout = sizes[l + 1]
        wo = w_off[l]
        no = n_off[l]
        i0 = (task - first) * rb
        ri = min(rb, nin - i0)
        acc = np.empty((rb, max_n), np.float32)
        idx = np.empty(rb, np.int64)
        val = np.empty(rb, np.float32)
        gblk = gw[wo + i0 * nout:wo + (i0 + ri) * nout]
        gblk[:] = np.float32(0.0)
        po = n_off[l - 1] if l > 0 else 0
        weighted = l == 0 and not binary
        for c in range(n_chunks):
            b0, b1 = _chunk_bounds(c, n_chunks, B)
            for r in range(ri):
                for j in range(nout):
                    acc[r, j] = np.float32(0.0)
            for b in range(b0, b1):
                for t in range(T - 1, -1, -1):
                    nnz = 0
                    if l == 0:
                        xr = x[t, b, i0:i0 + ri]
                        for r in range(ri):
                            xv = xr[r]
                            idx[nnz] = r
                            val[nnz] = xv
                            nnz += xv != np.float32(0.0)
                    else:
                        sr = spikes[b, t, po + i0:po + i0 + ri]
                        for r in range(ri):
                            idx[nnz] = r
                            nnz += sr[r] != 0
                    if nnz == 0:
                        continue
                    dvp = dvp_all[b, t, no:no + nout]
                    for k in range(nnz):
                        arow = acc[idx[k], :nout]
                        if weighted:
                            a = val[k]
                            for j in range(nout):
                                arow[j] += a * dvp[j]
                        else:
                            for j in range(nout):
                                arow[j] += dvp[j]
            for r in range(ri):
                grow = gblk[r * nout:(r + 1) * nout]
                arow = acc[r, :nout]
                for j in range(nout):
                    grow[j] += arow[j]


@njit(cache=True, parallel=True)
def infer_counts(x, binary, sizes, w_off, n_off, w, bias, beta, theta, reset_code,
                 counts):  # pragma: no cover - compiled
    """Inference only: output spike counts ``counts[b, k]`` (int32), no traces kept.

    Same arithmetic, in the same order, as :func:`forward_train`; each sample writes only its own
    row, so the result does not depend on threading.
    """
    T = x.shape[0]
    B = x.shape[1]
    L = sizes.shape[0] - 1
    n_n = beta.shape[0]
    max_n = _max_size(sizes)
    nlast = sizes[L]
    olast = n_off[L - 1]
    for b in prange(B):
        idx = np.empty(max_n, np.int64)
        val = np.empty(max_n, np.float32)
        cur = np.empty(max_n, np.float32)
        v = np.zeros(n_n, np.float32)
        vp_scratch = np.empty(n_n, np.float32)
        s = np.zeros(n_n, np.uint8)
        cnt = counts[b]
        for k in range(nlast):
            cnt[k] = 0
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
                    nnz = _gather_spikes(s[po:po + nin], nin, idx)
                    _add_rows(w, wo, nout, idx, val, nnz, False, cur)
                vr = v[no:no + nout]
                _lif_step(cur, bias[no:no + nout], beta[no:no + nout], theta[no:no + nout], vr,
                          reset_code[l], nout, vp_scratch[no:no + nout], s[no:no + nout], vr)
            so = s[olast:olast + nlast]
            for k in range(nlast):
                cnt[k] += so[k]


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


# ---------------------------------------------------------------------------------------------
# Synaptic delays, layer by layer (used by scnc.snn.delayed for networks with any delayed layer)
#
# A feed-forward network can be run one layer at a time over all T steps: layer l at step t
# only reads layer l-1 at steps <= t. Records here are (T, B, n) per layer. A delayed synapse
# (i, j) with delay d adds input i's step-t value into neuron j's current at step t + d (if
# t + d < T); a DCLS kernel ``keff`` of K taps adds ``keff[k, i, j] * x[t, i]`` at t + k.
# Summation order into each current element: source step t increasing, then input i increasing
# (then tap k): with every delay 0 that is exactly the order of _add_rows, so a layer with zero
# delays reproduces the fused kernels' currents bit for bit.
# ---------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def delay_current(x, binary, w, d, cur):  # pragma: no cover - compiled
    """Input currents of a dense layer with integer per-synapse delays (bias excluded).

    Parameters
    ----------
    x:
        float32 ``(T, B, n_in)`` input (spikes when ``binary``).
    w, d:
        float32 weights and int16 delays in time steps, both ``(n_in, n_out)``.
    cur:
        Output float32 ``(T, B, n_out)``: ``cur[t, b, j] = sum_i x[t - d[i, j], b, i] * w[i, j]``
        (terms with ``t - d < 0`` are 0).
    """
    T = x.shape[0]
    B = x.shape[1]
    nin = w.shape[0]
    nout = w.shape[1]
    for b in prange(B):
        for t in range(T):
            for j in range(nout):
                cur[t, b, j] = np.float32(0.0)
        for t in range(T):
            xr = x[t, b]
            for i in range(nin):
                xv = xr[i]
                if xv == np.float32(0.0):
                    continue
                wr = w[i]
                dr = d[i]
                for j in range(nout):
                    tt = t + dr[j]
                    if tt < T:
                        if binary:
                            cur[tt, b, j] += wr[j]
                        else:
                            cur[tt, b, j] += xv * wr[j]


@njit(cache=True, parallel=True)
def delay_backward(x, w, d, dvp, need_ds, gw, ds_in):  # pragma: no cover - compiled
    """Gradients through a delayed dense synapse layer, given ``dvp = dL/dcur`` ``(T, B, n_out)``.

    ``gw[i, j] = sum_{b, t} x[t, b, i] * dvp[t + d[i, j], b, j]`` and, when ``need_ds``,
    ``ds_in[t, b, i] = sum_j w[i, j] * dvp[t + d[i, j], b, j]`` (terms with ``t + d >= T`` are 0).
    Parallel over input rows ``i``; each row is owned by one thread and summed in the fixed order
    (samples, then steps, increasing), so results do not depend on the thread count.
    """
    T = x.shape[0]
    B = x.shape[1]
    nin = w.shape[0]
    nout = w.shape[1]
    for i in prange(nin):
        gr = gw[i]
        wr = w[i]
        dr = d[i]
        for j in range(nout):
            gr[j] = np.float32(0.0)
        for b in range(B):
            for t in range(T):
                xv = x[t, b, i]
                acc = np.float32(0.0)
                for j in range(nout):
                    tt = t + dr[j]
                    if tt < T:
                        g = dvp[tt, b, j]
                        acc += wr[j] * g
                        gr[j] += xv * g
                if need_ds:
                    ds_in[t, b, i] = acc


@njit(cache=True, parallel=True)
def conv_current(x, keff, cur):  # pragma: no cover - compiled
    """Input currents of a dense layer whose synapses are temporal kernels (DCLS), bias excluded.

    ``keff`` is float32 ``(K, n_in, n_out)``; ``cur[t, b, j] = sum_i sum_k keff[k, i, j] *
    x[t - k, b, i]`` (terms before step 0 are 0). ``x`` float32 ``(T, B, n_in)``.
    """
    T = x.shape[0]
    B = x.shape[1]
    K = keff.shape[0]
    nin = keff.shape[1]
    nout = keff.shape[2]
    for b in prange(B):
        for t in range(T):
            for j in range(nout):
                cur[t, b, j] = np.float32(0.0)
        for t in range(T):
            xr = x[t, b]
            kmax = min(K, T - t)
            for i in range(nin):
                xv = xr[i]
                if xv == np.float32(0.0):
                    continue
                for k in range(kmax):
                    row = keff[k, i]
                    cr = cur[t + k, b]
                    for j in range(nout):
                        cr[j] += xv * row[j]


@njit(cache=True, parallel=True)
def conv_backward(x, keff, dvp, need_ds, gk, ds_in):  # pragma: no cover - compiled
    """Gradients through a DCLS kernel layer, given ``dvp = dL/dcur`` ``(T, B, n_out)``.

    ``gk[k, i, j] = sum_{b, t} x[t, b, i] * dvp[t + k, b, j]`` (dL/dkeff) and, when ``need_ds``,
    ``ds_in[t, b, i] = sum_k sum_j keff[k, i, j] * dvp[t + k, b, j]``. Parallel over input rows,
    fixed summation order (samples, steps, taps increasing).
    """
    T = x.shape[0]
    B = x.shape[1]
    K = keff.shape[0]
    nin = keff.shape[1]
    nout = keff.shape[2]
    for i in prange(nin):
        for k in range(K):
            for j in range(nout):
                gk[k, i, j] = np.float32(0.0)
        for b in range(B):
            for t in range(T):
                xv = x[t, b, i]
                kmax = min(K, T - t)
                acc = np.float32(0.0)
                for k in range(kmax):
                    g = dvp[t + k, b]
                    row = keff[k, i]
                    grow = gk[k, i]
                    if need_ds:
                        for j in range(nout):
                            acc += row[j] * g[j]
                    if xv != np.float32(0.0):
                        for j in range(nout):
                            grow[j] += xv * g[j]
                if need_ds:
                    ds_in[t, b, i] = acc


@njit(cache=True, parallel=True)
def lif_layer_forward(cur, bias, beta, theta, rc, spikes, vpre, vpost):  # pragma: no cover - compiled
    """LIF dynamics of one layer over all steps from its input currents ``cur`` ``(T, B, n)``.

    Writes uint8 ``spikes`` and float32 ``vpre``/``vpost``, all ``(T, B, n)``; per-neuron
    ``bias``, ``beta``, ``theta`` float32 ``(n,)``; ``rc`` the reset code. Same arithmetic as the
    fused kernels (:func:`_lif_step`).
    """
    T = cur.shape[0]
    B = cur.shape[1]
    n = cur.shape[2]
    for b in prange(B):
        zero = np.zeros(n, np.float32)
        for t in range(T):
            vprev = vpost[t - 1, b] if t > 0 else zero
            _lif_step(cur[t, b], bias, beta, theta, vprev, rc, n, vpre[t, b], spikes[t, b], vpost[t, b])


@njit(cache=True, parallel=True)
def lif_layer_backward(beta, theta, rc, surrogate, slope, spikes, vpre, ds, gm, dvp, gth):  # pragma: no cover
    """Backward through one layer's LIF dynamics (the recursion of the module docstring).

    ``ds`` and ``gm`` are dL/ds and dL/dv (after the reset) per step, float32 ``(T, B, n)``;
    writes ``dvp`` (dL/dv_pre, which is dL/dcur) and ``gth`` (the threshold term), ``(T, B, n)``.
    """
    T = spikes.shape[0]
    B = spikes.shape[1]
    n = spikes.shape[2]
    for b in prange(B):
        dvn = np.zeros(n, np.float32)
        for t in range(T - 1, -1, -1):
            vpre_r = vpre[t, b]
            spk_r = spikes[t, b]
            ds_r = ds[t, b]
            gm_r = gm[t, b]
            dvp_r = dvp[t, b]
            gth_r = gth[t, b]
            for j in range(n):
                dnext = dvn[j]
                dv = beta[j] * dnext + gm_r[j]
                dd, g = _lif_grad(dv, dnext, vpre_r[j] - theta[j], spk_r[j], ds_r[j], rc, surrogate, slope)
                dvn[j] = dd
                dvp_r[j] = dd
                gth_r[j] = g

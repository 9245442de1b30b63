"""Numba kernels of the CoLaNET-style local rule (pure, small; validated by :mod:`scnc.local.colanet`).

Nothing here checks its arguments: the wrappers in :mod:`scnc.local.colanet` do, once, before a
kernel runs. Every kernel works in float64 and visits neurons and synapses in index order, so the
results are deterministic and equal, bit for bit, to the plain-Python transcription of the rule in
``tests/test_local_rule.py``. The rule itself is documented in ``docs/local_learning.md``.

Array conventions (``n_in`` inputs, ``N = C * K`` neurons, column ``c`` = neurons ``c*K .. c*K+K-1``):

* ``r``, ``w`` float64 ``(n_in, N)``: synaptic resource and the weight it gives (:func:`weight_of`).
* ``free``, ``stab``, ``theta`` float64 ``(N,)``: free resource, stability, firing threshold.
* ``spikes`` uint8 ``(T, n_in)``: one sample's rate-coded input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NEVER = -(1 << 40)
"""'No spike yet' time stamp: far enough in the past that no window (``t - NEVER``) reaches it."""


@njit(cache=True)
def weight_of(r, w_min, w_max):  # pragma: no cover - compiled
    """Weight of resource ``r``: ``w_min + d * max(r, 0) / (d + max(r, 0))``, ``d = w_max - w_min``."""
    x = r if r > 0.0 else 0.0
    d = w_max - w_min
    return w_min + d * x / (d + x)


@njit(cache=True)
def neuron_threshold(w, j, theta0, coef):  # pragma: no cover - compiled
    """``theta0 + coef * (sum of the positive weights of neuron j)`` (the adaptive part, summed in order)."""
    s = 0.0
    for i in range(w.shape[0]):
        if w[i, j] > 0.0:
            s += w[i, j]
    return theta0 + coef * s


@njit(cache=True)
def _add_resource(r, w, free, i, j, dr, w_min, w_max):  # pragma: no cover - compiled
    """Move ``dr`` from the neuron's free resource into synapse ``(i, j)`` (conserved)."""
    r[i, j] += dr
    free[j] -= dr
    w[i, j] = weight_of(r[i, j], w_min, w_max)


@njit(cache=True)
def present(spikes, label, learn, r, w, free, stab, theta, K,
            beta, theta0, coef, w_min, w_max, d_hebb, dopamine, stab_change,
            isi_max, period, drain, t_gate, counts):  # pragma: no cover - compiled
    """Present one sample for ``T`` steps; with ``learn``, apply the local rule. Returns forced spikes.

    Parameters
    ----------
    spikes:
        uint8 ``(T, n_in)``.
    label:
        The correct column (only read when ``learn``).
    learn:
        Training (label pathway and plasticity on) or inference (neither).
    counts:
        int64 ``(C,)``, zeroed here: per column, the steps in which one of its neurons fired on
        its own (forced spikes are not counted: they are the label's, not the network's answer).
    """
    T, n_in = spikes.shape
    N = w.shape[1]
    C = N // K
    v = np.zeros(N)
    last_in = np.full(n_in, NEVER, np.int64)
    last_spk = np.full(N, NEVER, np.int64)
    isi_start = np.full(N, NEVER, np.int64)
    forced = np.zeros(N, np.bool_)
    updated = np.zeros((n_in, N), np.bool_)
    contrib = np.zeros((n_in, N), np.bool_)
    col_fired = np.zeros(C, np.bool_)
    fired = np.zeros(N, np.bool_)
    for c in range(C):
        counts[c] = 0
    n_forced = 0
    for t in range(T):
        for i in range(n_in):
            if spikes[t, i]:
                last_in[i] = t
        # leak and integrate: v = beta * v + sum of the weights of the inputs that spiked
        for j in range(N):
            acc = 0.0
            for i in range(n_in):
                if spikes[t, i]:
                    acc += w[i, j]
            v[j] = beta * v[j] + acc
        for c in range(C):
            lo = c * K
            winner = -1
            best = 0.0
            for j in range(lo, lo + K):
                m = v[j] - theta[j]
                fired[j] = m >= 0.0
                if fired[j] and (winner < 0 or m > best):
                    winner = j
                    best = m
            is_forced = False
            if learn and c == label and t == t_gate and winner < 0 and not col_fired[c]:
                # the gate: the label drives the correct column, which has stayed silent, to fire;
                # its neuron closest to threshold takes the spike (the column's WTA)
                for j in range(lo, lo + K):
                    m = v[j] - theta[j]
                    if winner < 0 or m > best:
                        winner = j
                        best = m
                is_forced = True
                fired[winner] = True
                n_forced += 1
            if winner >= 0 and not is_forced:
                counts[c] += 1
            if winner >= 0:
                col_fired[c] = True
            for j in range(lo, lo + K):
                if fired[j]:
                    v[j] = 0.0  # reset to zero (every neuron that fired; the WTA only picks who learns)
            if not learn or winner < 0:
                continue
            j = winner
            if t - last_spk[j] > isi_max:
                # a new ISI period: contributions and the once-per-period marks start afresh
                isi_start[j] = t
                for i in range(n_in):
                    updated[i, j] = False
                    contrib[i, j] = False
            for i in range(n_in):
                if t - last_in[i] < period:
                    contrib[i, j] = True
            last_spk[j] = t
            if is_forced:
                forced[j] = True
                continue
            factor = min(2.0 ** (-stab[j]), 1.0)
            for i in range(n_in):
                if contrib[i, j] and not updated[i, j]:
                    _add_resource(r, w, free, i, j, d_hebb * factor, w_min, w_max)
                    updated[i, j] = True
            theta[j] = neuron_threshold(w, j, theta0, coef)
    if learn:
        # dopamine: the label rewards the correct column's neurons that fired recently
        t_end = T - 1
        lo = label * K
        for j in range(lo, lo + K):
            if t_end - last_spk[j] > period:
                continue
            factor = min(2.0 ** (-stab[j]), 1.0)
            for i in range(n_in):
                if contrib[i, j]:
                    _add_resource(r, w, free, i, j, dopamine * factor, w_min, w_max)
            if forced[j]:
                stab[j] = max(stab[j] - dopamine * stab_change, 0.0)
            else:
                lag = abs(float(last_spk[j] - isi_start[j] - isi_max)) / isi_max
                stab[j] += stab_change * dopamine * max(2.0 - lag, -1.0)
            theta[j] = neuron_threshold(w, j, theta0, coef)
        # between samples every neuron is outside an ISI period: spread its free resource evenly
        for j in range(N):
            if free[j] != 0.0:
                dr = free[j] / (n_in + drain)
                for i in range(n_in):
                    r[i, j] += dr
                    w[i, j] = weight_of(r[i, j], w_min, w_max)
                free[j] = 0.0
                theta[j] = neuron_threshold(w, j, theta0, coef)
    return n_forced


@njit(cache=True)
def run_epoch(spikes, labels, order, learn, r, w, free, stab, theta, K,
              beta, theta0, coef, w_min, w_max, d_hebb, dopamine, stab_change,
              isi_max, period, drain, t_gate, counts):  # pragma: no cover - compiled
    """Present samples ``order[0], order[1], ...`` of ``spikes`` ``(n, T, n_in)`` one at a time.

    ``counts`` int64 ``(n, C)`` receives each sample's column counts. Returns the forced spikes.
    """
    total = 0
    for k in range(order.shape[0]):
        s = order[k]
        total += present(spikes[s], labels[s], learn, r, w, free, stab, theta, K,
                         beta, theta0, coef, w_min, w_max, d_hebb, dopamine, stab_change,
                         isi_max, period, drain, t_gate, counts[s])
    return total

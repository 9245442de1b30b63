"""Numba kernels of the reference model (private; wrapped by :mod:`scnc.ref.model`).

Every kernel is a pure function over arrays: all stream-dependent numbers (window counts, dither,
leak factors) are precomputed by the caller, so the kernels only do the integer arithmetic of
``docs/hardware.md`` section 3. Samples are independent and each writes only its own slices, so the
``prange`` loops are race-free and the results do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["lif_layer", "build_weight_steps", "RESET_SUBTRACT", "RESET_ZERO", "RESET_SUBTRACT_DELAYED"]

# reset codes of lif_layer (scnc.ref.model maps each ResetMode to one)
RESET_SUBTRACT = 0
RESET_ZERO = 1
RESET_SUBTRACT_DELAYED = 2


@njit(cache=True)
def _delayed_current(
    in_spikes: np.ndarray, b: int, t: int, order: np.ndarray, start: np.ndarray, wsteps: np.ndarray, tw: int,
    cur: np.ndarray,
) -> None:
    """``cur[i] += sum_j s_j[t - delays[j, i]] * wsteps[tw, j, i]`` (a step before 0 holds no spike).

    The synapses of input ``j`` come grouped by delay: ``order[j, start[j, d]:start[j, d + 1]]`` are
    the neurons it reaches with delay ``d``, so each (input, delay) pair is looked up once and only
    the synapses of a spike that arrives now are visited (the dense path's work, not ``n_in * n_out``).
    """
    n_in = order.shape[0]
    for d in range(min(start.shape[1] - 1, t + 1)):  # delays reaching back to step 0 at most
        ts = t - d
        for j in range(n_in):
            if in_spikes[b, ts, j] != 0:
                for k in range(start[j, d], start[j, d + 1]):
                    i = order[j, k]
                    cur[i] += wsteps[tw, j, i]


@njit(cache=True, parallel=True)
def lif_layer(
    in_spikes: np.ndarray,
    wsteps: np.ndarray,
    t0: int,
    t1: int,
    bias: np.ndarray,
    threshold: np.ndarray,
    leak_sc: bool,
    leak_c: np.ndarray,
    leak_d: np.ndarray,
    leak_shift: np.ndarray,
    n_bits: int,
    vmin: int,
    vmax: int,
    reset: int,
    v_state: np.ndarray,
    out_spikes: np.ndarray,
    membranes: np.ndarray,
    trace: bool,
    saturations: np.ndarray,
    delay_order: np.ndarray,
    delay_start: np.ndarray,
) -> None:
    """Advance one dense LIF layer over time steps ``t0 .. t1-1`` for every sample (in place).

    Parameters
    ----------
    in_spikes:
        uint8 ``(B, T, n_in)``, the layer's input spikes (0/1) of every step.
    wsteps:
        int32 ``(Tw, n_in, n_out)``: ``wsteps[t - t0, j, i] = sign(q_ij) * cnt(t, m_ij)``, the exact
        contribution of an active input ``j`` to neuron ``i``'s current at step ``t``. ``Tw == 1``
        when the contribution does not depend on ``t`` (fixed encoding, exact SNGs).
    t0, t1:
        The range of time steps to run (steps).
    bias, threshold:
        int64 ``(n_out,)`` (accumulator units).
    leak_sc:
        True: ``lv = (v * leak_c[t, i] + leak_d[t]) >> n_bits``; False: ``lv = v - (v >> leak_shift[i])``.
    leak_c, leak_d:
        int64 ``(T, n_out)`` and ``(T,)``: leak multiplier (ones in the beta window) and dither.
    leak_shift:
        int64 ``(n_out,)``, shift amounts clipped to 0..63 (exact for membranes narrower than 63 bits).
    n_bits:
        n = log2 L (bits).
    vmin, vmax:
        Saturation bounds of the membrane register.
    reset:
        :data:`RESET_SUBTRACT` (subtract the threshold on a spike), :data:`RESET_ZERO` (set to 0 on
        a spike) or :data:`RESET_SUBTRACT_DELAYED` (store ``v_sat`` as it is; the next step subtracts
        the threshold before saturating when the stored membrane is ``>= threshold``).
    v_state:
        int64 ``(B, n_out)``, membranes after step ``t0 - 1``; updated to those after ``t1 - 1``.
    out_spikes:
        uint8 ``(B, T, n_out)``, written for steps ``t0 .. t1-1``.
    membranes:
        int64 ``(B, T, n_out)`` stored membranes (after any reset), written when ``trace`` (else any shape).
    saturations:
        int64 ``(B,)``: incremented once per (step, neuron) whose membrane was clamped.
    delay_order, delay_start:
        Synaptic delays (time steps): synapse ``(j, i)`` adds its step-``t`` contribution when input
        ``j`` spiked at step ``t - delays[j, i]`` (never before step 0). int64 ``(n_in, n_out)``: row
        ``j`` lists the neurons input ``j`` reaches, by increasing delay; int64 ``(n_in, D + 2)``:
        ``delay_start[j, d]`` is where delay ``d`` begins in that row. Empty ``(0, 0)`` arrays mean
        no delays: the dense path, unchanged.
    """
    n_batch = in_spikes.shape[0]
    n_in = in_spikes.shape[2]
    n_out = bias.shape[0]
    time_varying = wsteps.shape[0] > 1
    for b in prange(n_batch):
        active = np.empty(n_in, np.int64)
        cur = np.empty(n_out, np.int64)
        sat = 0
        for t in range(t0, t1):
            n_active = 0
            for j in range(n_in):
                if in_spikes[b, t, j] != 0:
                    active[n_active] = j
                    n_active += 1
            tw = t - t0 if time_varying else 0
            for i in range(n_out):
                cur[i] = 0
            if delay_order.shape[0] == 0:
                for a in range(n_active):
                    j = active[a]
                    for i in range(n_out):
                        cur[i] += wsteps[tw, j, i]
            else:
                _delayed_current(in_spikes, b, t, delay_order, delay_start, wsteps, tw, cur)
            for i in range(n_out):
                v = v_state[b, i]
                if leak_sc:
                    lv = (v * leak_c[t, i] + leak_d[t]) >> n_bits
                else:
                    lv = v - (v >> leak_shift[i])
                vp = lv + cur[i] + bias[i]
                if reset == RESET_SUBTRACT_DELAYED and v >= threshold[i]:
                    vp -= threshold[i]  # the previous step fired: its reset lands now
                if vp > vmax:
                    vp = vmax
                    sat += 1
                elif vp < vmin:
                    vp = vmin
                    sat += 1
                if vp >= threshold[i]:
                    out_spikes[b, t, i] = 1
                    if reset == RESET_ZERO:
                        vp = 0
                    elif reset == RESET_SUBTRACT:
                        vp = vp - threshold[i]
                else:
                    out_spikes[b, t, i] = 0
                v_state[b, i] = vp
                if trace:
                    membranes[b, t, i] = vp
        saturations[b] += sat


@njit(cache=True, parallel=True)
def build_weight_steps(
    sign: np.ndarray, m: np.ndarray, stream: np.ndarray, tables: np.ndarray, t0: int, t1: int, out: np.ndarray
) -> None:
    """Fill ``out[t - t0, j, i] = sign[j, i] * tables[stream[j], t, m[j, i]]`` for ``t0 <= t < t1``.

    Parameters
    ----------
    sign, m:
        int64 ``(n_in, n_out)``: weight signs (-1, 0, 1) and comparator thresholds (0..L).
    stream:
        int64 ``(n_in,)``: the synapse stream of each input (``j % parallel_inputs``).
    tables:
        int32 ``(P, T, L + 1)``: window counts ``cnt_{S_p}(t, m)``.
    out:
        int32 ``(>= t1 - t0, n_in, n_out)``.
    """
    n_in, n_out = sign.shape
    for t in prange(t0, t1):
        for j in range(n_in):
            p = stream[j]
            for i in range(n_out):
                out[t - t0, j, i] = sign[j, i] * tables[p, t, m[j, i]]

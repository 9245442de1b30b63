"""``bound_widths``: register widths from proven bounds, and the static dead-layer check.

Guarantee (both encodings, since ``set_encoding`` only flips ``HardwareParams.encoding``):

* ``current_bits`` (at least 2) holds every current the layer can compute: ``|I_i| <= sum_j c_ij`` split by sign,
  where ``c_ij`` is the larger of the fixed-point count ``m_ij`` and the largest window count of
  synapse stream ``j mod P_i`` over the ``T`` windows of a sample (exact: SNGs restart every sample,
  so those ``T`` windows are all there are; for VDC / Sobol the count is ``m_ij`` itself).
* ``membrane_bits``: the smallest signed width holding every reachable pre-reset membrane ``v_pre``,
  0 and every ``threshold_q``, when that width is at most 32 bits; then ``overflow_free = True`` and
  the membrane never saturates. Otherwise 32 bits, saturating, ``overflow_free = False``.
  ``options.membrane_bits`` forces a width instead (``overflow_free`` tells whether the proven
  range fits it).
* ``OutputNode.count_bits = T.bit_length()``: a counter that holds ``T``.

The proof is an interval abstract interpretation of ``docs/hardware.md`` section 3, per neuron, over
the ``T`` steps of one sample, starting from ``v = 0``: with ``v`` in ``[a, b]``, inputs that can spike
bounding ``I`` in ``[I_lo, I_hi]``, the leak count ``C`` in ``[C_lo, C_hi]`` (the fixed ``beta_q`` and,
every window count of the beta stream in the sample) and the dither ``d`` in ``[d_lo, d_hi]``
(the dither SNG's ``T`` values and ``L/2``), the leak ``floor((v*C + d) / L)`` is monotone in ``v``,
``d`` and (by the sign of ``v``) ``C``, and ``v - (v >> k)`` is monotone in ``v``, so the box corners
bound ``lv``; then ``v_pre`` in ``[lv_lo + I_lo + b, lv_hi + I_hi + b]``, and the reset maps the
part below ``theta`` and the part at or above it separately. With the delayed subtract
(``ResetMode.SUBTRACT_DELAYED``) the stored value is ``v_pre`` itself and the reset is part of the
next step's update: the stored interval is split at ``theta``, each part leaked, ``theta`` taken
off the part at or above it, and ``v_pre`` bounded by the union. Every step's interval contains every
reachable value, so the union over the ``T`` steps bounds the whole sample. Inputs of a layer can
spike only if the previous layer's neuron can fire (some step's ``v_pre`` upper bound, after
saturation, reaches ``threshold_q``); the network input can always spike.

A layer none of whose neurons can fire is reported with a
:class:`~scnc.ir.options.QuantizationWarning` naming it (all weights quantized to 0, thresholds above
the reachable membrane, or silent inputs).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from ...errors import ConfigError
from ...kinds import ResetMode
from ..graph import Graph, HardwareParams, QuantDense, QuantLIF, SCLeak
from ..options import MAX_MEMBRANE_BITS, QuantizationWarning, QuantOptions
from ._common import require_quant
from .validate import current_range, signed_bits, synapse_counts, window_counts

__all__ = ["bound_widths", "membrane_range"]

_BIG = 1 << 45  # intervals are clipped here: beyond it the range needs > 32 bits anyway


def _leak_params(leak: SCLeak, L: int, T: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(C_lo, C_hi) per neuron and (d_lo, d_hi) of an SC leak over both encodings."""
    from ...sc.sng import sequence

    beta_q = leak.beta_q.astype(np.int64)
    c_lo, c_hi = beta_q.copy(), beta_q.copy()
    if leak.beta_sng is not None:
        table = window_counts(leak.beta_sng, L, T)[:, beta_q]  # (T', n_out)
        c_lo = np.minimum(c_lo, table.min(axis=0))
        c_hi = np.maximum(c_hi, table.max(axis=0))
    d_lo = d_hi = int(leak.rounding)
    if leak.dither_sng is not None:
        d = sequence(leak.dither_sng, T).astype(np.int64)
        d_lo, d_hi = min(d_lo, int(d.min())), max(d_hi, int(d.max()))
    return c_lo, c_hi, d_lo, d_hi


def _stored_interval(reset: ResetMode, lo: np.ndarray, hi: np.ndarray, thr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The interval of the stored membrane after this step's reset, ``v_pre`` in ``[lo, hi]``."""
    if reset is ResetMode.SUBTRACT_DELAYED:
        return lo, hi  # stored as it is: the reset lands next step
    fires, stays = hi >= thr, lo < thr
    if reset is ResetMode.SUBTRACT:
        f_lo, f_hi = np.maximum(lo, thr) - thr, hi - thr
    else:
        f_lo = f_hi = np.zeros_like(lo)
    s_lo, s_hi = lo, np.minimum(hi, thr - 1)
    new_a = np.where(stays & fires, np.minimum(s_lo, f_lo), np.where(stays, s_lo, f_lo))
    new_b = np.where(stays & fires, np.maximum(s_hi, f_hi), np.where(stays, s_hi, f_hi))
    return new_a, new_b


def membrane_range(
    syn: QuantDense,
    q: QuantLIF,
    L: int,
    T: int,
    can_spike: np.ndarray,
    clamp: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval analysis of one layer over a sample (see the module docstring).

    Parameters
    ----------
    syn, q:
        The layer's synapse and neuron hardware forms (weights, neurons and streams set).
    L, T:
        Stream length (cycles) and time steps per sample.
    can_spike:
        bool ``(n_in,)``: which inputs can ever spike.
    clamp:
        ``(vmin, vmax)`` saturation bounds of the membrane, or ``None`` for unbounded arithmetic.

    Returns
    -------
    (vpre_lo, vpre_hi, can_fire)
        int64 ``(n_out,)`` bounds of ``v_pre`` (after saturation when ``clamp``) over every step, and
        bool ``(n_out,)``: whether each neuron can fire at all.
    """
    c = synapse_counts(syn, L, T) * can_spike.astype(np.int64)[:, None]
    wq = syn.weight_q
    i_hi = np.where(wq > 0, c, 0).sum(axis=0)
    i_lo = -np.where(wq < 0, c, 0).sum(axis=0)
    bias = q.bias_q.astype(np.int64)
    thr = q.threshold_q.astype(np.int64)
    n_out = thr.shape[0]
    sc_leak = isinstance(q.leak, SCLeak)
    if sc_leak:
        c_lo, c_hi, d_lo, d_hi = _leak_params(q.leak, L, T)
    else:
        k = q.leak.shift.astype(np.int64)
    a = np.zeros(n_out, np.int64)
    b = np.zeros(n_out, np.int64)
    lo_all = np.zeros(n_out, np.int64)
    hi_all = np.zeros(n_out, np.int64)
    fire = np.zeros(n_out, bool)
    lo_clip, hi_clip = (-_BIG, _BIG) if clamp is None else clamp

    def leak_hi(x: np.ndarray) -> np.ndarray:
        """An upper bound of the leaked value of every ``v <= x`` (monotone leak, box corners)."""
        if sc_leak:
            return (x * np.where(x >= 0, c_hi, c_lo) + d_hi) // L
        return np.where(k == 0, 0, x - (x >> k))

    def leak_lo(x: np.ndarray) -> np.ndarray:
        """A lower bound of the leaked value of every ``v >= x``."""
        if sc_leak:
            return (x * np.where(x < 0, c_hi, c_lo) + d_lo) // L
        return np.where(k == 0, 0, x - (x >> k))

    delayed = q.reset is ResetMode.SUBTRACT_DELAYED
    for _step in range(T):
        if delayed:
            # the stored v is un-reset; this step subtracts theta from the part of [a, b] at or
            # above theta (that part fired last step), so the two parts are leaked separately
            below, above = a < thr, b >= thr
            lv_lo = np.minimum(np.where(below, leak_lo(a), _BIG), np.where(above, leak_lo(np.maximum(a, thr)) - thr, _BIG))
            lv_hi = np.maximum(np.where(below, leak_hi(np.minimum(b, thr - 1)), -_BIG), np.where(above, leak_hi(b) - thr, -_BIG))
        else:
            lv_lo, lv_hi = leak_lo(a), leak_hi(b)
        lo = np.clip(lv_lo + i_lo + bias, lo_clip, hi_clip)
        hi = np.clip(lv_hi + i_hi + bias, lo_clip, hi_clip)
        lo_all, hi_all = np.minimum(lo_all, lo), np.maximum(hi_all, hi)
        fire |= hi >= thr
        new_a, new_b = _stored_interval(q.reset, lo, hi, thr)
        if np.array_equal(new_a, a) and np.array_equal(new_b, b):
            break  # fixed point: later steps repeat this interval
        a, b = new_a, new_b
    return lo_all, hi_all, fire


def bound_widths(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Choose ``current_bits``, ``membrane_bits``, ``overflow_free`` and ``count_bits`` (see module docstring).

    Parameters
    ----------
    graph:
        A graph on which ``quantize_weights``, ``quantize_neurons`` and ``allocate_streams`` ran.
    options:
        ``membrane_bits`` (``None``: chosen from the proof).

    Raises
    ------
    ConfigError
        A forced ``membrane_bits`` cannot hold a layer's threshold.

    Warns
    -----
    QuantizationWarning
        For every layer that provably never fires.
    """
    opts = options or QuantOptions()
    require_quant(graph, "bound_widths")
    hw: HardwareParams = graph.hardware
    L, T = hw.stream_length, graph.timesteps
    g = graph
    report: dict = {"layers": {}, "dead_layers": []}
    can_spike = np.ones(graph.input.size, bool)
    for layer in graph.layers:
        syn, q = layer.synapse.quant, layer.neuron.quant
        i_lo, i_hi = current_range(syn, L, T)  # both encodings: set_encoding may switch
        # at least 2: a signed register needs a sign bit and a value bit (an all-zero layer needs no more)
        current_bits = max(2, signed_bits(int(i_lo.min()), int(i_hi.max())))
        thr_max = int(q.threshold_q.max())
        lo, hi, fire = membrane_range(syn, q, L, T, can_spike)
        need = max(2, signed_bits(min(0, int(lo.min())), max(int(hi.max()), thr_max)))
        if opts.membrane_bits is None:
            M = min(need, MAX_MEMBRANE_BITS)
        else:
            M = opts.membrane_bits
            if thr_max > (1 << (M - 1)) - 1:
                raise ConfigError(
                    f"option membrane_bits={M} cannot hold layer '{layer.name}' threshold_q={thr_max} "
                    f"(needs {signed_bits(0, thr_max)} bits)"
                )
            b_lo, b_hi = int(q.bias_q.min()), int(q.bias_q.max())
            if b_lo < -(1 << (M - 1)) or b_hi > (1 << (M - 1)) - 1:
                raise ConfigError(
                    f"option membrane_bits={M} cannot hold layer '{layer.name}' bias_q in [{b_lo}, {b_hi}] "
                    f"(needs {signed_bits(b_lo, b_hi)} bits)"
                )
        overflow_free = need <= M
        if not overflow_free:
            lo, hi, fire = membrane_range(syn, q, L, T, can_spike, clamp=(-(1 << (M - 1)), (1 << (M - 1)) - 1))
        g = g.replace_layer(
            layer,
            synapse=replace(layer.synapse, quant=replace(syn, current_bits=current_bits)),
            neuron=replace(layer.neuron, quant=replace(q, membrane_bits=M, overflow_free=overflow_free)),
        )
        n_dead = int(np.sum(~fire))
        report["layers"][layer.name] = {
            "current": [int(i_lo.min()), int(i_hi.max())],
            "current_bits": current_bits,
            "membrane_proven": [int(lo.min()), int(hi.max())],
            "membrane_bits_needed": need,
            "membrane_bits": M,
            "overflow_free": overflow_free,
            "dead_neurons": n_dead,
        }
        if not fire.any():
            if not np.any(syn.weight_q):
                why = "all its weights quantize to 0"
            elif not can_spike.any():
                why = "its inputs never spike"
            else:
                why = f"no neuron's reachable membrane (at most {int(hi.max())}) reaches its threshold_q (min {int(q.threshold_q.min())})"
            warnings.warn(
                f"layer '{layer.name}' can never fire after quantization: {why} "
                f"(stream_length={L}, weight_bits={syn.weight_bits})",
                QuantizationWarning,
                stacklevel=2,
            )
            report["dead_layers"].append(layer.name)
        can_spike = fire
    count_bits = T.bit_length()
    g = g.replace_node(g.output.name, replace(g.output, count_bits=count_bits))
    report["count_bits"] = count_bits
    return g.with_pass("bound_widths", report)

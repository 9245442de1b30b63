"""Training losses on the output layer, each with its gradient per time step.

Every loss takes the output layer's per-step record ``(T, batch, n_classes)`` (spikes as 0/1,
or membranes ``v`` after the reset) and integer labels ``(batch,)``, and returns
``(loss, grad)``: the batch-mean loss (a Python float) and ``dL/d(record)`` as float32 of the same
shape, which the backward kernel consumes. Arithmetic is float64; the gradient is rounded to
float32 once at the end.

Losses by name (:data:`LOSS_NAMES`, used by :class:`scnc.snn.train.TrainConfig`):

``"ce_count"``
    Cross-entropy of ``softmax(c)`` with ``c_k = sum_t s_k[t]`` the spike counts (raw counts are
    the logits). ``dL/ds_k[t] = (softmax(c)_k - onehot_k) / batch`` at every ``t``.
``"ce_membrane_mean"``
    Cross-entropy of ``softmax(mean_t v_k[t])``; ``dL/dv_k[t] = (p_k - onehot_k) / (batch * T)``.
``"ce_membrane_max"``
    Cross-entropy of ``softmax(max_t v_k[t])``; the gradient goes to the first step reaching the
    maximum.
``"mse_count"``
    Mean squared error between firing rates ``c_k / T`` and target rates: ``correct_rate`` (0.8)
    for the labelled class, ``incorrect_rate`` (0.2) for the others (snnTorch's convention),
    averaged over batch and classes: ``L = mean_{b,k} (c_bk/T - r_bk)**2``.
``"ce_count_smooth"``
    ``ce_count`` against label-smoothed targets (:data:`LABEL_SMOOTHING` = 0.1):
    ``q_k = 0.1 / K + 0.9 * onehot_k``; ``dL/ds_k[t] = (softmax(c)_k - q_k) / batch``. A pretraining
    option measured in ``docs/transfer.md`` (higher source accuracy, no better transfer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from ..errors import ConfigError

__all__ = [
    "LOSS_NAMES",
    "LossSpec",
    "get_loss",
    "ce_count_loss",
    "ce_membrane_loss",
    "mse_count_loss",
    "ce_count_smooth_loss",
    "LABEL_SMOOTHING",
]

LOSS_NAMES = ("ce_count", "ce_membrane_mean", "ce_membrane_max", "mse_count", "ce_count_smooth")


def _check(record: np.ndarray, y: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    record = np.asarray(record)
    if record.ndim != 3:
        raise ConfigError(f"loss: {what} must be (T, batch, n_classes), got shape {record.shape}")
    y = np.asarray(y)
    if y.shape != (record.shape[1],) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(f"loss: labels must be integers of shape ({record.shape[1]},), got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= record.shape[2]):
        raise ConfigError(f"loss: labels must lie in [0, {record.shape[2]}), got [{y.min()}, {y.max()}]")
    return record, y.astype(np.int64)


def _softmax_ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and dL/dlogits (float64) for logits ``(batch, K)``."""
    batch = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    ssum = e.sum(axis=1, keepdims=True)
    p = e / ssum
    logp = z - np.log(ssum)
    rows = np.arange(batch)
    loss = float(-logp[rows, y].mean()) if batch else 0.0
    g = p
    g[rows, y] -= 1.0
    return loss, g / max(batch, 1)


def ce_count_loss(spikes: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy over softmax of output spike counts.

    Parameters
    ----------
    spikes:
        Output spikes ``(T, batch, n_classes)``, 0/1.
    y:
        Labels ``(batch,)``.

    Returns
    -------
    (float, numpy.ndarray)
        Mean loss and dL/d(spikes) float32 ``(T, batch, n_classes)`` (the same at every step).
    """
    spikes, y = _check(spikes, y, "spikes")
    counts = spikes.sum(axis=0, dtype=np.float64)
    loss, g = _softmax_ce(counts, y)
    grad = np.broadcast_to(g.astype(np.float32)[None], spikes.shape)
    return loss, np.ascontiguousarray(grad)


def ce_membrane_loss(
    membrane: np.ndarray, y: np.ndarray, reduction: Literal["mean", "max"] = "mean"
) -> tuple[float, np.ndarray]:
    """Cross-entropy over softmax of the output membrane reduced over time.

    Parameters
    ----------
    membrane:
        Output membranes ``v`` after the reset, ``(T, batch, n_classes)``.
    y:
        Labels ``(batch,)``.
    reduction:
        ``"mean"``: logits are ``mean_t v[t]``; ``"max"``: logits are ``max_t v[t]`` and the
        gradient flows to the first step attaining it.

    Returns
    -------
    (float, numpy.ndarray)
        Mean loss and dL/d(membrane) float32 ``(T, batch, n_classes)``.
    """
    membrane, y = _check(membrane, y, "membrane")
    T = membrane.shape[0]
    m64 = membrane.astype(np.float64)
    if reduction == "mean":
        loss, g = _softmax_ce(m64.mean(axis=0), y)
        grad = np.broadcast_to((g / T)[None], membrane.shape).astype(np.float32)
        return loss, np.ascontiguousarray(grad)
    if reduction == "max":
        t_max = np.argmax(m64, axis=0)  # first step attaining the maximum
        logits = np.take_along_axis(m64, t_max[None], axis=0)[0]
        loss, g = _softmax_ce(logits, y)
        grad = np.zeros(membrane.shape, np.float32)
        b_idx, k_idx = np.indices(t_max.shape)
        grad[t_max, b_idx, k_idx] = g.astype(np.float32)
        return loss, grad
    raise ConfigError(f"ce_membrane_loss: reduction must be 'mean' or 'max', got {reduction!r}")


def mse_count_loss(
    spikes: np.ndarray, y: np.ndarray, correct_rate: float = 0.8, incorrect_rate: float = 0.2
) -> tuple[float, np.ndarray]:
    """Mean squared error between output firing rates and target rates.

    ``L = mean_{b,k} (c_bk / T - r_bk)**2`` with ``c`` the spike counts over ``T`` steps and
    ``r_bk = correct_rate`` if ``k == y_b`` else ``incorrect_rate``.

    Returns
    -------
    (float, numpy.ndarray)
        Mean loss and dL/d(spikes) float32 ``(T, batch, n_classes)`` (the same at every step).
    """
    for name, r in (("correct_rate", correct_rate), ("incorrect_rate", incorrect_rate)):
        if not 0.0 <= r <= 1.0:
            raise ConfigError(f"mse_count_loss: {name} must lie in [0, 1], got {r}")
    spikes, y = _check(spikes, y, "spikes")
    T, batch, K = spikes.shape
    rate = spikes.sum(axis=0, dtype=np.float64) / T
    target = np.full((batch, K), float(incorrect_rate))
    target[np.arange(batch), y] = float(correct_rate)
    diff = rate - target
    n = max(batch * K, 1)
    loss = float((diff * diff).sum() / n)
    g = (2.0 * diff / (n * T)).astype(np.float32)
    return loss, np.ascontiguousarray(np.broadcast_to(g[None], spikes.shape))


#: Probability mass ``ce_count_smooth`` spreads evenly over all classes (Szegedy et al.'s usual 0.1).
LABEL_SMOOTHING = 0.1


def ce_count_smooth_loss(
    spikes: np.ndarray, y: np.ndarray, smoothing: float = LABEL_SMOOTHING
) -> tuple[float, np.ndarray]:
    """Cross-entropy of ``softmax(counts)`` against label-smoothed targets.

    The target of sample ``b`` is ``q_bk = smoothing / K + (1 - smoothing) * [k == y_b]``;
    ``L = -mean_b sum_k q_bk log softmax(c_b)_k``. ``smoothing = 0`` is :func:`ce_count_loss`.

    Returns
    -------
    (float, numpy.ndarray)
        Mean loss and dL/d(spikes) float32 ``(T, batch, n_classes)`` (the same at every step).
    """
    if not 0.0 <= smoothing < 1.0:
        raise ConfigError(f"ce_count_smooth_loss: smoothing must lie in [0, 1), got {smoothing}")
    spikes, y = _check(spikes, y, "spikes")
    counts = spikes.sum(axis=0, dtype=np.float64)
    batch, K = counts.shape
    z = counts - counts.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    q = np.full((batch, K), smoothing / K)
    q[np.arange(batch), y] += 1.0 - smoothing
    loss = float(-(q * logp).sum(axis=1).mean()) if batch else 0.0
    # d/dc of -sum_k q_k log p_k is p - q (q sums to 1)
    g = ((np.exp(logp) - q) / max(batch, 1)).astype(np.float32)
    return loss, np.ascontiguousarray(np.broadcast_to(g[None], spikes.shape))


@dataclass(frozen=True)
class LossSpec:
    """A named loss: which output record it reads and the function computing it.

    reads:
        ``"spikes"`` (the function's gradient is dL/d(output spikes)) or ``"membrane"``
        (dL/d(output membrane after reset)).
    """

    name: str
    reads: Literal["spikes", "membrane"]
    fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


def _ce_mem_mean(m: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return ce_membrane_loss(m, y, "mean")


def _ce_mem_max(m: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return ce_membrane_loss(m, y, "max")


_SPECS = {
    "ce_count": LossSpec("ce_count", "spikes", ce_count_loss),
    "ce_membrane_mean": LossSpec("ce_membrane_mean", "membrane", _ce_mem_mean),
    "ce_membrane_max": LossSpec("ce_membrane_max", "membrane", _ce_mem_max),
    "mse_count": LossSpec("mse_count", "spikes", mse_count_loss),
    "ce_count_smooth": LossSpec("ce_count_smooth", "spikes", ce_count_smooth_loss),
}


def get_loss(name: str) -> LossSpec:
    """The :class:`LossSpec` called ``name`` (one of :data:`LOSS_NAMES`)."""
    try:
        return _SPECS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"loss must be one of {LOSS_NAMES}, got {name!r}") from None

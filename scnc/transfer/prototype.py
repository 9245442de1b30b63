"""A head initialised from class prototypes of the frozen features (a nearest-class-mean start).

After :func:`scnc.transfer.replace_head` the new output layer starts from random weights and
must learn, from a few examples, which hidden neurons speak for which class. The features already
say it: the mean spike rate of every hidden neuron over the examples of each class (the class
*prototype*) is a classifier on its own (nearest class mean). :func:`prototype_head` writes it
into the head's weights, so fine-tuning starts from a working readout instead of chance.

For hidden rates ``r`` (``(n, H)``, spikes per time step of the layer that feeds the head, the
network's own encoder and seed) and class indices ``y``::

    mu[:, k] = mean of r over the examples of class k          (H, K)
    d[:, k]  = mu[:, k] - mean_k mu[:, k]                        (centred: what tells classes apart)
    w[:, k]  = d[:, k] / ||d[:, k]||                             (every class the same weight norm)
    W        = w * target_current / mean_i (r_i @ w[:, y_i])     (the correct class's mean input
                                                                  current per step = target_current)

The head is an ordinary dense LIF layer with these weights (no bias): nothing the quantizer or the
hardware cannot represent. Only the head's weights change; its beta, threshold and every other
layer stay bit-identical. The input current of an output neuron per time step is ``s[t] @ W``, so
with ``target_current = 0.5`` (in units of the head's threshold, which is multiplied in) the right
class integrates about half a threshold per step and fires every few steps, while the centred
prototypes push the other classes' currents towards or below zero.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from .checkpoint import SNNCheckpoint

__all__ = ["DEFAULT_TARGET_CURRENT", "HEAD_INITS", "hidden_rates", "class_prototypes", "prototype_head"]

#: How a new head's weights start when the classes change (``scnc finetune --head-init``): random
#: (``scnc.transfer.replace_head``) or class prototypes (:func:`prototype_head`).
HEAD_INITS = ("random", "prototype")

#: Mean input current (in thresholds per step) of the correct class after :func:`prototype_head`.
DEFAULT_TARGET_CURRENT = 0.5


def hidden_rates(ckpt: SNNCheckpoint, x: np.ndarray, *, seed: int | None = None) -> np.ndarray:
    """Spike rate of every neuron of the layer feeding the head: ``(n, H)`` float64 in [0, 1].

    The network runs exactly as :func:`scnc.snn.forward` runs it (encoder seed ``seed``, default the
    checkpoint's encoder seed). Needs at least two layers.
    """
    from ..snn import forward

    if ckpt.n_layers < 2:
        raise ConfigError("hidden_rates: the checkpoint has a single layer; there are no hidden features")
    trace = forward(ckpt.to_network(), x, seed=seed)
    spikes = trace.spikes[-2]  # (T, n, H)
    return spikes.sum(axis=0, dtype=np.float64) / spikes.shape[0]


def class_prototypes(features: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean feature vector of every class, ``(n_features, n_classes)`` float64.

    Every class ``0 .. n_classes-1`` needs at least one example.
    """
    features = np.asarray(features, dtype=np.float64)
    y = np.asarray(y)
    if features.ndim != 2 or y.shape != (features.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(
            f"class_prototypes: need features (n, H) and integer labels (n,), got {features.shape} and {y.shape}"
        )
    counts = np.bincount(y, minlength=n_classes) if y.size else np.zeros(n_classes, np.int64)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ConfigError(f"class_prototypes: labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    missing = [k for k in range(n_classes) if counts[k] == 0]
    if missing:
        raise ConfigError(f"class_prototypes: no example of class index {missing}: every class needs one")
    out = np.zeros((features.shape[1], n_classes), np.float64)
    for k in range(n_classes):
        out[:, k] = features[y == k].mean(axis=0)
    return out


def prototype_head(
    ckpt: SNNCheckpoint,
    x: np.ndarray,
    y: np.ndarray,
    *,
    target_current: float = DEFAULT_TARGET_CURRENT,
    seed: int | None = None,
) -> SNNCheckpoint:
    """``ckpt`` with its head's weights set from class prototypes (rule in the module docstring).

    Parameters
    ----------
    ckpt:
        A checkpoint whose head already has one neuron per new class (see
        :func:`scnc.transfer.replace_head`).
    x, y:
        The fine-tuning examples: features ``(n, n_inputs)`` in [0, 1], class indices ``(n,)``
        into the head's neurons; every class needs at least one example.
    target_current:
        Mean input current per time step of the correct class, in thresholds (> 0).
    seed:
        Encoder seed for the hidden rates (default: the checkpoint's encoder seed).

    Returns
    -------
    SNNCheckpoint
        A new checkpoint; only the head's weights differ. The step is recorded in
        ``provenance["transfer"]`` (``op: "prototype_head"``).
    """
    from .fine_tune import _with_transfer

    if isinstance(target_current, bool) or not isinstance(target_current, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(target_current)) or target_current <= 0:
        raise ConfigError(f"prototype_head: target_current must be a finite number > 0, got {target_current!r}")
    n_classes = ckpt.layer_sizes[-1][1]
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != ckpt.layer_sizes[0][0]:
        raise ConfigError(f"prototype_head: x must have shape (n, {ckpt.layer_sizes[0][0]}), got {x.shape}")
    rates = hidden_rates(ckpt, x, seed=seed)
    mu = class_prototypes(rates, y, n_classes)
    d = mu - mu.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(d, axis=0, keepdims=True)
    if n_classes > 1 and np.any(norms == 0):
        raise ConfigError("prototype_head: two classes have identical hidden rates; the features cannot tell them apart")
    w = d / np.where(norms == 0, 1.0, norms)
    y64 = np.asarray(y, dtype=np.int64)
    own = float(np.mean(np.einsum("nh,hn->n", rates, w[:, y64])))
    if not own > 0:
        raise ConfigError(
            "prototype_head: the hidden layer barely fires on these examples (the correct class gets no "
            "positive current); use a random head"
        )
    thr = float(np.mean(ckpt.thresholds[-1], dtype=np.float64))
    weight = (w * (float(target_current) * thr / own)).astype(np.float32)
    entry = {"op": "prototype_head", "layer": ckpt.layer_names[-1], "n": int(x.shape[0]),
             "target_current": float(target_current)}
    return ckpt.replace(weights=ckpt.weights[:-1] + [weight],
                        provenance=_with_transfer(ckpt.provenance, entry))

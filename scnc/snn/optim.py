"""Adam with one learning rate per layer, and the parameter constraints of LIF layers.

Which arrays a layer trains: ``weight`` always, ``bias`` when present, ``beta`` when
``learn_beta``, ``threshold`` when ``learn_threshold``. A layer whose learning rate is exactly 0 is
skipped entirely: none of its arrays (nor its Adam moments) is touched, so it stays bit-identical.

After every update: ``beta`` is clipped into [0, 1] and ``threshold`` is raised to at least
:data:`THRESHOLD_FLOOR` (so it stays > 0).

Weight decay is decoupled (AdamW): ``p -= lr * weight_decay * p`` on ``weight`` only (not on bias,
beta or threshold).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from . import _kernels
from .bptt import LayerGrads
from .network import Network

__all__ = ["Adam", "L2SPAdam", "THRESHOLD_FLOOR"]

THRESHOLD_FLOOR = np.float32(1e-3)
"""Smallest threshold training may produce (thresholds are kept >= this, i.e. > 0)."""


class Adam:
    """Adam optimiser over a :class:`~scnc.snn.network.Network`'s trainable arrays.

    Parameters
    ----------
    net:
        The network whose arrays are updated in place.
    lrs:
        One learning rate per layer (>= 0; 0 freezes the layer).
    betas, eps:
        Adam's moment decay rates and denominator epsilon.
    weight_decay:
        Decoupled weight decay on weights (>= 0).
    """

    def __init__(
        self,
        net: Network,
        lrs: Sequence[float],
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        lrs = [float(v) for v in lrs]
        if len(lrs) != len(net.layers):
            raise ConfigError(f"per_layer_lr needs one learning rate per layer ({len(net.layers)}), got {len(lrs)}")
        for layer, lr in zip(net.layers, lrs):
            if not (math.isfinite(lr) and lr >= 0):
                raise ConfigError(f"learning rate of layer '{layer.name}' must be finite and >= 0, got {lr}")
        b1, b2 = (float(b) for b in betas)
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ConfigError(f"Adam betas must lie in [0, 1), got {betas}")
        if not (eps > 0):
            raise ConfigError(f"Adam eps must be > 0, got {eps}")
        if not (math.isfinite(weight_decay) and weight_decay >= 0):
            raise ConfigError(f"weight_decay must be finite and >= 0, got {weight_decay}")
        self.net = net
        self.lrs = lrs
        self.beta1, self.beta2, self.eps = b1, b2, float(eps)
        self.weight_decay = float(weight_decay)
        self.t = 0
        self._m: list[dict[str, np.ndarray]] = []
        self._v: list[dict[str, np.ndarray]] = []
        for layer in net.layers:
            names = self._names(layer)
            self._m.append({n: np.zeros_like(getattr(layer, n)) for n in names})
            self._v.append({n: np.zeros_like(getattr(layer, n)) for n in names})

    @staticmethod
    def _names(layer) -> list[str]:
        names = ["weight"]
        if layer.bias is not None:
            names.append("bias")
        if layer.learn_beta:
            names.append("beta")
        if layer.learn_threshold:
            names.append("threshold")
        return names

    def step(self, grads: Sequence[LayerGrads], *, lr_scale: float = 1.0) -> None:
        """Apply one update from per-layer gradients (as returned by :func:`scnc.snn.bptt.value_and_grad`).

        ``lr_scale`` (>= 0) multiplies every layer's learning rate for this step (schedules);
        layers with learning rate 0 are skipped regardless.
        """
        if not (math.isfinite(lr_scale) and lr_scale >= 0):
            raise ConfigError(f"lr_scale must be finite and >= 0, got {lr_scale}")
        if len(grads) != len(self.net.layers):
            raise ConfigError(f"need gradients for {len(self.net.layers)} layers, got {len(grads)}")
        self.t += 1
        bc1 = 1.0 - self.beta1**self.t
        bc2 = 1.0 - self.beta2**self.t
        for layer, g, lr, m, v in zip(self.net.layers, grads, self.lrs, self._m, self._v):
            if lr == 0.0:
                continue
            lr = lr * lr_scale
            for name in m:
                p = getattr(layer, name)
                gp = np.ascontiguousarray(getattr(g, name), dtype=np.float32)
                if gp.shape != p.shape:
                    raise ConfigError(f"layer '{layer.name}': gradient of {name} has shape {gp.shape}, expected {p.shape}")
                wd = self.weight_decay if name == "weight" else 0.0
                _kernels.adam_update(p, gp, m[name], v[name], lr, self.beta1, self.beta2, self.eps, bc1, bc2, wd)
            if layer.learn_beta:
                np.clip(layer.beta, 0.0, 1.0, out=layer.beta)
            if layer.learn_threshold:
                np.maximum(layer.threshold, THRESHOLD_FLOOR, out=layer.threshold)


class L2SPAdam(Adam):
    """Adam with the L2-SP penalty: weights are pulled toward their values at construction.

    Li, Grandvalet & Davoine (2018), "Explicit inductive bias for transfer learning with
    convolutional networks": the loss gains ``alpha / 2 * ||w - w0||**2`` per anchored layer, so its
    weight gradient gains ``alpha * (w - w0)`` (coupled: Adam normalises it with the data
    gradient). ``w0`` is each weight array as it is when the optimiser is built, i.e. the
    pretrained start of a fine-tuning run. Only ``weight`` is anchored (not bias, beta, threshold).

    Parameters
    ----------
    net, lrs, betas, eps, weight_decay:
        As :class:`Adam`.
    alpha:
        Penalty strength (>= 0); 0 is plain :class:`Adam`, bit for bit.
    anchored:
        Indices of the layers whose weights are anchored; default every layer but the last (a
        replaced head has no pretrained weights to stay near).
    """

    def __init__(
        self,
        net: Network,
        lrs: Sequence[float],
        *,
        alpha: float,
        anchored: Sequence[int] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(net, lrs, **kwargs)
        if isinstance(alpha, bool) or not (math.isfinite(float(alpha)) and alpha >= 0):
            raise ConfigError(f"L2-SP alpha must be finite and >= 0, got {alpha!r}")
        n = len(net.layers)
        idx = range(n - 1) if anchored is None else [int(i) for i in anchored]
        for i in idx:
            if not 0 <= i < n:
                raise ConfigError(f"L2-SP anchored layer {i} is out of range for {n} layers")
        self.alpha = float(alpha)
        self.anchors = {i: net.layers[i].weight.copy() for i in idx}

    def step(self, grads: Sequence[LayerGrads], *, lr_scale: float = 1.0) -> None:
        """:meth:`Adam.step` on the data gradients plus ``alpha * (w - w0)`` for anchored weights."""
        if self.alpha and len(grads) == len(self.net.layers):
            grads = list(grads)
            for i, w0 in self.anchors.items():
                w = self.net.layers[i].weight
                pull = np.float32(self.alpha) * (w - w0)
                grads[i] = dataclasses.replace(grads[i], weight=(grads[i].weight + pull).astype(np.float32))
        super().step(grads, lr_scale=lr_scale)

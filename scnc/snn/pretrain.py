"""pipe-S: pretrain an ANN of exactly the SNN's topology, then hand its parameters to the SNN.

After Lin et al., "Rethinking Pretraining as a Bridge from ANNs to SNNs" (official code
``lyh983012/SNN-ANN-Pretrain``); see ``docs/pretrain.md`` for the method and the deviations.

The ANN *is* the :class:`~scnc.snn.network.Network`'s parameters run for one time step with a
real-valued input: layer by layer ::

    z = x @ weight + bias                        # == the SNN's v_pre at its first step
    h = clip((z - lo_e) / (hi_e - lo_e), 0, 1)   # clipped linear; the SNN would fire iff z >= theta

The window ``[lo_e, hi_e]`` of epoch ``e`` narrows over the epochs around the threshold ``theta``
(:func:`window`), so the activation sharpens toward the SNN's firing step. The backward pass does
not use the line's slope: it uses the same surrogate of the spike step the SNN's BPTT uses
(``sg(z - theta)``, :data:`scnc.snn.bptt.SURROGATES`), as the seed's code does. The loss is the
SNN's: cross-entropy on ``timesteps * h_out`` (the output spike count the rate ``h_out`` would give
over ``timesteps`` steps). Because weights, biases and thresholds are the network's own arrays,
"transfer" is the identity: :func:`pretrain` returns the very network BPTT then fine-tunes.

Determinism: shuffles use ``numpy.random.default_rng([seed, 2, epoch])``; the kernels
(:mod:`scnc.snn._ann_kernels`) sum in a fixed order, so results are byte-identical on any thread
count.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from . import _ann_kernels
from . import _kernels
from .bptt import SURROGATES, LayerGrads
from .losses import ce_count_loss
from .network import Network
from .optim import Adam
from .train import _is_real, check_optimisation_fields

__all__ = [
    "ANN_BACKWARDS",
    "ANN_STAGE",
    "PretrainConfig",
    "PretrainResult",
    "AnnGrads",
    "window",
    "ann_forward",
    "ann_value_and_grad",
    "ann_predict",
    "ann_accuracy",
    "pretrain",
]

ANN_BACKWARDS = ("surrogate", "window")
"""Backward of the activation: ``"surrogate"`` (the SNN's surrogate at the threshold; the seed's
choice) or ``"window"`` (the exact slope of the clipped line; for gradient checks and ablations)."""

ANN_STAGE = "ann"
"""``metadata["stage"]`` of a checkpoint written after pretraining (``scnc pretrain``)."""

FINAL_WIDTH = 0.02
"""Width of the last epoch's window, as a fraction of the threshold: the seed ends at
``[0.49, 0.50]`` around its threshold 0.5."""


@dataclass(frozen=True)
class PretrainConfig:
    """Hyper-parameters of :func:`pretrain` (the ANN stage).

    Parameters
    ----------
    epochs:
        ANN epochs (>= 1); the window schedule spans exactly these.
    batch_size:
        Samples per Adam step.
    lr:
        Adam learning rate.
    surrogate, slope:
        The surrogate the backward uses (use the SNN's: :class:`scnc.snn.train.TrainConfig`'s
        defaults are ``fast_sigmoid`` with slope 5).
    backward:
        One of :data:`ANN_BACKWARDS`.
    final_width:
        Window width at the last epoch as a fraction of the threshold, in (0, 1].
    seed:
        Seed of the shuffles (>= 0).
    weight_decay:
        Decoupled weight decay on weights (>= 0).
    lr_schedule:
        ``"constant"`` or ``"cosine"`` (as in :class:`~scnc.snn.train.TrainConfig`).
    """

    epochs: int = 10
    # measured (seed 0, optdigits .tra -> .tes, 64-128-10, then 10 SNN epochs): batch 64 / lr 1e-2
    # gives 92.0% right after transfer and 96.3% after 10 SNN epochs; batch 128 / lr 5e-3 91.0% / 95.9%.
    batch_size: int = 64
    lr: float = 1e-2
    surrogate: str = "fast_sigmoid"
    slope: float = 5.0
    backward: str = "surrogate"
    final_width: float = FINAL_WIDTH
    seed: int = 0
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"

    def __post_init__(self) -> None:
        check_optimisation_fields(self, "PretrainConfig")
        if self.backward not in ANN_BACKWARDS:
            raise ConfigError(f"PretrainConfig.backward must be one of {ANN_BACKWARDS}, got {self.backward!r}")
        if not (_is_real(self.final_width) and 0 < self.final_width <= 1):
            raise ConfigError(f"PretrainConfig.final_width must lie in (0, 1], got {self.final_width!r}")


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns.

    network:
        The pretrained network (the object passed in, updated in place): ready for BPTT.
    history:
        One dict per epoch: ``epoch`` (1-based), ``window`` (``[lo, hi]`` as fractions of the
        threshold), ``loss``, ``train_accuracy`` (ANN, during the epoch), ``seconds`` (training
        only) and, with validation data, ``val_accuracy`` (ANN, that epoch's window).
    """

    network: Network
    history: list[dict] = field(default_factory=list)


@dataclass
class AnnGrads:
    """Result of :func:`ann_value_and_grad`: mean loss, per-layer gradients, output pre-activations ``z``."""

    loss: float
    grads: list[LayerGrads]
    outputs: np.ndarray


def window(epoch: int, epochs: int, final_width: float = FINAL_WIDTH) -> tuple[float, float]:
    """The activation window of ``epoch`` (0-based) of ``epochs``, as fractions of the threshold.

    The seed's schedule (threshold 0.5, 100 epochs) is ``lo = min(e/200, 0.49)``,
    ``hi = 1 - e/200``; divided by the threshold and with progress ``p = e / (epochs - 1)``
    (``p = 1`` when ``epochs == 1``)::

        lo = min(p, 1 - final_width)        hi = 2 - p

    so the first epoch is the wide window ``[0, 2*theta]`` (slope ``1/(2*theta)``) and the last one
    ``[(1 - final_width)*theta, theta]``: ``h = 1`` exactly where the SNN fires (``z >= theta``).
    """
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ConfigError(f"window: epochs must be an int >= 1, got {epochs!r}")
    if not isinstance(epoch, (int, np.integer)) or isinstance(epoch, bool) or not 0 <= epoch < epochs:
        raise ConfigError(f"window: epoch must be an int in [0, {epochs}), got {epoch!r}")
    if not (_is_real(final_width) and 0 < final_width <= 1):
        raise ConfigError(f"window: final_width must lie in (0, 1], got {final_width!r}")
    p = 1.0 if epochs == 1 else epoch / (epochs - 1)
    return min(p, 1.0 - float(final_width)), 2.0 - p


def _check_x(net: Network, x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != net.n_inputs:
        raise ConfigError(f"{what}: x must have shape (n_samples, {net.n_inputs}), got {x.shape}")
    if x.shape[0] < 1:
        raise ConfigError(f"{what}: x has no samples")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ConfigError(f"{what}: features must be finite and lie in [0, 1] (scale them first, e.g. digits / 16)")
    return x


def _check_y(net: Network, y: np.ndarray, n: int, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(f"{what}: y must be integer labels of shape ({n},), got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= net.n_outputs:
        raise ConfigError(f"{what}: labels must lie in [0, {net.n_outputs}), got [{y.min()}, {y.max()}]")
    return y.astype(np.int64)


def _check_window(win: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in win)
    except (TypeError, ValueError):
        raise ConfigError(f"window must be a pair (lo, hi) of numbers, got {win!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ConfigError(f"window must satisfy lo < hi (fractions of the threshold), got {win!r}")
    return lo, hi


def _layer_window(layer, win: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = layer.threshold_per_neuron()
    lo = (theta * np.float32(win[0])).astype(np.float32)
    hi = (theta * np.float32(win[1])).astype(np.float32)
    return np.ascontiguousarray(theta), np.ascontiguousarray(lo), np.ascontiguousarray(hi)


def _bias(layer) -> np.ndarray:
    return np.zeros(layer.n_out, np.float32) if layer.bias is None else layer.bias


def _windows(net: Network, win: tuple[float, float]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return [_layer_window(layer, win) for layer in net.layers]


def _forward(net: Network, x: np.ndarray, win) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``win``: a window pair, or the per-layer ``(theta, lo, hi)`` list :func:`_windows` makes."""
    wins = _windows(net, win) if isinstance(win, tuple) else win
    zs, hs = [], []
    inp = x
    for layer, (_, lo, hi) in zip(net.layers, wins):
        z = np.empty((inp.shape[0], layer.n_out), np.float32)
        h = np.empty_like(z)
        _ann_kernels.dense_forward(inp, layer.weight, _bias(layer), lo, hi, z, h)
        zs.append(z)
        hs.append(h)
        inp = h
    return zs, hs


def ann_forward(
    net: Network, x: np.ndarray, win: tuple[float, float] = (1.0 - FINAL_WIDTH, 1.0)
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run the ANN view of ``net`` on features ``x`` (``(n, n_in)`` in [0, 1]).

    ``win`` is the window ``(lo, hi)`` as fractions of each layer's threshold (default: the final
    one). Returns per layer the pre-activations ``z`` and activations ``h``, float32 ``(n, n_out)``.
    """
    return _forward(net, _check_x(net, x, "ann_forward"), _check_window(win))


def _kind(backward: str, surrogate: str) -> int:
    if backward not in ANN_BACKWARDS:
        raise ConfigError(f"backward must be one of {ANN_BACKWARDS}, got {backward!r}")
    if backward == "window":
        return _ann_kernels.BACKWARD_WINDOW
    if surrogate not in SURROGATES:
        raise ConfigError(f"surrogate must be one of {SURROGATES}, got {surrogate!r}")
    return _kernels.SURROGATE_FAST_SIGMOID if surrogate == "fast_sigmoid" else _kernels.SURROGATE_ARCTAN


def _value_and_grad(net, x, y, win, kind, slope) -> AnnGrads:
    wins = _windows(net, win) if isinstance(win, tuple) else win
    zs, hs = _forward(net, x, wins)
    scale = np.float32(net.timesteps)
    loss, g = ce_count_loss((hs[-1] * scale)[None], y)  # the SNN's loss on the count T * h
    dh = np.ascontiguousarray(g[0] * scale, dtype=np.float32)
    grads: list[LayerGrads] = []
    for li in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[li]
        inp = x if li == 0 else hs[li - 1]
        theta, lo, hi = wins[li]
        dz = np.empty_like(zs[li])
        gw = np.empty_like(layer.weight)
        gb = np.empty(layer.n_out, np.float32)
        dx = np.empty_like(inp)
        _ann_kernels.dense_backward(
            inp, layer.weight, zs[li], dh, kind, np.float32(slope), theta, lo, hi, dz, gw, gb, dx, li > 0
        )
        grads.append(LayerGrads(
            weight=gw, bias=None if layer.bias is None else gb,
            beta=np.zeros_like(layer.beta), threshold=np.zeros_like(layer.threshold),
        ))
        dh = dx
    grads.reverse()
    return AnnGrads(float(loss), grads, zs[-1])


def ann_value_and_grad(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    win: tuple[float, float],
    *,
    backward: str = "surrogate",
    surrogate: str = "fast_sigmoid",
    slope: float = 5.0,
) -> AnnGrads:
    """Loss (cross-entropy on ``net.timesteps * h_out``) and gradients of the ANN view of ``net``.

    ``win`` is the window (fractions of the threshold). Gradients are of the batch-mean loss;
    ``beta`` and ``threshold`` get zero gradients (one time step from rest has no leak, and the
    threshold stays the SNN's).
    """
    x = _check_x(net, x, "ann_value_and_grad")
    y = _check_y(net, y, x.shape[0], "ann_value_and_grad")
    if not (_is_real(slope) and math.isfinite(slope) and slope > 0):
        raise ConfigError(f"surrogate slope must be a finite number > 0, got {slope!r}")
    return _value_and_grad(net, x, y, _check_window(win), _kind(backward, surrogate), slope)


def ann_predict(net: Network, x: np.ndarray, win: tuple[float, float] = (1.0 - FINAL_WIDTH, 1.0)) -> np.ndarray:
    """ANN classes ``(n,)`` int64: arg-max of the output pre-activation ``z`` (ties: lowest index).

    ``z`` rather than ``h``: near the final window ``h`` is 0/1 and ties are common.
    """
    zs, _ = ann_forward(net, x, win)
    return np.argmax(zs[-1], axis=1).astype(np.int64)


def ann_accuracy(net: Network, x: np.ndarray, y: np.ndarray, win: tuple[float, float] = (1.0 - FINAL_WIDTH, 1.0)) -> float:
    """Fraction of samples :func:`ann_predict` classifies as ``y``."""
    x = _check_x(net, x, "ann_accuracy")
    y = _check_y(net, y, x.shape[0], "ann_accuracy")
    return float(np.mean(ann_predict(net, x, win) == y))


def pretrain(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    cfg: PretrainConfig = PretrainConfig(),
    *,
    progress: bool = False,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
) -> PretrainResult:
    """Train the ANN view of ``net`` in place (pipe-S's first stage); ``net`` is then the SNN's start.

    Epoch ``e`` uses :func:`window` ``(e, cfg.epochs, cfg.final_width)``; Adam
    (:class:`scnc.snn.optim.Adam`) updates weights and biases; beta and the threshold are not
    changed (their gradients are zero and Adam leaves them bit-identical).

    Parameters
    ----------
    net:
        The network (its own topology, thresholds and ``timesteps``); updated in place.
    x, y:
        Features ``(n, n_in)`` in [0, 1] and integer labels.
    cfg:
        :class:`PretrainConfig`.
    progress:
        A tqdm bar over the batches (postfix: loss, accuracy, window).
    x_val, y_val:
        Optional validation set, scored after each epoch with that epoch's window (not timed).
    """
    if not isinstance(cfg, PretrainConfig):
        raise ConfigError(f"cfg must be a PretrainConfig, got {type(cfg).__name__}")
    x = _check_x(net, x, "pretrain")
    y = _check_y(net, y, x.shape[0], "pretrain")
    if (x_val is None) != (y_val is None):
        raise ConfigError("pretrain: give both x_val and y_val, or neither")
    if x_val is not None:
        x_val = _check_x(net, x_val, "pretrain (validation)")
        y_val = _check_y(net, y_val, x_val.shape[0], "pretrain (validation)")
    kind = _kind(cfg.backward, cfg.surrogate)
    opt = Adam(net, [cfg.lr] * len(net.layers), weight_decay=cfg.weight_decay)
    n = x.shape[0]
    n_batches = -(-n // cfg.batch_size)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.epochs * n_batches, unit="batch", desc="pretrain (ANN)")
    result = PretrainResult(network=net)
    try:
        for epoch in range(cfg.epochs):
            t0 = time.perf_counter()
            win = window(epoch, cfg.epochs, cfg.final_width)
            wins = _windows(net, win)  # thresholds do not change during pretraining
            order = np.random.default_rng([cfg.seed, 2, epoch]).permutation(n)
            lr_scale = 1.0 if cfg.lr_schedule == "constant" else 0.5 * (1.0 + math.cos(math.pi * epoch / cfg.epochs))
            loss_sum, correct = 0.0, 0
            for k in range(n_batches):
                idx = order[k * cfg.batch_size:(k + 1) * cfg.batch_size]
                res = _value_and_grad(net, x[idx], y[idx], wins, kind, cfg.slope)
                opt.step(res.grads, lr_scale=lr_scale)
                loss_sum += res.loss * len(idx)
                correct += int((np.argmax(res.outputs, axis=1) == y[idx]).sum())
                if bar is not None:
                    bar.update(1)
            seconds = time.perf_counter() - t0
            entry = {"epoch": epoch + 1, "window": [win[0], win[1]], "loss": loss_sum / n,
                     "train_accuracy": correct / n, "seconds": seconds}
            if x_val is not None:
                entry["val_accuracy"] = float(np.mean(np.argmax(_forward(net, x_val, win)[0][-1], axis=1) == y_val))
            if bar is not None:
                bar.set_postfix(loss=f"{entry['loss']:.4f}", acc=f"{entry['train_accuracy']:.3f}",
                                win=f"[{win[0]:.2f},{win[1]:.2f}]", refresh=False)
            result.history.append(entry)
    finally:
        if bar is not None:
            bar.close()
    return result

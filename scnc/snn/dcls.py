"""Training with synaptic delays: none, fixed random, or learned by DCLS.

DCLS ("Learning Delays in SNNs using Dilated Convolutions with Learnable Spacings", Hammouamri,
Khalfaoui-Hassani and Masquelier, ICLR 2024; method as its public code implements it, see
``docs/delays.md``). Every synapse ``(i, j)`` has a weight ``w`` and a continuous, learnable
position ``p`` in ``[0, max_delay]`` time steps. Its temporal kernel of ``K = max_delay + 1`` taps
places the weight at ``p``, spread by a normalised Gaussian of width ``sigma``::

    e[k]      = exp(-((k - p) / sigma)**2 / 2)          k = 0 .. max_delay (tap k = delay k)
    g[k]      = e[k] / (sum_k e[k] + GAUSS_EPS)
    keff[k]   = w * g[k]                                 cur[t, j] = sum_i sum_k keff[k] x[t - k, i]

so, with ``G[k] = dL/dkeff[k]`` from the BPTT of :mod:`scnc.snn.delayed`::

    dL/dw = sum_k g[k] G[k]
    dL/dp = w * sum_k dg[k]/dp G[k],    dg[k]/dp = g[k] * ((k - p) - sum_k g[k] (k - p)) / sigma**2

(exact, the normalising sum included; :data:`GAUSS_EPS` only guards an empty kernel). ``sigma`` is not learned: it shrinks exponentially from ``max_delay / 2`` to
``sigma_final`` (0.23) over the first ``sigma_decay_fraction`` (a quarter) of the DCLS epochs and
stays there. Positions have their own Adam with ``pos_lr_factor`` (100) times the weights' rate,
on the same cosine schedule, and are clamped into ``[0, max_delay]`` after every step. At the
end, positions are rounded to integers, frozen into ``LIFLayer.delays`` (the contract the hardware
realises), and the weights are fine-tuned for ``fine_tune_epochs`` with those integer delays.

Everything random derives from ``TrainConfig.seed``: shuffles and encoder draws as in
:func:`scnc.snn.train`, random delays of layer ``l`` from ``default_rng([seed, 3, l])`` and
initial positions from ``default_rng([seed, 2, l])``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from . import _kernels
from .bptt import output_counts, value_and_grad
from .delayed import KernelSynapse, delayed_output_counts, delayed_value_and_grad, has_delays
from .encoders import encode, is_binary_encoder
from .network import MAX_DELAY, Network
from .optim import Adam
from .train import TrainConfig

__all__ = [
    "DELAY_MODES",
    "GAUSS_EPS",
    "DelayConfig",
    "DelayTrainResult",
    "gaussian_taps",
    "sigma_at",
    "random_delays",
    "dcls_kernels",
    "dcls_grads",
    "train_delays",
    "evaluate",
]

DELAY_MODES = ("none", "random", "learned")
"""``none``: no delays; ``random``: fixed delays uniform in ``[0, max_delay]``; ``learned``: DCLS."""

GAUSS_EPS = 1e-7
"""Added to the Gaussian's normalising sum (as the DCLS code does) so a kernel never divides by 0."""


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


@dataclass(frozen=True)
class DelayConfig:
    """How :func:`train_delays` treats synaptic delays.

    Parameters
    ----------
    mode:
        One of :data:`DELAY_MODES`.
    max_delay:
        Longest delay, in time steps (1 .. ``MAX_DELAY``); kernels have ``max_delay + 1`` taps.
    sigma_final:
        Gaussian width (time steps) the DCLS schedule ends at (seed: 0.23).
    sigma_decay_fraction:
        Fraction of the DCLS epochs over which sigma shrinks from ``max_delay / 2`` to
        ``sigma_final`` (seed: a quarter), in (0, 1].
    pos_lr_factor:
        Positions' Adam learning rate as a multiple of the weights' (seed: 100), > 0.
    fine_tune_epochs:
        ``learned``: epochs of weight-only training after the positions are rounded and frozen (>= 0).
    """

    mode: str = "learned"
    max_delay: int = 8
    sigma_final: float = 0.23
    sigma_decay_fraction: float = 0.25
    pos_lr_factor: float = 100.0
    fine_tune_epochs: int = 2

    def __post_init__(self) -> None:
        if self.mode not in DELAY_MODES:
            raise ConfigError(f"DelayConfig.mode must be one of {DELAY_MODES}, got {self.mode!r}")
        if not _is_int(self.max_delay) or not 1 <= self.max_delay <= MAX_DELAY:
            raise ConfigError(f"DelayConfig.max_delay must be an int in [1, {MAX_DELAY}] time steps, got {self.max_delay!r}")
        if not (_is_real(self.sigma_final) and math.isfinite(self.sigma_final) and self.sigma_final > 0):
            raise ConfigError(f"DelayConfig.sigma_final must be a finite number > 0, got {self.sigma_final!r}")
        if not (_is_real(self.sigma_decay_fraction) and 0 < self.sigma_decay_fraction <= 1):
            raise ConfigError(f"DelayConfig.sigma_decay_fraction must lie in (0, 1], got {self.sigma_decay_fraction!r}")
        if not (_is_real(self.pos_lr_factor) and math.isfinite(self.pos_lr_factor) and self.pos_lr_factor > 0):
            raise ConfigError(f"DelayConfig.pos_lr_factor must be a finite number > 0, got {self.pos_lr_factor!r}")
        if not _is_int(self.fine_tune_epochs) or self.fine_tune_epochs < 0:
            raise ConfigError(f"DelayConfig.fine_tune_epochs must be an int >= 0, got {self.fine_tune_epochs!r}")

    @property
    def taps(self) -> int:
        """Kernel length ``K = max_delay + 1`` (tap ``k`` is a delay of ``k`` steps)."""
        return self.max_delay + 1

    @property
    def sigma_init(self) -> float:
        """Initial Gaussian width, ``max_delay / 2`` time steps."""
        return self.max_delay / 2.0


@dataclass
class DelayTrainResult:
    """What :func:`train_delays` returns.

    network:
        The trained network (updated in place); ``learned`` and ``random`` leave integer
        ``delays`` on every layer, ``none`` leaves none.
    history:
        One dict per epoch: ``phase`` (``"train"``, ``"dcls"`` or ``"fine_tune"``), ``epoch``
        (1-based within the run), ``loss``, ``train_accuracy`` (of the forward passes of that epoch),
        ``sigma`` (DCLS epochs: at the epoch's end), ``val_accuracy`` when validation data is
        given, ``seconds``.
    positions:
        ``learned``: each layer's continuous positions (float32 ``(n_in, n_out)``) before rounding.
    """

    network: Network
    history: list[dict[str, float | str]] = field(default_factory=list)
    positions: list[np.ndarray] | None = None


# ---- DCLS kernel ---------------------------------------------------------------------------------


def sigma_at(dcfg: DelayConfig, progress: float) -> float:
    """Gaussian width (time steps) at ``progress``, the fraction in [0, 1] of the DCLS phase done:
    ``sigma_init * (sigma_final / sigma_init) ** min(progress / sigma_decay_fraction, 1)``.

    The seed steps sigma once per epoch; here it moves every batch along the same exponential
    (with the few epochs of scnc's tasks a per-epoch step would be coarse)."""
    r = min(max(progress, 0.0) / dcfg.sigma_decay_fraction, 1.0)
    return float(dcfg.sigma_init * (dcfg.sigma_final / dcfg.sigma_init) ** r)


def gaussian_taps(positions: np.ndarray, sigma: float, taps: int) -> tuple[np.ndarray, np.ndarray]:
    """The normalised Gaussian ``g`` and ``dg/dp`` of every synapse, float64 ``(taps, n_in, n_out)``.

    ``positions`` in time steps, ``sigma`` > 0 in time steps (module docstring for the formulas).
    """
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ConfigError(f"sigma must be a finite number > 0, got {sigma!r}")
    p = np.asarray(positions, np.float64)
    k = np.arange(taps, dtype=np.float64).reshape(-1, *([1] * p.ndim))
    diff = k - p
    e = np.exp(-0.5 * (diff / sigma) ** 2)
    z = e.sum(axis=0) + GAUSS_EPS
    g = e / z
    dg = g * (diff - (e * diff).sum(axis=0) / z) / (sigma * sigma)
    return g, dg


def dcls_kernels(net: Network, positions: list[np.ndarray], sigma: float, taps: int):
    """Per layer: the :class:`KernelSynapse` ``w * g`` and the taps ``(g, dg)`` its gradient needs."""
    syns, taps_out = [], []
    for layer, p in zip(net.layers, positions):
        g, dg = gaussian_taps(p, sigma, taps)
        syns.append(KernelSynapse(np.ascontiguousarray((g * layer.weight).astype(np.float32))))
        taps_out.append((g, dg))
    return syns, taps_out


def dcls_grads(weight: np.ndarray, g: np.ndarray, dg: np.ndarray, gk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dw, dL/dp)`` float32 from ``dL/dkeff`` (``gk``) and the layer's taps (module docstring)."""
    gk64 = gk.astype(np.float64)
    gw = (g * gk64).sum(axis=0)
    gp = weight.astype(np.float64) * (dg * gk64).sum(axis=0)
    return gw.astype(np.float32), gp.astype(np.float32)


def random_delays(net: Network, max_delay: int, seed: int) -> list[np.ndarray]:
    """Fixed delays uniform in ``[0, max_delay]`` per synapse, int16; layer ``l`` from ``default_rng([seed, 3, l])``."""
    return [np.random.default_rng([seed, 3, l]).integers(0, max_delay + 1, layer.weight.shape).astype(np.int16)
            for l, layer in enumerate(net.layers)]


# ---- data: static features encoded per batch, or an already encoded spike tensor --------------


def _check_data(net: Network, data: np.ndarray, y: np.ndarray | None, what: str):
    """Returns ``(data, y, n, binary)``; ``data`` is features ``(n, n_in)`` or spikes ``(T, n, n_in)``."""
    data = np.asarray(data)
    if data.ndim == 2:
        from .train import _check_xy

        x, yy = _check_xy(net, data, y, what)
        return x, yy, x.shape[0], is_binary_encoder(net.encoder)
    if data.ndim != 3 or data.shape[0] != net.timesteps or data.shape[2] != net.n_inputs or data.shape[1] < 1:
        raise ConfigError(f"{what}: data must be features (n, {net.n_inputs}) or encoded inputs "
                          f"({net.timesteps}, n, {net.n_inputs}) (timesteps of the network), got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.number):
        raise ConfigError(f"{what}: encoded inputs must be numeric, got dtype {data.dtype}")
    data = np.ascontiguousarray(data, dtype=np.float32)
    if not np.all(np.isfinite(data)):
        raise ConfigError(f"{what}: encoded inputs must be finite")
    n = data.shape[1]
    if y is not None:
        y = np.asarray(y)
        if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
            raise ConfigError(f"{what}: y must be integer labels of shape ({n},), got {y.dtype} {y.shape}")
        if y.min() < 0 or y.max() >= net.n_outputs:
            raise ConfigError(f"{what}: labels must lie in [0, {net.n_outputs}), got [{y.min()}, {y.max()}]")
        y = y.astype(np.int64)
    return data, y, n, bool(np.all((data == 0) | (data == 1)))


def _batch(net: Network, data: np.ndarray, idx: np.ndarray, seed) -> np.ndarray:
    if data.ndim == 2:
        return encode(data[idx], net.encoder, net.timesteps, seed=seed)
    return np.ascontiguousarray(data[:, idx])


def evaluate(net: Network, data: np.ndarray, y: np.ndarray, *, seed: int | None = None, batch_size: int = 512,
             synapses=None) -> float:
    """Accuracy of ``net`` on features (encoded as :func:`scnc.snn.predict` does: batch ``k`` from
    ``SeedSequence([seed, k])``, ``seed`` defaulting to the encoder's) or on encoded inputs.

    ``synapses`` (per-layer :mod:`scnc.snn.delayed` synapses) evaluates e.g. a DCLS network mid-training.
    """
    data, y, n, binary = _check_data(net, data, y, "evaluate")
    s = net.encoder.seed if seed is None else seed
    correct = 0
    for k, lo in enumerate(range(0, n, batch_size)):
        idx = np.arange(lo, min(lo + batch_size, n))
        inputs = _batch(net, data, idx, np.random.SeedSequence([s, k]))
        if synapses is None:
            counts = output_counts(net, inputs, binary=binary)
        else:
            counts = delayed_output_counts(net, inputs, binary=binary, synapses=synapses)
        correct += int((np.argmax(counts, axis=1) == y[idx]).sum())
    return correct / n


# ---- training ------------------------------------------------------------------------------------


class _PositionAdam:
    """Adam over the DCLS positions (own moments, own learning rate), clamped into ``[0, max_delay]``."""

    def __init__(self, positions: list[np.ndarray], lr: float, max_delay: int) -> None:
        self.positions = positions
        self.lr = lr
        self.max_delay = max_delay
        self.m = [np.zeros_like(p) for p in positions]
        self.v = [np.zeros_like(p) for p in positions]
        self.t = 0

    def step(self, grads: list[np.ndarray], lr_scale: float) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        for p, g, m, v in zip(self.positions, grads, self.m, self.v):
            _kernels.adam_update(p, g, m, v, self.lr * lr_scale, b1, b2, 1e-8, 1.0 - b1**self.t, 1.0 - b2**self.t, 0.0)
            np.clip(p, 0.0, float(self.max_delay), out=p)


def _run_phase(net: Network, data, y, n: int, binary: bool, cfg: TrainConfig, epochs: int, phase: str,
               epoch_offset: int, result: DelayTrainResult, val, dcfg: DelayConfig | None = None,
               positions: list[np.ndarray] | None = None, bar=None) -> None:
    """``epochs`` epochs of Adam on ``net``; with ``positions`` (DCLS) the positions learn too."""
    opt = Adam(net, [cfg.lr] * len(net.layers), weight_decay=cfg.weight_decay)
    pos_opt = None if positions is None else _PositionAdam(positions, cfg.lr * dcfg.pos_lr_factor, dcfg.max_delay)
    n_batches = -(-n // cfg.batch_size)
    sigma = float("nan")
    for epoch in range(epochs):
        t0 = time.perf_counter()
        e_all = epoch + epoch_offset  # seeds of shuffles and encodings never repeat across phases
        order = np.random.default_rng([cfg.seed, 0, e_all]).permutation(n) if cfg.shuffle else np.arange(n)
        lr_scale = 1.0 if cfg.lr_schedule == "constant" else 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
        loss_sum, correct, seen = 0.0, 0, 0
        for k in range(n_batches):
            idx = order[k * cfg.batch_size:(k + 1) * cfg.batch_size]
            inputs = _batch(net, data, idx, np.random.SeedSequence([cfg.seed, 1, e_all, k]))
            if positions is None:
                res = value_and_grad(net, inputs, y[idx], loss=cfg.loss, surrogate=cfg.surrogate, slope=cfg.slope,
                                     binary=binary)
                opt.step(res.grads, lr_scale=lr_scale)
            else:
                sigma = sigma_at(dcfg, (epoch + k / n_batches) / epochs)
                syns, taps = dcls_kernels(net, positions, sigma, dcfg.taps)
                res, gks = delayed_value_and_grad(net, inputs, y[idx], loss=cfg.loss, surrogate=cfg.surrogate,
                                                  slope=cfg.slope, binary=binary, synapses=syns)
                gps = []
                for layer, lg, (g, dg), gk in zip(net.layers, res.grads, taps, gks):
                    lg.weight, gp = dcls_grads(layer.weight, g, dg, gk)
                    gps.append(gp)
                opt.step(res.grads, lr_scale=lr_scale)
                pos_opt.step(gps, lr_scale)
            loss_sum += res.loss * len(idx)
            correct += int((np.argmax(res.counts, axis=1) == y[idx]).sum())
            seen += len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(phase=phase, loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}", refresh=False)
        entry: dict[str, float | str] = {"phase": phase, "epoch": epoch + epoch_offset + 1, "loss": loss_sum / seen,
                                         "train_accuracy": correct / seen}
        if positions is not None:
            entry["sigma"] = sigma
        if val is not None:
            syns = None if positions is None else dcls_kernels(net, positions, sigma, dcfg.taps)[0]
            entry["val_accuracy"] = evaluate(net, val[0], val[1], synapses=syns)
        entry["seconds"] = time.perf_counter() - t0
        result.history.append(entry)


def train_delays(
    net: Network,
    data: np.ndarray,
    y: np.ndarray,
    cfg: TrainConfig = TrainConfig(),
    dcfg: DelayConfig = DelayConfig(),
    *,
    data_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    progress: bool = False,
) -> DelayTrainResult:
    """Train ``net`` in place with the delays of ``dcfg`` (module docstring).

    Parameters
    ----------
    net:
        The network (its layers must not carry delays yet; they are set here).
    data, y:
        Features ``(n, n_in)`` in [0, 1], encoded per batch by ``net.encoder`` as
        :func:`scnc.snn.train` does, or already encoded inputs ``(net.timesteps, n, n_in)``
        (e.g. :func:`scnc.data.temporal.render`); integer labels ``(n,)``.
    cfg:
        Optimisation settings (epochs = the main phase: plain training, or DCLS with learned
        positions).
    dcfg:
        Delay mode and DCLS hyper-parameters.
    data_val, y_val:
        Optional validation data in the same form, scored after every epoch.
    """
    if not isinstance(cfg, TrainConfig):
        raise ConfigError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    if not isinstance(dcfg, DelayConfig):
        raise ConfigError(f"dcfg must be a DelayConfig, got {type(dcfg).__name__}")
    if has_delays(net):
        raise ConfigError("train_delays: the network already carries delays (it sets them itself); "
                          "train a network with fixed delays with scnc.snn.train")
    data, y, n, binary = _check_data(net, data, y, "train_delays")
    if (data_val is None) != (y_val is None):
        raise ConfigError("train_delays: give both data_val and y_val, or neither")
    val = None if data_val is None else _check_data(net, data_val, y_val, "train_delays (validation)")[:2]
    result = DelayTrainResult(network=net)
    n_batches = -(-n // cfg.batch_size)
    fine = dcfg.fine_tune_epochs if dcfg.mode == "learned" else 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=(cfg.epochs + fine) * n_batches, unit="batch", desc="train")
    try:
        if dcfg.mode == "random":
            for layer, d in zip(net.layers, random_delays(net, dcfg.max_delay, cfg.seed)):
                layer.delays = d
        if dcfg.mode != "learned":
            _run_phase(net, data, y, n, binary, cfg, cfg.epochs, "train", 0, result, val, bar=bar)
            return result
        positions = [np.random.default_rng([cfg.seed, 2, l]).uniform(0.0, dcfg.max_delay, layer.weight.shape)
                     .astype(np.float32) for l, layer in enumerate(net.layers)]
        _run_phase(net, data, y, n, binary, cfg, cfg.epochs, "dcls", 0, result, val, dcfg, positions, bar=bar)
        result.positions = [p.copy() for p in positions]
        # round, freeze: from here on the network is exactly what the hardware realises
        for layer, p in zip(net.layers, positions):
            layer.delays = np.clip(np.rint(p), 0, dcfg.max_delay).astype(np.int16)
        if fine:
            _run_phase(net, data, y, n, binary, cfg, fine, "fine_tune", cfg.epochs, result, val, bar=bar)
        return result
    finally:
        if bar is not None:
            bar.close()

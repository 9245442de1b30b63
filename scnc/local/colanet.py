"""A CoLaNET-style spiking classifier trained by local plasticity (no gradients).

One column of ``K`` LIF neurons per class sees every input intensity through plastic synapses.
During training a label pathway rewards (dopamine) the correct column and, when that column stays
silent, a gate forces it to fire; every self-generated spike weakens the synapses that caused it
(anti-Hebbian). Weights are a saturating function of a per-synapse *resource*, and each neuron's
changes are conserved against its free resource (spread back evenly between samples) and damped by
its *stability*. The rule, its hyper-parameters and where it deviates from the reference (Kiselev's
rule in the Kaspersky Neuromorphic Platform) are in ``docs/local_learning.md``; the kernels are in
:mod:`scnc.local._kernels`.

Inference uses no label pathway and no plasticity: the frozen classifier *is* a two-layer LIF
network (:meth:`LocalClassifier.to_network`) — the columns (dense weights, per-neuron thresholds
with the frozen adaptive part, leak ``beta``, reset to zero) and one output neuron per class that
fires in every step in which any neuron of its column fired (weight 1, threshold 1/2). The
column's winner-take-all picks *which* neuron learns; for the output it is the same as an OR, so
output counts are the per-class counters and the network lowers to scnc's IR and hardware as is.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..snn.encoders import encode
from ..snn.network import EncoderConfig, LIFLayer, Network
from . import _kernels
from .encoder import RateCoding

__all__ = ["LocalConfig", "LocalClassifier", "LocalHistory", "resource_from_weight", "train_local",
           "LOCAL_MARK"]

LOCAL_MARK = "local_classifier"
"""Key of a checkpoint's ``metadata`` that holds the classifier's training state (see :meth:`LocalClassifier.to_checkpoint`)."""

LOCAL_FORMAT = 1


@dataclass(frozen=True)
class LocalConfig:
    """Hyper-parameters of the local rule (defaults: ``docs/local_learning.md`` says where each comes from).

    Parameters
    ----------
    neurons_per_column:
        ``K``, neurons per class column (KNP: 20).
    timesteps:
        ``T``, time steps each sample is presented during training (KNP: 10 active steps).
    inference_timesteps:
        Time steps of the frozen inference network (what ``scnc.ref`` and the hardware run). The
        prediction counts output spikes, so a longer window averages out more of the rate coding's
        Bernoulli noise; ``docs/local_learning.md`` gives the measured choice of 40.
    beta:
        Membrane leak per step. 0.75 = 1 - 2^-2 (exact on the hardware as a shift leak, and as an
        SC leak for any stream length divisible by 4); KNP's 2/3 is not representable exactly.
    threshold:
        ``theta0``, the static threshold (KNP: 8.571 for 784 pixel inputs; scaled here for
        rate-coded features, see the docs).
    adaptive_coef:
        Adaptive threshold ``coef * sum(positive weights)`` (KNP: 0.218).
    w_min, w_max:
        Weight range of the resource function (KNP: -0.253, 0.0924).
    hebbian:
        ``d_h``, resource change per contributing synapse on a self-generated spike (KNP: -0.177).
    dopamine:
        ``D``, resource change per contributing synapse of a rewarded neuron (KNP: 0.18).
    stability_change:
        Stability step (KNP: 0.05).
    isi_max:
        Spikes closer than this (time steps) continue an ISI period (KNP: 10).
    plasticity_period:
        An input that spiked within this many steps before a spike contributed (KNP: 10).
    resource_drain:
        Free resource is spread over ``n_in + resource_drain`` shares (KNP: 27).
    gate_step:
        Step at which the gate forces the silent correct column (default: ``T // 2``; -1 = default).
    init_jitter:
        Standard deviation of the initial resources around ``resource_from_weight(0)`` (seeded),
        so that neurons of one column start different.
    epochs:
        Passes over the training set (each in a seeded order).
    seed:
        Seed of the initial resources, the sample orders and the rate coding.
    """

    neurons_per_column: int = 10
    timesteps: int = 10
    inference_timesteps: int = 40
    beta: float = 0.75
    threshold: float = 1.0
    adaptive_coef: float = 0.218
    w_min: float = -0.253
    w_max: float = 0.0924
    hebbian: float = -0.177
    dopamine: float = 0.25
    stability_change: float = 0.05
    isi_max: int = 10
    plasticity_period: int = 10
    resource_drain: float = 27.0
    gate_step: int = -1
    init_jitter: float = 0.05
    epochs: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("neurons_per_column", "timesteps", "inference_timesteps", "isi_max", "plasticity_period",
                     "epochs"):
            _check_int(name, getattr(self, name), 1)
        _check_int("seed", self.seed, 0)
        _check_int("gate_step", self.gate_step, -1)
        if self.gate_step >= self.timesteps:
            raise ConfigError(f"LocalConfig.gate_step must be < timesteps ({self.timesteps}), got {self.gate_step}")
        for name in ("beta", "threshold", "adaptive_coef", "w_min", "w_max", "hebbian", "dopamine",
                     "stability_change", "resource_drain", "init_jitter"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"LocalConfig.{name} must be a finite number, got {v!r}")
        if not 0.0 <= self.beta <= 1.0:
            raise ConfigError(f"LocalConfig.beta must lie in [0, 1], got {self.beta}")
        if not self.threshold > 0:
            raise ConfigError(f"LocalConfig.threshold must be > 0, got {self.threshold}")
        if not self.w_min < 0 < self.w_max:
            raise ConfigError(f"LocalConfig needs w_min < 0 < w_max, got {self.w_min}, {self.w_max}")
        for name in ("adaptive_coef", "resource_drain", "init_jitter", "stability_change"):
            if getattr(self, name) < 0:
                raise ConfigError(f"LocalConfig.{name} must be >= 0, got {getattr(self, name)}")

    @property
    def gate(self) -> int:
        """The gate's time step."""
        return self.timesteps // 2 if self.gate_step < 0 else self.gate_step

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LocalConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"LocalConfig: unknown fields {unknown}; known: {sorted(known)}")
        d = dict(d)
        # classifiers written before the field existed ran inference over their training window
        d.setdefault("inference_timesteps", d.get("timesteps", cls.timesteps))
        return cls(**d)


def _check_int(name: str, v: Any, lo: int) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ConfigError(f"LocalConfig.{name} must be an integer >= {lo}, got {v!r}")


def resource_from_weight(w: float | np.ndarray, w_min: float, w_max: float) -> np.ndarray:
    """The resource whose weight is ``w`` (the inverse of :func:`scnc.local._kernels.weight_of` on ``[w_min, w_max)``)."""
    w = np.asarray(w, dtype=np.float64)
    d = w_max - w_min
    if np.any(w < w_min) or np.any(w >= w_max):
        raise ConfigError(f"resource_from_weight: weights must lie in [{w_min}, {w_max}), got "
                          f"[{float(w.min())}, {float(w.max())}]")
    f = (w - w_min) / d
    return f * d / (1.0 - f)


@dataclass
class LocalHistory:
    """Per epoch: ``epoch``, ``train_accuracy`` (self-generated answers), ``forced`` spikes, ``seconds``."""

    epochs: list[dict] = field(default_factory=list)


@dataclass
class LocalClassifier:
    """The classifier's state: resources, free resources, stabilities, thresholds; per class a column.

    Build with :meth:`new`; train with :func:`train_local`; classify with :meth:`predict`.
    ``encoder_hash`` / ``encoder_window`` / ``encoder_include_input``: the content hash, feature
    window and input pass-through of the :class:`~scnc.local.AnnEncoder` it was trained on (empty /
    ``None`` / ``False`` for a user callable), so the same features can be computed again whatever
    the library's defaults become.
    """

    config: LocalConfig
    class_labels: list[int]
    coding: RateCoding
    r: np.ndarray
    stab: np.ndarray
    encoder_hash: str = ""
    encoder_window: tuple[float, float] | None = None
    encoder_include_input: bool = False

    def __post_init__(self) -> None:
        n_in, n = self.r.shape
        k = self.config.neurons_per_column
        if n != k * len(self.class_labels):
            raise ConfigError(f"LocalClassifier: {n} neurons but {len(self.class_labels)} classes x {k} per column")
        if self.coding.scale.size != n_in:
            raise ConfigError(f"LocalClassifier: rate coding has {self.coding.scale.size} features, synapses {n_in}")
        if self.stab.shape != (n,):
            raise ConfigError(f"LocalClassifier: stability must have shape ({n},), got {self.stab.shape}")
        self.r = np.ascontiguousarray(self.r, dtype=np.float64)
        self.stab = np.ascontiguousarray(self.stab, dtype=np.float64)

    @classmethod
    def new(cls, config: LocalConfig, class_labels: list[int], coding: RateCoding, *, encoder_hash: str = "",
            encoder_window: tuple[float, float] | None = None,
            encoder_include_input: bool = False) -> "LocalClassifier":
        """A fresh classifier: resources ``resource_from_weight(0) + jitter`` (seeded), stability 0."""
        labels = [int(c) for c in class_labels]
        if len(labels) < 1 or len(set(labels)) != len(labels) or labels != sorted(labels):
            raise ConfigError(f"LocalClassifier: class labels must be distinct, ascending and non-empty, got {class_labels}")
        r = cls._fresh_resources(config, coding.scale.size, len(labels), salt=0)
        return cls(config, labels, coding, r, np.zeros(r.shape[1]), encoder_hash, encoder_window,
                   encoder_include_input)

    @staticmethod
    def _fresh_resources(config: LocalConfig, n_in: int, n_classes: int, salt: int) -> np.ndarray:
        r0 = float(resource_from_weight(0.0, config.w_min, config.w_max))
        rng = np.random.default_rng([config.seed, 15, salt])
        n = n_classes * config.neurons_per_column
        return r0 + config.init_jitter * rng.standard_normal((n_in, n))

    def add_classes(self, labels: list[int]) -> "LocalClassifier":
        """A copy with a fresh column for each new label; old columns kept as they are.

        Columns stay in ascending label order (output ``i`` is the ``i``-th smallest label, the
        order :func:`scnc.data.load_dataset` indexes ``y`` in), so new columns may land between old ones.
        """
        new = sorted({int(c) for c in labels} - set(self.class_labels))
        if not new:
            raise ConfigError(f"add_classes: every label of {labels} is already a class ({self.class_labels})")
        k = self.config.neurons_per_column
        extra = self._fresh_resources(self.config, self.r.shape[0], len(new), salt=len(self.class_labels))
        merged = sorted(self.class_labels + new)
        r_cols, s_cols = [], []
        for lab in merged:
            if lab in self.class_labels:
                i = self.class_labels.index(lab)
                r_cols.append(self.r[:, i * k:(i + 1) * k])
                s_cols.append(self.stab[i * k:(i + 1) * k])
            else:
                i = new.index(lab)
                r_cols.append(extra[:, i * k:(i + 1) * k])
                s_cols.append(np.zeros(k))
        return LocalClassifier(self.config, merged, self.coding, np.concatenate(r_cols, axis=1),
                               np.concatenate(s_cols), self.encoder_hash, self.encoder_window,
                               self.encoder_include_input)

    # -- derived hardware quantities ------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """float64 ``(n_in, N)``: the weights of the resources."""
        c = self.config
        x = np.maximum(self.r, 0.0)
        d = c.w_max - c.w_min
        return c.w_min + d * x / (d + x)

    def thresholds(self) -> np.ndarray:
        """float64 ``(N,)``: static threshold plus the frozen adaptive part."""
        w = self.weights()
        return self.config.threshold + self.config.adaptive_coef * np.where(w > 0, w, 0.0).sum(axis=0)

    def to_network(self) -> Network:
        """The frozen inference network: columns (``features -> N``) and per-class outputs (``N -> C``)."""
        c = self.config
        n_classes, k = len(self.class_labels), c.neurons_per_column
        cols = LIFLayer("columns", self.weights().astype(np.float32), None,
                        np.array([c.beta], np.float32), self.thresholds().astype(np.float32), "zero",
                        learn_beta=False)
        # output c: weight 1 from each neuron of column c, threshold 1/2, reset to zero -> it fires
        # exactly in the steps in which its column fired (its membrane is 0 at every step's start).
        # Threshold 1/2, not 1: the quantized weight and threshold then stay apart by half a weight
        # whatever the rounding, so the hardware's OR is exact too.
        w_out = np.kron(np.eye(n_classes, dtype=np.float32), np.ones((k, 1), np.float32))
        out = LIFLayer("output", w_out, None, np.array([c.beta], np.float32), np.array([0.5], np.float32),
                       "zero", learn_beta=False)
        return Network([cols, out], c.inference_timesteps, EncoderConfig(kind="rate", seed=c.seed))

    def intensities(self, features: np.ndarray) -> np.ndarray:
        """Rate-coded input intensities in [0, 1] of encoder ``features``."""
        return self.coding(features)

    def predict(self, features: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """Class *indices* ``(n,)`` of encoder features: the frozen network's arg-max of output counts."""
        from ..snn.train import predict

        return predict(self.to_network(), self.intensities(features), seed=seed)

    def accuracy(self, features: np.ndarray, y: np.ndarray, *, seed: int | None = None) -> float:
        """Fraction of samples whose predicted class index equals ``y``."""
        return float(np.mean(self.predict(features, seed=seed) == np.asarray(y)))

    # -- files -----------------------------------------------------------------------------------
    def to_checkpoint(self, metadata: dict[str, Any] | None = None):
        """The inference network as an :class:`~scnc.transfer.SNNCheckpoint`; training state in metadata.

        ``metadata["local_classifier"]`` holds what continuing training needs (the configuration,
        the rate coding's scales, the stabilities, the encoder's content hash and feature window); the resources are
        the inverse of the stored weights (:func:`resource_from_weight`), exact to float32.
        """
        from ..transfer import SNNCheckpoint

        meta = dict(metadata or {})
        meta[LOCAL_MARK] = {
            "format": LOCAL_FORMAT,
            "config": asdict(self.config),
            "feature_scale": [float(v) for v in self.coding.scale],
            "stability": [float(v) for v in self.stab],
            "encoder_hash": self.encoder_hash,
            "encoder_window": None if self.encoder_window is None else [float(v) for v in self.encoder_window],
        }
        if self.encoder_include_input:  # only when set: classifiers written before the field keep their hash
            meta[LOCAL_MARK]["encoder_include_input"] = True
        return SNNCheckpoint.from_network(self.to_network(), class_labels=self.class_labels, metadata=meta)

    @classmethod
    def from_checkpoint(cls, ckpt, where: str = "checkpoint") -> "LocalClassifier":
        """Rebuild the classifier from :meth:`to_checkpoint`'s checkpoint (resources from the weights)."""
        block = ckpt.metadata.get(LOCAL_MARK)
        if not isinstance(block, dict) or block.get("format") != LOCAL_FORMAT:
            raise ConfigError(f"{where}: metadata.{LOCAL_MARK} missing or not format {LOCAL_FORMAT}: "
                              "not a classifier written by `scnc local-train`")
        try:
            config = LocalConfig.from_dict(dict(block["config"]))
            coding = RateCoding(np.asarray(block["feature_scale"], dtype=np.float64))
            w = np.asarray(ckpt.layers[0].weight, dtype=np.float64)
            w = np.clip(w, config.w_min, np.nextafter(config.w_max, -np.inf))
            r = resource_from_weight(w, config.w_min, config.w_max)
            win = block.get("encoder_window")
            window = None if win is None else (float(win[0]), float(win[1]))
            include_input = block.get("encoder_include_input", False)
            if not isinstance(include_input, bool):
                raise ValueError(f"encoder_include_input must be true or false, got {include_input!r}")
            return cls(config, list(ckpt.class_labels), coding, r,
                       np.asarray(block["stability"], dtype=np.float64), str(block.get("encoder_hash", "")), window,
                       include_input)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: metadata.{LOCAL_MARK} is malformed: {exc}") from None


def _spikes(intensities: np.ndarray, timesteps: int, seed: list[int]) -> np.ndarray:
    """uint8 ``(n, T, n_in)`` rate-coded spikes (the SNN encoder's Bernoulli draws, seeded)."""
    enc = encode(intensities, EncoderConfig(kind="rate"), timesteps, seed=np.random.SeedSequence(seed))
    return np.ascontiguousarray(enc.transpose(1, 0, 2)).astype(np.uint8)


def _labels_to_columns(clf: LocalClassifier, y_labels: np.ndarray) -> np.ndarray:
    index = {c: i for i, c in enumerate(clf.class_labels)}
    out = np.empty(len(y_labels), np.int64)
    for k, lab in enumerate(np.asarray(y_labels).tolist()):
        if int(lab) not in index:
            raise ConfigError(f"train_local: label {lab} is not one of the classifier's classes {clf.class_labels}")
        out[k] = index[int(lab)]
    return out


def train_local(
    clf: LocalClassifier,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    progress: bool = False,
    epochs: int | None = None,
) -> LocalHistory:
    """Train ``clf`` in place by the local rule, one sample at a time.

    Parameters
    ----------
    clf:
        The classifier (its configuration gives the hyper-parameters).
    features:
        Encoder features ``(n, n_in)`` (>= 0); the classifier's rate coding turns them into intensities.
    labels:
        *Original* class labels ``(n,)`` (each one of ``clf.class_labels``).
    progress:
        A tqdm bar over the epochs.
    epochs:
        Overrides ``clf.config.epochs``.

    Determinism: epoch ``e`` presents the samples in ``default_rng([seed, 15, 1, e])``'s permutation,
    with spikes drawn from ``SeedSequence([seed, 15, 2, e])``.
    """
    cfg = clf.config
    n_epochs = cfg.epochs if epochs is None else epochs
    _check_int("epochs", n_epochs, 1)
    x = clf.intensities(features)
    cols = _labels_to_columns(clf, labels)
    if x.shape[0] != cols.shape[0]:
        raise ConfigError(f"train_local: {x.shape[0]} feature rows but {cols.shape[0]} labels")
    n = x.shape[0]
    if n == 0:
        raise ConfigError("train_local: no training samples")
    w = clf.weights()
    theta = clf.thresholds()
    free = np.zeros(w.shape[1])
    counts = np.zeros((n, len(clf.class_labels)), np.int64)
    history = LocalHistory()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_epochs, unit="epoch", desc="local-train")
    try:
        for e in range(n_epochs):
            t0 = time.perf_counter()
            spikes = _spikes(x, cfg.timesteps, [cfg.seed, 15, 2, e])
            order = np.random.default_rng([cfg.seed, 15, 1, e]).permutation(n).astype(np.int64)
            forced = _kernels.run_epoch(
                spikes, cols, order, True, clf.r, w, free, clf.stab, theta, cfg.neurons_per_column,
                float(cfg.beta), float(cfg.threshold), float(cfg.adaptive_coef), float(cfg.w_min),
                float(cfg.w_max), float(cfg.hebbian), float(cfg.dopamine), float(cfg.stability_change),
                int(cfg.isi_max), int(cfg.plasticity_period), float(cfg.resource_drain), int(cfg.gate), counts)
            entry = {"epoch": e + 1, "train_accuracy": float(np.mean(np.argmax(counts, axis=1) == cols)),
                     "forced": int(forced), "seconds": time.perf_counter() - t0}
            history.epochs.append(entry)
            if bar is not None:
                bar.set_postfix(acc=f"{entry['train_accuracy']:.3f}", forced=entry["forced"], refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history

"""The frozen feature extractor in front of the local-learning classifier, and its rate coding.

The classifier (:mod:`scnc.local.colanet`) never sees pixels: it sees *intensities* in [0, 1],
one per feature, which the rate encoder turns into Bernoulli spike trains (on the hardware, an SNG
per input does the same). Two kinds of encoder produce the features:

* :class:`AnnEncoder`, the one scnc ships: the hidden layer of a dense ANN pretrained in scnc by
  :func:`scnc.snn.pretrain.pretrain` (pipe-S's clipped-linear ANN) on a source task, e.g. optdigits
  ``.tra`` or only its classes 0-4. It is stored as an ordinary :class:`~scnc.transfer.SNNCheckpoint`
  (``.npz`` + ``.json``, content-hashed, no pickle) whose ``metadata["local_encoder"]`` marks it, so
  it is versioned and verified like every checkpoint. Its features are the hidden activations
  ``clip((z - lo) / (hi - lo), 0, 1)`` with ``z = x @ W + b`` and the window ``[lo, hi]`` (fractions
  of the threshold) stored in that metadata: graded values rather than the near-binary ones of the
  final pretraining window, because the classifier needs rates, not a 0/1 code. With
  ``include_input`` the encoder also passes its input through (a skip connection): the features
  are the hidden activations followed by ``x`` itself, which keeps what the source task taught the
  hidden layer to ignore -- measured to matter for classes the encoder never saw.
* any Python callable ``features(x) -> array (n, d)`` a user brings (a torchvision model, a PCA...):
  :func:`as_feature_fn` checks what it returns (2-D, ``n`` rows, finite, >= 0).

:class:`RateCoding` maps features to intensities: ``clip(f / scale, 0, 1)`` per feature, with
``scale`` frozen from the training set (the per-feature maximum). It is stored with the classifier,
so the host computes exactly the intensities the classifier was trained on. The encoder and the
rate coding run on the host; the FPGA core receives the intensities (see ``docs/local_learning.md``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

from ..errors import CheckpointError, ConfigError
from ..snn.network import Network
from ..snn.pretrain import PretrainConfig, ann_accuracy, ann_forward, pretrain

__all__ = [
    "ENCODER_MARK",
    "FeatureFn",
    "AnnEncoder",
    "RateCoding",
    "as_feature_fn",
    "pretrain_encoder",
    "load_encoder",
]

ENCODER_MARK = "local_encoder"
"""Key of ``metadata`` that marks a checkpoint as a frozen encoder (its value: the feature window)."""

ENCODER_FORMAT = 1
"""Version of the ``metadata["local_encoder"]`` block; a reader refuses a newer one."""

DEFAULT_WINDOW = (0.7, 1.3)
"""Feature window ``(lo, hi)`` as fractions of the hidden threshold: ``clip((z - 0.7 theta) / (0.6 theta), 0, 1)``.

Measured (local rule, default LocalConfig, optdigits.tra split 3000 / 823, seed 0), accuracy on the
held-out 823: (0.7, 1.3) 97.9 %, (0.5, 1.5) 97.3 %, (0.8, 1.2) 96.7 %, (0.3, 1.3) 96.5 %,
(0.9, 1.1) 96.5 %, (0, 0.5) 95.8 %, (0, 1) 95.6 %, (0, 2) 94.3 %."""


class FeatureFn(Protocol):
    """What a user's encoder is: ``features(x) -> (n, d)`` float array, values >= 0."""

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


def as_feature_fn(fn: Callable[[np.ndarray], Any], name: str = "encoder") -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a user callable so that every result is checked: 2-D, one row per sample, finite, >= 0.

    Returns a callable giving float64 ``(n, d)``. The error names ``name`` and what was expected.
    """
    if not callable(fn):
        raise ConfigError(f"{name}: expected a callable features(x) -> array (n, d), got {type(fn).__name__}")

    def checked(x: np.ndarray) -> np.ndarray:
        n = int(np.asarray(x).shape[0])
        f = np.asarray(fn(x))
        if f.ndim != 2 or f.shape[0] != n:
            raise ConfigError(f"{name}: features(x) must return shape ({n}, d) for {n} samples, got {f.shape}")
        if not np.issubdtype(f.dtype, np.number) or np.issubdtype(f.dtype, np.complexfloating):
            raise ConfigError(f"{name}: features(x) must be real numbers, got dtype {f.dtype}")
        f = f.astype(np.float64)
        if f.size and not np.all(np.isfinite(f)):
            raise ConfigError(f"{name}: features(x) returned NaN or infinite values")
        if f.size and f.min() < 0:
            raise ConfigError(
                f"{name}: features(x) must be >= 0 to be rate-coded (got a minimum of {f.min():.4g}); "
                "apply a ReLU or shift them first"
            )
        return f

    return checked


@dataclass(frozen=True)
class RateCoding:
    """Features -> input intensities in [0, 1]: ``clip(f / scale, 0, 1)``, ``scale`` frozen per feature.

    Parameters
    ----------
    scale:
        float64 ``(d,)``, every value > 0 (the training set's per-feature maximum; 1 where a
        feature is always 0).
    """

    scale: np.ndarray

    def __post_init__(self) -> None:
        s = np.asarray(self.scale, dtype=np.float64).reshape(-1)
        if s.size == 0 or not np.all(np.isfinite(s)) or not np.all(s > 0):
            raise ConfigError("RateCoding.scale must be a non-empty array of finite values > 0")
        s.setflags(write=False)
        object.__setattr__(self, "scale", s)

    @classmethod
    def fit(cls, features: np.ndarray) -> "RateCoding":
        """The coding whose scale is the per-feature maximum of ``features`` ``(n, d)`` (1 if all 0)."""
        f = np.asarray(features, dtype=np.float64)
        if f.ndim != 2 or f.shape[0] == 0:
            raise ConfigError(f"RateCoding.fit: need features of shape (n >= 1, d), got {f.shape}")
        top = f.max(axis=0)
        return cls(np.where(top > 0, top, 1.0))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        f = np.asarray(features, dtype=np.float64)
        if f.ndim != 2 or f.shape[1] != self.scale.size:
            raise ConfigError(f"RateCoding: expected features (n, {self.scale.size}), got {f.shape}")
        # float32 at the end: the intensities are what the SNN encoder (and the IR's input
        # quantizer) read, and both work in float32.
        return np.clip(f / self.scale, 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class AnnEncoder:
    """A frozen pretrained dense ANN whose first (hidden) layer gives the features.

    Parameters
    ----------
    network:
        The pretrained :class:`~scnc.snn.network.Network` (``n_in -> hidden -> classes``); only its
        first layer computes features, the rest is the ANN head (for :meth:`head_accuracy`).
    window:
        ``(lo, hi)``, fractions of the hidden threshold, ``0 <= lo < hi``: the feature is
        ``clip((z - lo*theta) / ((hi - lo)*theta), 0, 1)``.
    class_labels:
        The source task's labels (the head's outputs).
    include_input:
        Append the input ``x`` (in [0, 1]) to the hidden features: ``n_features = hidden + n_in``.
    content_hash:
        The checkpoint's content hash when loaded from a file (a classifier records it, so that
        evaluating it with another encoder is refused).
    """

    network: Network
    window: tuple[float, float] = DEFAULT_WINDOW
    class_labels: tuple[int, ...] = ()
    content_hash: str = ""
    include_input: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.include_input, (bool, np.bool_)):
            raise ConfigError(f"AnnEncoder.include_input must be True or False, got {self.include_input!r}")
        object.__setattr__(self, "include_input", bool(self.include_input))
        lo, hi = (float(v) for v in self.window)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
            raise ConfigError(f"AnnEncoder.window must satisfy 0 <= lo < hi, got {self.window!r}")
        if len(self.network.layers) < 2:
            raise ConfigError("AnnEncoder: the network needs a hidden layer and a head (>= 2 layers)")
        object.__setattr__(self, "window", (lo, hi))

    @property
    def n_in(self) -> int:
        """Input size (pixels)."""
        return self.network.n_inputs

    @property
    def n_features(self) -> int:
        """Feature size: hidden neurons, plus the inputs with ``include_input``."""
        return self.network.layers[0].n_out + (self.n_in if self.include_input else 0)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Features ``(n, n_features)`` float64 in [0, 1] of inputs ``x`` ``(n, n_in)`` in [0, 1]."""
        x32 = np.asarray(x, dtype=np.float32)
        _, hs = ann_forward(self.network, x32, self.window)
        hidden = hs[0].astype(np.float64)
        return np.concatenate([hidden, x32.astype(np.float64)], axis=1) if self.include_input else hidden

    def head_accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of the encoder's own ANN head (the pretraining task's labels ``y``)."""
        return ann_accuracy(self.network, np.asarray(x, dtype=np.float32), y)

    def save(self, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None) -> None:
        """Write ``<path>.npz`` + ``<path>.json`` atomically, as a checkpoint marked as an encoder."""
        from ..transfer import SNNCheckpoint, save_checkpoint

        meta = dict(metadata or {})
        meta[ENCODER_MARK] = {"format": ENCODER_FORMAT, "window": list(self.window)}
        if self.include_input:  # written only when set: encoders saved before the field keep their hash
            meta[ENCODER_MARK]["include_input"] = True
        meta.setdefault("stage", "ann")
        save_checkpoint(SNNCheckpoint.from_network(self.network, class_labels=list(self.class_labels) or None,
                                                   metadata=meta), path)


def load_encoder(path: str | os.PathLike) -> AnnEncoder:
    """Read a frozen encoder: any checkpoint with >= 2 layers (hash and fields verified).

    A checkpoint written by :meth:`AnnEncoder.save` carries its feature window (and
    ``include_input`` when set) in ``metadata["local_encoder"]``; any other checkpoint
    (``scnc pretrain``, ``scnc train``) is used with :data:`DEFAULT_WINDOW`: its first layer's
    clipped-linear rate ``clip(z / theta, 0, 1)``.

    Raises
    ------
    CheckpointError
        Not a checkpoint, tampered with, one layer only, or a malformed encoder block (names the
        file and the field).
    """
    from ..transfer import checkpoint_paths, load_checkpoint

    ckpt = load_checkpoint(path)
    _, json_path = checkpoint_paths(path)
    block = ckpt.metadata.get(ENCODER_MARK)
    field = f"metadata.{ENCODER_MARK}"
    window, include_input = DEFAULT_WINDOW, False
    if block is not None:
        if not isinstance(block, dict) or block.get("format") != ENCODER_FORMAT:
            got = block.get("format") if isinstance(block, dict) else block
            raise CheckpointError(json_path, f"{field}.format", f"expected {ENCODER_FORMAT}, got {got!r}")
        win = block.get("window")
        if not (isinstance(win, list) and len(win) == 2 and all(isinstance(v, (int, float)) for v in win)):
            raise CheckpointError(json_path, f"{field}.window", f"expected [lo, hi] (two numbers), got {win!r}")
        window = (float(win[0]), float(win[1]))
        include_input = block.get("include_input", False)  # absent in encoders written before the field
        if not isinstance(include_input, bool):
            raise CheckpointError(json_path, f"{field}.include_input", f"expected true or false, got {include_input!r}")
    if len(ckpt.layers) < 2:
        raise CheckpointError(json_path, "layers", f"an encoder needs a hidden layer and a head (>= 2 layers), "
                              f"got {len(ckpt.layers)}")
    try:
        return AnnEncoder(ckpt.to_network(), window, tuple(ckpt.class_labels), ckpt.content_hash, include_input)
    except ConfigError as exc:
        raise CheckpointError(json_path, field, str(exc)) from None


def pretrain_encoder(
    x: np.ndarray,
    y: np.ndarray,
    *,
    class_labels: list[int],
    hidden: int = 128,
    epochs: int = 10,
    seed: int = 0,
    window: tuple[float, float] = DEFAULT_WINDOW,
    include_input: bool = False,
    progress: bool = False,
) -> AnnEncoder:
    """Pretrain a dense ANN ``n_in -> hidden -> classes`` on ``(x, y)`` and freeze it as an encoder.

    The ANN is pipe-S's (:func:`scnc.snn.pretrain.pretrain`, its measured defaults: batch 64,
    lr 1e-2, cosine schedule); ``seed`` seeds the initial weights and the shuffles.
    """
    x = np.asarray(x, dtype=np.float32)
    n_classes = len(class_labels)
    if n_classes < 2:
        raise ConfigError(f"pretrain_encoder: need at least two classes, got {class_labels}")
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)) or hidden < 1:
        raise ConfigError(f"pretrain_encoder: hidden must be an integer >= 1, got {hidden!r}")
    net = Network.dense([x.shape[1], int(hidden), n_classes], seed=seed)
    pretrain(net, x, y, PretrainConfig(epochs=epochs, seed=seed), progress=progress)
    return AnnEncoder(net, window, tuple(int(c) for c in class_labels), include_input=include_input)

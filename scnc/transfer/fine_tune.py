"""Transfer learning on checkpoints: freeze layers, replace the head, fine-tune in phases.

The freezing rule (:func:`apply_transfer_config`), for a network of ``n`` layers indexed
``0 .. n-1`` (layer ``n-1`` is the head, the output layer) and ``f`` = ``freeze_until`` (an index,
or the index of the layer with that name)::

    layer i          flagged frozen   learning rate
    0 <= i <= f      yes              0.0
    f < i < n-1      no               lr_frozen     (the tutorial's name: the rate of the feature
                                                     layers that are not frozen)
    i == n-1         no               lr_head

``f = -1`` freezes nothing. ``f = n-1`` would freeze the head too: a ConfigError ("nothing left
to train"). Examples on a 2-layer network: ``TransferConfig(freeze_until=0, lr_head=0.001)`` gives
``[0.0, 0.001]``; ``TransferConfig(freeze_until=-1, lr_head=0.001, lr_frozen=0.0001)`` gives
``[0.0001, 0.001]``. A frozen layer's weights, bias, beta and threshold stay bit-identical through
:func:`fine_tune`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .._io import hash_arrays
from ..errors import ConfigError
from ..snn.network import Network
from .checkpoint import SNNCheckpoint, to_jsonable

#: Learning rate of every layer in :meth:`TransferConfig.recommended` (tuned on 1,2,3,7,8 -> 0,4,5,6,9).
RECOMMENDED_LR = 3e-3

__all__ = ["TransferConfig", "apply_transfer_config", "resolve_freeze_until", "replace_head", "fine_tune"]


@dataclass(frozen=True)
class TransferConfig:
    """Which layers to freeze and the learning rates of the rest (rule in the module docstring).

    Parameters
    ----------
    freeze_until:
        Freeze layers ``0 .. freeze_until`` (inclusive): a layer index, or a layer name meaning its
        index. ``-1`` (default) freezes nothing.
    lr_head:
        Learning rate of the last layer (the head).
    lr_frozen:
        Learning rate of every layer after ``freeze_until`` except the head. The name is the
        tutorial's; with the default 0.0 those layers do not move but are not flagged frozen.
    """

    freeze_until: int | str = -1
    lr_head: float = 1e-3
    lr_frozen: float = 0.0

    @classmethod
    def recommended(cls) -> "TransferConfig":
        """scnc's measured default for few-shot transfer: freeze nothing, every layer at 3e-3.

        The field defaults above are the tutorial's and stay as written; this is what
        ``benchmarks/transfer.py`` measured as the best of the transfer recipes tried (ahead of
        training from scratch with 10-20 examples per class, behind a tuned scratch baseline with
        2-5; see :mod:`scnc.transfer.recipe` and ``docs/transfer.md``). Run it for
        :data:`scnc.transfer.recipe.DEFAULT_EPOCHS` epochs at batch size 10.

        >>> TransferConfig.recommended()
        TransferConfig(freeze_until=-1, lr_head=0.003, lr_frozen=0.003)
        """
        return cls(freeze_until=-1, lr_head=RECOMMENDED_LR, lr_frozen=RECOMMENDED_LR)

    def __post_init__(self) -> None:
        f = self.freeze_until
        if isinstance(f, str):
            if not f:
                raise ConfigError("TransferConfig.freeze_until: a layer name must not be empty")
        elif isinstance(f, (bool, np.bool_)) or not isinstance(f, (int, np.integer)) or f < -1:
            raise ConfigError(
                f"TransferConfig.freeze_until must be a layer index >= -1 or a layer name, got {f!r}"
            )
        else:
            object.__setattr__(self, "freeze_until", int(f))
        for name in ("lr_head", "lr_frozen"):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ConfigError(f"TransferConfig.{name} must be a number, got {v!r}")
            if not math.isfinite(float(v)) or v < 0:
                raise ConfigError(f"TransferConfig.{name} must be finite and >= 0, got {v!r}")
            object.__setattr__(self, name, float(v))


def resolve_freeze_until(ckpt: SNNCheckpoint, freeze_until: int | str) -> int:
    """The layer index ``freeze_until`` names in ``ckpt`` (-1: none), checked against the rule."""
    n = ckpt.n_layers
    if isinstance(freeze_until, str):
        if freeze_until not in ckpt.layer_names:
            raise ConfigError(f"freeze_until: no layer named {freeze_until!r}; layers are {ckpt.layer_names}")
        f = ckpt.layer_names.index(freeze_until)
    else:
        f = int(freeze_until)
        if f < -1 or f >= n:
            raise ConfigError(f"freeze_until={f} is out of range for {n} layers (use -1 .. {n - 2})")
    if f == n - 1:
        raise ConfigError(
            f"freeze_until={freeze_until!r} freezes the head '{ckpt.layer_names[-1]}' too: nothing left to train "
            f"(freeze at most layer {n - 2})"
        )
    return f


def apply_transfer_config(ckpt: SNNCheckpoint, cfg: TransferConfig) -> tuple[SNNCheckpoint, list[float]]:
    """Freeze layers per ``cfg`` and return the per-layer learning rates.

    The rule is in the module docstring. The frozen flags are set from ``cfg`` alone (a layer
    frozen earlier and not covered by ``cfg`` is unfrozen: this is how gradual unfreezing works).

    Returns
    -------
    checkpoint, per_layer_lr:
        A new checkpoint (frozen flags updated; ``cfg`` appended to ``provenance["transfer"]``)
        and one learning rate per layer, first layer first. ``ckpt`` is not changed.
    """
    if not isinstance(cfg, TransferConfig):
        raise ConfigError(f"apply_transfer_config expects a TransferConfig, got {type(cfg).__name__}")
    f = resolve_freeze_until(ckpt, cfg.freeze_until)
    n = ckpt.n_layers
    lrs = [0.0 if i <= f else (cfg.lr_head if i == n - 1 else cfg.lr_frozen) for i in range(n)]
    frozen = [i <= f for i in range(n)]
    entry = {
        "op": "apply_transfer_config",
        "freeze_until": cfg.freeze_until,
        "lr_head": cfg.lr_head,
        "lr_frozen": cfg.lr_frozen,
        "frozen_layers": [ckpt.layer_names[i] for i in range(n) if frozen[i]],
        "per_layer_lr": lrs,
    }
    return ckpt.replace(frozen=frozen, provenance=_with_transfer(ckpt.provenance, entry)), lrs


def _with_transfer(provenance: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    prov = dict(provenance)
    prov["transfer"] = list(prov.get("transfer", [])) + [to_jsonable(entry, "provenance.transfer")]
    return prov


def replace_head(
    ckpt: SNNCheckpoint, n_classes: int, *, seed: int, class_labels: Sequence[int] | None = None
) -> SNNCheckpoint:
    """Replace the last layer by a fresh one with ``n_classes`` neurons; keep every other layer.

    The new weights follow :meth:`scnc.snn.network.Network.dense`'s rule (N(0, (2/sqrt(n_in))^2),
    ``numpy.random.default_rng(seed)``), so ``replace_head(c, k, seed=s)`` gets exactly the weights
    of ``Network.dense([n_in, k], seed=s)``. The head keeps its name, reset mode, learn flags and,
    when per layer, its beta and threshold (the temporal dynamics transfer); a per-neuron beta or
    threshold cannot map to new neurons and becomes its mean, per layer. A bias, if the old head
    had one, restarts at zero. Hidden layers stay bit-identical. The head is not frozen.
    ``class_labels`` defaults to ``0 .. n_classes-1``. Recorded in ``provenance["transfer"]``;
    ``metadata`` is kept as is.
    """
    if isinstance(n_classes, (bool, np.bool_)) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ConfigError(f"replace_head: n_classes must be a positive integer, got {n_classes!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"replace_head: seed must be a non-negative integer, got {seed!r}")
    n_classes = int(n_classes)
    labels = list(range(n_classes)) if class_labels is None else [int(c) for c in class_labels]
    if len(labels) != n_classes:
        raise ConfigError(f"replace_head: {len(labels)} class_labels given for {n_classes} classes")
    n_in = ckpt.layer_sizes[-1][0]
    head = ckpt.n_layers - 1
    weight = Network.dense([n_in, n_classes], seed=int(seed)).layers[0].weight

    def per_layer(a: np.ndarray) -> np.ndarray:
        if a.shape == (1,):
            return a.copy()
        return np.array([np.mean(a, dtype=np.float64)], dtype=np.float32)

    old_bias = ckpt.biases[head]
    entry = {
        "op": "replace_head",
        "layer": ckpt.layer_names[head],
        "old_n_out": ckpt.layer_sizes[head][1],
        "old_class_labels": list(ckpt.class_labels),
        "n_classes": n_classes,
        "class_labels": labels,
        "seed": int(seed),
        "init": "Network.dense: N(0, (2/sqrt(n_in))^2), numpy default_rng(seed)",
    }
    return ckpt.replace(
        weights=ckpt.weights[:head] + [weight],
        layer_sizes=ckpt.layer_sizes[:head] + [(n_in, n_classes)],
        biases=ckpt.biases[:head] + [None if old_bias is None else np.zeros(n_classes, np.float32)],
        betas=ckpt.betas[:head] + [per_layer(ckpt.betas[head])],
        thresholds=ckpt.thresholds[:head] + [per_layer(ckpt.thresholds[head])],
        frozen=ckpt.frozen[:head] + [False],
        class_labels=labels,
        provenance=_with_transfer(ckpt.provenance, entry),
    )


def _layer_arrays(ckpt: SNNCheckpoint, i: int) -> dict[str, np.ndarray | None]:
    return {"weight": ckpt.weights[i], "bias": ckpt.biases[i], "beta": ckpt.betas[i], "threshold": ckpt.thresholds[i]}


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def fine_tune(
    ckpt: SNNCheckpoint,
    x: np.ndarray,
    y: np.ndarray,
    phases: Sequence[tuple[TransferConfig, int]],
    train_config: Any,
    *,
    progress: bool = False,
    dataset: Mapping[str, Any] | Any | None = None,
) -> tuple[SNNCheckpoint, list[dict[str, Any]]]:
    """Fine-tune ``ckpt`` on ``(x, y)`` in phases (gradual unfreezing).

    Each phase ``(cfg, epochs)`` applies ``cfg`` (:func:`apply_transfer_config`, the rule in the
    module docstring) and trains ``epochs`` epochs with :func:`scnc.snn.train.train`, passing the
    per-layer learning rates. ``train_config`` (a :class:`scnc.snn.train.TrainConfig`) gives every
    other setting; phase ``p`` (from 0) runs with ``epochs`` replaced and ``seed`` set to
    ``train_config.seed + p`` so that phases do not repeat one another's shuffles.

    Parameters
    ----------
    ckpt:
        The starting checkpoint (not changed).
    x, y:
        Features ``(n, n_inputs)`` in [0, 1] and class indices ``(n,)`` into ``ckpt.class_labels``.
    phases:
        ``[(TransferConfig, epochs), ...]``, run in order.
    train_config:
        Training settings (``scnc.snn.train.TrainConfig``).
    progress:
        Show progress bars while training.
    dataset:
        Optional identity of the data (a :class:`scnc.data.Dataset` or its ``identity()`` dict),
        recorded in provenance; otherwise the size and SHA-256 of ``x`` and ``y`` are recorded.

    Returns
    -------
    checkpoint, history:
        The fine-tuned checkpoint (frozen flags of the last phase, every phase recorded in
        ``provenance["transfer"]``, ``provenance["training"]`` and ``provenance["dataset"]`` set)
        and one dict per phase: ``phase``, ``freeze_until``, ``per_layer_lr``, ``epochs`` and the
        trainer's ``history``.

    Raises
    ------
    ConfigError
        Bad phases, data shapes or labels.
    RuntimeError
        If the trainer changed a frozen layer (a trainer bug: frozen layers must stay bit-identical).
    """
    from ..snn.train import train  # training depends on numba kernels: import only when used

    phases = list(phases)
    if not phases:
        raise ConfigError("fine_tune: give at least one phase (TransferConfig, epochs)")
    for p, phase in enumerate(phases):
        if not (isinstance(phase, (tuple, list)) and len(phase) == 2 and isinstance(phase[0], TransferConfig)):
            raise ConfigError(f"fine_tune: phase {p} must be (TransferConfig, epochs), got {phase!r}")
        epochs = phase[1]
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ConfigError(f"fine_tune: phase {p} epochs must be a positive integer, got {epochs!r}")
        resolve_freeze_until(ckpt, phase[0].freeze_until)
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.ascontiguousarray(y)
    if x.ndim != 2 or x.shape[1] != ckpt.layer_sizes[0][0]:
        raise ConfigError(f"fine_tune: x must have shape (n, {ckpt.layer_sizes[0][0]}), got {x.shape}")
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(f"fine_tune: y must be integers of shape ({x.shape[0]},), got {y.dtype} {y.shape}")
    n_out = ckpt.layer_sizes[-1][1]
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise ConfigError(
            f"fine_tune: y must be class indices 0..{n_out - 1} (the head has {n_out} neurons), "
            f"got {int(y.min())}..{int(y.max())}; replace the head first (replace_head)"
        )
    y = y.astype(np.int64)
    if dataset is None:
        data_id: Any = {"n": int(x.shape[0]), "sha256": hash_arrays({"x": x, "y": y})}
    elif hasattr(dataset, "identity"):
        data_id = dataset.identity()
    else:
        data_id = dict(dataset)

    history: list[dict[str, Any]] = []
    current = ckpt
    for p, (cfg, epochs) in enumerate(phases):
        current, lrs = apply_transfer_config(current, cfg)
        try:
            tc = dataclasses.replace(train_config, epochs=int(epochs), seed=int(train_config.seed) + p)
        except (TypeError, AttributeError) as exc:
            raise ConfigError(f"fine_tune: train_config must be a scnc.snn.train.TrainConfig ({exc})") from exc
        result = train(current.to_network(), x, y, tc, per_layer_lr=lrs, progress=progress)
        trained = SNNCheckpoint.from_network(
            result.network,
            metadata=current.metadata,
            class_labels=current.class_labels,
            provenance=current.provenance,
            frozen=current.frozen,
        )
        for i in range(current.n_layers):
            if not current.frozen[i]:
                continue
            before, after = _layer_arrays(current, i), _layer_arrays(trained, i)
            changed = [k for k in before if not _same(before[k], after[k])]
            if changed:
                raise RuntimeError(
                    f"fine_tune: the trainer changed frozen layer '{current.layer_names[i]}' ({changed}) "
                    f"at learning rate 0; frozen layers must stay bit-identical"
                )
        entry = {
            "op": "fine_tune",
            "phase": p,
            "epochs": int(epochs),
            "per_layer_lr": lrs,
            "train_config": _describe(tc),
            "data": data_id,
        }
        prov = _with_transfer(trained.provenance, entry)
        prov["training"] = _describe(tc)
        prov["dataset"] = to_jsonable(data_id, "dataset")
        current = trained.replace(provenance=prov)
        history.append(
            {
                "phase": p,
                "freeze_until": cfg.freeze_until,
                "per_layer_lr": lrs,
                "epochs": int(epochs),
                "history": result.history,
            }
        )
    return current, history


def _describe(obj: Any) -> Any:
    """A JSON description of a training config: its fields; objects JSON cannot hold become repr()."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _describe(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    try:
        return to_jsonable(obj)
    except ConfigError:
        return repr(obj)

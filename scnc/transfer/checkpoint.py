"""SNN checkpoints: everything needed to resume training or deploy a network, in two files.

A checkpoint ``<stem>`` is the pair ``<stem>.npz`` (the float32 arrays, written by
:func:`scnc._io.npz_bytes`: deterministic bytes, no pickle) and ``<stem>.json`` (a canonical JSON
sidecar: format, version, network structure, training flags, metadata, provenance and the
content hash). The full format is in ``docs/transfer.md``.

Arrays in the ``.npz`` (``i`` is the layer index, 0 = first layer after the input)::

    weight_i     float32 (n_in, n_out)
    bias_i       float32 (n_out,)            only for layers with a bias
    beta_i       float32 (1,) or (n_out,)    membrane decay per time step, in [0, 1]
    threshold_i  float32 (1,) or (n_out,)    firing threshold, > 0

The content hash (:attr:`SNNCheckpoint.content_hash`) identifies the *network as deployed*: it
covers the arrays and the JSON fields that change what the network computes (layer names and
sizes, reset modes, neuron type, encoder, time steps, class labels). It does not cover
``metadata``, ``provenance`` or the training flags (``frozen``, ``learn_beta``,
``learn_threshold``): freezing a layer or adding a note does not change the network's identity.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, NoReturn, Sequence

import numpy as np

from .._io import atomic_write_bytes, atomic_write_text, canonical_json, hash_arrays, npz_bytes
from .._version import __version__
from ..errors import CheckpointError, ConfigError
from ..snn.network import RESET_MODES, EncoderConfig, LIFLayer, Network

__all__ = [
    "SNNCheckpoint",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_paths",
    "FORMAT",
    "FORMAT_VERSION",
    "NEURON_TYPES",
]

#: The ``format`` string of the JSON sidecar.
FORMAT = "scnc-snn-checkpoint"
#: The sidecar ``format_version`` this code writes and reads.
FORMAT_VERSION = 1
#: Neuron models a checkpoint can hold.
NEURON_TYPES = ("lif",)

_DEFAULT_BETA = 0.9
_DEFAULT_THRESHOLD = 1.0
_DEFAULT_TIMESTEPS = 25

Fail = Callable[[str, str], NoReturn]


# --------------------------------------------------------------------------------------------
# JSON helpers


def to_jsonable(obj: Any, where: str = "value") -> Any:
    """Convert ``obj`` to plain JSON types (dict with str keys, list, str, int, float, bool, None).

    numpy scalars and arrays, tuples, dataclasses, enums and paths are converted; non-finite floats
    and anything else raise :class:`~scnc.errors.ConfigError` naming ``where``.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ConfigError(f"{where}: {obj} is not a finite number (JSON cannot hold it)")
        return float(obj)
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item(), where)
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), where)
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value, where)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name), f"{where}.{f.name}") for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ConfigError(f"{where}: keys must be strings, got {k!r}")
            out[k] = to_jsonable(v, f"{where}.{k}")
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise ConfigError(f"{where}: {type(obj).__name__} cannot be stored as JSON")


def _normalized_json(obj: Any, where: str) -> Any:
    """``obj`` as it will read back from the sidecar (so a round trip is exact)."""
    return json.loads(canonical_json(to_jsonable(obj, where)))


def _encoder_dict(enc: EncoderConfig) -> dict[str, Any]:
    """The encoder as a JSON dict with canonical types (so equal encoders hash equal)."""
    if not _is_int(enc.seed):
        raise TypeError(f"encoder seed must be an integer, got {enc.seed!r}")
    return {
        "kind": str(enc.kind),
        "seed": int(enc.seed),
        "gain": float(enc.gain),
        "latency_floor": float(enc.latency_floor),
    }


# --------------------------------------------------------------------------------------------
# Validation shared by the constructor (ConfigError) and the loader (CheckpointError)


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _validate(fail: Fail, c: "SNNCheckpoint") -> None:
    n = len(c.weights)
    if n == 0:
        fail("weights", "a checkpoint needs at least one layer")
    per_layer = ("layer_names", "layer_sizes", "biases", "betas", "thresholds", "resets", *_TRAINING_FLAGS)
    for fname in per_layer:
        if len(getattr(c, fname)) != n:
            fail(fname, f"has {len(getattr(c, fname))} entries but there are {n} layers (weights)")
    for i, name in enumerate(c.layer_names):
        if not isinstance(name, str) or not name:
            fail(f"layer_names[{i}]", f"must be a non-empty string, got {name!r}")
    if len(set(c.layer_names)) != n:
        fail("layer_names", f"must be unique, got {list(c.layer_names)}")
    for i, size in enumerate(c.layer_sizes):
        if len(size) != 2 or not all(_is_int(s) and s >= 1 for s in size):
            fail(f"layer_sizes[{i}]", f"must be (n_in, n_out) with positive integers, got {size!r}")
    for i in range(1, n):
        if c.layer_sizes[i][0] != c.layer_sizes[i - 1][1]:
            fail(
                f"layer_sizes[{i}]",
                f"layer '{c.layer_names[i]}' takes {c.layer_sizes[i][0]} inputs but layer "
                f"'{c.layer_names[i - 1]}' has {c.layer_sizes[i - 1][1]} neurons",
            )
    for i in range(n):
        n_in, n_out = c.layer_sizes[i]
        _check_array(fail, f"weight_{i}", c.weights[i], [(n_in, n_out)])
        if c.biases[i] is not None:
            _check_array(fail, f"bias_{i}", c.biases[i], [(n_out,)])
        beta = _check_array(fail, f"beta_{i}", c.betas[i], [(1,), (n_out,)])
        if not np.all((beta >= 0) & (beta <= 1)):
            fail(f"beta_{i}", f"beta must lie in [0, 1], got values {beta.min()}..{beta.max()}")
        thr = _check_array(fail, f"threshold_{i}", c.thresholds[i], [(1,), (n_out,)])
        if not np.all(thr > 0):
            fail(f"threshold_{i}", f"threshold must be > 0, got minimum {thr.min()}")
        if c.resets[i] not in RESET_MODES:
            fail(f"resets[{i}]", f"must be one of {RESET_MODES}, got {c.resets[i]!r}")
        for fname in ("frozen", "learn_beta", "learn_threshold"):
            if not isinstance(getattr(c, fname)[i], bool):
                fail(f"{fname}[{i}]", f"must be true or false, got {getattr(c, fname)[i]!r}")
    if c.neuron_type not in NEURON_TYPES:
        fail("neuron_type", f"must be one of {NEURON_TYPES}, got {c.neuron_type!r}")
    if not isinstance(c.encoder, dict):
        fail("encoder", f"must be an object, got {c.encoder!r}")
    try:
        enc = EncoderConfig(**c.encoder)
    except (TypeError, ConfigError) as exc:
        fail("encoder", f"not a valid EncoderConfig ({exc})")
    numbers_ok = all(isinstance(v, float) and math.isfinite(v) for v in (enc.gain, enc.latency_floor))
    if not _is_int(enc.seed) or not numbers_ok:
        fail("encoder", f"seed must be an integer, gain and latency_floor finite floats, got {c.encoder}")
    if not _is_int(c.timesteps) or c.timesteps < 1:
        fail("timesteps", f"must be an integer >= 1, got {c.timesteps!r}")
    n_out = c.layer_sizes[-1][1]
    if len(c.class_labels) != n_out or not all(_is_int(v) for v in c.class_labels):
        fail("class_labels", f"must be {n_out} integers (one per output neuron), got {c.class_labels!r}")
    if len(set(c.class_labels)) != n_out:
        fail("class_labels", f"must be unique, got {c.class_labels}")


def _check_array(fail: Fail, field: str, a: Any, shapes: list[tuple[int, ...]]) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        fail(field, f"must be an array, got {type(a).__name__}")
    if a.dtype != np.dtype(np.float32):
        fail(field, f"dtype must be float32 (little-endian '<f4'), got {a.dtype.str}")
    if a.shape not in shapes:
        fail(field, f"shape must be {' or '.join(str(s) for s in shapes)}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        fail(field, f"holds {int(np.sum(~np.isfinite(a)))} non-finite values (NaN or inf)")
    return a


def _config_fail(field: str, message: str) -> NoReturn:
    raise ConfigError(f"SNNCheckpoint field '{field}': {message}")


# --------------------------------------------------------------------------------------------


def _per_layer_default(value: Any, n: int, name: str) -> list[Any]:
    """A metadata default: one number for every layer, or a list with one entry per layer."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ConfigError(f"SNNCheckpoint metadata['{name}'] has {len(value)} entries for {n} layers")
        return list(value)
    return [value] * n


def _float_arrays(values: Any, n: int, field: str, allow_none: bool) -> list[np.ndarray | None]:
    if not isinstance(values, (list, tuple)):
        raise ConfigError(
            f"SNNCheckpoint field '{field}': must be a list with one entry per layer, got {type(values).__name__}"
        )
    out: list[np.ndarray | None] = []
    for i, v in enumerate(values):
        if v is None and allow_none:
            out.append(None)
            continue
        try:
            a = np.array(v, dtype=np.float32, copy=True)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"SNNCheckpoint field '{field}[{i}]': not a float array ({exc})") from exc
        a = np.ascontiguousarray(a if field == "weights" else a.reshape(-1))
        a.flags.writeable = False
        out.append(a)
    return out


@dataclass(frozen=True, eq=False)
class SNNCheckpoint:
    """A trained spiking network with everything needed to resume training or deploy it.

    Only ``weights``, ``layer_names`` and ``layer_sizes`` are required (the tutorial's minimal
    call); every other field has a documented default. Fields are normalised and validated on
    construction (:class:`~scnc.errors.ConfigError` names the bad field). Treat instances as
    immutable: their arrays are read-only, and every function in :mod:`scnc.transfer` returns a
    new checkpoint instead of changing its input.

    Parameters
    ----------
    weights:
        One float32 array ``(n_in, n_out)`` per layer, first layer first.
    layer_names:
        Unique layer names.
    layer_sizes:
        ``(n_in, n_out)`` per layer; must match the weights and chain (``n_out[i] == n_in[i+1]``).
    metadata:
        Free-form JSON-ready notes (task, accuracy...). Stored as given, not hashed. Its keys
        ``"beta"``, ``"threshold"`` and ``"timesteps"`` also serve as defaults, see below.
    biases:
        Per layer a float32 ``(n_out,)`` array or ``None``. Default: no biases.
    betas:
        Per layer the membrane decay, float32 ``(1,)`` (per layer) or ``(n_out,)`` (per neuron),
        in [0, 1]. Default: ``metadata["beta"]`` (a number, or a list with one number per layer)
        when present, else 0.9.
    thresholds:
        Per layer the firing threshold, ``(1,)`` or ``(n_out,)``, > 0. Default:
        ``metadata["threshold"]`` when present, else 1.0.
    resets:
        Per layer ``"subtract"`` or ``"zero"``. Default: ``"subtract"``.
    neuron_type:
        ``"lif"`` (the only model so far; the dynamics are in :mod:`scnc.snn.network`).
    encoder:
        Input encoding, an :class:`~scnc.snn.network.EncoderConfig` or its fields as a dict;
        stored as a dict. Default: ``EncoderConfig()``.
    timesteps:
        Time steps per example. Default: ``metadata["timesteps"]`` when present, else 25.
    frozen:
        Per layer, whether transfer learning froze it (see :mod:`scnc.transfer.fine_tune`).
        Default: all ``False``.
    class_labels:
        The original label of each output neuron (e.g. ``[5, 6, 7, 8, 9]``). Default:
        ``0 .. n_out - 1``.
    provenance:
        JSON-ready record of where the network came from. Keys written by scnc:
        ``scnc_version`` (filled in when absent), ``transfer`` (list of transfer steps, ``[]``
        when absent), ``training`` and ``dataset`` (from :func:`~scnc.transfer.fine_tune`).
        Not hashed.
    learn_beta, learn_threshold:
        Per layer, whether training updates beta / the threshold (as in
        :class:`~scnc.snn.network.LIFLayer`). Default: ``True`` / ``False``.
    """

    weights: list[np.ndarray]
    layer_names: list[str]
    layer_sizes: list[tuple[int, int]]
    metadata: dict[str, Any] | None = None
    biases: list[np.ndarray | None] | None = None
    betas: list[np.ndarray] | None = None
    thresholds: list[np.ndarray] | None = None
    resets: list[str] | None = None
    neuron_type: str = "lif"
    encoder: EncoderConfig | Mapping[str, Any] | None = None
    timesteps: int | None = None
    frozen: list[bool] | None = None
    class_labels: list[int] | None = None
    provenance: dict[str, Any] | None = None
    learn_beta: list[bool] | None = None
    learn_threshold: list[bool] | None = None

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        if not isinstance(self.weights, (list, tuple)):
            raise ConfigError(
                f"SNNCheckpoint field 'weights': must be a list of arrays, got {type(self.weights).__name__}"
            )
        n = len(self.weights)
        set_("weights", _float_arrays(self.weights, n, "weights", allow_none=False))
        for fname in ("layer_names", "layer_sizes"):
            if not isinstance(getattr(self, fname), (list, tuple)):
                raise ConfigError(f"SNNCheckpoint field '{fname}': must be a list, got {getattr(self, fname)!r}")
        set_("layer_names", list(self.layer_names))
        sizes = []
        for i, s in enumerate(self.layer_sizes):
            if not isinstance(s, (list, tuple)) or not all(_is_int(v) for v in s):
                raise ConfigError(f"SNNCheckpoint field 'layer_sizes[{i}]': must be (n_in, n_out) integers, got {s!r}")
            sizes.append(tuple(int(v) for v in s))
        set_("layer_sizes", sizes)
        meta = {} if self.metadata is None else self.metadata
        if not isinstance(meta, Mapping):
            raise ConfigError(f"SNNCheckpoint field 'metadata': must be a dict, got {type(meta).__name__}")
        meta = _normalized_json(meta, "metadata")
        set_("metadata", meta)
        betas = self.betas
        if betas is None:
            betas = _per_layer_default(meta.get("beta", _DEFAULT_BETA), n, "beta")
        set_("betas", _float_arrays(betas, n, "betas", allow_none=False))
        thresholds = self.thresholds
        if thresholds is None:
            thresholds = _per_layer_default(meta.get("threshold", _DEFAULT_THRESHOLD), n, "threshold")
        set_("thresholds", _float_arrays(thresholds, n, "thresholds", allow_none=False))
        set_("biases", _float_arrays([None] * n if self.biases is None else self.biases, n, "biases", allow_none=True))
        set_("resets", ["subtract"] * n if self.resets is None else list(self.resets))
        enc = self.encoder
        if enc is None:
            enc = EncoderConfig()
        if isinstance(enc, Mapping):
            try:
                enc = EncoderConfig(**enc)
            except TypeError as exc:
                raise ConfigError(f"SNNCheckpoint field 'encoder': not a valid EncoderConfig ({exc})") from exc
        if not isinstance(enc, EncoderConfig):
            raise ConfigError(f"SNNCheckpoint field 'encoder': must be an EncoderConfig or dict, got {enc!r}")
        try:
            set_("encoder", _encoder_dict(enc))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"SNNCheckpoint field 'encoder': {exc}") from exc
        timesteps = self.timesteps
        if timesteps is None:
            timesteps = meta.get("timesteps", _DEFAULT_TIMESTEPS)
        set_("timesteps", int(timesteps) if _is_int(timesteps) else timesteps)
        for fname, default in (("frozen", False), ("learn_beta", True), ("learn_threshold", False)):
            value = getattr(self, fname)
            set_(fname, [default] * n if value is None else [bool(v) if isinstance(v, np.bool_) else v for v in value])
        labels = self.class_labels
        if labels is None and n and len(sizes) == n and sizes[-1]:
            labels = list(range(sizes[-1][-1]))
        set_("class_labels", [int(v) if _is_int(v) else v for v in (labels or [])])
        prov = {} if self.provenance is None else self.provenance
        if not isinstance(prov, Mapping):
            raise ConfigError(f"SNNCheckpoint field 'provenance': must be a dict, got {type(prov).__name__}")
        prov = _normalized_json(prov, "provenance")
        prov.setdefault("scnc_version", __version__)
        prov.setdefault("transfer", [])
        set_("provenance", prov)
        _validate(_config_fail, self)

    # ---------------------------------------------------------------- views

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    @property
    def n_params(self) -> int:
        """Number of stored float values: weights, biases, betas and thresholds."""
        total = sum(w.size for w in self.weights) + sum(b.size for b in self.biases if b is not None)
        return int(total + sum(b.size for b in self.betas) + sum(t.size for t in self.thresholds))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by their ``.npz`` names (``weight_i``, ``bias_i``, ``beta_i``, ``threshold_i``)."""
        out: dict[str, np.ndarray] = {}
        for i in range(self.n_layers):
            out[f"weight_{i}"] = self.weights[i]
            if self.biases[i] is not None:
                out[f"bias_{i}"] = self.biases[i]  # type: ignore[assignment]
            out[f"beta_{i}"] = self.betas[i]
            out[f"threshold_{i}"] = self.thresholds[i]
        return out

    def _layers_json(self) -> list[dict[str, Any]]:
        return [
            {
                "name": self.layer_names[i],
                "n_in": self.layer_sizes[i][0],
                "n_out": self.layer_sizes[i][1],
                "reset": self.resets[i],
                "bias": self.biases[i] is not None,
                "frozen": self.frozen[i],
                "learn_beta": self.learn_beta[i],
                "learn_threshold": self.learn_threshold[i],
            }
            for i in range(self.n_layers)
        ]

    def _network_json(self) -> dict[str, Any]:
        return {
            "neuron_type": self.neuron_type,
            "timesteps": self.timesteps,
            "encoder": dict(self.encoder),  # type: ignore[arg-type]
            "class_labels": list(self.class_labels),
            "layers": self._layers_json(),
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 identifying the network as deployed (see the module docstring for what it covers)."""
        net = self._network_json()
        for layer in net["layers"]:
            for key in _TRAINING_FLAGS:
                del layer[key]
        return hash_arrays(self.arrays(), extra={"format": FORMAT, "network": net})

    # ---------------------------------------------------------------- conversions

    def to_network(self) -> Network:
        """The :class:`~scnc.snn.network.Network` this checkpoint holds (arrays copied)."""
        layers = [
            LIFLayer(
                name=self.layer_names[i],
                weight=self.weights[i].copy(),
                bias=None if self.biases[i] is None else self.biases[i].copy(),  # type: ignore[union-attr]
                beta=self.betas[i].copy(),
                threshold=self.thresholds[i].copy(),
                reset=self.resets[i],  # type: ignore[arg-type]
                learn_beta=self.learn_beta[i],
                learn_threshold=self.learn_threshold[i],
            )
            for i in range(self.n_layers)
        ]
        return Network(layers, int(self.timesteps), EncoderConfig(**self.encoder))  # type: ignore[arg-type]

    @classmethod
    def from_network(
        cls,
        net: Network,
        *,
        metadata: Mapping[str, Any] | None = None,
        class_labels: Sequence[int] | None = None,
        provenance: Mapping[str, Any] | None = None,
        frozen: Sequence[bool] | None = None,
    ) -> "SNNCheckpoint":
        """A checkpoint of ``net`` (arrays copied); the other fields as in the constructor."""
        return cls(
            weights=[layer.weight for layer in net.layers],
            layer_names=[layer.name for layer in net.layers],
            layer_sizes=net.layer_sizes,
            metadata=None if metadata is None else dict(metadata),
            biases=[layer.bias for layer in net.layers],
            betas=[layer.beta for layer in net.layers],
            thresholds=[layer.threshold for layer in net.layers],
            resets=[layer.reset for layer in net.layers],
            encoder=net.encoder,
            timesteps=net.timesteps,
            frozen=None if frozen is None else list(frozen),
            class_labels=None if class_labels is None else list(class_labels),
            provenance=None if provenance is None else dict(provenance),
            learn_beta=[layer.learn_beta for layer in net.layers],
            learn_threshold=[layer.learn_threshold for layer in net.layers],
        )

    def replace(self, **changes: Any) -> "SNNCheckpoint":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------------- comparison

    def __eq__(self, other: object) -> bool:
        """Exact equality: every array bit for bit (dtype, shape, bytes) and every other field."""
        if not isinstance(other, SNNCheckpoint):
            return NotImplemented
        a, b = self.arrays(), other.arrays()
        if a.keys() != b.keys():
            return False
        for k in a:
            if a[k].dtype != b[k].dtype or a[k].shape != b[k].shape or a[k].tobytes() != b[k].tobytes():
                return False
        return (
            self._network_json() == other._network_json()
            and self.metadata == other.metadata
            and self.provenance == other.provenance
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        sizes = " -> ".join([str(self.layer_sizes[0][0])] + [str(s[1]) for s in self.layer_sizes])
        return (
            f"SNNCheckpoint({sizes}, layers={self.layer_names}, timesteps={self.timesteps}, "
            f"frozen={self.frozen}, hash={self.content_hash[:12]})"
        )


_TRAINING_FLAGS = ("frozen", "learn_beta", "learn_threshold")
_LAYER_KEYS = {"name", "n_in", "n_out", "reset", "bias", *_TRAINING_FLAGS}
_NETWORK_KEYS = {"neuron_type", "timesteps", "encoder", "class_labels", "layers"}
_LAYER_FIELD_KEYS = (
    ("resets[", "reset"),
    ("frozen[", "frozen"),
    ("learn_beta[", "learn_beta"),
    ("learn_threshold[", "learn_threshold"),
    ("layer_names[", "name"),
    ("layer_sizes[", "n_in"),
)
_TOP_KEYS = {"format", "format_version", "content_hash", "network", "metadata", "provenance"}


# --------------------------------------------------------------------------------------------
# Files


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(npz, json)`` paths of the checkpoint named ``path``.

    ``"mnist_snn"`` -> ``mnist_snn.npz`` + ``mnist_snn.json``; a trailing ``.npz`` or ``.json`` is
    dropped first (``"x.npz"`` -> ``x.npz`` + ``x.json``); any other suffix is kept as part of the
    name (``"m.v1"`` -> ``m.v1.npz`` + ``m.v1.json``).
    """
    p = Path(path)
    if p.suffix in (".npz", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".npz"), p.with_name(p.name + ".json")


def save_checkpoint(ckpt: SNNCheckpoint, path: str | os.PathLike) -> Path:
    """Write ``ckpt`` as ``<stem>.npz`` + ``<stem>.json`` (see :func:`checkpoint_paths`).

    Both files are written atomically (temporary file + rename), the arrays first: a crash between
    the two leaves a pair whose hash does not match, which :func:`load_checkpoint` refuses. The same
    checkpoint always gives byte-identical files.

    Returns
    -------
    Path
        The ``.npz`` path.
    """
    if not isinstance(ckpt, SNNCheckpoint):
        raise ConfigError(f"save_checkpoint expects an SNNCheckpoint, got {type(ckpt).__name__}")
    npz_path, json_path = checkpoint_paths(path)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "content_hash": ckpt.content_hash,
        "network": ckpt._network_json(),
        "metadata": ckpt.metadata,
        "provenance": ckpt.provenance,
    }
    text = canonical_json(doc)
    atomic_write_bytes(npz_path, npz_bytes(ckpt.arrays()))
    atomic_write_text(json_path, text)
    return npz_path


def load_checkpoint(path: str | os.PathLike) -> SNNCheckpoint:
    """Read and fully validate a checkpoint written by :func:`save_checkpoint`.

    Every problem is a :class:`~scnc.errors.CheckpointError` naming the file and the field: a
    missing file, malformed JSON, unknown format or version, unknown or missing keys, a corrupt or
    truncated ``.npz``, pickled (object) data, missing or extra arrays, wrong dtype or shapes,
    sizes that do not chain, non-finite values, beta outside [0, 1], threshold <= 0, and a content
    hash that does not match the files.
    """
    npz_path, json_path = checkpoint_paths(path)
    pair = f"(a checkpoint is {npz_path.name} + {json_path.name})"
    if not json_path.is_file():
        raise CheckpointError(json_path, None, f"JSON sidecar missing {pair}")
    if not npz_path.is_file():
        raise CheckpointError(npz_path, None, f"array file missing {pair}")
    doc = _read_json(json_path)
    arrays = _read_npz(npz_path)

    def jfail(field: str, message: str) -> NoReturn:
        raise CheckpointError(json_path, field, message)

    def fail(field: str, message: str) -> NoReturn:
        is_array = field.split("_")[0] in ("weight", "bias", "beta", "threshold") and field[-1].isdigit()
        raise CheckpointError(npz_path if is_array else json_path, field, message)

    _check_keys(jfail, doc, _TOP_KEYS, "")
    if doc["format"] != FORMAT:
        jfail("format", f"expected {FORMAT!r}, got {doc['format']!r}")
    version = doc["format_version"]
    if not _is_int(version):
        jfail("format_version", f"must be an integer, got {version!r}")
    if version != FORMAT_VERSION:
        newer = " (written by a newer scnc)" if version > FORMAT_VERSION else ""
        jfail("format_version", f"unsupported version {version}{newer}; this scnc reads version {FORMAT_VERSION}")
    stored_hash = doc["content_hash"]
    if not isinstance(stored_hash, str):
        jfail("content_hash", f"must be a string, got {stored_hash!r}")
    for key in ("metadata", "provenance"):
        if not isinstance(doc[key], dict):
            jfail(key, f"must be an object, got {type(doc[key]).__name__}")
    net = doc["network"]
    if not isinstance(net, dict):
        jfail("network", f"must be an object, got {type(net).__name__}")
    _check_keys(jfail, net, _NETWORK_KEYS, "network.")
    layers = net["layers"]
    if not isinstance(layers, list) or not layers:
        jfail("network.layers", "must be a non-empty list")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            jfail(f"network.layers[{i}]", "must be an object")
        _check_keys(jfail, layer, _LAYER_KEYS, f"network.layers[{i}].")
        for key in ("n_in", "n_out"):
            if not _is_int(layer[key]) or layer[key] < 1:
                jfail(f"network.layers[{i}].{key}", f"must be a positive integer, got {layer[key]!r}")
        if not isinstance(layer["bias"], bool):
            jfail(f"network.layers[{i}].bias", f"must be true or false, got {layer['bias']!r}")
    for key in ("class_labels",):
        if not isinstance(net[key], list):
            jfail(f"network.{key}", f"must be a list, got {net[key]!r}")

    expected = set()
    for i, layer in enumerate(layers):
        expected |= {f"weight_{i}", f"beta_{i}", f"threshold_{i}"} | ({f"bias_{i}"} if layer["bias"] else set())
    missing = sorted(expected - arrays.keys())
    if missing:
        fail(missing[0], f"array missing from the .npz (missing: {missing})")
    extra = sorted(arrays.keys() - expected)
    if extra:
        fail(extra[0], f"unexpected array in the .npz (extra: {extra})")

    n = len(layers)
    raw = _LoadedFields(
        weights=[arrays[f"weight_{i}"] for i in range(n)],
        layer_names=[layer["name"] for layer in layers],
        layer_sizes=[(layer["n_in"], layer["n_out"]) for layer in layers],
        biases=[arrays.get(f"bias_{i}") for i in range(n)],
        betas=[arrays[f"beta_{i}"] for i in range(n)],
        thresholds=[arrays[f"threshold_{i}"] for i in range(n)],
        resets=[layer["reset"] for layer in layers],
        neuron_type=net["neuron_type"],
        encoder=net["encoder"],
        timesteps=net["timesteps"],
        frozen=[layer["frozen"] for layer in layers],
        class_labels=net["class_labels"],
        learn_beta=[layer["learn_beta"] for layer in layers],
        learn_threshold=[layer["learn_threshold"] for layer in layers],
    )

    def rfail(field: str, message: str) -> NoReturn:
        # Name JSON fields by their place in the sidecar.
        for prefix, key in _LAYER_FIELD_KEYS:
            if field.startswith(prefix):
                i = field[len(prefix):].split("]")[0]
                fail(f"network.layers[{i}].{key}", message)
        if field in ("neuron_type", "encoder", "timesteps", "class_labels", "layer_names", "layer_sizes"):
            fail(f"network.{field}", message)
        fail(field, message)

    _validate(rfail, raw)  # type: ignore[arg-type]
    try:
        ckpt = SNNCheckpoint(
            weights=raw.weights,
            layer_names=raw.layer_names,
            layer_sizes=raw.layer_sizes,
            metadata=doc["metadata"],
            biases=raw.biases,
            betas=raw.betas,
            thresholds=raw.thresholds,
            resets=raw.resets,
            neuron_type=raw.neuron_type,
            encoder=raw.encoder,
            timesteps=raw.timesteps,
            frozen=raw.frozen,
            class_labels=raw.class_labels,
            provenance=doc["provenance"],
            learn_beta=raw.learn_beta,
            learn_threshold=raw.learn_threshold,
        )
    except ConfigError as exc:  # anything _validate did not already name
        raise CheckpointError(json_path, None, str(exc)) from exc
    actual = ckpt.content_hash
    if actual != stored_hash:
        jfail(
            "content_hash",
            f"mismatch: the sidecar says {stored_hash[:16]}..., the files give {actual[:16]}... "
            f"(the files were modified, or {npz_path.name} and {json_path.name} do not belong together)",
        )
    return ckpt


@dataclass
class _LoadedFields:
    """The fields :func:`_validate` reads, as loaded from files (before normalisation)."""

    weights: list[np.ndarray]
    layer_names: list[Any]
    layer_sizes: list[tuple[Any, Any]]
    biases: list[np.ndarray | None]
    betas: list[np.ndarray]
    thresholds: list[np.ndarray]
    resets: list[Any]
    neuron_type: Any
    encoder: Any
    timesteps: Any
    frozen: list[Any]
    class_labels: list[Any]
    learn_beta: list[Any]
    learn_threshold: list[Any]


def _check_keys(fail: Fail, obj: dict, keys: set[str], prefix: str) -> None:
    missing = sorted(keys - obj.keys())
    if missing:
        fail(prefix + missing[0], f"missing (missing keys: {missing})")
    extra = sorted(obj.keys() - keys)
    if extra:
        fail(prefix + extra[0], f"unknown key (unknown keys: {extra})")


def _reject_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not valid JSON")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(path, None, f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CheckpointError(path, None, f"must hold a JSON object, got {type(doc).__name__}")
    return doc


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, refusing pickles and reporting corruption as CheckpointError."""
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as exc:  # untrusted file: any parse failure is a bad checkpoint
        raise CheckpointError(path, None, f"not a readable .npz archive ({type(exc).__name__}: {exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise CheckpointError(path, None, "not an .npz archive (a single .npy array?)")
    out: dict[str, np.ndarray] = {}
    with archive:
        for name in archive.files:
            try:
                a = archive[name]
            except ValueError as exc:
                if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                    raise CheckpointError(path, name, "holds an object array (pickled data); refused") from exc
                raise CheckpointError(path, name, f"corrupt array ({exc})") from exc
            except Exception as exc:  # untrusted file: CRC errors, truncated members, bad headers
                raise CheckpointError(path, name, f"corrupt array ({type(exc).__name__}: {exc})") from exc
            if not isinstance(a, np.ndarray):
                raise CheckpointError(path, name, "member is not a .npy array")
            out[name] = a
    return out

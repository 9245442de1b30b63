"""SNN checkpoints: everything needed to resume training or deploy a network, in two files.

A checkpoint is a tuple of per-layer records (:mod:`scnc.transfer.records`, today
:class:`~scnc.transfer.records.DenseLIFRecord`) plus the network-level fields (time steps, input
encoder, class labels) and two free-form dicts (``metadata`` for the user, ``provenance`` written
by scnc) that never change what the network computes.

On disk, a checkpoint ``<stem>`` is the pair ``<stem>.npz`` (the float32 arrays, written by
:func:`scnc._io.npz_bytes`: deterministic bytes, no pickle; read by :func:`scnc._io.read_npz` with
sizes checked before anything is inflated) and ``<stem>.json`` (a canonical JSON sidecar: format,
version, the records' JSON fields, metadata, provenance and the content hash). This code writes
``format_version`` 2 and reads 1 and 2. The format and the limits are in ``docs/transfer.md``.

The content hash (:attr:`SNNCheckpoint.content_hash`) identifies the *network as deployed*: it
covers the arrays and the fields that change what the network computes (layer names and sizes,
reset modes, neuron type, encoder, time steps, class labels). It does not cover ``metadata``,
``provenance`` (which is where wall-clock times or hosts belong, if anyone records them) or the
training flags (``frozen``, ``learn_beta``, ``learn_threshold``). It is the same number for the
same network whichever format version stored it, so version-1 hashes still verify.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, NoReturn, Sequence

import numpy as np

from .._io import (
    NPZError,
    atomic_write_bytes,
    atomic_write_text,
    canonical_json,
    hash_arrays,
    max_array_bytes,
    npz_bytes,
    read_json,
    read_npz,
)
from .._version import __version__
from ..errors import CheckpointError, ConfigError
from ..snn.network import EncoderConfig, Network
from .records import (
    RECORD_TYPES,
    DenseLIFRecord,
    FieldError,
    LayerRecord,
    array_fields,
    check_array,
    check_encoder,
    check_json_fields,
    declared_array_bytes,
    json_keys,
    record_arrays,
    record_identity,
    record_json,
    record_for_layer,
    record_type,
    render_path,
)

__all__ = [
    "SNNCheckpoint",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_paths",
    "to_jsonable",
    "FORMAT",
    "FORMAT_VERSION",
    "READ_VERSIONS",
    "NEURON_TYPES",
    "MAX_TIMESTEPS",
    "MAX_LAYERS",
]

#: The ``format`` string of the JSON sidecar.
FORMAT = "scnc-snn-checkpoint"
#: The sidecar ``format_version`` this code writes.
FORMAT_VERSION = 2
#: The sidecar versions this code reads.
READ_VERSIONS = (1, 2)
#: Neuron models a checkpoint can hold.
NEURON_TYPES = ("lif",)
#: Most time steps per example. Training, evaluation and the reference model keep per-step state
#: for every example of a batch (memory and time grow linearly with it) and the hardware spends
#: ``timesteps x stream length`` cycles per example; 4096 is 160 times the usual 25.
MAX_TIMESTEPS = 4096
#: Most layers in a checkpoint (the deepest network the toolchain is meant for has a handful).
MAX_LAYERS = 256
#: Labels are stored as signed 64-bit integers by the IR and the reference model.
_LABEL_RANGE = (-(1 << 63), (1 << 63) - 1)

_DEFAULT_BETA = 0.9
_DEFAULT_THRESHOLD = 1.0
_DEFAULT_TIMESTEPS = 25

#: Keys of the sidecar's top level, and of its ``network`` object per version.
_TOP_KEYS = {"format", "format_version", "content_hash", "network", "metadata", "provenance"}
_NETWORK_KEYS = {1: {"neuron_type", "timesteps", "encoder", "class_labels", "layers"},
                 2: {"timesteps", "encoder", "class_labels", "layers"}}
#: Provenance keys scnc writes and the JSON type each must have (other keys are free-form).
_PROVENANCE_TYPES: dict[str, type] = {"scnc_version": str, "transfer": list, "training": dict, "dataset": dict}

#: The per-layer list arguments of the tutorial's constructor, and the network-level ones.
_LIST_ARGS = ("weights", "layer_names", "layer_sizes", "biases", "betas", "thresholds", "resets",
              "frozen", "learn_beta", "learn_threshold")
_NETWORK_ARGS = ("metadata", "neuron_type", "encoder", "timesteps", "class_labels", "provenance")


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


def _json_object(obj: Any, key: str) -> dict[str, Any]:
    """``metadata`` / ``provenance`` as it reads back from the sidecar (so a round trip is exact)."""
    if not isinstance(obj, Mapping):
        raise FieldError((key,), f"must be an object (dict), got {type(obj).__name__}")
    try:
        out = json.loads(canonical_json(to_jsonable(obj, key)))
    except ConfigError as exc:
        raise FieldError((key,), str(exc)) from None
    _check_text(out, (key,))
    return out


def _check_text(obj: Any, path: tuple[Any, ...]) -> None:
    """Refuse strings that cannot be written as UTF-8 (unpaired surrogates, legal in JSON escapes)."""
    stack = [(obj, path)]
    while stack:
        o, p = stack.pop()
        if isinstance(o, str):
            try:
                o.encode("utf-8")
            except UnicodeEncodeError:
                raise FieldError(p, "holds an unpaired UTF-16 surrogate (not valid Unicode text)") from None
        elif isinstance(o, dict):
            for k, v in o.items():
                stack.append((k, p))
                stack.append((v, p + (k,) if _printable_key(k) else p))
        elif isinstance(o, list):
            stack.extend((v, p + (i,)) for i, v in enumerate(o))


def _printable_key(k: Any) -> bool:
    return isinstance(k, str) and k.isprintable() and len(k) <= 64


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_timesteps(t: Any, *, strict: bool) -> int:
    if not (isinstance(t, int) if strict else _is_int(t)) or isinstance(t, bool):
        raise FieldError(("timesteps",), f"must be an integer, got {t!r}")
    if not 1 <= t <= MAX_TIMESTEPS:
        raise FieldError(
            ("timesteps",),
            f"must be in 1..{MAX_TIMESTEPS}, got {t}: training, evaluation and the reference model keep "
            f"per-step state for every example, and the hardware spends timesteps x stream length cycles "
            f"per example (MAX_TIMESTEPS)",
        )
    return int(t)


def _check_labels(labels: Any, n_out: int, *, strict: bool) -> list[int]:
    if not isinstance(labels, list if strict else (list, tuple)):
        raise FieldError(("class_labels",), f"must be a list, got {type(labels).__name__}")
    if len(labels) != n_out:
        raise FieldError(("class_labels",), f"must hold {n_out} labels (one per output neuron), got {len(labels)}")
    out = []
    lo, hi = _LABEL_RANGE
    for i, v in enumerate(labels):
        if not (isinstance(v, int) if strict else _is_int(v)) or isinstance(v, bool):
            raise FieldError(("class_labels", i), f"must be an integer, got {v!r}")
        if not lo <= v <= hi:
            raise FieldError(("class_labels", i), f"must be a signed 64-bit integer, got {v}")
        out.append(int(v))
    if len(set(out)) != len(out):
        raise FieldError(("class_labels",), f"must be unique, got {out}")
    return out


def _check_provenance(prov: dict[str, Any]) -> None:
    """The keys scnc writes must have the types every reader (CLI, fine-tuning) relies on."""
    for key, typ in _PROVENANCE_TYPES.items():
        if key in prov and not isinstance(prov[key], typ):
            raise FieldError(("provenance", key), f"must be a {typ.__name__} (JSON {_JSON_NAMES[typ]}), "
                                                  f"got {type(prov[key]).__name__}")
    for i, step in enumerate(prov.get("transfer", [])):
        if not isinstance(step, dict):
            raise FieldError(("provenance", "transfer", i), f"must be an object, got {type(step).__name__}")
    name = prov.get("dataset", {}).get("name")
    if name is not None and not isinstance(name, str):
        raise FieldError(("provenance", "dataset", "name"), f"must be a string, got {name!r}")


_JSON_NAMES = {str: "string", list: "array", dict: "object"}


def _per_layer_default(value: Any, n: int, name: str) -> list[Any]:
    """A metadata default: one number for every layer, or a list with one entry per layer."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise FieldError(("metadata", name), f"has {len(value)} entries for {n} layers")
        return list(value)
    return [value] * n


def _records_from_lists(
    weights: Any, layer_names: Any, layer_sizes: Any, meta: Mapping[str, Any], lists: Mapping[str, Any]
) -> tuple[DenseLIFRecord, ...]:
    """Records from the tutorial's per-layer lists (defaults in :class:`SNNCheckpoint`)."""
    for key, value in (("weights", weights), ("layer_names", layer_names), ("layer_sizes", layer_sizes)):
        if not isinstance(value, (list, tuple)):
            raise FieldError((key,), f"must be a list with one entry per layer, got {type(value).__name__}")
    n = len(weights)
    if n == 0:
        raise FieldError(("layers",), "a checkpoint needs at least one layer")
    if n > MAX_LAYERS:
        raise FieldError(("layers",), f"has {n} layers; at most {MAX_LAYERS} (MAX_LAYERS)")
    given = dict(lists)
    if given["betas"] is None:
        given["betas"] = _per_layer_default(meta.get("beta", _DEFAULT_BETA), n, "beta")
    if given["thresholds"] is None:
        given["thresholds"] = _per_layer_default(meta.get("threshold", _DEFAULT_THRESHOLD), n, "threshold")
    columns: dict[str, list[Any]] = {"layer_names": list(layer_names), "layer_sizes": list(layer_sizes)}
    for key, value in given.items():
        if value is None:
            continue
        if not isinstance(value, (list, tuple)):
            raise FieldError((key,), f"must be a list with one entry per layer, got {type(value).__name__}")
        columns[key] = list(value)
    for key, col in columns.items():
        if len(col) != n:
            raise FieldError((key,), f"has {len(col)} entries but there are {n} layers (weights)")
    records = []
    attr = {"biases": "bias", "betas": "beta", "thresholds": "threshold", "resets": "reset",
            "frozen": "frozen", "learn_beta": "learn_beta", "learn_threshold": "learn_threshold"}
    for i in range(n):
        size = columns["layer_sizes"][i]
        if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(_is_int(v) for v in size):
            raise FieldError(("layer_sizes", i), f"must be (n_in, n_out) integers, got {size!r}")
        kwargs = {attr[k]: columns[k][i] for k in attr if k in columns}
        try:
            rec = DenseLIFRecord(name=columns["layer_names"][i], weight=weights[i], **kwargs)
        except FieldError as exc:
            raise exc.under("layers", i) from None
        if (rec.n_in, rec.n_out) != tuple(int(v) for v in size):
            raise FieldError(("layers", i, "weight"),
                             f"shape must be {tuple(size)} (layer_sizes[{i}]), got {rec.weight.shape}", store="npz")
        records.append(rec)
    return tuple(records)


# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(init=False, repr=False, eq=False)
class SNNCheckpoint:
    """A trained spiking network with everything needed to resume training or deploy it.

    Two ways to build one. The tutorial's, with one list per field and one entry per layer::

        SNNCheckpoint(weights=[w0, w1], layer_names=["hidden", "output"],
                      layer_sizes=[(784, 256), (256, 10)], metadata={"timesteps": 25, "beta": 0.9})

    and from records: ``SNNCheckpoint(layers=(DenseLIFRecord(...), ...), timesteps=25)``. Only
    ``weights``, ``layer_names`` and ``layer_sizes`` (or ``layers``) are required; every other field
    has a documented default. Everything is normalised and validated on construction (a
    :class:`~scnc.transfer.records.FieldError`, a :class:`~scnc.errors.ConfigError`, names the field
    by its path, e.g. ``layers[1].beta``). Instances are immutable: attributes cannot be set, arrays
    are read-only, the dicts returned are copies; every function in :mod:`scnc.transfer` returns a
    new checkpoint (see :meth:`replace`).

    Parameters
    ----------
    weights:
        One float32 array ``(n_in, n_out)`` per layer, first layer first.
    layer_names:
        Unique layer names (rule: :mod:`scnc.names`).
    layer_sizes:
        ``(n_in, n_out)`` per layer; must match the weights and chain (``n_out[i] == n_in[i+1]``).
    metadata:
        Free-form JSON-ready notes (task, accuracy...). Stored as given, not hashed, never read by
        any stage. Only the tutorial's list form reads it, once, as defaults: its keys ``"beta"``,
        ``"threshold"`` and ``"timesteps"`` fill those fields when they are not given.
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
        Input encoding, an :class:`~scnc.snn.network.EncoderConfig` or its fields as a dict
        (missing keys take its defaults); stored as a dict. Default: ``EncoderConfig()``.
    timesteps:
        Time steps per example, 1 .. :data:`MAX_TIMESTEPS`. Default: ``metadata["timesteps"]``
        when present (list form), else 25.
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
    layers:
        Instead of the per-layer lists: the layer records themselves.
    """

    __slots__ = ("layers", "_encoder", "timesteps", "_class_labels", "_metadata", "_provenance", "_hash")

    # The dataclass fields are the tutorial's arguments, read back through the views below, so that
    # ``dataclasses.replace(ckpt, metadata=...)`` (used by callers since version 1) rebuilds the
    # checkpoint from them. ``layers`` (the records, the real state) is a slot, not a field.
    weights: list[np.ndarray]
    layer_names: list[str]
    layer_sizes: list[tuple[int, int]]
    metadata: dict[str, Any]
    biases: list[np.ndarray | None]
    betas: list[np.ndarray]
    thresholds: list[np.ndarray]
    resets: list[str]
    neuron_type: str
    encoder: dict[str, Any]
    timesteps: int
    frozen: list[bool]
    class_labels: list[int]
    provenance: dict[str, Any]
    learn_beta: list[bool]
    learn_threshold: list[bool]

    def __init__(
        self,
        weights: Sequence[Any] | None = None,
        layer_names: Sequence[str] | None = None,
        layer_sizes: Sequence[tuple[int, int]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        biases: Sequence[Any] | None = None,
        betas: Sequence[Any] | None = None,
        thresholds: Sequence[Any] | None = None,
        resets: Sequence[str] | None = None,
        neuron_type: str = "lif",
        encoder: EncoderConfig | Mapping[str, Any] | None = None,
        timesteps: int | None = None,
        frozen: Sequence[bool] | None = None,
        class_labels: Sequence[int] | None = None,
        provenance: Mapping[str, Any] | None = None,
        learn_beta: Sequence[bool] | None = None,
        learn_threshold: Sequence[bool] | None = None,
        *,
        layers: Iterable[LayerRecord] | None = None,
    ) -> None:
        meta = _json_object({} if metadata is None else metadata, "metadata")
        lists = {"biases": biases, "betas": betas, "thresholds": thresholds, "resets": resets, "frozen": frozen,
                 "learn_beta": learn_beta, "learn_threshold": learn_threshold}
        if layers is not None:
            given = [k for k, v in (("weights", weights), ("layer_names", layer_names),
                                    ("layer_sizes", layer_sizes), *lists.items()) if v is not None]
            if given:
                raise ConfigError(f"SNNCheckpoint: give either layers= or the per-layer lists, not both (got {given})")
            if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Iterable):
                raise FieldError(("layers",), f"must be a sequence of layer records, got {type(layers).__name__}")
            recs = tuple(layers)
            for i, rec in enumerate(recs):
                if not isinstance(rec, RECORD_TYPES):
                    raise FieldError(("layers", i), f"must be a layer record {[c.__name__ for c in RECORD_TYPES]}, "
                                                    f"got {type(rec).__name__}")
        else:
            if weights is None or layer_names is None or layer_sizes is None:
                raise ConfigError("SNNCheckpoint needs weights, layer_names and layer_sizes (or layers=)")
            recs = _records_from_lists(weights, layer_names, layer_sizes, meta, lists)
            if timesteps is None:
                timesteps = meta.get("timesteps", _DEFAULT_TIMESTEPS)
        if timesteps is None:
            timesteps = _DEFAULT_TIMESTEPS
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("layers", recs)
        set_("_hash", None)
        self._validate_network(neuron_type)
        set_("timesteps", _check_timesteps(timesteps, strict=False))
        if isinstance(encoder, EncoderConfig):
            encoder = dataclasses.asdict(encoder)
        set_("_encoder", check_encoder({} if encoder is None else encoder, ("encoder",), strict=False))
        labels = list(range(recs[-1].n_out)) if class_labels is None else class_labels
        set_("_class_labels", _check_labels(labels, recs[-1].n_out, strict=False))
        set_("_metadata", meta)
        prov = _json_object({} if provenance is None else provenance, "provenance")
        prov.setdefault("scnc_version", __version__)
        prov.setdefault("transfer", [])
        _check_provenance(prov)
        set_("_provenance", prov)

    def _validate_network(self, neuron_type: Any) -> None:
        """Rules across layers: count, unique names, sizes that chain, the neuron type."""
        recs = self.layers
        if not recs:
            raise FieldError(("layers",), "a checkpoint needs at least one layer")
        if len(recs) > MAX_LAYERS:
            raise FieldError(("layers",), f"has {len(recs)} layers; at most {MAX_LAYERS} (MAX_LAYERS)")
        seen: dict[str, int] = {}
        for i, rec in enumerate(recs):
            if rec.name in seen:
                raise FieldError(("layers", i, "name"),
                                 f"{rec.name!r} is also the name of layers[{seen[rec.name]}]; names must be unique")
            seen[rec.name] = i
        for i in range(1, len(recs)):
            if recs[i].n_in != recs[i - 1].n_out:
                raise FieldError(
                    ("layers", i, "n_in"),
                    f"layer {recs[i].name!r} takes {recs[i].n_in} inputs but layer {recs[i - 1].name!r} "
                    f"has {recs[i - 1].n_out} neurons",
                )
        if neuron_type not in NEURON_TYPES or neuron_type != self.neuron_type:
            raise FieldError(("neuron_type",), f"must be {self.neuron_type!r} (from the layer records), got {neuron_type!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SNNCheckpoint is immutable; use .replace({name}=...) for a changed copy")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("SNNCheckpoint is immutable")

    # ---------------------------------------------------------------- per-layer views (lists, as before)

    @property
    def weights(self) -> list[np.ndarray]:
        return [r.weight for r in self.layers]

    @property
    def layer_names(self) -> list[str]:
        return [r.name for r in self.layers]

    @property
    def layer_sizes(self) -> list[tuple[int, int]]:
        return [(r.n_in, r.n_out) for r in self.layers]

    @property
    def biases(self) -> list[np.ndarray | None]:
        return [r.bias for r in self.layers]

    @property
    def betas(self) -> list[np.ndarray]:
        return [r.beta for r in self.layers]

    @property
    def thresholds(self) -> list[np.ndarray]:
        return [r.threshold for r in self.layers]

    @property
    def resets(self) -> list[str]:
        return [str(r.reset) for r in self.layers]

    @property
    def frozen(self) -> list[bool]:
        return [r.frozen for r in self.layers]

    @property
    def learn_beta(self) -> list[bool]:
        return [r.learn_beta for r in self.layers]

    @property
    def learn_threshold(self) -> list[bool]:
        return [r.learn_threshold for r in self.layers]

    # ---------------------------------------------------------------- network-level views

    @property
    def neuron_type(self) -> str:
        """The neuron model of the records (``"lif"``; several models are joined with ``+``)."""
        return "+".join(sorted({r.neuron_type for r in self.layers}))

    @property
    def encoder(self) -> dict[str, Any]:
        """The input encoder's fields (a copy): ``kind``, ``seed``, ``gain``, ``latency_floor``."""
        return dict(self._encoder)

    @property
    def class_labels(self) -> list[int]:
        return list(self._class_labels)

    @property
    def metadata(self) -> dict[str, Any]:
        """The user's free-form notes (a copy)."""
        return copy.deepcopy(self._metadata)

    @property
    def provenance(self) -> dict[str, Any]:
        """Where the network came from (a copy)."""
        return copy.deepcopy(self._provenance)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_params(self) -> int:
        """Number of stored float values: weights, biases, betas and thresholds."""
        return int(sum(a.size for a in self.arrays().values()))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by their ``.npz`` names (``weight_i``, ``bias_i``, ``beta_i``, ``threshold_i``)."""
        out: dict[str, np.ndarray] = {}
        for i, rec in enumerate(self.layers):
            out.update(record_arrays(rec, i))
        return out

    def _network_json(self) -> dict[str, Any]:
        """The sidecar's ``network`` object (format version 2)."""
        return {
            "timesteps": self.timesteps,
            "encoder": dict(self._encoder),
            "class_labels": list(self._class_labels),
            "layers": [record_json(r) for r in self.layers],
        }

    def _identity_json(self) -> dict[str, Any]:
        """What the hash covers besides the arrays. Its shape is version 1's ``network`` object
        without the training flags, so version-1 hashes stay valid (see the module docstring)."""
        return {
            "neuron_type": self.neuron_type,
            "timesteps": self.timesteps,
            "encoder": dict(self._encoder),
            "class_labels": list(self._class_labels),
            "layers": [record_identity(r) for r in self.layers],
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 identifying the network as deployed (see the module docstring for what it covers)."""
        if self._hash is None:
            object.__setattr__(self, "_hash", hash_arrays(self.arrays(), extra={"format": FORMAT, "network": self._identity_json()}))
        return self._hash  # type: ignore[return-value]

    # ---------------------------------------------------------------- conversions

    def to_network(self) -> Network:
        """The :class:`~scnc.snn.network.Network` this checkpoint holds (arrays copied)."""
        return Network([r.to_layer() for r in self.layers], int(self.timesteps), EncoderConfig(**self._encoder))

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
        layers = list(net.layers)
        flags = [False] * len(layers) if frozen is None else list(frozen)
        if len(flags) != len(layers):
            raise FieldError(("frozen",), f"has {len(flags)} entries but there are {len(layers)} layers")
        recs = []
        for i, (layer, fz) in enumerate(zip(layers, flags)):
            try:
                recs.append(record_for_layer(layer, frozen=fz))
            except FieldError as exc:
                raise exc.under("layers", i) from None
        return cls(layers=recs, metadata=metadata, encoder=net.encoder, timesteps=net.timesteps,
                   class_labels=class_labels, provenance=provenance)

    def replace(self, **changes: Any) -> "SNNCheckpoint":
        """A copy with some fields changed (validated again).

        Takes the constructor's names: per-layer lists (``weights=``, ``frozen=``...; the others
        are kept from this checkpoint), ``layers=`` (records), or network-level fields.
        """
        unknown = sorted(set(changes) - set(_LIST_ARGS) - set(_NETWORK_ARGS) - {"layers"})
        if unknown:
            raise ConfigError(f"SNNCheckpoint.replace: unknown fields {unknown}")
        network = {k: changes.get(k, getattr(self, k)) for k in _NETWORK_ARGS}
        per_layer = {k: changes[k] for k in _LIST_ARGS if k in changes}
        if per_layer:
            if "layers" in changes:
                raise ConfigError("SNNCheckpoint.replace: give either layers= or per-layer lists, not both")
            lists = {k: per_layer.get(k, getattr(self, k)) for k in _LIST_ARGS}
            return SNNCheckpoint(**lists, **network)
        return SNNCheckpoint(layers=changes.get("layers", self.layers), **network)

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
            and self._metadata == other._metadata
            and self._provenance == other._provenance
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        sizes = " -> ".join([str(self.layers[0].n_in)] + [str(r.n_out) for r in self.layers])
        return (
            f"SNNCheckpoint({sizes}, layers={self.layer_names}, timesteps={self.timesteps}, "
            f"frozen={self.frozen}, hash={self.content_hash[:12]})"
        )


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
    """Write ``ckpt`` as ``<stem>.npz`` + ``<stem>.json`` (format version 2, see :func:`checkpoint_paths`).

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


def load_checkpoint(path: str | os.PathLike, *, max_bytes: int | None = None) -> SNNCheckpoint:
    """Read and fully validate a checkpoint written by :func:`save_checkpoint` (format version 1 or 2).

    Every problem is a :class:`~scnc.errors.CheckpointError` naming the file and the field (the
    ``.npz`` and the array for array problems, the ``.json`` and the JSON path otherwise): a
    missing file; a sidecar that is too large, too deep, not UTF-8 or not JSON (a UTF-8 byte order
    mark is fine); unknown format or version; unknown or missing keys at every level; values of
    the wrong type or out of range (the table in ``docs/transfer.md``); declared sizes above the
    array limit (checked before the ``.npz`` is read); a corrupt, truncated, inflating or pickled
    ``.npz`` (:func:`scnc._io.read_npz`); missing or extra arrays, wrong dtype or shapes; and a
    content hash that does not match the files.

    Parameters
    ----------
    path:
        The checkpoint (``<stem>``, ``<stem>.npz`` or ``<stem>.json``).
    max_bytes:
        Largest total of array bytes accepted; default :func:`scnc._io.max_array_bytes`
        (``$SCNC_MAX_ARRAY_BYTES`` or 1 GiB).
    """
    npz_path, json_path = checkpoint_paths(path)
    pair = f"(a checkpoint is {npz_path.name} + {json_path.name})"
    if not json_path.is_file():
        raise CheckpointError(json_path, None, f"JSON sidecar missing {pair}")
    if not npz_path.is_file():
        raise CheckpointError(npz_path, None, f"array file missing {pair}")
    limit = max_array_bytes(max_bytes)
    try:
        return _load(npz_path, json_path, limit)
    except FieldError as exc:
        raise _located(exc, npz_path, json_path) from None


def _located(exc: FieldError, npz_path: Path, json_path: Path) -> CheckpointError:
    """The file and field a structured path was read from (``layers[1].beta`` -> ``x.npz``, ``beta_1``)."""
    p = exc.path[1:] if exc.path[:1] == ("network",) else exc.path
    if exc.store == "npz" and len(p) == 3 and p[0] == "layers" and isinstance(p[1], int):
        return CheckpointError(npz_path, f"{p[2]}_{p[1]}", exc.reason)
    if p and p[0] in ("metadata", "provenance"):
        return CheckpointError(json_path, render_path(p), exc.reason)
    return CheckpointError(json_path, "network." + render_path(p) if p else "network", exc.reason)


def _read_sidecar(json_path: Path) -> dict[str, Any]:
    try:
        doc = read_json(json_path)
    except ValueError as exc:  # JSONLimitError, and a bare ValueError for integers too long to convert
        raise CheckpointError(json_path, None, f"sidecar {exc}") from None
    except OSError as exc:
        raise CheckpointError(json_path, None, f"cannot read the sidecar ({exc})") from None
    if not isinstance(doc, dict):
        raise CheckpointError(json_path, None, f"must hold a JSON object, got {type(doc).__name__}")
    return doc


def _check_keys(obj: Mapping[str, Any], keys: set[str], path: tuple[Any, ...]) -> None:
    missing = sorted(keys - obj.keys())
    if missing:
        raise FieldError(path + (missing[0],), f"missing (missing keys: {missing})")
    extra = sorted(obj.keys() - keys)
    if extra:
        raise FieldError(path + (extra[0],), f"unknown key (unknown keys: {extra})")


def _load(npz_path: Path, json_path: Path, limit: int) -> SNNCheckpoint:
    doc = _read_sidecar(json_path)

    def top(field: str, message: str) -> NoReturn:
        raise CheckpointError(json_path, field, message)

    missing = sorted(_TOP_KEYS - doc.keys())
    if missing:
        top(missing[0], f"missing (missing keys: {missing})")
    extra = sorted(doc.keys() - _TOP_KEYS)
    if extra:
        top(extra[0], f"unknown key (unknown keys: {extra})")
    if doc["format"] != FORMAT:
        top("format", f"expected {FORMAT!r}, got {doc['format']!r}")
    version = doc["format_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        top("format_version", f"must be an integer, got {version!r}")
    if version not in READ_VERSIONS:
        newer = " (written by a newer scnc)" if version > max(READ_VERSIONS) else ""
        top("format_version", f"unsupported version {version}{newer}; this scnc reads versions {list(READ_VERSIONS)}")
    stored_hash = doc["content_hash"]
    if not (isinstance(stored_hash, str) and len(stored_hash) == 64 and set(stored_hash) <= set("0123456789abcdef")):
        top("content_hash", f"must be a SHA-256 as 64 lowercase hex digits, got {ascii(stored_hash)[:80]}")
    # Any text the sidecar holds may end up in a message or on a terminal: it must be valid Unicode.
    _check_text({k: doc[k] for k in ("network", "metadata", "provenance")}, ())
    for key in ("metadata", "provenance"):
        if not isinstance(doc[key], dict):
            raise FieldError((key,), f"must be an object, got {type(doc[key]).__name__}")
    net = doc["network"]
    if not isinstance(net, dict):
        raise FieldError((), f"must be an object, got {type(net).__name__}")
    _check_keys(net, _NETWORK_KEYS[version], ())
    if version == 1 and net["neuron_type"] not in NEURON_TYPES:
        raise FieldError(("neuron_type",), f"must be one of {NEURON_TYPES}, got {net['neuron_type']!r}")

    # Every JSON value, typed and in range, before any array is read.
    layers = net["layers"]
    if not isinstance(layers, list) or not layers:
        raise FieldError(("layers",), "must be a non-empty list")
    if len(layers) > MAX_LAYERS:
        raise FieldError(("layers",), f"has {len(layers)} layers; at most {MAX_LAYERS} (MAX_LAYERS)")
    parsed = []
    declared = 0
    for i, obj in enumerate(layers):
        if not isinstance(obj, dict):
            raise FieldError(("layers", i), f"must be an object, got {type(obj).__name__}")
        # Version 1 had one layer kind and no "kind" key.
        cls = DenseLIFRecord if version == 1 else record_type(obj.get("kind"), ("layers", i, "kind"))
        try:
            _check_keys(obj, json_keys(cls, with_kind=version >= 2), ())
            values, dims = check_json_fields(cls, obj)
        except FieldError as exc:
            raise exc.under("layers", i) from None
        if parsed and dims["n_in"] != parsed[-1][2]["n_out"]:
            raise FieldError(("layers", i, "n_in"), f"layer {values['name']!r} takes {dims['n_in']} inputs but layer "
                                                    f"{parsed[-1][1]['name']!r} has {parsed[-1][2]['n_out']} neurons")
        parsed.append((cls, values, dims))
        declared += declared_array_bytes(cls, dims)
    if declared > limit:
        raise FieldError(("layers",), f"the layer sizes declare up to {declared} bytes of arrays; the limit is "
                                      f"{limit} (set SCNC_MAX_ARRAY_BYTES to raise it for a trusted file)")
    timesteps = _check_timesteps(net["timesteps"], strict=True)
    encoder = check_encoder(net["encoder"], ("encoder",), strict=True)
    labels = _check_labels(net["class_labels"], parsed[-1][2]["n_out"], strict=True)

    try:
        arrays = read_npz(npz_path, max_bytes=limit)
    except NPZError as exc:
        raise CheckpointError(npz_path, exc.member, str(exc)) from None
    except OSError as exc:
        raise CheckpointError(npz_path, None, f"cannot read ({exc})") from None
    expected = []
    for i, (cls, values, _) in enumerate(parsed):
        for f in array_fields(cls):
            if not f.optional or values[f.name]:
                expected.append(f"{f.name}_{i}")
    absent = [k for k in expected if k not in arrays]
    if absent:
        raise CheckpointError(npz_path, absent[0], f"array missing from the .npz (missing: {absent})")
    unexpected = sorted(arrays.keys() - set(expected))
    if unexpected:
        raise CheckpointError(npz_path, unexpected[0], f"unexpected array in the .npz (extra: {unexpected})")

    records = []
    for i, (cls, values, dims) in enumerate(parsed):
        kwargs = dict(values)
        try:
            for f in array_fields(cls):
                name = f"{f.name}_{i}"
                kwargs[f.name] = check_array(f, arrays[name], dims, (f.name,), strict=True) if name in arrays else None
            records.append(cls(**kwargs))
        except FieldError as exc:
            raise exc.under("layers", i) from None
    ckpt = SNNCheckpoint(layers=records, metadata=doc["metadata"], encoder=encoder, timesteps=timesteps,
                         class_labels=labels, provenance=doc["provenance"])
    actual = ckpt.content_hash
    if actual != stored_hash:
        top(
            "content_hash",
            f"mismatch: the sidecar says {stored_hash[:16]}..., the files give {actual[:16]}... "
            f"(the files were modified, or {npz_path.name} and {json_path.name} do not belong together)",
        )
    return ckpt

"""Per-layer records of a checkpoint, and the one field table that writes and validates them.

A checkpoint is a tuple of layer records. Each record kind is one frozen dataclass (today
:class:`DenseLIFRecord`) that declares its fields once, in ``FIELDS``: for every field where it is
stored (the JSON sidecar or the ``.npz``), its type, its shape rule (arrays, from the record's
dimensions), its value range, and whether it belongs to the network's identity (the content hash)
or is a training flag. The same table

- normalises and validates a record built in memory (:meth:`DenseLIFRecord.__post_init__`),
- writes it (:func:`record_json`, :func:`record_arrays`, :func:`record_identity`),
- and validates a record read from files (:func:`check_json_fields`, :func:`check_array`),

so the writer and the reader cannot drift apart. Adding a record kind (a ``Delay`` or a ``WTA``
group) is one new class with its own ``FIELDS``, ``dims()`` and ``to_layer()``, listed in
:data:`RECORD_TYPES`; nothing here dispatches on a kind string except :func:`record_type`, which
maps the sidecar's ``"kind"`` to the class.

Errors are :class:`FieldError` with a structured ``path`` (``("layers", 1, "beta")``, rendered
``layers[1].beta``); the checkpoint loader maps a path to the file and the field it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from ..errors import ConfigError
from ..kinds import ResetMode, choices
from ..names import name_problem
from ..snn.network import ENCODER_KINDS, MAX_DELAY, LIFLayer

__all__ = [
    "DenseLIFRecord",
    "DelayDenseLIFRecord",
    "record_for_layer",
    "LayerRecord",
    "RECORD_TYPES",
    "Field",
    "FieldError",
    "ENCODER_FIELDS",
    "MAX_LAYER_WIDTH",
    "MAX_SEED",
    "render_path",
    "record_type",
    "record_json",
    "record_identity",
    "record_arrays",
    "json_keys",
    "array_fields",
    "check_json_fields",
    "check_array",
    "declared_array_bytes",
    "check_encoder",
]

#: Largest n_in / n_out of a layer: a million neurons, far beyond any FPGA target, and a bound on
#: the arrays a sidecar can make the loader expect.
MAX_LAYER_WIDTH = 1 << 20
#: Encoder seeds are ``0 <= seed < MAX_SEED``: the IR and the reference model carry seeds as signed
#: 64-bit integers.
MAX_SEED = 1 << 63

Path = tuple[Any, ...]


def render_path(path: Path) -> str:
    """``("layers", 1, "beta")`` -> ``"layers[1].beta"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class FieldError(ConfigError):
    """A checkpoint field holds a bad value; ``path`` locates it, ``reason`` says what is wrong.

    A :class:`~scnc.errors.ConfigError` (the in-memory constructor raises it); the loader turns it
    into a :class:`~scnc.errors.CheckpointError` naming the file the field was read from.
    """

    def __init__(self, path: Path, reason: str, *, store: str = "json") -> None:
        self.path = tuple(path)
        self.reason = reason
        #: Where the field lives in the files: ``"json"`` (the sidecar) or ``"npz"`` (an array).
        self.store = store
        super().__init__(f"SNNCheckpoint field '{render_path(self.path)}': {reason}")

    def under(self, *prefix: Any) -> "FieldError":
        """The same error, located inside ``prefix`` (e.g. ``("layers", 2)``)."""
        return FieldError(tuple(prefix) + self.path, self.reason, store=self.store)


# ------------------------------------------------------------------------------------------------
# Value rules: each returns why a value is refused, or None.


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _int_in(lo: int, hi: int, why: str = "") -> Callable[[Any], str | None]:
    def rule(v: Any) -> str | None:
        if not lo <= v <= hi:
            return f"must be in {lo}..{hi}{why}, got {v}"
        return None

    return rule


def _finite(a: np.ndarray) -> str | None:
    bad = int(np.count_nonzero(~np.isfinite(a)))
    return f"holds {bad} non-finite values (NaN or inf)" if bad else None


def _beta_rule(a: np.ndarray) -> str | None:
    if (why := _finite(a)) is not None:
        return why
    if not np.all((a >= 0) & (a <= 1)):
        return f"beta must lie in [0, 1] (a decay per time step), got values {a.min()}..{a.max()}"
    return None


def _threshold_rule(a: np.ndarray) -> str | None:
    if (why := _finite(a)) is not None:
        return why
    if not np.all(a > 0):
        return f"threshold must be > 0 and finite, got minimum {a.min()}"
    return None


def _reset_rule(v: Any) -> str | None:
    return None if v in choices(ResetMode) else f"must be one of {choices(ResetMode)}, got {v!r}"


# ------------------------------------------------------------------------------------------------
# The field table


@dataclass(frozen=True)
class Field:
    """One field of a record (or of the encoder) in the checkpoint files.

    Parameters
    ----------
    name:
        Attribute name; the JSON key, or the ``.npz`` member prefix (``<name>_<layer index>``).
    store:
        ``"json"`` (a sidecar value) or ``"npz"`` (a float32 array).
    type:
        JSON fields: ``bool``, ``int``, ``float`` (an int is accepted and stored as float) or
        ``str``. Arrays: ``np.float32``.
    doc:
        What the field means (docs/transfer.md has the same table).
    rule:
        The value range: returns why a value is refused, or ``None``.
    shapes:
        Arrays: the accepted shapes, from the record's dimensions (``{"n_in": .., "n_out": ..}``).
    optional:
        Arrays: may be absent (``None``); the sidecar then says ``"<name>": false``.
    identity:
        Part of the network as deployed, hence of the content hash (training flags are not).
    dim:
        A dimension (``n_in``, ``n_out``): written from the arrays' shapes, read to know which
        shapes to expect; not a constructor argument.
    flatten:
        Arrays given as a scalar or any shape are flattened to 1-D on construction.
    """

    name: str
    store: str
    type: type
    doc: str
    rule: Callable[[Any], str | None] | None = None
    shapes: Callable[[Mapping[str, int]], tuple[tuple[int, ...], ...]] | None = None
    optional: bool = False
    identity: bool = True
    dim: bool = False
    flatten: bool = False


def _json_value(f: Field, v: Any, path: Path, *, strict: bool) -> Any:
    """``v`` checked against ``f``'s type and range, normalised (``np.bool_`` -> bool...).

    ``strict`` (values read from a file): no conversions at all except int -> float for floats.
    """
    if f.type is bool:
        if isinstance(v, np.bool_) and not strict:
            v = bool(v)
        if not isinstance(v, bool):
            raise FieldError(path, f"must be true or false, got {v!r}")
    elif f.type is int:
        if not (isinstance(v, int) if strict else _is_int(v)) or isinstance(v, bool):
            raise FieldError(path, f"must be an integer, got {v!r}")
        v = int(v)
    elif f.type is float:
        ok_types = (int, float) if strict else (int, float, np.integer, np.floating)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, ok_types):
            raise FieldError(path, f"must be a number, got {v!r}")
        try:
            v = float(v)
        except OverflowError:
            raise FieldError(path, f"must be a finite number, got {v!r}") from None
        if not math.isfinite(v):
            raise FieldError(path, f"must be a finite number, got {v!r}")
    elif f.type is str:
        if not isinstance(v, str):
            raise FieldError(path, f"must be a string, got {v!r}")
        v = str(v)  # a str-valued enum member becomes its plain value
    else:  # pragma: no cover - a table error, not an input error
        raise TypeError(f"field {f.name}: unsupported JSON type {f.type!r}")
    if f.rule is not None and (why := f.rule(v)) is not None:
        raise FieldError(path, why)
    return v


def check_array(f: Field, a: Any, dims: Mapping[str, int], path: Path, *, strict: bool) -> np.ndarray:
    """Array field ``f``: dtype, shape (from ``dims``) and range; returns a read-only float32 copy.

    ``strict`` (arrays read from a file): the dtype must already be little-endian float32 (no
    silent conversion of a float64 or big-endian file); in memory anything array-like converts.
    """
    if f.type is not np.float32:
        return _check_int_array(f, a, dims, path, strict=strict)
    if strict:
        if not isinstance(a, np.ndarray):
            raise FieldError(path, store="npz", reason=f"must be an array, got {type(a).__name__}")
        if a.dtype != np.dtype("<f4"):
            raise FieldError(path, store="npz", reason=f"dtype must be float32 (little-endian '<f4'), got {a.dtype.str}")
    try:
        out = np.array(a, dtype=np.float32, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise FieldError(path, store="npz", reason=f"not a float array ({exc})") from None
    if f.flatten and not strict:
        out = out.reshape(-1)
    out = np.ascontiguousarray(out)
    assert f.shapes is not None
    shapes = f.shapes(dims)
    if out.shape not in shapes:
        raise FieldError(path, store="npz", reason=f"shape must be {' or '.join(str(s) for s in shapes)}, got {out.shape}")
    if f.rule is not None and (why := f.rule(out)) is not None:
        raise FieldError(path, store="npz", reason=why)
    out.flags.writeable = False
    return out


def _check_int_array(f: Field, a: Any, dims: Mapping[str, int], path: Path, *, strict: bool) -> np.ndarray:
    """Integer array field ``f`` (``f.type`` is its numpy integer type): dtype, shape, range.

    ``strict`` (read from a file): the dtype must already be ``f.type``, little-endian. In memory any
    integer array converts, after its values are checked (no silent wrap-around).
    """
    want = np.dtype(f.type).newbyteorder("<")
    if strict:
        if not isinstance(a, np.ndarray):
            raise FieldError(path, store="npz", reason=f"must be an array, got {type(a).__name__}")
        if a.dtype != want:
            raise FieldError(path, store="npz", reason=f"dtype must be {want.name} (little-endian '{want.str}'), got {a.dtype.str}")
    arr = np.asarray(a)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise FieldError(path, store="npz", reason=f"must hold integers, got dtype {arr.dtype.name}")
    assert f.shapes is not None
    shapes = f.shapes(dims)
    if arr.shape not in shapes:
        raise FieldError(path, store="npz", reason=f"shape must be {' or '.join(str(s) for s in shapes)}, got {arr.shape}")
    if f.rule is not None and (why := f.rule(arr)) is not None:
        raise FieldError(path, store="npz", reason=why)
    out = np.array(arr, dtype=want, copy=True, order="C")
    out.flags.writeable = False
    return out


# ------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, eq=False)
class DenseLIFRecord:
    """One dense layer of LIF neurons (dynamics in :mod:`scnc.snn.network`), as a checkpoint stores it.

    Built from in-memory values it normalises them (arrays become read-only float32 copies;
    ``beta``, ``threshold`` and ``bias`` are flattened, so ``beta=0.9`` is ``[0.9]``) and
    validates every field against :attr:`FIELDS`; a bad value raises :class:`FieldError` whose
    path is the field name (the checkpoint prefixes ``("layers", i)``).

    Parameters
    ----------
    name:
        Layer name (rule in :mod:`scnc.names`), unique in the network.
    weight:
        float32 ``(n_in, n_out)``; ``I = s_in @ weight``.
    bias:
        float32 ``(n_out,)`` or ``None`` (no bias, the hardware default).
    beta:
        Membrane decay per time step, ``(1,)`` (per layer) or ``(n_out,)``, in [0, 1].
    threshold:
        Firing threshold, ``(1,)`` or ``(n_out,)``, > 0.
    reset:
        ``"subtract"``, ``"zero"`` or ``"subtract_delayed"`` (:class:`scnc.kinds.ResetMode`).
    frozen:
        Transfer learning froze the layer (a training flag: not part of the content hash).
    learn_beta, learn_threshold:
        Training updates beta / the threshold (training flags).
    """

    kind: ClassVar[str] = "dense_lif"
    #: The neuron model, as version-1 files and :attr:`SNNCheckpoint.neuron_type` name it.
    neuron_type: ClassVar[str] = "lif"
    #: Whether the kind enters the content hash. False here only: version-1 files have no kind,
    #: and leaving it out keeps their hashes valid (docs/transfer.md). Every later kind: True.
    hash_kind: ClassVar[bool] = False
    FIELDS: ClassVar[tuple[Field, ...]]

    name: str
    weight: np.ndarray
    bias: np.ndarray | None = None
    beta: Any = 0.9
    threshold: Any = 1.0
    reset: str = "subtract"
    frozen: bool = False
    learn_beta: bool = True
    learn_threshold: bool = False

    def __post_init__(self) -> None:
        w = self.weight
        try:
            w = np.asarray(w, dtype=np.float32)
        except (TypeError, ValueError, OverflowError) as exc:
            raise FieldError(("weight",), f"not a float array ({exc})", store="npz") from None
        if w.ndim != 2:
            raise FieldError(("weight",), f"must be 2-D (n_in, n_out), got shape {w.shape}", store="npz")
        dims = {"n_in": int(w.shape[0]), "n_out": int(w.shape[1])}
        for f in self.FIELDS:
            if f.dim:
                _json_value(f, dims[f.name], (f.name,), strict=False)
            elif f.store == "npz":
                v = getattr(self, f.name)
                if v is None and f.optional:
                    continue
                if v is None:
                    raise FieldError((f.name,), "is required", store="npz")
                object.__setattr__(self, f.name, check_array(f, v, dims, (f.name,), strict=False))
            else:
                object.__setattr__(self, f.name, _json_value(f, getattr(self, f.name), (f.name,), strict=False))

    def dims(self) -> dict[str, int]:
        """The record's dimensions, from its arrays: ``{"n_in": .., "n_out": ..}``."""
        return {"n_in": int(self.weight.shape[0]), "n_out": int(self.weight.shape[1])}

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[1])

    def to_layer(self) -> LIFLayer:
        """The training-side layer (:class:`scnc.snn.network.LIFLayer`), arrays copied."""
        return LIFLayer(
            name=self.name,
            weight=self.weight.copy(),
            bias=None if self.bias is None else self.bias.copy(),
            beta=self.beta.copy(),
            threshold=self.threshold.copy(),
            reset=str(self.reset),  # type: ignore[arg-type]
            learn_beta=self.learn_beta,
            learn_threshold=self.learn_threshold,
        )

    @classmethod
    def from_layer(cls, layer: LIFLayer, *, frozen: bool = False) -> "DenseLIFRecord":
        """The record of a training-side layer (arrays copied)."""
        return cls(
            name=layer.name, weight=layer.weight, bias=layer.bias, beta=layer.beta, threshold=layer.threshold,
            reset=layer.reset, frozen=frozen, learn_beta=layer.learn_beta, learn_threshold=layer.learn_threshold,
        )

    def replace(self, **changes: Any) -> "DenseLIFRecord":
        """A copy with some fields changed (validated again)."""
        values = {f.name: getattr(self, f.name) for f in self.FIELDS if not f.dim}
        values.update(changes)
        return type(self)(**values)


def _by_out(d: Mapping[str, int]) -> tuple[tuple[int, ...], ...]:
    return ((d["n_out"],),)


def _per_layer_or_neuron(d: Mapping[str, int]) -> tuple[tuple[int, ...], ...]:
    return ((1,), (d["n_out"],))


_WIDTH = _int_in(1, MAX_LAYER_WIDTH, " (MAX_LAYER_WIDTH)")

DenseLIFRecord.FIELDS = (
    Field("name", "json", str, "layer name, unique (rule: scnc.names)", rule=name_problem),
    Field("n_in", "json", int, "inputs (rows of weight)", rule=_WIDTH, dim=True),
    Field("n_out", "json", int, "neurons (columns of weight)", rule=_WIDTH, dim=True),
    Field("reset", "json", str, "after a spike: subtract the threshold, reset to zero, or subtract it one step later (subtract_delayed)", rule=_reset_rule),
    Field("weight", "npz", np.float32, "synaptic weights, I = s_in @ weight", rule=_finite,
          shapes=lambda d: ((d["n_in"], d["n_out"]),)),
    Field("bias", "npz", np.float32, "bias current per neuron", rule=_finite, shapes=_by_out, optional=True,
          flatten=True),
    Field("beta", "npz", np.float32, "membrane decay per step, per layer or per neuron, in [0, 1]",
          rule=_beta_rule, shapes=_per_layer_or_neuron, flatten=True),
    Field("threshold", "npz", np.float32, "firing threshold, per layer or per neuron, > 0", rule=_threshold_rule,
          shapes=_per_layer_or_neuron, flatten=True),
    Field("frozen", "json", bool, "frozen by transfer learning (training flag)", identity=False),
    Field("learn_beta", "json", bool, "training updates beta (training flag)", identity=False),
    Field("learn_threshold", "json", bool, "training updates the threshold (training flag)", identity=False),
)


def _delays_rule(a: np.ndarray) -> str | None:
    if a.size and (int(a.min()) < 0 or int(a.max()) > MAX_DELAY):
        return f"delays must be in [0, {MAX_DELAY}] time steps (MAX_DELAY), got {int(a.min())}..{int(a.max())}"
    return None


@dataclass(frozen=True, eq=False)
class DelayDenseLIFRecord(DenseLIFRecord):
    """A dense LIF layer with one integer delay per synapse (``LIFLayer.delays``).

    The fields of :class:`DenseLIFRecord` plus ``delays``: int16 ``(n_in, n_out)``, every value in
    ``[0, MAX_DELAY]`` time steps (the spike of input ``j`` at step ``t`` reaches neuron ``i`` at step
    ``t + delays[j, i]``). Part of the content hash, with the kind. A layer without delays is a
    :class:`DenseLIFRecord`, so checkpoints without delays are byte-identical to before.
    """

    kind: ClassVar[str] = "delay_dense_lif"
    hash_kind: ClassVar[bool] = True

    delays: np.ndarray | None = None

    def to_layer(self) -> LIFLayer:
        layer = super().to_layer()
        layer.delays = self.delays.copy()
        return layer

    @classmethod
    def from_layer(cls, layer: LIFLayer, *, frozen: bool = False) -> "DelayDenseLIFRecord":
        base = DenseLIFRecord.from_layer(layer, frozen=frozen)
        values = {f.name: getattr(base, f.name) for f in DenseLIFRecord.FIELDS if not f.dim}
        return cls(**values, delays=layer.delays)


DelayDenseLIFRecord.FIELDS = DenseLIFRecord.FIELDS + (
    Field("delays", "npz", np.int16, "synaptic delay of every synapse, int16 (n_in, n_out), in [0, MAX_DELAY] "
          "time steps", rule=_delays_rule, shapes=lambda d: ((d["n_in"], d["n_out"]),)),
)

#: A layer record (a union as more kinds arrive).
LayerRecord = DenseLIFRecord
#: Every record kind, by class; the sidecar's ``"kind"`` selects one (:func:`record_type`).
RECORD_TYPES: tuple[type[DenseLIFRecord], ...] = (DenseLIFRecord, DelayDenseLIFRecord)


def record_for_layer(layer: LIFLayer, *, frozen: bool = False) -> DenseLIFRecord:
    """The record of a training-side layer: :class:`DelayDenseLIFRecord` when it carries delays."""
    cls = DenseLIFRecord if layer.delays is None else DelayDenseLIFRecord
    return cls.from_layer(layer, frozen=frozen)


def record_type(kind: Any, path: Path) -> type[DenseLIFRecord]:
    """The record class of a sidecar ``"kind"`` value."""
    for cls in RECORD_TYPES:
        if kind == cls.kind:
            return cls
    raise FieldError(path, f"unknown layer kind {kind!r}; known: {[c.kind for c in RECORD_TYPES]}")


def json_keys(cls: type[DenseLIFRecord], *, with_kind: bool = True) -> set[str]:
    """The keys of a record's sidecar object: its JSON fields, presence flags of optional arrays, kind."""
    keys = {f.name for f in cls.FIELDS if f.store == "json" or f.optional}
    return keys | {"kind"} if with_kind else keys


def array_fields(cls: type[DenseLIFRecord]) -> tuple[Field, ...]:
    """The record's array fields, in table order."""
    return tuple(f for f in cls.FIELDS if f.store == "npz")


def record_json(rec: DenseLIFRecord) -> dict[str, Any]:
    """The record's sidecar object (format version 2)."""
    dims = rec.dims()
    out: dict[str, Any] = {"kind": rec.kind}
    for f in rec.FIELDS:
        if f.dim:
            out[f.name] = dims[f.name]
        elif f.store == "json":
            v = getattr(rec, f.name)
            out[f.name] = str(v) if f.type is str else v
        elif f.optional:
            out[f.name] = getattr(rec, f.name) is not None
    return out


def record_identity(rec: DenseLIFRecord) -> dict[str, Any]:
    """The part of :func:`record_json` that is the network as deployed (hashed): no training flags."""
    full = record_json(rec)
    keep = {f.name for f in rec.FIELDS if f.identity and (f.store == "json" or f.optional)}
    if rec.hash_kind:
        keep.add("kind")
    return {k: v for k, v in full.items() if k in keep}


def record_arrays(rec: DenseLIFRecord, index: int) -> dict[str, np.ndarray]:
    """The record's arrays by ``.npz`` name (``weight_0``...); absent optional arrays are left out."""
    out = {}
    for f in array_fields(type(rec)):
        a = getattr(rec, f.name)
        if a is not None:
            out[f"{f.name}_{index}"] = a
    return out


def check_json_fields(cls: type[DenseLIFRecord], obj: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """A record's sidecar object as read (keys already checked): ``(constructor values, dims)``.

    Types are strict (``"frozen": 1`` is refused); dimensions are range-checked here, before any
    array is read. Optional arrays' presence flags come back as ``{name: bool}`` in the values.
    """
    values: dict[str, Any] = {}
    dims: dict[str, int] = {}
    for f in cls.FIELDS:
        if f.dim:
            dims[f.name] = _json_value(f, obj[f.name], (f.name,), strict=True)
        elif f.store == "json":
            values[f.name] = _json_value(f, obj[f.name], (f.name,), strict=True)
        elif f.optional:
            flag = Field(f.name, "json", bool, f.doc)
            values[f.name] = _json_value(flag, obj[f.name], (f.name,), strict=True)
    return values, dims


def declared_array_bytes(cls: type[DenseLIFRecord], dims: Mapping[str, int]) -> int:
    """Most bytes the record's arrays can take with these dimensions (float32, largest shape)."""
    total = 0
    for f in array_fields(cls):
        assert f.shapes is not None
        total += max(math.prod(s) for s in f.shapes(dims)) * np.dtype(f.type).itemsize
    return total


# ------------------------------------------------------------------------------------------------
# The encoder (network level): one table for writing and validation


def _kind_rule(v: Any) -> str | None:
    return None if v in ENCODER_KINDS else f"must be one of {ENCODER_KINDS}, got {v!r}"


def _gain_rule(v: float) -> str | None:
    return None if v > 0 else f"must be > 0, got {v}"


def _floor_rule(v: float) -> str | None:
    return None if 0.0 <= v <= 1.0 else f"must lie in [0, 1] (features are in [0, 1]), got {v}"


#: The encoder object of the sidecar (``scnc.snn.network.EncoderConfig``'s fields); every key required.
ENCODER_FIELDS = (
    Field("kind", "json", str, "rate, latency or direct", rule=_kind_rule),
    Field("seed", "json", int, "seed of the rate encoder's random stream",
          rule=_int_in(0, MAX_SEED - 1, " (seeds are signed 64-bit integers in the IR and the reference model)")),
    Field("gain", "json", float, "rate encoder: spike probability clip(gain * x, 0, 1)", rule=_gain_rule),
    Field("latency_floor", "json", float, "latency encoder: features at or below stay silent", rule=_floor_rule),
)


def check_encoder(enc: Mapping[str, Any], path: Path, *, strict: bool) -> dict[str, Any]:
    """The encoder as a canonical dict (every key of :data:`ENCODER_FIELDS`, canonical types).

    ``strict`` (read from a file): exactly the keys of the table. In memory, missing keys take the
    :class:`~scnc.snn.network.EncoderConfig` defaults.
    """
    if not isinstance(enc, Mapping):
        raise FieldError(path, f"must be an object, got {type(enc).__name__}")
    names = [f.name for f in ENCODER_FIELDS]
    missing = [k for k in names if k not in enc]
    extra = sorted(str(k) for k in enc if k not in names)
    if extra:
        raise FieldError(path + (extra[0],), f"unknown encoder key (unknown: {extra}; known: {names})")
    if missing and strict:
        raise FieldError(path + (missing[0],), f"missing (missing encoder keys: {missing}); every key is required")
    from ..snn.network import EncoderConfig

    defaults = EncoderConfig()
    out = {}
    for f in ENCODER_FIELDS:
        v = enc[f.name] if f.name in enc else getattr(defaults, f.name)
        out[f.name] = _json_value(f, v, path + (f.name,), strict=strict)
    return out

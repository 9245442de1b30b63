"""What a run of a compiled network produced, and where two runs first differ.

One result type for every engine that runs a quantized graph: the reference model (:mod:`scnc.ref`),
the gateware in amaranth.sim (:func:`scnc.rtl.simulate`), the cocotb bench
(:mod:`scnc.verify.scoreboard`) and a board (:mod:`scnc.hil`). Each fills in what it observes and
leaves the rest ``None``; :func:`compare_traces` / :func:`first_divergence` compare two traces with
``==`` over everything both observed. A leaf module: stdlib, numpy and :mod:`scnc.errors` only.

Shapes (``B`` samples, ``T`` time steps, ``n_in`` inputs, ``n_l`` neurons of layer ``l``)::

    input_spikes      uint8  (B, T, n_in)     spikes entering the first layer
    spikes[l]         uint8  (B, T, n_l)      s_i[t] of layer l
    membranes[l]      int64  (B, T, n_l)      membrane after reset (accumulator units)
    saturations[l]    int64  (B,)             clamped (step, neuron) updates of layer l
    counts            int64  (B, n_out)       spikes of the last layer summed over T
    winners           int64  (B,)             arg-max of counts, ties to the lowest index
    predictions             (B,)              class label of each winner
    cycles            int64  (B,)             latency: first input beat to counts beat, inclusive
    output_spikes     uint8  (B, T, n_out)    the output port's spikes, observed apart from spikes[-1]

An array of an observed run may be a :class:`numpy.ma.MaskedArray`: a masked value was expected but
never arrived (a stream that stopped early). It differs from every expected value and is reported
with ``actual = None``.

Order of divergences
--------------------
:func:`first_divergence` returns the smallest divergence by :meth:`Divergence.key`: sample-major,
then step, then layer in graph order (the inputs, layer ``-1``, first), then field, then neuron.
Fields at the same (sample, step, layer): ``input``, ``trace_order``, ``spike``, ``o_data_spike``,
``membrane`` -- a wrong spike is reported before the membrane it came from, because the spike is
what the next layer sees. Per-sample totals sit at ``step = T`` (after the last step):
``saturations`` (at their layer), ``count`` (at the last layer), then ``latency`` (after every layer;
reported with ``layer = -1``). Stream-level fields a checker adds (``trace_order``, ``o_data_last``)
have a place in the same order. ``winners`` and ``predictions`` are functions of ``counts`` and are
not compared (a differing count is the divergence).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import DataError

__all__ = [
    "FIELD_ORDER",
    "Divergence",
    "Trace",
    "TraceDiff",
    "as_trace",
    "compare_traces",
    "first_divergence",
    "label_winners",
    "winners_of",
]

#: Rank of each divergence field at the same (sample, step, layer): the earliest cause first.
FIELD_ORDER: tuple[str, ...] = ("input", "trace_order", "spike", "o_data_spike", "membrane", "saturations",
                                "count", "o_data_last", "latency")
_RANK = {name: k for k, name in enumerate(FIELD_ORDER)}
#: Fields that belong to no layer: ordered after every layer of their step.
_AFTER_LAYERS = frozenset({"latency"})
#: At most this many divergences are kept as examples by :func:`compare_traces` by default.
MAX_EXAMPLES = 20


# ---- Divergence ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Divergence:
    """One value where a run differs from the expectation.

    Members
    -------
    sample, step:
        Sample index and time step (``T`` for per-sample totals: saturations, counts, latency).
    layer:
        Layer index in graph order; ``-1`` for the inputs and for values of no layer (latency).
    neuron:
        Neuron (or input) index; ``-1`` for per-layer totals (saturations, latency).
    field:
        What differs: one of :data:`FIELD_ORDER` (a checker may add others; they sort last).
    expected, actual:
        The two values; ``actual`` is ``None`` when the value never arrived.
    """

    sample: int
    step: int
    layer: int
    neuron: int
    field: str
    expected: int
    actual: int | None

    def key(self) -> tuple[int, int, int, int, int]:
        """Sort key of the documented order: (sample, step, layer, field rank, neuron)."""
        layer = sys.maxsize if self.field in _AFTER_LAYERS else self.layer
        return (self.sample, self.step, layer, _RANK.get(self.field, len(_RANK)), self.neuron)

    def to_dict(self) -> dict[str, Any]:
        """``{"sample", "step", "layer", "neuron", "field", "expected", "actual"}`` (JSON-ready)."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line: ``sample 1, step 2, layer 0, neuron 3: spike expected 1, actual 0``."""
        act = "missing" if self.actual is None else self.actual
        return (f"sample {self.sample}, step {self.step}, layer {self.layer}, neuron {self.neuron}: "
                f"{self.field} expected {self.expected}, actual {act}")

    __str__ = describe


# ---- Trace --------------------------------------------------------------------------------------
def winners_of(counts: np.ndarray) -> np.ndarray:
    """int64 ``(B,)``: arg-max of ``counts`` ``(B, n)`` over the last axis, ties to the lowest index.

    The winner rule of :mod:`scnc.ref`; engines that observe only the counts derive winners with it.
    """
    c = np.asarray(counts)
    if c.ndim != 2 or c.shape[1] == 0:
        raise DataError(f"counts must have shape (batch, n_classes) with n_classes >= 1, got {c.shape}")
    return np.argmax(c, axis=1).astype(np.int64)


def label_winners(winners: np.ndarray, class_labels: Sequence = ()) -> np.ndarray:
    """``class_labels[winners]`` as :mod:`scnc.ref` labels them: int64 for integer labels, an object
    array for other labels, the winners themselves when there are no labels."""
    w = np.asarray(winners, dtype=np.int64)
    if not len(class_labels):
        return w.copy()
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in class_labels):
        labels = np.asarray([int(c) for c in class_labels], dtype=np.int64)
    else:
        labels = np.empty(len(class_labels), dtype=object)
        labels[:] = list(class_labels)
    return labels[w]


def _batch_of(a: np.ndarray | None) -> int | None:
    return None if a is None else int(np.shape(a)[0])


def _equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Exact equality of two optional arrays: same shape, same values, same mask."""
    if a is None or b is None:
        return a is None and b is None
    if np.shape(a) != np.shape(b):
        return False
    ma, mb = np.ma.getmaskarray(a), np.ma.getmaskarray(b)
    if not np.array_equal(ma, mb):
        return False
    keep = ~ma
    return bool(np.array_equal(np.asarray(np.ma.getdata(a))[keep], np.asarray(np.ma.getdata(b))[keep]))


def _take(a: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if a is None else a[idx]


def _cat(parts: list) -> np.ndarray | None:
    if parts[0] is None:
        return None
    if any(np.ma.isMaskedArray(p) for p in parts):
        return np.ma.concatenate(parts, axis=0)
    return np.concatenate(parts, axis=0)


@dataclass(frozen=True, eq=False)
class Trace:
    """What a run of a compiled network produced for a batch of samples. Layers in graph order.

    Constructible with exactly the keyword fields of :class:`scnc.ref.RefResult`; the fields after
    ``predictions`` have defaults. ``None`` (a whole field, or one layer's entry of ``spikes``,
    ``membranes`` or ``saturations``) means "not observed by this engine": a board sees only the
    output layer, a build without a trace port no membranes. ``==`` compares every field exactly
    (arrays with :func:`numpy.array_equal`, masks included).

    Members
    -------
    layer_names:
        Name of each layer.
    input_spikes:
        uint8 ``(B, T, n_in)``: the spikes entering the first layer, or ``None``.
    spikes:
        Per layer, uint8 ``(B, T, n_l)`` or ``None``.
    membranes:
        Per layer, int64 ``(B, T, n_l)``: the membrane after reset at each step (accumulator units),
        or ``None`` (the whole tuple, or one layer's entry).
    saturations:
        Per layer, int64 ``(B,)``: (step, neuron) membrane updates clamped to the membrane range, or
        ``None``.
    counts:
        int64 ``(B, n_classes)``: spikes of the last layer summed over the ``T`` steps.
    winners:
        int64 ``(B,)``: arg-max of ``counts``, ties to the lowest index (:func:`winners_of`).
    predictions:
        ``(B,)``: the class label of each winner (the winners themselves when labels are unknown).
    cycles:
        int64 ``(B,)``: per-sample latency in clock cycles, first accepted input beat to the
        accepted counts beat inclusive; ``None`` for engines without a clock (the reference model).
    output_spikes:
        uint8 ``(B, T, n_out)``: the output port's spikes when a run observes them as a stream of
        their own beside the layers' trace (the RTL benches: ``o_data`` beside ``trace``); ``None``
        otherwise. They must equal the last layer's spikes.
    """

    layer_names: tuple
    input_spikes: np.ndarray | None
    spikes: tuple
    membranes: tuple | None
    saturations: tuple
    counts: np.ndarray
    winners: np.ndarray
    predictions: np.ndarray
    cycles: np.ndarray | None = None
    output_spikes: np.ndarray | None = None

    def __post_init__(self) -> None:
        # cheap structural checks (no copies): every per-layer tuple has one entry per layer, and
        # every array agrees on the batch size
        names = tuple(self.layer_names)
        object.__setattr__(self, "layer_names", names)
        for name in ("spikes", "membranes", "saturations"):
            value = getattr(self, name)
            if value is None:
                if name != "membranes":
                    raise DataError(f"Trace.{name} must be a tuple with one entry per layer, got None")
                continue
            value = tuple(value)
            object.__setattr__(self, name, value)
            if len(value) != len(names):
                raise DataError(f"Trace.{name} has {len(value)} entries for {len(names)} layers {list(names)}")
        batch = _batch_of(self.counts)
        if np.ndim(self.counts) != 2:
            raise DataError(f"Trace.counts must have shape (batch, n_classes), got {np.shape(self.counts)}")
        for name, a in self._arrays():
            if a is not None and _batch_of(a) != batch:
                raise DataError(f"Trace.{name} has {_batch_of(a)} samples, counts has {batch}")

    def _arrays(self) -> Iterable[tuple[str, np.ndarray | None]]:
        """``(name, array)`` of every array field; per-layer entries named ``spikes[l]`` etc."""
        yield "input_spikes", self.input_spikes
        for name in ("spikes", "membranes", "saturations"):
            for li, a in enumerate(getattr(self, name) or ()):
                yield f"{name}[{li}]", a
        for name in ("counts", "winners", "predictions", "cycles", "output_spikes"):
            yield name, getattr(self, name)

    # ---- shape --------------------------------------------------------------------------------
    @property
    def samples(self) -> int:
        """Number of samples ``B``."""
        return int(np.shape(self.counts)[0])

    @property
    def n_layers(self) -> int:
        return len(self.layer_names)

    # ---- equality -----------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        if self.layer_names != other.layer_names or (self.membranes is None) != (other.membranes is None):
            return False
        return all(_equal(a, b) for (_, a), (_, b) in zip(self._arrays(), other._arrays(), strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: not hashable

    # ---- batch operations ---------------------------------------------------------------------
    def select(self, samples: Sequence[int] | np.ndarray | slice) -> "Trace":
        """The same trace restricted to ``samples`` (indices in the given order, or a slice)."""
        idx = samples if isinstance(samples, slice) else np.asarray(samples, dtype=np.int64).reshape(-1)
        if not isinstance(idx, slice) and idx.size and (idx.min() < -self.samples or idx.max() >= self.samples):
            raise DataError(f"sample indices must be in 0..{self.samples - 1}, got {idx.tolist()}")

        def per_layer(t: tuple | None) -> tuple | None:
            return None if t is None else tuple(_take(a, idx) for a in t)

        return Trace(
            layer_names=self.layer_names,
            input_spikes=_take(self.input_spikes, idx),
            spikes=per_layer(self.spikes),
            membranes=per_layer(self.membranes),
            saturations=per_layer(self.saturations),
            counts=self.counts[idx],
            winners=_take(self.winners, idx),
            predictions=_take(self.predictions, idx),
            cycles=_take(self.cycles, idx),
            output_spikes=_take(self.output_spikes, idx),
        )

    @classmethod
    def concat(cls, traces: Sequence["Trace"]) -> "Trace":
        """The traces' samples one after the other.

        Raises
        ------
        DataError
            No traces, or traces of different layers or with different fields observed.
        """
        parts = [as_trace(t) for t in traces]
        if not parts:
            raise DataError("Trace.concat needs at least one trace")
        first = parts[0]
        pattern = [(n, a is None) for n, a in first._arrays()]
        for k, t in enumerate(parts[1:], start=1):
            if t.layer_names != first.layer_names:
                raise DataError(f"Trace.concat: trace {k} has layers {list(t.layer_names)}, "
                                f"trace 0 has {list(first.layer_names)}")
            if [(n, a is None) for n, a in t._arrays()] != pattern or (t.membranes is None) != (first.membranes is None):
                raise DataError(f"Trace.concat: trace {k} observed other fields than trace 0")

        def per_layer(name: str) -> tuple | None:
            if getattr(first, name) is None:
                return None
            return tuple(_cat([getattr(t, name)[li] for t in parts]) for li in range(first.n_layers))

        def whole(name: str) -> np.ndarray | None:
            return _cat([getattr(t, name) for t in parts])

        return cls(
            layer_names=first.layer_names,
            input_spikes=whole("input_spikes"),
            spikes=per_layer("spikes"),
            membranes=per_layer("membranes"),
            saturations=per_layer("saturations"),
            counts=whole("counts"),
            winners=whole("winners"),
            predictions=whole("predictions"),
            cycles=whole("cycles"),
            output_spikes=whole("output_spikes"),
        )

    # ---- flat arrays (for .npz files: no pickle) ----------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Every observed field as named arrays for an ``.npz`` file (loadable without pickle).

        Names: ``layer_names``, ``n_layers``, ``input_spikes``, ``spikes_<l>``, ``membranes_<l>``,
        ``saturations_<l>``, ``counts``, ``winners``, ``predictions``, ``cycles``,
        ``output_spikes``; a masked array also writes ``<name>_mask``. Fields not observed are left
        out. Predictions that are not numbers are written as strings.
        """
        out: dict[str, np.ndarray] = {
            "layer_names": np.array([str(n) for n in self.layer_names], dtype=str),
            "n_layers": np.array(self.n_layers, np.int64),
        }
        for name, a in self._arrays():
            if a is None:
                continue
            key = name.replace("[", "_").rstrip("]")
            if np.ma.isMaskedArray(a):
                out[key + "_mask"] = np.ma.getmaskarray(a).copy()
                a = np.ma.getdata(a)
            a = np.asarray(a)
            if a.dtype == object:
                a = a.astype(str)
            out[key] = a
        return out

    @classmethod
    def from_arrays(cls, arrays: Any, where: str = "trace") -> "Trace":
        """Inverse of :meth:`arrays` (``arrays``: a mapping or an open ``.npz``).

        ``layer_names``, ``winners`` and ``predictions`` may be absent (files written before they
        were stored): layers are then named ``layer<l>``, winners derived from the counts and the
        predictions are the winners.

        Raises
        ------
        DataError
            A required array (``n_layers``, ``counts``, ``spikes_<l>``, ``saturations_<l>``) is
            missing; ``where`` names the file in the message.
        """
        keys = set(arrays.keys()) if hasattr(arrays, "keys") else set(arrays.files)

        def get(key: str, required: bool = False) -> np.ndarray | None:
            if key not in keys:
                if required:
                    raise DataError(f"{where}: array '{key}' is missing")
                return None
            a = np.asarray(arrays[key])
            if key + "_mask" in keys:
                a = np.ma.MaskedArray(a, mask=np.asarray(arrays[key + "_mask"], bool))
            return a

        n = int(np.asarray(get("n_layers", True)).reshape(-1)[0])  # 0-d, or 1-d from _io.npz_bytes
        names_arr = get("layer_names")
        names = tuple(str(v) for v in names_arr) if names_arr is not None else tuple(f"layer{li}" for li in range(n))
        counts = get("counts", True)
        winners = get("winners")
        if winners is None:
            winners = winners_of(counts)
        predictions = get("predictions")
        has_mem = any(f"membranes_{li}" in keys for li in range(n))
        try:
            return cls(
                layer_names=names,
                input_spikes=get("input_spikes"),
                spikes=tuple(get(f"spikes_{li}") for li in range(n)),
                membranes=tuple(get(f"membranes_{li}") for li in range(n)) if has_mem else None,
                saturations=tuple(get(f"saturations_{li}") for li in range(n)),
                counts=counts,
                winners=winners,
                predictions=predictions if predictions is not None else winners,
                cycles=get("cycles"),
                output_spikes=get("output_spikes"),
            )
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None


def as_trace(obj: Any) -> Trace:
    """``obj`` as a :class:`Trace`: itself, or a new Trace of its fields.

    Accepts anything with the attributes of :class:`Trace`'s required fields (e.g. a
    :class:`scnc.ref.RefResult`); optional fields it lacks are ``None``.
    """
    if isinstance(obj, Trace):
        return obj
    kw = {}
    for f in dataclasses.fields(Trace):
        if f.default is dataclasses.MISSING:
            if not hasattr(obj, f.name):
                raise DataError(f"{type(obj).__name__} is not a trace: it has no field '{f.name}'")
            kw[f.name] = getattr(obj, f.name)
        else:
            kw[f.name] = getattr(obj, f.name, f.default)
    return Trace(**kw)


# ---- comparison ---------------------------------------------------------------------------------
@dataclass
class TraceDiff:
    """Result of :func:`compare_traces`.

    Members
    -------
    values_compared:
        Scalars compared with ``==`` (a missing value counts as compared).
    mismatches:
        How many differed (a missing value is a mismatch).
    examples:
        The first ``limit`` divergences in the documented order.
    per_field:
        Mismatches per field name.
    """

    values_compared: int = 0
    mismatches: int = 0
    examples: list = dataclasses.field(default_factory=list)
    per_field: dict = dataclasses.field(default_factory=dict)

    @property
    def first(self) -> Divergence | None:
        """The first divergence, or ``None`` when everything compared was equal."""
        return self.examples[0] if self.examples else None


def _check_shape(name: str, want: np.ndarray, got: np.ndarray) -> None:
    if np.shape(want) != np.shape(got):
        raise DataError(f"cannot compare traces: {name} has shape {np.shape(want)} expected, "
                        f"{np.shape(got)} observed")


def _field_diff(diff: TraceDiff, found: list, field: str, want, got, coords, limit: int) -> None:
    """Compare one array pair; ``coords(index tuple) -> (sample, step, layer, neuron)``.

    ``np.argwhere`` lists indices in C order, which for one (field, layer) is the documented order,
    so its first ``limit`` hits are the only candidates this pair contributes.
    """
    w = np.asarray(want)
    missing = np.ma.getmaskarray(got)
    g = np.asarray(np.ma.getdata(got))
    bad = (g != w) | missing
    total = int(bad.sum())
    diff.values_compared += int(w.size)
    if not total:
        return
    diff.mismatches += total
    diff.per_field[field] = diff.per_field.get(field, 0) + total
    for idx in np.argwhere(bad)[:limit]:
        idx = tuple(int(v) for v in idx)
        b, t, li, i = coords(idx)
        found.append(Divergence(b, t, li, i, field, int(w[idx]), None if missing[idx] else int(g[idx])))


def compare_traces(want: Any, got: Any, *, limit: int = MAX_EXAMPLES) -> TraceDiff:
    """Compare ``got`` with ``want`` (``==``) over every field both observed.

    Parameters
    ----------
    want:
        The expectation (usually :func:`scnc.ref.run`'s result); a :class:`Trace` or convertible
        with :func:`as_trace`.
    got:
        The observation; its arrays may be masked where values never arrived.
    limit:
        How many divergences to keep (the first ones in the documented order), >= 1.

    Compared: ``input_spikes``, per layer ``spikes``, ``membranes`` and ``saturations``, ``counts``,
    ``cycles``, and ``got.output_spikes`` against ``want.output_spikes`` (or, when the expectation
    has none, its last layer's spikes).

    Raises
    ------
    DataError
        The traces are not of the same network and samples (layer names, sample count or an array
        shape differ).
    """
    want, got = as_trace(want), as_trace(got)
    if not (isinstance(limit, int) and limit >= 1):
        raise DataError(f"limit must be an integer >= 1, got {limit!r}")
    if want.layer_names != got.layer_names:
        raise DataError(f"cannot compare traces of different layers: expected {list(want.layer_names)}, "
                        f"observed {list(got.layer_names)}")
    if want.samples != got.samples:
        raise DataError(f"cannot compare traces of {want.samples} and {got.samples} samples "
                        "(select the same samples first)")
    diff = TraceDiff()
    found: list[Divergence] = []
    n_layers = want.n_layers
    last = n_layers - 1
    T = next((np.shape(a)[1] for a in (*want.spikes, want.input_spikes, want.output_spikes) if a is not None), 0)

    def pair(name: str, w, g, coords) -> None:
        if w is None or g is None:
            return
        _check_shape(name, w, g)
        _field_diff(diff, found, name, w, g, coords, limit)

    pair("input", want.input_spikes, got.input_spikes, lambda ix: (ix[0], ix[1], -1, ix[2]))
    w_mem = want.membranes or (None,) * n_layers
    g_mem = got.membranes or (None,) * n_layers
    for li in range(n_layers):
        at = lambda ix, li=li: (ix[0], ix[1], li, ix[2])  # noqa: E731
        pair("spike", want.spikes[li], got.spikes[li], at)
        pair("membrane", w_mem[li], g_mem[li], at)
        pair("saturations", want.saturations[li], got.saturations[li], lambda ix, li=li: (ix[0], T, li, -1))
    w_out = want.output_spikes if want.output_spikes is not None else want.spikes[last]
    pair("o_data_spike", w_out, got.output_spikes, lambda ix: (ix[0], ix[1], last, ix[2]))
    pair("count", want.counts, got.counts, lambda ix: (ix[0], T, last, ix[1]))
    pair("latency", want.cycles, got.cycles, lambda ix: (ix[0], T, -1, -1))
    diff.examples = sorted(found, key=Divergence.key)[:limit]
    return diff


def first_divergence(want: Any, got: Any) -> Divergence | None:
    """The first value where ``got`` differs from ``want``, in the documented order, or ``None``.

    See :func:`compare_traces` for what is compared and the module docstring for the order.
    """
    return compare_traces(want, got, limit=1).first

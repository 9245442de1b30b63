"""The in-memory data set: features in [0, 1], class indices, and where they came from.

Also the two ways of narrowing a data set for transfer learning: keeping a subset of classes
(:func:`select_classes`, :func:`parse_classes`) and keeping a few examples per class
(:func:`few_shot`).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np

from .._io import hash_arrays
from ..errors import ConfigError

__all__ = ["Dataset", "parse_classes", "select_classes", "few_shot", "few_shot_index", "MAX_CLASS_LABELS"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled data set, ready for training or evaluation.

    Parameters
    ----------
    x:
        float32 array ``(n, n_features)``, every value in [0, 1] (read-only).
    y:
        int64 array ``(n,)``: the index of each example's class in ``classes`` (read-only).
    classes:
        The original labels, ascending: ``y == i`` means label ``classes[i]``. For example
        ``(5, 6, 7, 8, 9)`` after keeping the digits 5..9.
    name:
        Data set name (``"digits"``, ``"optdigits"``, ``"mnist"``, ``"fashion-mnist"``).
    split:
        ``"train"`` or ``"test"``.
    image_shape:
        ``(rows, cols)`` of one example as an image, ``rows * cols == n_features``.
    shots:
        Total number of examples kept by few-shot selection, ``None`` when all were kept.
    seed:
        Seed of the few-shot selection, ``None`` when no selection was made.
    sources:
        ``(file name, sha256)`` of every file the data was read from; empty for bundled data.
    """

    x: np.ndarray
    y: np.ndarray
    classes: tuple[int, ...]
    name: str
    split: str
    image_shape: tuple[int, int]
    shots: int | None = None
    seed: int | None = None
    sources: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        x = np.ascontiguousarray(self.x, dtype=np.float32)
        y = np.ascontiguousarray(self.y)
        if x.ndim != 2:
            raise ConfigError(f"dataset '{self.name}': x must be 2-D (n, n_features), got shape {x.shape}")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ConfigError(f"dataset '{self.name}': y must have shape ({x.shape[0]},), got {y.shape}")
        if y.size and not np.issubdtype(y.dtype, np.integer):
            raise ConfigError(f"dataset '{self.name}': y must hold integers, got dtype {y.dtype}")
        y = y.astype(np.int64, copy=False)
        classes = tuple(int(c) for c in self.classes)
        if list(classes) != sorted(set(classes)):
            raise ConfigError(f"dataset '{self.name}': classes must be unique and ascending, got {classes}")
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise ConfigError(
                f"dataset '{self.name}': y must index classes (0..{len(classes) - 1}), "
                f"got values {int(y.min())}..{int(y.max())}"
            )
        if x.size and not (np.all(x >= 0.0) and np.all(x <= 1.0)):
            raise ConfigError(f"dataset '{self.name}': x must lie in [0, 1] (NaN is not allowed)")
        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) != 2 or shape[0] * shape[1] != x.shape[1]:
            raise ConfigError(
                f"dataset '{self.name}': image_shape {self.image_shape} does not hold {x.shape[1]} features"
            )
        if self.split not in ("train", "test"):
            raise ConfigError(f"dataset '{self.name}': split must be 'train' or 'test', got {self.split!r}")
        # Own the arrays: never flip the caller's array to read-only.
        if x is self.x and x.flags.writeable:
            x = x.copy()
        if y is self.y and y.flags.writeable:
            y = y.copy()
        x.flags.writeable = False
        y.flags.writeable = False
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "sources", tuple((str(a), str(b)) for a, b in self.sources))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def n(self) -> int:
        """Number of examples."""
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features (input neurons)."""
        return int(self.x.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (output neurons)."""
        return len(self.classes)

    def counts(self) -> dict[int, int]:
        """Examples per original label."""
        per = np.bincount(self.y, minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, per)}

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 of the arrays and classes (:func:`scnc._io.hash_arrays`): what is trained on."""
        return hash_arrays({"x": self.x, "y": self.y}, extra={"classes": list(self.classes)})

    def identity(self) -> dict[str, Any]:
        """A JSON-ready description for checkpoint provenance.

        Keys: ``name``, ``split``, ``classes``, ``shots``, ``seed``, ``n``, ``sha256`` (of the
        arrays, see :attr:`sha256`) and ``sources`` (file name -> sha256 of the file read).
        """
        return {
            "name": self.name,
            "split": self.split,
            "classes": list(self.classes),
            "shots": self.shots,
            "seed": self.seed,
            "n": self.n,
            "sha256": self.sha256,
            "sources": {name: digest for name, digest in self.sources},
        }

    def subset(self, index: np.ndarray) -> "Dataset":
        """The examples at ``index`` (classes, name and provenance kept)."""
        index = np.asarray(index, dtype=np.int64)
        return replace(self, x=self.x[index], y=self.y[index])


#: The most labels a class list may name. No data set scnc loads has more than a few dozen classes;
#: the bound is checked before a range is expanded, so ``"0-999999999999"`` is an error, not a MemoryError.
MAX_CLASS_LABELS = 1 << 16

_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_SINGLE = re.compile(r"^\s*(\d+)\s*$")


def parse_classes(spec: str) -> list[int]:
    """Parse a class list such as ``"0-4"`` or ``"1,3,5-7"`` into sorted unique labels.

    Ranges are inclusive. Raises :class:`~scnc.errors.ConfigError` for an empty spec, a part that is
    not a non-negative integer or ``a-b`` range, a descending range (``"5-3"``), a label given twice,
    or more than :data:`MAX_CLASS_LABELS` labels in all.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"class list is empty: expected e.g. '0-4' or '1,3,5-7', got {spec!r}")
    labels: list[int] = []
    for part in spec.split(","):
        m = _RANGE.match(part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise ConfigError(f"class range {part.strip()!r} is descending: write '{hi}-{lo}'")
            if len(labels) + (hi - lo + 1) > MAX_CLASS_LABELS:
                raise ConfigError(f"class list {_shown(spec)}: names more than {MAX_CLASS_LABELS} labels "
                                  f"(range {part.strip()!r} alone has {hi - lo + 1})")
            labels.extend(range(lo, hi + 1))
            continue
        m = _SINGLE.match(part)
        if m:
            if len(labels) >= MAX_CLASS_LABELS:
                raise ConfigError(f"class list {_shown(spec)}: names more than {MAX_CLASS_LABELS} labels")
            labels.append(int(m.group(1)))
            continue
        raise ConfigError(
            f"class list {_shown(spec)}: part {_shown(part.strip())} is not a label or a range 'a-b' of "
            "non-negative integers"
        )
    if len(set(labels)) != len(labels):
        dup = sorted(c for c, n in Counter(labels).items() if n > 1)
        raise ConfigError(f"class list {_shown(spec)} names labels {dup[:10]}{' ...' if len(dup) > 10 else ''} "
                          "more than once")
    return sorted(labels)


def _shown(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut to ``limit`` characters so a pasted blob does not flood the message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def select_classes(ds: Dataset, classes: Iterable[int] | str) -> Dataset:
    """Keep only the examples whose original label is in ``classes``.

    ``classes`` is a list of original labels (or a :func:`parse_classes` string); it is sorted
    ascending and ``y`` is remapped to the index in that sorted list. Every label must occur in
    ``ds``. Example order is kept.
    """
    wanted = parse_classes(classes) if isinstance(classes, str) else _as_labels(classes)
    present = set(ds.classes)
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ConfigError(f"dataset '{ds.name}' has no class {missing}; its labels are {list(ds.classes)}")
    labels = np.asarray(ds.classes, dtype=np.int64)[ds.y]
    keep = np.isin(labels, wanted)
    new_y = np.searchsorted(np.asarray(wanted, dtype=np.int64), labels[keep])
    return replace(ds, x=ds.x[keep], y=new_y.astype(np.int64), classes=tuple(wanted))


def _as_labels(classes: Iterable[int]) -> list[int]:
    out: list[int] = []
    for c in classes:
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)) or c < 0:
            raise ConfigError(f"class labels must be non-negative integers, got {c!r}")
        out.append(int(c))
    if not out:
        raise ConfigError("class list is empty")
    if len(set(out)) != len(out):
        raise ConfigError(f"class list {out} names a label more than once")
    return sorted(out)


def few_shot(
    ds: Dataset, *, per_class: int | None = None, total: int | None = None, seed: int = 0
) -> Dataset:
    """Keep a few examples of every class, chosen at random with an explicit ``seed``.

    The examples kept are ``ds.subset(few_shot_index(ds, ...))``; the result records ``shots`` and
    ``seed``.
    """
    index = few_shot_index(ds, per_class=per_class, total=total, seed=seed)
    return replace(ds.subset(index), shots=int(index.size), seed=int(seed))


def few_shot_index(
    ds: Dataset, *, per_class: int | None = None, total: int | None = None, seed: int = 0
) -> np.ndarray:
    """The sorted indices into ``ds`` of the examples :func:`few_shot` keeps (int64).

    Give exactly one of:

    per_class:
        Keep this many examples of every class.
    total:
        Keep ``total`` examples in all, balanced: ``total // k`` per class for ``k`` classes, and
        one more for each of the ``total % k`` lowest classes (in ``ds.classes`` order).

    Selection: one ``numpy.random.default_rng(seed)``; for each class in order, a permutation of
    that class's examples (in data order) is drawn and its first ``m`` entries are kept. The
    permutations do not depend on ``m``, so with the same seed a smaller selection is a subset of a
    larger one. The result keeps data order. A class with fewer than ``m`` examples is a
    :class:`~scnc.errors.ConfigError`.
    """
    if (per_class is None) == (total is None):
        raise ConfigError("few_shot: give exactly one of per_class or total")
    k = ds.n_classes
    if per_class is not None:
        _check_count("per_class", per_class)
        wanted = [int(per_class)] * k
    else:
        assert total is not None
        _check_count("total (shots)", total)
        base, rem = divmod(int(total), k)
        wanted = [base + (1 if i < rem else 0) for i in range(k)]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"few_shot: seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    chosen = []
    for i, m in enumerate(wanted):
        idx = np.flatnonzero(ds.y == i)
        order = rng.permutation(idx.size)
        if m > idx.size:
            raise ConfigError(
                f"few_shot: class {ds.classes[i]} of dataset '{ds.name}' ({ds.split}) has {idx.size} "
                f"examples, {m} requested"
            )
        chosen.append(idx[order[:m]])
    return np.sort(np.concatenate(chosen)).astype(np.int64) if chosen else np.zeros(0, np.int64)


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"few_shot: {name} must be a positive integer, got {value!r}")


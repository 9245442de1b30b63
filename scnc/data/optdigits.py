"""The 8x8 handwritten digits: scikit-learn's bundled copy and the UCI optdigits files.

Both hold 64 features, each a count 0..16 of set pixels in a 4x4 block of a 32x32 bitmap;
``x = count / 16``. scikit-learn's ``load_digits`` is exactly the UCI ``optdigits.tes`` file (1797
examples, same order), so it needs no download but has no separate writers for a test split:
:func:`load_digits_split` makes a fixed stratified split of it (see there).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .._io import MAX_ARRAY_BYTES_ENV, max_array_bytes
from ..errors import DataError
from .dataset import Dataset

__all__ = ["load_digits_split", "load_optdigits", "read_optdigits_file", "DIGITS_TEST_SIZE", "DIGITS_SPLIT_SEED"]

#: Examples in the test part of the bundled ``digits`` split (30 % of 1797, rounded up).
DIGITS_TEST_SIZE = 540
#: Seed of the bundled ``digits`` split. Fixed: every user gets the same train/test split.
DIGITS_SPLIT_SEED = 0

OPTDIGITS_FILES = {"train": "optdigits.tra", "test": "optdigits.tes"}
_N_FEATURES = 64
_MAX_COUNT = 16


def stratified_split(y: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` of a stratified split with exactly ``n_test`` test examples.

    Class ``c`` with ``n_c`` examples gets ``n_test * n_c / n`` test examples, rounded by largest
    remainder (ties to the lower label). Within a class, one permutation per class (classes in
    ascending order) from ``numpy.random.default_rng(seed)``; its first entries go to test.
    Both index arrays are ascending.
    """
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    exact = n_test * counts / y.size
    alloc = np.floor(exact).astype(np.int64)
    short = n_test - int(alloc.sum())
    order = np.argsort(-(exact - alloc), kind="stable")
    alloc[order[:short]] += 1
    rng = np.random.default_rng(seed)
    test = []
    for label, t in zip(labels, alloc):
        idx = np.flatnonzero(y == label)
        test.append(idx[rng.permutation(idx.size)[:t]])
    test_idx = np.sort(np.concatenate(test))
    mask = np.ones(y.size, dtype=bool)
    mask[test_idx] = False
    return np.flatnonzero(mask), test_idx


def load_digits_split(split: str) -> Dataset:
    """scikit-learn's bundled digits, split 1257 train / 540 test.

    The split is stratified by class and fixed (seed :data:`DIGITS_SPLIT_SEED`, independent of any
    few-shot seed), made by :func:`stratified_split`, so it does not change with the scikit-learn
    version. The digits' writers are not separated by this split; use ``optdigits`` (train on
    ``optdigits.tra``, test on ``optdigits.tes``: disjoint writers) for honest test numbers.
    """
    from sklearn.datasets import load_digits

    raw = load_digits()
    counts = np.asarray(raw.data)
    y = np.asarray(raw.target, dtype=np.int64)
    train_idx, test_idx = stratified_split(y, DIGITS_TEST_SIZE, DIGITS_SPLIT_SEED)
    idx = train_idx if split == "train" else test_idx
    x = (counts[idx] / _MAX_COUNT).astype(np.float32)
    return Dataset(x=x, y=y[idx], classes=tuple(range(10)), name="digits", split=split, image_shape=(8, 8))


def read_optdigits_file(path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Parse one UCI optdigits CSV file strictly.

    Every non-empty line must hold 65 comma-separated integers: 64 counts in 0..16, then the label
    in 0..9. Only trailing empty lines are allowed.

    Returns
    -------
    counts, labels, sha256:
        uint8 ``(n, 64)``, int64 ``(n,)``, and the SHA-256 of the file's bytes.

    Raises
    ------
    DataError
        Naming the file and line of the first problem.
    """
    limit = max_array_bytes()
    try:
        size = path.stat().st_size
        if size > limit:
            raise DataError(f"{path}: file is {size} bytes; the limit is {limit} (set {MAX_ARRAY_BYTES_ENV} to raise it)")
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not an ASCII CSV file ({exc})") from exc
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError(f"{path}: file holds no examples")
    rows = np.zeros((len(lines), _N_FEATURES + 1), dtype=np.int64)
    for i, line in enumerate(lines):
        lineno = i + 1
        fields = line.split(",")
        if len(fields) != _N_FEATURES + 1:
            raise DataError(
                f"{path}, line {lineno}: expected {_N_FEATURES + 1} comma-separated values "
                f"(64 features + label), got {len(fields)}"
            )
        for j, f in enumerate(fields):
            f = f.strip()
            # At most two ASCII digits before int(): a field of 5,000 digits would make int() raise
            # (Python's digit limit) and one of 20 would overflow the int64 row.
            if not (f.isascii() and f.isdigit()) or len(f) > 2:
                what = "a label 0..9" if j == _N_FEATURES else f"a feature count 0..{_MAX_COUNT}"
                shown = f if len(f) <= 20 else f[:20] + "..."
                raise DataError(f"{path}, line {lineno}, column {j + 1}: {shown!r} is not {what} (a small integer)")
            rows[i, j] = int(f)
        bad = np.flatnonzero(rows[i, :_N_FEATURES] > _MAX_COUNT)
        if bad.size:
            j = int(bad[0])
            raise DataError(
                f"{path}, line {lineno}, column {j + 1}: feature {rows[i, j]} is out of range 0..{_MAX_COUNT}"
            )
        if rows[i, _N_FEATURES] > 9:
            raise DataError(f"{path}, line {lineno}, column 65: label {rows[i, _N_FEATURES]} is out of range 0..9")
    return rows[:, :_N_FEATURES].astype(np.uint8), rows[:, _N_FEATURES].copy(), digest


def find_optdigits_file(data_dir: Path, split: str) -> Path:
    """``data_dir/<file>`` or ``data_dir/optdigits/<file>``; DataError listing both when absent."""
    name = OPTDIGITS_FILES[split]
    candidates = [data_dir / name, data_dir / "optdigits" / name]
    for c in candidates:
        if c.is_file():
            return c
    raise DataError(f"optdigits {split} file not found; looked for: {', '.join(str(c) for c in candidates)}")


def load_optdigits(split: str, data_dir: Path) -> Dataset:
    """The UCI optdigits ``split``: ``optdigits.tra`` (3823, train) or ``optdigits.tes`` (1797, test)."""
    path = find_optdigits_file(data_dir, split)
    counts, labels, digest = read_optdigits_file(path)
    x = counts.astype(np.float32) / np.float32(_MAX_COUNT)
    classes = tuple(int(c) for c in np.unique(labels))
    y = np.searchsorted(np.asarray(classes), labels).astype(np.int64)
    return Dataset(
        x=x, y=y, classes=classes, name="optdigits", split=split, image_shape=(8, 8), sources=((path.name, digest),)
    )

"""One entry point for every data set: :func:`load_dataset`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..errors import ConfigError
from .dataset import Dataset, few_shot, select_classes
from .idx import load_idx_dataset
from .optdigits import load_digits_split, load_optdigits

__all__ = ["load_dataset", "DATASETS", "SPLITS"]

#: Data set names :func:`load_dataset` knows, and whether each needs ``data_dir``.
DATASETS: dict[str, bool] = {
    "digits": False,
    "optdigits": True,
    "mnist": True,
    "fashion-mnist": True,
}

#: The splits every data set has (digits: a fixed seeded stratified split; the others their own files).
SPLITS: tuple[str, ...] = ("train", "test")


def load_dataset(
    name: str = "digits",
    *,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    classes: Iterable[int] | str | None = None,
    shots: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a data set, optionally keeping some classes and a few examples of each.

    Parameters
    ----------
    name:
        ``"digits"``: scikit-learn's bundled 8x8 digits (no files needed), a fixed stratified split
        of 1257 train / 540 test examples (seed 0 always, see
        :func:`scnc.data.optdigits.load_digits_split`). ``"optdigits"``: the UCI files
        ``optdigits.tra`` (train, 3823) / ``optdigits.tes`` (test, 1797) from ``data_dir`` or
        ``data_dir/optdigits``. ``"mnist"`` / ``"fashion-mnist"``: IDX files (raw or ``.gz``)
        from ``data_dir`` (see :mod:`scnc.data.idx`). Features are scaled to [0, 1]
        (counts / 16, pixels / 255).
    split:
        ``"train"`` or ``"test"``.
    data_dir:
        Folder holding the files; required for every data set except ``digits``.
    classes:
        Original labels to keep (list, or a string such as ``"5-9"``, see
        :func:`~scnc.data.parse_classes`). They are sorted ascending and ``y`` becomes the index
        into that sorted list. ``None`` keeps every label present.
    shots:
        Keep this many examples in total, balanced across classes (see
        :func:`~scnc.data.few_shot` with ``total``). ``None`` keeps all.
    seed:
        Seed of the few-shot selection only (the data set split never depends on it).

    Raises
    ------
    ConfigError
        Unknown name or split, missing ``data_dir``, bad class list, too few examples for ``shots``.
    DataError
        Missing or malformed files (the message names the file and, for CSV, the line).
    """
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")
    if DATASETS[name]:
        if data_dir is None:
            raise ConfigError(f"dataset {name!r} is read from files: give data_dir (the folder holding them)")
        folder = Path(data_dir)
        if not folder.is_dir():
            raise ConfigError(f"data_dir {str(folder)!r} is not a folder")
    if name == "digits":
        ds = load_digits_split(split)
    elif name == "optdigits":
        ds = load_optdigits(split, folder)
    else:
        ds = load_idx_dataset(name, split, folder)
    if classes is not None:
        ds = select_classes(ds, classes)
    if shots is not None:
        ds = few_shot(ds, total=shots, seed=seed)
    return ds

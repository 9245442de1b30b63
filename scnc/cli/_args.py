"""Argument types for the CLI: every value is checked when it is parsed, before anything is loaded,
trained or allocated, and a bad one is an argparse error (exit 2) that names the option and the value.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Callable

__all__ = [
    "integer",
    "number",
    "hidden_sizes",
    "checkpoint_output",
    "file_output",
    "folder_output",
    "verilog_identifier",
]

_Error = argparse.ArgumentTypeError


def _shown(text: str, limit: int = 40) -> str:
    """``repr(text)`` cut to ``limit`` characters (a pasted blob must not flood the message)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _shown_path(path: object, limit: int = 200) -> str:
    """A path for a message: whole up to ``limit`` characters, else its head and its tail."""
    text = str(path)
    return repr(text) if len(text) <= limit else f"'{text[:80]}...{text[-80:]}' ({len(text)} characters)"


def _bounds(lo: float | None, hi: float | None, lo_open: bool) -> str:
    """`` in [lo, hi]``, `` > lo``, ... (with its leading space), or ``""`` when unbounded."""
    if lo is not None and hi is not None:
        return f" in {'(' if lo_open else '['}{lo:g}, {hi:g}]"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo:g}"
    return f" <= {hi:g}" if hi is not None else ""


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An ``int`` type for argparse, within ``[lo, hi]`` (either bound may be ``None``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise _Error(f"expected an integer{_bounds(lo, hi, False)}, got {_shown(text)}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _Error(f"must be an integer{_bounds(lo, hi, False)}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Callable[[str], float]:
    """A finite ``float`` type for argparse, within ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``).

    NaN and infinities are always refused: no option of scnc means anything by them, and NaN
    passes every ``<`` comparison silently (``--min-accuracy nan`` used to check nothing).
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise _Error(f"expected a number{_bounds(lo, hi, lo_open)}, got {_shown(text)}") from None
        bad = not math.isfinite(value)
        bad = bad or (lo is not None and (value <= lo if lo_open else value < lo))
        bad = bad or (hi is not None and value > hi)
        if bad:
            raise _Error(f"must be a finite number{_bounds(lo, hi, lo_open)}, got {_shown(text)}")
        return value

    parse.__name__ = "number"
    return parse


def feature_window(text: str) -> tuple[float, float]:
    """``"0,1"`` -> ``(0.0, 1.0)``: an encoder's feature window ``LO,HI`` with ``0 <= LO < HI``, both finite."""
    parts = text.split(",")
    try:
        lo, hi = (float(v) for v in parts)
    except ValueError:
        raise _Error(f"expected LO,HI (two numbers, e.g. '0,1'), got {_shown(text)}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo < hi):
        raise _Error(f"expected finite LO,HI with 0 <= LO < HI, got {_shown(text)}")
    return lo, hi


def hidden_sizes(text: str) -> tuple[int, ...]:
    """``"256,128"`` -> ``(256, 128)``; ``""`` -> ``()`` (no hidden layer).

    Every item must be an integer >= 1: an empty item (``"10,,5"``) is refused, not skipped.
    The network's total size is bounded later, against the memory it needs (:mod:`._limits`).
    """
    if not text.strip():
        return ()
    sizes = []
    for i, item in enumerate(text.split(","), start=1):
        try:
            size = int(item)
        except ValueError:
            what = "is empty" if not item.strip() else f"is {_shown(item.strip())}"
            raise _Error(f"expected comma-separated integers like '128' or '256,128', but item {i} {what} "
                         f"in {_shown(text)}") from None
        if size < 1:
            raise _Error(f"layer sizes must be >= 1, but item {i} is {size} in {_shown(text)}")
        sizes.append(size)
    return tuple(sizes)


def _check_creatable(path: Path) -> None:
    """Refuse a path that cannot be created because an existing ancestor is a file, not a folder."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            if not parent.is_dir():
                raise _Error(f"cannot write {_shown_path(path)}: {_shown_path(parent)} is a file, not a folder")
            return


def _nonempty_path(text: str) -> Path:
    if not text.strip():
        raise _Error("the output path is empty; name a file or folder, e.g. -o out/")
    if "\0" in text:
        raise _Error(f"the output path {_shown_path(text)} contains a NUL character")
    return Path(text)


def checkpoint_output(text: str) -> Path:
    """``-o`` of a checkpoint (``<stem>.npz`` + ``<stem>.json``): a path both files can be written to."""
    from ..transfer.checkpoint import checkpoint_paths

    path = _nonempty_path(text)
    for file in checkpoint_paths(path):
        _check_creatable(file)
        if file.is_dir():
            raise _Error(f"{_shown_path(file)} is a folder; a checkpoint is written as two files "
                         "(<name>.npz + <name>.json), give a file name")
    return path


def file_output(text: str) -> Path:
    """``-o`` of a single file (e.g. a ``.nir`` graph): a path a file can be written to, not a folder."""
    path = _nonempty_path(text)
    _check_creatable(path)
    if path.is_dir():
        raise _Error(f"{_shown_path(path)} is a folder; give a file name")
    return path


def folder_output(text: str) -> Path:
    """``-o`` of a command that writes a folder: not an existing file, and creatable."""
    path = _nonempty_path(text)
    _check_creatable(path)
    if path.exists() and not path.is_dir():
        raise _Error(f"{_shown_path(text)} exists and is a file; this command writes a folder, name a new one")
    return path


def verilog_identifier(text: str) -> str:
    """``--top``: the manifest's rule for a top module name (:func:`scnc.manifest.check_top_name`: a
    plain Verilog identifier of at most 128 characters, not a keyword), checked while parsing.

    The name is pasted into the Verilog, file names and yosys scripts, so escaped identifiers and
    anything else are refused.
    """
    from ..manifest import check_top_name  # a leaf (numpy + stdlib): cheap at parse time
    from ..errors import BuildError

    try:
        return check_top_name(text, where="--top")
    except BuildError as e:
        raise _Error(str(e).split(": ", 1)[-1]) from None

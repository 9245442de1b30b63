"""Small file helpers every stage uses: atomic writes, canonical JSON, content hashes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_json",
    "hash_arrays",
    "npz_bytes",
    "read_json",
    "JSONLimitError",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
]

#: Largest JSON file (sidecar, ir.json, manifest.json) scnc reads, in bytes. Real ones are < 1 MiB.
MAX_JSON_BYTES = 64 << 20
#: Deepest nesting of arrays/objects scnc reads; its own files nest fewer than 10 levels.
MAX_JSON_DEPTH = 64


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    A crash leaves either the old file or the new one, never a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write UTF-8 text (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and fixed separators: the same object always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=True, allow_nan=False) + "\n"


def hash_arrays(arrays: Mapping[str, np.ndarray], extra: Any = None) -> str:
    """SHA-256 over named arrays (name, dtype, shape, bytes in C order) and optional JSON ``extra``.

    Independent of dict order and of the container format, so it survives a save/load round trip.
    """
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(a.dtype.str).encode())
        h.update(repr(tuple(a.shape)).encode())
        h.update(a.tobytes())
    if extra is not None:
        h.update(json.dumps(extra, sort_keys=True, separators=(",", ":")).encode())
    return h.hexdigest()


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Serialize arrays to .npz bytes deterministically (fixed member order and timestamps)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            a = np.ascontiguousarray(arrays[name])
            if a.dtype == object:
                raise TypeError(f"array '{name}' has dtype object; only numeric arrays are stored")
            member = io.BytesIO()
            np.lib.format.write_array(member, a, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


class JSONLimitError(ValueError):
    """A JSON document is larger or deeper than scnc reads, or not valid JSON (message says which)."""


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` in ``text``, outside strings (linear, no recursion)."""
    depth = deepest = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def read_json(
    path: str | os.PathLike, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """Read a JSON file scnc wrote (or a user edited), refusing what could exhaust memory or the stack.

    The size is checked from the file's metadata before it is read; the nesting depth by a linear
    scan before parsing (Python's parser recurses and would raise ``RecursionError``). A UTF-8 byte
    order mark is accepted. ``NaN``/``Infinity`` literals are refused (scnc never writes them).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        As ``open`` raises them.
    JSONLimitError
        Too large, too deep, not UTF-8, or not valid JSON; the message says which (callers wrap it
        into their own error naming the file).
    """
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise JSONLimitError(f"is {size} bytes; scnc reads JSON files of at most {max_bytes} bytes")
    raw = path.read_bytes()[: max_bytes + 1]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise JSONLimitError(f"is not UTF-8 text ({e.reason} at byte {e.start})") from None
    depth = _json_depth(text)
    if depth > max_depth:
        raise JSONLimitError(f"nests {depth} levels deep; scnc reads JSON nested at most {max_depth} levels")

    def _no_constants(name: str) -> Any:
        raise JSONLimitError(f"holds {name}, which is not valid JSON")

    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise JSONLimitError(f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None

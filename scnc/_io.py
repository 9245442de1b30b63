"""Small file helpers every stage uses: atomic writes, canonical JSON, content hashes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "canonical_json", "hash_arrays", "npz_bytes"]


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

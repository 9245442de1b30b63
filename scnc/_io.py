"""Small file helpers every stage uses: atomic writes, canonical JSON, content hashes."""

from __future__ import annotations

import hashlib
import math
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
            a = np.asarray(arrays[name])
            a = a if a.flags.c_contiguous else a.copy(order="C")  # keeps 0-d arrays 0-d
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

    def _finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise JSONLimitError(f"holds the number {literal[:40]}, which overflows a float")
        return value

    try:
        return json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise JSONLimitError(f"is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:  # e.g. an integer literal longer than Python converts (sys.int_info)
        raise JSONLimitError(f"holds a value scnc cannot read: {str(e)[:200]}") from None


# ------------------------------------------------------------------------------------------------
# Bounded array reading (.npz archives, compressed data files)

#: Default largest total of array bytes scnc reads from one file (uncompressed), in bytes: 1 GiB.
#: The largest network scnc can put on an FPGA holds a few MB of float32 weights and MNIST's
#: biggest IDX file inflates to 47 MB, so this is generous; it exists so that a small crafted file
#: that declares (or inflates to) many GiB is refused before memory is allocated.
MAX_ARRAY_BYTES = 1 << 30
#: Environment variable overriding :data:`MAX_ARRAY_BYTES` (a positive integer number of bytes).
MAX_ARRAY_BYTES_ENV = "SCNC_MAX_ARRAY_BYTES"

__all__ += ["read_npz", "NPZError", "MAX_ARRAY_BYTES", "MAX_ARRAY_BYTES_ENV", "max_array_bytes"]


class NPZError(ValueError):
    """An ``.npz`` archive is unreadable, unsafe or too large.

    ``member`` is the array name (the member without ``.npy``) the problem was found in, or
    ``None`` for problems of the whole archive; the message says what is wrong.
    """

    def __init__(self, member: str | None, message: str) -> None:
        self.member = member
        super().__init__(message)


def max_array_bytes(max_bytes: int | None = None) -> int:
    """The array byte limit in force: ``max_bytes`` if given, else ``$SCNC_MAX_ARRAY_BYTES``, else
    :data:`MAX_ARRAY_BYTES`.

    Raises
    ------
    ConfigError
        ``max_bytes`` or the environment variable is not a positive integer.
    """
    from .errors import ConfigError

    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
            raise ConfigError(f"max_bytes must be a positive integer number of bytes, got {max_bytes!r}")
        return int(max_bytes)
    text = os.environ.get(MAX_ARRAY_BYTES_ENV)
    if text is None or not text.strip():
        return MAX_ARRAY_BYTES
    try:
        value = int(text.strip(), 10)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"environment variable {MAX_ARRAY_BYTES_ENV}={text!r}: expected a positive integer number of bytes")
    return value


def _npy_header(fp: Any, member: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from the ``.npy`` header at the start of ``fp`` (bounded read)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:
            raise NPZError(member, f"unsupported .npy format version {version} (scnc reads 1.0 and 2.0)")
    except NPZError:
        raise
    except Exception as exc:  # untrusted bytes: any parse failure is a bad header
        raise NPZError(member, f"bad .npy header ({type(exc).__name__}: {exc})") from None
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise NPZError(member, f"bad .npy header: shape {shape!r} is not a tuple of non-negative integers")
    return tuple(shape), bool(fortran), dtype


def read_npz(path: str | os.PathLike, *, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, read with the sizes checked before anything is inflated.

    For each member the zip directory's declared uncompressed size and then the ``.npy`` header's
    ``shape x itemsize`` are checked against the limit (and against each other) *before* the data
    is read; the data is then read with exactly that many bytes requested, so a member that
    inflates further is never expanded. Pickled data is never loaded: object (and any
    pickle-needing) dtypes are refused from the header. The zip CRC of every member is verified.

    Parameters
    ----------
    path:
        The archive.
    max_bytes:
        Largest total of uncompressed member bytes accepted; default :func:`max_array_bytes`
        (``$SCNC_MAX_ARRAY_BYTES`` or 1 GiB).

    Returns
    -------
    dict
        Array name (member name without ``.npy``) -> writable array in native layout as stored.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        As ``open`` raises them.
    NPZError
        Not a zip archive, a member that is not ``name.npy`` or appears twice, a bad ``.npy``
        header, an object dtype, declared sizes above the limit or inconsistent with the header,
        truncated or corrupt (CRC) data; ``member`` names the array.
    ConfigError
        The limit (argument or environment variable) is not a positive integer.
    """
    import zipfile

    limit = max_array_bytes(max_bytes)
    with open(path, "rb") as f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
            raise NPZError(None, f"not a readable .npz (zip) archive ({type(exc).__name__}: {exc})") from None
        with zf:
            infos = zf.infolist()
            names: list[str] = []
            declared = 0
            for info in infos:
                name = info.filename
                if not name.endswith(".npy") or len(name) == 4:
                    raise NPZError(name, "archive member is not a '<name>.npy' array")
                names.append(name[:-4])
                declared += info.file_size
            if len(set(names)) != len(names):
                dup = sorted({n for n in names if names.count(n) > 1})
                raise NPZError(dup[0], "appears more than once in the archive")
            if declared > limit:
                raise NPZError(
                    None,
                    f"members declare {declared} uncompressed bytes; the limit is {limit} "
                    f"(raise it with {MAX_ARRAY_BYTES_ENV} if the file is trusted)",
                )
            out: dict[str, np.ndarray] = {}
            for name, info in zip(names, infos):
                out[name] = _read_member(zf, info, name)
            return out


def _read_member(zf: Any, info: Any, name: str) -> np.ndarray:
    import zipfile
    import zlib

    try:
        with zf.open(info) as fp:
            shape, fortran, dtype = _npy_header(fp, name)
            if dtype.hasobject:
                raise NPZError(name, f"holds an object array (dtype {dtype}, pickled data); refused")
            if dtype.itemsize == 0:
                raise NPZError(name, f"dtype {dtype} has zero-sized items")
            count = 1
            for d in shape:
                count *= d
            nbytes = count * dtype.itemsize
            header_len = fp.tell()
            if header_len + nbytes != info.file_size:
                raise NPZError(
                    name,
                    f"the .npy header declares {nbytes} data bytes (shape {shape}, dtype {dtype.str}) but the "
                    f"archive declares {info.file_size - header_len}",
                )
            buf = np.empty(nbytes, np.uint8)
            view = memoryview(buf)
            got = 0
            while got < nbytes:
                n = fp.readinto(view[got:])
                if not n:
                    raise NPZError(name, f"truncated: {got} of {nbytes} data bytes")
                got += n
            if fp.read(1):  # also makes zipfile check the CRC at the end of the member
                raise NPZError(name, "bytes after the array data")
    except NPZError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, zlib.error) as exc:
        raise NPZError(name, f"corrupt archive member ({type(exc).__name__}: {exc})") from None
    order = "F" if fortran else "C"
    return buf.view(dtype).reshape(shape, order=order)


"""MNIST and Fashion-MNIST from IDX files (gzip-compressed or raw), parsed without third-party code.

IDX layout (big-endian)::

    offset  size      field
    0       2         0x00 0x00
    2       1         dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    3       1         number of dimensions d
    4       4*d       the sizes, uint32 each
    4+4d    ...       the values, C order

The files are looked up as ``data_dir/<name>`` and ``data_dir/<name>.gz`` for the names
``train-images-idx3-ubyte`` / ``train-labels-idx1-ubyte`` (train) and ``t10k-images-idx3-ubyte`` /
``t10k-labels-idx1-ubyte`` (test), and the same with ``.idx`` in place of ``-idx``
(``train-images.idx3-ubyte``, another common spelling). Fashion-MNIST uses the same names.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from .._io import MAX_ARRAY_BYTES_ENV, max_array_bytes
from ..errors import DataError
from .dataset import Dataset

__all__ = ["read_idx", "parse_idx", "load_idx_dataset", "IDX_DTYPES"]

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_PREFIX = {"train": "train", "test": "t10k"}


def _parse_header(head: bytes, where: str, total: int | None) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """``(dtype, dims, header bytes, data bytes)`` from the first bytes of an IDX file.

    ``head`` holds at least the 4 magic bytes and, if the file has them, the ``4 * d`` size
    bytes; ``total`` is the file's length when known (for the messages). Sizes are multiplied as
    Python integers, so no product of uint32 sizes can overflow.
    """
    if len(head) < 4:
        raise DataError(f"{where}: truncated IDX header ({len(head)} bytes, need at least 4)")
    if head[0] != 0 or head[1] != 0:
        raise DataError(f"{where}: bad IDX magic {head[:4].hex()}: the first two bytes must be 00 00")
    code, ndim = head[2], head[3]
    if code not in IDX_DTYPES:
        raise DataError(f"{where}: unknown IDX dtype code 0x{code:02x}; known: {sorted(hex(c) for c in IDX_DTYPES)}")
    if ndim == 0:
        raise DataError(f"{where}: IDX header says 0 dimensions")
    header_end = 4 + 4 * ndim
    if len(head) < header_end:
        have = len(head) if total is None else total
        raise DataError(
            f"{where}: truncated IDX header: {ndim} dimensions need {header_end} bytes, file has {have}"
        )
    dims = struct.unpack(f">{ndim}I", head[4:header_end])
    if 0 in dims:
        raise DataError(f"{where}: field 'dims': the IDX header declares sizes {dims}; a zero-sized dimension "
                        f"holds no data (dimension {dims.index(0)} is 0)")
    dtype = IDX_DTYPES[code]
    return dtype, tuple(int(d) for d in dims), header_end, math.prod(dims) * dtype.itemsize


def parse_idx(data: bytes, where: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of one (uncompressed) IDX file into an array (native byte order).

    Raises
    ------
    DataError
        Bad magic, unknown dtype code, a zero-sized dimension, truncated header or data, or bytes
        after the data (sizes whose product does not match the file).
    """
    dtype, dims, header_end, expected = _parse_header(data[:4 + 4 * 255], where, len(data))
    got = len(data) - header_end
    _check_data_size(where, dims, expected, got)
    arr = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def _check_data_size(where: str, dims: tuple[int, ...], expected: int, got: int) -> None:
    if got < expected:
        raise DataError(f"{where}: field 'dims': truncated IDX data: dims {dims} need {expected} bytes, file has {got}")
    if got > expected:
        raise DataError(f"{where}: field 'dims': {got - expected} unexpected bytes after the IDX data (dims {dims})")


def read_idx(path: str | Path, *, max_bytes: int | None = None) -> tuple[np.ndarray, str]:
    """Read an IDX file, gzip-compressed (detected by its magic bytes) or raw.

    Sizes are checked before memory is allocated: the file's own size, then the data size the
    IDX header declares (read from the first inflated bytes) are compared with the limit; the gzip
    stream is then inflated with bounded reads of exactly the declared size, so a small file that
    inflates to GiBs is refused, never expanded. (The gzip ISIZE trailer is not used: it is the
    size modulo 2**32 of the last member only, and garbage in a truncated file.)

    Parameters
    ----------
    path:
        The file.
    max_bytes:
        Largest uncompressed size accepted; default :func:`scnc._io.max_array_bytes`
        (``$SCNC_MAX_ARRAY_BYTES`` or 1 GiB; MNIST's largest file is 47 MB).

    Returns
    -------
    array, sha256:
        The array and the SHA-256 of the file as stored (compressed bytes for ``.gz``).
    """
    path = Path(path)
    limit = max_array_bytes(max_bytes)
    try:
        size = path.stat().st_size
        if size > limit:
            raise DataError(f"{path}: file is {size} bytes; the limit is {limit} "
                            f"(set {MAX_ARRAY_BYTES_ENV} to raise it for a trusted file)")
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        return _read_gzip_idx(raw, str(path), limit), digest
    if path.suffix == ".gz":
        raise DataError(f"{path}: named .gz but is not gzip data (magic {raw[:2].hex()})")
    return parse_idx(raw, str(path)), digest


def _read_gzip_idx(raw: bytes, where: str, limit: int) -> np.ndarray:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw), mode="rb") as gz:
            head = gz.read(4)
            if len(head) == 4 and head[:2] == b"\x00\x00":
                head += gz.read(4 * head[3])
            dtype, dims, _, expected = _parse_header(head, where, None)
            if expected > limit:
                raise DataError(f"{where}: field 'dims': sizes {dims} declare {expected} bytes of data; the limit "
                                f"is {limit} (set {MAX_ARRAY_BYTES_ENV} to raise it for a trusted file)")
            data = gz.read(expected)  # bounded: inflates at most `expected` bytes
            _check_data_size(where, dims, expected, len(data) + len(gz.read(1)))
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{where}: corrupt or truncated gzip data: {exc}") from exc
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _candidates(data_dir: Path, prefix: str, kind: str, ndim: int) -> list[Path]:
    names = [f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte"]
    return [data_dir / f"{n}{ext}" for n in names for ext in ("", ".gz")]


def _find(data_dir: Path, prefix: str, kind: str, ndim: int) -> Path:
    cands = _candidates(data_dir, prefix, kind, ndim)
    for c in cands:
        if c.is_file():
            return c
    raise DataError(f"IDX {kind} file not found in {data_dir}; looked for: {', '.join(c.name for c in cands)}")


def load_idx_dataset(name: str, split: str, data_dir: Path) -> Dataset:
    """Images ``(n, rows, cols)`` uint8 and labels ``(n,)`` uint8 from IDX files; ``x = pixel / 255``.

    ``classes`` are the labels that occur, ascending. Counts of images and labels must match.
    """
    prefix = _PREFIX[split]
    img_path = _find(data_dir, prefix, "images", 3)
    lab_path = _find(data_dir, prefix, "labels", 1)
    images, img_hash = read_idx(img_path)
    labels, lab_hash = read_idx(lab_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataError(f"{img_path}: expected uint8 images with 3 dimensions, got {images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{lab_path}: expected uint8 labels with 1 dimension, got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{img_path} holds {images.shape[0]} images but {lab_path} holds {labels.shape[0]} labels"
        )
    if images.shape[0] == 0:
        raise DataError(f"{img_path}: holds no images")
    n, rows, cols = images.shape
    x = images.reshape(n, rows * cols).astype(np.float32) / np.float32(255.0)
    classes = tuple(int(c) for c in np.unique(labels))
    y = np.searchsorted(np.asarray(classes), labels.astype(np.int64)).astype(np.int64)
    return Dataset(
        x=x,
        y=y,
        classes=classes,
        name=name,
        split=split,
        image_shape=(rows, cols),
        sources=((img_path.name, img_hash), (lab_path.name, lab_hash)),
    )

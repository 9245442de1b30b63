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
import struct
import zlib
from pathlib import Path

import numpy as np

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


def parse_idx(data: bytes, where: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of one (uncompressed) IDX file into an array (native byte order).

    Raises
    ------
    DataError
        Bad magic, unknown dtype code, truncated header or data, or bytes after the data.
    """
    if len(data) < 4:
        raise DataError(f"{where}: truncated IDX header ({len(data)} bytes, need at least 4)")
    if data[0] != 0 or data[1] != 0:
        raise DataError(f"{where}: bad IDX magic {data[:4].hex()}: the first two bytes must be 00 00")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DataError(f"{where}: unknown IDX dtype code 0x{code:02x}; known: {sorted(hex(c) for c in IDX_DTYPES)}")
    if ndim == 0:
        raise DataError(f"{where}: IDX header says 0 dimensions")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise DataError(
            f"{where}: truncated IDX header: {ndim} dimensions need {header_end} bytes, file has {len(data)}"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header_end])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header_end
    if got < expected:
        raise DataError(f"{where}: truncated IDX data: dims {dims} need {expected} bytes, file has {got}")
    if got > expected:
        raise DataError(f"{where}: {got - expected} unexpected bytes after the IDX data (dims {dims})")
    arr = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> tuple[np.ndarray, str]:
    """Read an IDX file, gzip-compressed (detected by its magic bytes) or raw.

    Returns the array and the SHA-256 of the file as stored (compressed bytes for ``.gz``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    data = raw
    if raw[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip data: {exc}") from exc
    elif path.suffix == ".gz":
        raise DataError(f"{path}: named .gz but is not gzip data (magic {raw[:2].hex()})")
    return parse_idx(data, str(path)), digest


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

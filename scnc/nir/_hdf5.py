"""NIR files on disk: a guarded read (sizes checked before anything is loaded) and an atomic write.

The ``nir`` package reads a whole HDF5 file into memory and builds nodes from it with assertions
as its only checks. Before handing it a file, :func:`read_graph` walks the HDF5 tree itself
(headers only) and refuses a file that is not HDF5, lacks NIR's ``node`` group, nests deeper than
:data:`MAX_DEPTH`, or declares more than :data:`MAX_DATASETS` datasets or more bytes than
:func:`scnc._io.max_array_bytes`; whatever ``nir`` still raises becomes a :class:`NIRError` naming
the file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from .._io import atomic_write_bytes, max_array_bytes
from .errors import NIRError

__all__ = ["read_graph", "write_graph", "graph_bytes", "MAX_DEPTH", "MAX_DATASETS"]

#: Deepest group nesting read (a graph nests two groups per subgraph level; real files use < 10).
MAX_DEPTH = 64
#: Most datasets in one file (a node has < 10 fields; 10,000 nodes is far beyond any dense network).
MAX_DATASETS = 100_000


def _h5py():
    try:
        import h5py
        import nir
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise NIRError("nir", None, f"reading or writing NIR needs the 'nir' package: pip install 'scnc[nir]' ({exc})") from None
    return h5py, nir


def _precheck(path: Path, max_bytes: int) -> None:
    h5py, _ = _h5py()
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise NIRError(path, None, f"not a readable HDF5 file (truncated or corrupt?): {exc}") from None
    with f:
        if "node" not in f or not isinstance(f["node"], h5py.Group):
            raise NIRError(path, None, "not a NIR file: the HDF5 file has no 'node' group")
        total = 0
        count = 0
        stack: list[tuple[Any, int]] = [(f["node"], 1)]
        while stack:
            group, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise NIRError(path, None, f"nests groups deeper than {MAX_DEPTH} levels (MAX_DEPTH)")
            try:
                items = list(group.items())
            except (OSError, KeyError, ValueError) as exc:
                raise NIRError(path, None, f"corrupt HDF5 group '{group.name}': {exc}") from None
            for _, item in items:
                if isinstance(item, h5py.Group):
                    stack.append((item, depth + 1))
                elif isinstance(item, h5py.Dataset):
                    count += 1
                    if count > MAX_DATASETS:
                        raise NIRError(path, None, f"holds more than {MAX_DATASETS} datasets (MAX_DATASETS)")
                    size = int(item.size or 0) * int(item.dtype.itemsize)
                    total += size
                    if total > max_bytes:
                        raise NIRError(
                            path, None,
                            f"declares {total:,} bytes of data at '{item.name}' and beyond, more than the limit "
                            f"{max_bytes:,} (SCNC_MAX_ARRAY_BYTES)",
                        )


def read_graph(path: str | os.PathLike, *, max_bytes: int | None = None) -> Any:
    """The ``nir.NIRGraph`` stored in ``path``, after the checks of the module doc.

    Raises
    ------
    NIRError
        Missing file, not HDF5, not NIR, over a limit, or a file ``nir`` cannot parse.
    """
    path = Path(path)
    if not path.exists():
        raise NIRError(path, None, "no such file")
    if not path.is_file():
        raise NIRError(path, None, "not a file (a NIR graph is one HDF5 file)")
    _precheck(path, max_array_bytes(max_bytes))
    _, nir = _h5py()
    try:
        # type_check=False: scnc checks shapes itself, per node, with messages naming the node.
        graph = nir.read(path, type_check=False)
    except (OSError, ValueError, KeyError, TypeError, AssertionError, AttributeError, IndexError) as exc:
        raise NIRError(path, None, f"the nir package cannot parse this file: {type(exc).__name__}: {exc}") from None
    if not isinstance(graph, nir.NIRGraph):
        raise NIRError(path, None, f"the file's root node is a {type(graph).__name__}, not a NIRGraph")
    return graph


def graph_bytes(graph: Any) -> bytes:
    """The HDF5 bytes ``nir.write`` produces for ``graph`` (uncompressed, so they are reproducible)."""
    _, nir = _h5py()
    buf = io.BytesIO()
    nir.write(buf, graph, compression=None)
    return buf.getvalue()


def write_graph(graph: Any, path: str | os.PathLike) -> Path:
    """Write ``graph`` to ``path`` atomically (a temporary file and a rename); returns the path."""
    path = Path(path)
    atomic_write_bytes(path, graph_bytes(graph))
    return path

"""NIR in and out: networks trained in snnTorch, Norse, Sinabs or Rockpool, compiled by scnc.

* :func:`read_nir` reads a NIR file (HDF5) into an :class:`ImportResult`: an
  :class:`~scnc.transfer.SNNCheckpoint` (the float network, ready for ``quantize`` / ``compile``)
  and a per-layer report of the beta, input gain, threshold and reset chosen and of what was
  assumed. Time and reset are explicit: ``dt``, the discretisation and the producer's conventions
  (:mod:`scnc.nir.conventions`) are options, with presets per framework.
* :func:`write_nir` writes a checkpoint, a float network or an IR graph (float or quantized) as NIR.

Reading and writing need the ``nir`` package (``pip install "scnc[nir]"``); importing this module
does not. See ``docs/nir.md``.
"""

from .conventions import PRESETS, Discretization, Preset, Producer
from .errors import NIRError
from .reader import SUPPORTED_NODES, ImportResult, LayerReport, import_graph, read_nir
from .writer import to_nir_graph, write_nir

__all__ = [
    "read_nir",
    "import_graph",
    "write_nir",
    "to_nir_graph",
    "ImportResult",
    "LayerReport",
    "NIRError",
    "Producer",
    "Discretization",
    "Preset",
    "PRESETS",
    "SUPPORTED_NODES",
]

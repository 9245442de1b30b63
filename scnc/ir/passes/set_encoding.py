"""``set_encoding``: the ``sc`` / ``fixed`` switch.

Guarantee: the result is the same graph with only ``HardwareParams.encoding`` changed. Every integer,
width and SNG spec is unchanged: the widths were proven for both encodings by ``bound_widths``; in
``"fixed"`` the synapse, beta and dither SNGs are simply unused (``docs/hardware.md`` section 3), while
the input encoder SNGs are still used for rate-coded inputs.
"""

from __future__ import annotations

from dataclasses import replace

from ..graph import Graph
from ..options import QuantOptions
from ._common import require_quant

__all__ = ["set_encoding"]


def set_encoding(graph: Graph, options: QuantOptions | str | None = None) -> Graph:
    """Set the arithmetic encoding of a quantized graph.

    Parameters
    ----------
    graph:
        A quantized graph.
    options:
        :class:`~scnc.ir.QuantOptions` (its ``encoding``), or the encoding itself: ``"sc"`` or ``"fixed"``.

    Raises
    ------
    ConfigError
        An unknown encoding.
    """
    opts = QuantOptions(encoding=options) if isinstance(options, str) else (options or QuantOptions())
    require_quant(graph, "set_encoding")
    before = graph.hardware.encoding
    g = replace(graph, hardware=replace(graph.hardware, encoding=opts.encoding))
    return g.with_pass("set_encoding", {"encoding": opts.encoding, "was": before})

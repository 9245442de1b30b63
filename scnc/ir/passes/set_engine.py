"""``set_engine``: the ``dense`` / ``event`` switch.

Guarantee: the result is the same graph with only ``HardwareParams.engine`` changed, and it is a legal
graph: every number ``docs/hardware.md`` reads is unchanged (the engines compute the same arithmetic;
only the schedule, :mod:`scnc.ir.schedule`, differs), and :func:`~scnc.ir.passes.check_graph` accepts
the engine for this graph (the event engine with encoding ``"sc"`` needs window-exact streams).
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import ConfigError
from ...kinds import Engine, parse
from ..graph import Graph
from ._common import require_quant
from .validate import check_graph

__all__ = ["set_engine"]


def set_engine(graph: Graph, engine: Engine | str) -> Graph:
    """Set the hardware engine of a quantized graph.

    Parameters
    ----------
    graph:
        A quantized graph.
    engine:
        ``"dense"`` or ``"event"`` (:class:`~scnc.kinds.Engine`).

    Raises
    ------
    ConfigError
        An unknown engine.
    IRError
        The graph cannot run on that engine (naming the node and field, e.g. an LFSR synapse stream).
    """
    try:
        eng = parse(Engine, engine, "engine")
    except ValueError as e:
        raise ConfigError(str(e)) from None
    require_quant(graph, "set_engine")
    before = graph.hardware.engine
    if eng is before:
        return graph
    g = replace(graph, hardware=replace(graph.hardware, engine=eng))
    check_graph(g)
    return g.with_pass("set_engine", {"engine": eng, "was": before})

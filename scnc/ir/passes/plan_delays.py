"""``plan_delays``: the delay line of every :class:`~scnc.ir.graph.DelayDenseNode`.

Guarantee: every delay synapse node of a quantized graph gets a :class:`~scnc.ir.graph.DelayLine`
with ``max_delay = D = max(delays)`` (the history depth in time steps: the engine keeps the spikes
of steps ``t-1 .. t-D`` of each input; 0 when every delay is 0) and ``delay_bits = max(1,
bit_length(D))`` (the width of a delay stored beside its weight). ``D`` is bounded by
:data:`~scnc.ir.graph.MAX_DELAY` (the validator refuses larger delays before this pass runs).

A graph without delay nodes keeps every node as it was (the pass only records itself, with no
layers), so the arithmetic, the schedule and the Verilog of a delay-free network are unchanged.
"""

from __future__ import annotations

from dataclasses import replace

from ..graph import DelayDenseNode, DelayLine, Graph
from ..options import QuantOptions
from ._common import require_quant

__all__ = ["plan_delays", "delay_line"]


def delay_line(node: DelayDenseNode) -> DelayLine:
    """The :class:`DelayLine` of ``node``: the smallest history that holds its largest delay."""
    D = int(node.delays.max()) if node.delays.size else 0
    return DelayLine(max_delay=D, delay_bits=max(1, D.bit_length()))


def plan_delays(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Decide the delay line of every delay synapse node (see the module docstring).

    Parameters
    ----------
    graph:
        A graph quantized by ``quantize_weights``.
    options:
        Unused (every pass takes the same arguments).

    Raises
    ------
    IRError
        The graph is not quantized.
    """
    require_quant(graph, "plan_delays", neurons=False)
    nodes = [layer.synapse for layer in graph.layers if isinstance(layer.synapse, DelayDenseNode)]
    g = graph
    report: dict = {"layers": {}}
    for syn in nodes:
        line = delay_line(syn)
        g = g.replace_node(syn.name, replace(syn, line=line))
        report["layers"][syn.name] = {"max_delay": line.max_delay, "delay_bits": line.delay_bits,
                                      "history_bits": syn.n_in * line.max_delay}
    return g.with_pass("plan_delays", report)

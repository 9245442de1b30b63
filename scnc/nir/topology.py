"""A NIR graph as the straight chain of nodes scnc can compile, or a :class:`NIRError` saying why not.

Nested subgraphs are flattened first: a node ``block`` holding a graph becomes its inner nodes,
named ``block.<inner>``; edges into ``block`` (or ``block.<its input>``) go to whatever its input
node feeds, edges out of ``block`` (or ``block.<its output>``) leave from whatever feeds its output.
Then the graph must be one path ``Input -> ... -> Output``: exactly one input and one output node,
no node with two successors or two predecessors (no branching, no merging, no skip connections), no
cycle (recurrence), nothing unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import NIRError

__all__ = ["ChainNode", "flatten", "chain"]


@dataclass(frozen=True)
class ChainNode:
    """One node of the chain: its flattened name and the ``nir`` node object."""

    name: str
    node: Any

    @property
    def kind(self) -> str:
        return type(self.node).__name__


def _is(node: Any, kind: str) -> bool:
    return type(node).__name__ == kind


def flatten(graph: Any, path: object, prefix: str = "") -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Nodes (by flattened name) and edges of ``graph`` with every nested subgraph inlined.

    Inner ``Input`` / ``Output`` nodes of subgraphs are removed and their edges joined through.
    The top level's ``Input`` and ``Output`` nodes stay.
    """
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    # For each inlined subgraph: which flattened names stand for its inputs and outputs.
    ports_in: dict[str, dict[str, str]] = {}
    ports_out: dict[str, dict[str, str]] = {}
    node_map = getattr(graph, "nodes", None)
    edge_list = getattr(graph, "edges", None)
    if not isinstance(node_map, dict) or edge_list is None:
        raise NIRError(path, prefix.rstrip(".") or None, "a NIRGraph without 'nodes' and 'edges'", kind="NIRGraph")
    for name, node in node_map.items():
        full = f"{prefix}{name}"
        if _is(node, "NIRGraph"):
            inner_nodes, inner_edges = flatten(node, path, prefix=f"{full}.")
            ins = {k: f"{full}.{k}" for k, n in node.nodes.items() if _is(n, "Input")}
            outs = {k: f"{full}.{k}" for k, n in node.nodes.items() if _is(n, "Output")}
            if len(ins) != 1 or len(outs) != 1:
                raise NIRError(path, full, f"a subgraph needs exactly one Input and one Output node, has "
                               f"{len(ins)} inputs {sorted(ins)} and {len(outs)} outputs {sorted(outs)}",
                               kind="NIRGraph")
            ports_in[full], ports_out[full] = ins, outs
            for k in list(ins.values()) + list(outs.values()):
                inner_nodes[k] = ("port", k)  # removed below, after the edges are joined
            nodes.update(inner_nodes)
            edges.extend(inner_edges)
        else:
            nodes[full] = node

    def resolve(end: str, ports: dict[str, dict[str, str]]) -> str:
        if end in ports:
            (only,) = ports[end].values()
            return only
        sub, _, port = end.rpartition(".")
        if sub in ports and port in ports[sub]:
            return ports[sub][port]
        return end

    for edge in edge_list:
        try:
            a, b = (str(e) for e in edge)
        except (TypeError, ValueError):
            raise NIRError(path, prefix.rstrip(".") or None, f"malformed edge {edge!r}: expected (source, target)") from None
        edges.append((resolve(f"{prefix}{a}", ports_out), resolve(f"{prefix}{b}", ports_in)))

    # Join edges through the removed subgraph ports: x -> port -> y becomes x -> y.
    ports = {k for k, v in nodes.items() if isinstance(v, tuple) and v[:1] == ("port",)}
    while ports:
        p = ports.pop()
        preds = [a for a, b in edges if b == p]
        succs = [b for a, b in edges if a == p]
        edges = [(a, b) for a, b in edges if p not in (a, b)]
        edges.extend((a, b) for a in preds for b in succs)
        del nodes[p]
    return nodes, edges


def chain(graph: Any, path: object) -> list[ChainNode]:
    """The nodes of ``graph`` from its ``Input`` to its ``Output`` node, both included.

    Raises
    ------
    NIRError
        The graph is not a single feed-forward path (module doc), naming the node at fault.
    """
    nodes, edges = flatten(graph, path)
    for a, b in edges:
        for end in (a, b):
            if end not in nodes:
                raise NIRError(path, end, f"an edge ({a!r} -> {b!r}) names a node the graph does not have")
    inputs = [k for k, n in nodes.items() if _is(n, "Input")]
    outputs = [k for k, n in nodes.items() if _is(n, "Output")]
    if len(inputs) != 1:
        raise NIRError(path, None, f"scnc compiles graphs with exactly one Input node, this one has {len(inputs)}: {inputs}")
    if len(outputs) != 1:
        raise NIRError(path, None, f"scnc compiles graphs with exactly one Output node, this one has {len(outputs)}: {outputs}")
    succ: dict[str, list[str]] = {k: [] for k in nodes}
    pred: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        succ[a].append(b)
        pred[b].append(a)
    cycle = _find_cycle(succ)
    if cycle is not None:
        a, b = cycle
        raise NIRError(path, b, f"the edge {a!r} -> {b!r} closes a cycle: a recurrent graph; scnc compiles "
                       "feed-forward chains only (no recurrent connections)", kind=type(nodes[b]).__name__)
    order = [inputs[0]]
    seen = {inputs[0]}
    while True:
        here = order[-1]
        nxt = succ[here]
        if here == outputs[0]:
            if nxt:
                raise NIRError(path, here, f"the Output node feeds {nxt}", kind="Output")
            break
        if not nxt:
            raise NIRError(path, here, "the path from the Input node ends here, before the Output node",
                           kind=type(nodes[here]).__name__)
        if len(nxt) > 1:
            raise NIRError(path, here, f"feeds {len(nxt)} nodes {sorted(nxt)}; scnc compiles feed-forward chains "
                           "(one successor per node: no branches or skip connections)", kind=type(nodes[here]).__name__)
        (b,) = nxt
        if len(pred[b]) > 1:
            raise NIRError(path, b, f"has {len(pred[b])} inputs {sorted(pred[b])} (a merging connection); scnc "
                           "compiles feed-forward chains only (one input per node)", kind=type(nodes[b]).__name__)
        order.append(b)
        seen.add(b)
    stray = sorted(set(nodes) - seen)
    if stray:
        raise NIRError(path, stray[0], f"is not on the path from the Input to the Output node (unconnected nodes: "
                       f"{stray}); scnc compiles one feed-forward chain", kind=type(nodes[stray[0]]).__name__)
    return [ChainNode(k, nodes[k]) for k in order]


def _find_cycle(succ: dict[str, list[str]]) -> tuple[str, str] | None:
    """An edge ``(a, b)`` that closes a cycle, or ``None`` (iterative depth-first search, sorted order)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(succ):
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(sorted(succ[root])))]
        while stack:
            node, it = stack[-1]
            for m in it:
                if state.get(m) == 1:
                    return node, m
                if m not in state:
                    state[m] = 1
                    stack.append((m, iter(sorted(succ[m]))))
                    break
            else:
                state[node] = 2
                stack.pop()
    return None

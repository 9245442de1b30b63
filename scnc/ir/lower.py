"""Lowering: a float :class:`~scnc.snn.network.Network` (or a checkpoint) to a float-level IR graph.

The lowered graph is the chain ``input -> (<layer>.synapses -> <layer>)+ -> readout``: each dense LIF
layer of the network becomes a :class:`~scnc.ir.graph.DenseNode` (a
:class:`~scnc.ir.graph.DelayDenseNode` when the layer carries ``delays``) named ``<layer>`` +
:data:`SYNAPSE_SUFFIX` feeding a :class:`~scnc.ir.graph.LIFNode` named ``<layer>``. Every parameter is
copied into a read-only float32 array with its per-neuron shape: per-layer ``beta`` and ``threshold``
are broadcast to ``(n_out,)`` and a layer without bias gets zeros, so the graph holds exactly the
network's float function (``scnc/snn/network.py``) and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterable

import numpy as np

from ..errors import IRError
from ..names import RESERVED_NODE_NAMES, RESERVED_SUFFIXES, name_problem
from .graph import DelayDenseNode, DenseNode, Graph, InputNode, LIFNode, OutputNode

__all__ = ["from_network", "from_checkpoint", "INPUT_NODE", "OUTPUT_NODE", "SYNAPSE_SUFFIX", "frozen_array"]

#: Name of the input node of a lowered graph, and of its output (read-out) node (scnc.names reserves both).
INPUT_NODE, OUTPUT_NODE = RESERVED_NODE_NAMES
#: Suffix of the synapse node of a lowered layer (the neuron node carries the layer's name).
(SYNAPSE_SUFFIX,) = RESERVED_SUFFIXES


def frozen_array(a: Any, dtype: Any) -> np.ndarray:
    """A C-contiguous, read-only copy of ``a`` with ``dtype`` (graphs are immutable)."""
    out = np.array(a, dtype=dtype, copy=True, order="C")
    out.flags.writeable = False
    return out


def _labels(class_labels: Iterable | None, n_out: int) -> tuple:
    if class_labels is None:
        return tuple(range(n_out))
    labels = []
    for lab in class_labels:
        if isinstance(lab, (bool, np.bool_)):
            raise IRError("readout", "class_labels", f"labels must be integers or strings, got {lab!r}")
        if isinstance(lab, (int, np.integer)):
            labels.append(int(lab))
        elif isinstance(lab, str):
            labels.append(lab)
        else:
            raise IRError("readout", "class_labels", f"labels must be integers or strings, got {lab!r}")
    if len(labels) != n_out:
        raise IRError("readout", "class_labels", f"need one label per output neuron ({n_out}), got {len(labels)}")
    return tuple(labels)


def _synapse_node(layer: Any, name: str, source: str) -> DenseNode | DelayDenseNode:
    """The synapse node of a layer: a :class:`DelayDenseNode` when the layer carries ``delays``
    (``LIFLayer.delays``: int16 ``(n_in, n_out)``, time steps), else a :class:`DenseNode`."""
    weight = frozen_array(layer.weight, np.float32)
    delays = getattr(layer, "delays", None)
    if delays is None:
        return DenseNode(name=name, source=source, weight=weight)
    return DelayDenseNode(name=name, source=source, weight=weight, delays=frozen_array(delays, np.int16))


def from_network(net: Any, *, class_labels: Iterable | None = None, provenance: dict | None = None) -> Graph:
    """Lower a float network to a float-level graph.

    Parameters
    ----------
    net:
        A :class:`scnc.snn.network.Network`.
    class_labels:
        Original label of each output neuron (default ``0..n_out-1``).
    provenance:
        JSON-ready dict recorded in the graph (where it came from); ``{"source": "network"}`` if omitted.

    Returns
    -------
    Graph
        ``level == "float"``, ``timesteps == net.timesteps``; node names ``"input"``, per layer
        ``"<layer>.synapses"`` and ``"<layer>"``, then ``"readout"``.

    Raises
    ------
    IRError
        A layer name breaks :func:`scnc.names.name_problem` (e.g. it is the input or read-out
        node's name), or the labels do not match the output size.
    """
    layers = list(net.layers)
    for layer in layers:
        problem = name_problem(layer.name)  # the one name rule, shared with checkpoints
        if problem is not None:
            raise IRError(str(layer.name), "name", f"layer name {problem}")
    enc = net.encoder
    encoder = {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(enc).items()}
    nodes: list = [InputNode(name=INPUT_NODE, size=int(layers[0].n_in), encoder=encoder)]
    source = INPUT_NODE
    for layer in layers:
        n_out = layer.n_out
        bias = np.zeros(n_out, np.float32) if layer.bias is None else layer.bias
        synapses = f"{layer.name}{SYNAPSE_SUFFIX}"
        nodes.append(_synapse_node(layer, synapses, source))
        nodes.append(
            LIFNode(
                name=layer.name,
                source=synapses,
                bias=frozen_array(np.broadcast_to(np.asarray(bias, np.float32), (n_out,)), np.float32),
                beta=frozen_array(np.broadcast_to(np.asarray(layer.beta, np.float32), (n_out,)), np.float32),
                threshold=frozen_array(np.broadcast_to(np.asarray(layer.threshold, np.float32), (n_out,)), np.float32),
                reset=layer.reset,
            )
        )
        source = layer.name
    nodes.append(OutputNode(name=OUTPUT_NODE, source=source, class_labels=_labels(class_labels, layers[-1].n_out)))
    prov = dict(provenance) if provenance is not None else {"source": "network"}
    return Graph(nodes=tuple(nodes), timesteps=int(net.timesteps), provenance=prov)


def from_checkpoint(ckpt: Any) -> Graph:
    """Lower a checkpoint (:class:`scnc.transfer.SNNCheckpoint`) to a float-level graph.

    The provenance records ``{"source": "checkpoint", "checkpoint_hash": ckpt.content_hash,
    "layer_names": [...]}``; class labels come from ``ckpt.class_labels``.
    """
    prov = {
        "source": "checkpoint",
        "checkpoint_hash": str(ckpt.content_hash),
        "layer_names": [str(n) for n in ckpt.layer_names],
    }
    return from_network(ckpt.to_network(), class_labels=ckpt.class_labels, provenance=prov)

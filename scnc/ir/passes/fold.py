"""``fold``: bring a float graph to its normal form.

Guarantee: the result computes exactly the same float function as the input (bit-identical float32
parameters, only their representation changes) and is in normal form: every layer's ``bias``,
``beta`` and ``threshold`` is a float32 ``(n_out,)`` array (per-layer values broadcast; a layer without
bias already lowers to zeros), every array is C-contiguous and read-only, and ``-0.0`` is folded to
``+0.0`` (the same value; one representation, so equal graphs hash equal).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ...errors import IRError
from ..graph import Graph
from ..lower import frozen_array

__all__ = ["fold"]


def _norm(a: np.ndarray, shape: tuple) -> np.ndarray:
    out = np.broadcast_to(np.asarray(a, np.float32), shape) + np.float32(0.0)  # -0.0 + 0.0 == +0.0
    return frozen_array(out, np.float32)


def fold(graph: Graph, options: Any = None) -> Graph:
    """Normalise a float-level graph (see the module docstring for the guarantee).

    Raises
    ------
    IRError
        The graph is already quantized (folding would leave the hardware form stale).
    """
    if graph.level != "float":
        raise IRError("graph", "level", "fold runs on float graphs (before quantization)")
    broadcast = []
    g = graph
    for layer in graph.layers:
        syn, neu = layer.synapse, layer.neuron
        fields = {}
        for f in ("bias", "beta", "threshold"):
            a = getattr(neu, f)
            if a.shape != (layer.n_out,):
                broadcast.append(f"{neu.name}.{f}")
            fields[f] = _norm(a, (layer.n_out,))
        g = g.replace_layer(layer, synapse=replace(syn, weight=_norm(syn.weight, syn.weight.shape)),
                            neuron=replace(neu, **fields))
    return g.with_pass("fold", {"broadcast": broadcast})

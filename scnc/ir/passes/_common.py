"""Helpers the passes share (private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import IRError
from ..graph import Graph, QuantDense, QuantLIF

__all__ = ["latest_report", "require_quant", "int32_array"]


def latest_report(graph: Graph, name: str, needed_by: str) -> dict:
    """The report of the most recent run of pass ``name`` (IRError if it never ran)."""
    for rec in reversed(graph.passes):
        if rec.get("pass") == name:
            return rec
    raise IRError("graph", "passes", f"{needed_by} needs pass {name!r} to have run first")


def require_quant(graph: Graph, needed_by: str, *, neurons: bool = True) -> None:
    """IRError unless every synapse node has its hardware form (quantize_weights ran) and, with
    ``neurons``, every neuron node too (quantize_neurons ran)."""
    if graph.level != "quantized" or graph.hardware is None:
        raise IRError("graph", "level", f"{needed_by} needs a graph quantized by quantize_weights")
    for layer in graph.layers:
        if not isinstance(layer.synapse.quant, QuantDense):
            raise IRError(layer.synapse.name, "quant", f"{needed_by} needs quantize_weights to have run")
        if neurons and not isinstance(layer.neuron.quant, QuantLIF):
            raise IRError(layer.neuron.name, "quant", f"{needed_by} needs quantize_neurons to have run")


def int32_array(a: Any) -> np.ndarray:
    """A read-only C-contiguous int32 copy of ``a`` (values must already fit)."""
    a64 = np.asarray(a, dtype=np.int64)
    if a64.size and (a64.min() < -(1 << 31) or a64.max() > (1 << 31) - 1):
        raise OverflowError("value does not fit int32")
    out = np.array(a64, dtype=np.int32, order="C", copy=True)
    out.flags.writeable = False
    return out



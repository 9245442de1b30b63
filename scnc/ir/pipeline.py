"""``quantize``: a float graph to a quantized graph, as one straight list of named passes."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..errors import ConfigError, IRError
from .graph import Graph
from .options import QuantOptions
from .passes import (
    allocate_streams,
    bound_widths,
    calibrate,
    fold,
    plan_delays,
    quantize_neurons,
    quantize_weights,
    set_encoding,
    validate,
)

__all__ = ["quantize", "STAGES"]

#: The quantization pipeline, in order: ``(name, pass)``. Every pass is ``(graph, options) -> graph``.
STAGES: tuple[tuple[str, Callable[[Graph, QuantOptions], Graph]], ...] = (
    ("validate", validate),
    ("fold", fold),
    ("calibrate", calibrate),
    ("quantize_weights", quantize_weights),
    ("quantize_neurons", quantize_neurons),
    ("allocate_streams", allocate_streams),
    ("bound_widths", bound_widths),
    ("plan_delays", plan_delays),
    ("set_encoding", set_encoding),
    ("validate", validate),
)


def quantize(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Quantize a float-level graph for the hardware described by ``options``.

    Runs :data:`STAGES` in order and records the options in ``provenance["quant_options"]``.
    Deterministic: the same graph and options give an identical graph (and identical files).

    Parameters
    ----------
    graph:
        A float-level graph (:func:`scnc.ir.from_network` / :func:`scnc.ir.from_checkpoint`).
    options:
        Hardware choices (defaults: :class:`QuantOptions()`).

    Raises
    ------
    IRError
        The graph is malformed or already quantized.
    ConfigError
        An option is out of range.

    Warns
    -----
    QuantizationWarning
        A layer provably never fires.
    """
    opts = options if options is not None else QuantOptions()
    if not isinstance(opts, QuantOptions):
        raise ConfigError(f"options: expected QuantOptions, got {type(opts).__name__}")
    if isinstance(graph, Graph) and graph.level != "float":
        raise IRError("graph", "level", "quantize takes a float-level graph; this one is already quantized")
    g = graph
    for _name, stage in STAGES:
        g = stage(g, opts)
    return replace(g, provenance={**g.provenance, "quant_options": opts.to_dict()})

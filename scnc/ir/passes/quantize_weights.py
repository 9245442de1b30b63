"""``quantize_weights``: float weights to split-unipolar integers; the graph becomes quantized.

Guarantee: every synapse node gets a :class:`~scnc.ir.graph.QuantDense` with ``weight_bits = w``,
``weight_q = clip(round_half_even(W / S * 2^w), -(2^w - 1), 2^w - 1)`` (int32) for the scale ``S``
recorded by :func:`~scnc.ir.passes.calibrate`, ``compare_shift = log2 L - w`` and ``scale = S / L``
(float units per accumulator unit; ``docs/hardware.md`` section 5). The graph's level becomes ``"quantized"`` and its
:class:`~scnc.ir.graph.HardwareParams` are set from the options (``encoding = "sc"``; the
``set_encoding`` pass chooses the final one). Parallelism, streams and widths are placeholders
until ``quantize_neurons``, ``allocate_streams`` and ``bound_widths`` fill them, so
the graph validates only after the whole chain (:func:`scnc.ir.quantize`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...errors import IRError
from ..graph import Graph, HardwareParams, QuantDense
from ..options import QuantOptions
from ._common import int32_array, latest_report
from .calibrate import quantize_dequantize

__all__ = ["quantize_weights"]


def quantize_weights(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Quantize every layer's weights (see the module docstring).

    Parameters
    ----------
    graph:
        A float-level graph on which :func:`~scnc.ir.passes.calibrate` has run.
    options:
        ``stream_length``, ``weight_bits`` and the SNG kinds / seed stored in the hardware params.

    Raises
    ------
    IRError
        The graph is not float-level, or no calibration was recorded for a layer.
    """
    opts = options or QuantOptions()
    if graph.level != "float":
        raise IRError("graph", "level", "quantize_weights runs on float graphs")
    scales = latest_report(graph, "calibrate", "quantize_weights")["scales"]
    L, wb = opts.stream_length, opts.resolved_weight_bits
    report: dict = {"stream_length": L, "weight_bits": wb, "layers": {}}
    g = graph
    for layer in graph.layers:
        if layer.name not in scales:
            raise IRError(layer.name, "scale", "no calibrated scale recorded for this layer")
        S = float(scales[layer.name])
        syn = layer.synapse
        q, w_hat = quantize_dequantize(syn.weight, S, wb)
        w = syn.weight.astype(np.float64)
        quant = QuantDense(
            weight_bits=wb,
            weight_q=int32_array(q),
            compare_shift=opts.stream_bits - wb,
            scale=S / L,
            current_bits=0,  # bound_widths decides
            parallel_inputs=1,  # allocate_streams decides
            parallel_neurons=1,
            synapse_sngs=(),
        )
        g = g.replace_node(syn.name, replace(syn, quant=quant))
        report["layers"][layer.name] = {
            "scale_S": S,
            "clipped": int(np.sum(np.abs(np.rint(w / S * (1 << wb))) > (1 << wb) - 1)),
            "zero": int(np.sum(q == 0)),
            "rmse": float(np.sqrt(np.mean((w_hat - w) ** 2))) if w.size else 0.0,
        }
    hw = HardwareParams(stream_length=L, encoding="sc", sng=opts.sng, input_sng=opts.input_sng, seed=opts.seed)
    return replace(g, level="quantized", hardware=hw).with_pass("quantize_weights", report)

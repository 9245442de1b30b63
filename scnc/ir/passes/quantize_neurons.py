"""``quantize_neurons``: thresholds, biases and leaks to integers (``docs/hardware.md`` section 5).

Guarantee: with ``scale = S / L`` of the synapse node feeding it (``quantize_weights``) and
``L = stream_length``, every neuron node gets a :class:`~scnc.ir.graph.QuantLIF` with

* ``threshold_q = max(1, round_half_even(theta / scale))``, capped at ``2^30`` (the cap only matters
  for a layer whose weights are negligible next to its threshold; such a layer never fires and the
  ``bound_widths`` pass warns);
* ``bias_q = round_half_even(b / scale)``, clipped to ``[-2^30, 2^30]``;
* leak ``sc``: :class:`~scnc.ir.graph.SCLeak` with ``beta_q = round_half_even(beta * L)`` in
  ``[0, L]`` and the fixed encoding's rounding constant ``L / 2`` (round half up; its SNGs are
  allocated by ``allocate_streams``);
* leak ``shift``: :class:`~scnc.ir.graph.ShiftLeak` with the ``k`` in ``0..62`` minimising
  ``|(1 - 2^-k) - beta|`` (smallest ``k`` on a tie).

The representation errors (threshold / bias relative error, leak error) are in the pass report.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...kinds import LeakKind
from ..graph import Graph, QuantLIF, SCLeak, ShiftLeak
from ..options import QuantOptions
from ._common import int32_array, require_quant
from .validate import MAX_LEAK_SHIFT

__all__ = ["quantize_neurons", "shift_for_beta", "VALUE_CAP"]

#: Largest |threshold_q| and |bias_q| (accumulator units).
VALUE_CAP = 1 << 30
_SHIFT_BETAS = 1.0 - np.exp2(-np.arange(MAX_LEAK_SHIFT + 1, dtype=np.float64))


def shift_for_beta(beta: np.ndarray) -> np.ndarray:
    """The shift ``k`` (0..62) whose ``1 - 2^-k`` is nearest to each ``beta`` (smallest on ties), int64."""
    b = np.asarray(beta, np.float64).reshape(-1, 1)
    return np.argmin(np.abs(_SHIFT_BETAS[None, :] - b), axis=1).astype(np.int64)


def quantize_neurons(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Quantize every layer's threshold, bias and leak (see the module docstring).

    Parameters
    ----------
    graph:
        A graph on which ``quantize_weights`` has run.
    options:
        ``leak`` (``"sc"`` or ``"shift"``).
    """
    opts = options or QuantOptions()
    require_quant(graph, "quantize_neurons", neurons=False)
    L = graph.hardware.stream_length
    report: dict = {"leak": opts.leak, "layers": {}}
    g = graph
    for layer in graph.layers:
        neu = layer.neuron
        scale = layer.synapse.quant.scale  # the neurons count in their synapses' accumulator units
        theta = neu.threshold.astype(np.float64)
        bias = neu.bias.astype(np.float64)
        beta = neu.beta.astype(np.float64)
        thr_raw = np.rint(theta / scale)
        thr = np.clip(thr_raw, 1, VALUE_CAP).astype(np.int64)
        bias_raw = np.rint(bias / scale)
        bq = np.clip(bias_raw, -VALUE_CAP, VALUE_CAP).astype(np.int64)
        if LeakKind(opts.leak) is LeakKind.SC:
            beta_q = np.clip(np.rint(beta * L), 0, L).astype(np.int64)
            leak = SCLeak(beta_q=int32_array(beta_q), rounding=L // 2)
            leak_err = np.abs(beta_q / L - beta)
        else:
            shift = shift_for_beta(beta)
            leak = ShiftLeak(shift=int32_array(shift))
            leak_err = np.abs(_SHIFT_BETAS[shift] - beta)
        new = QuantLIF(
            bias_q=int32_array(bq),
            leak=leak,
            threshold_q=int32_array(thr),
            reset=neu.reset,
            membrane_bits=0,  # bound_widths decides
        )
        g = g.replace_node(neu.name, replace(neu, quant=new))
        report["layers"][layer.name] = {
            "threshold_q": [int(thr.min()), int(thr.max())],
            "threshold_rel_err": float(np.max(np.abs(thr * scale - theta) / theta)),
            "threshold_capped": int(np.sum((thr_raw < 1) | (thr_raw > VALUE_CAP))),
            "bias_q": [int(bq.min()), int(bq.max())],
            "bias_clipped": int(np.sum(np.abs(bias_raw) > VALUE_CAP)),
            "leak_max_err": float(leak_err.max()),
        }
    return g.with_pass("quantize_neurons", report)

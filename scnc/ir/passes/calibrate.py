"""``calibrate``: choose each layer's weight scale S (float units; a weight of S is full scale).

Guarantee: for every layer S is a finite float > 0 recorded in the pass report
(``{"scales": {layer: S}}``), which :func:`~scnc.ir.passes.quantize_weights` reads.

* ``"max"``: ``S = max |W|`` — no weight is clipped.
* ``"mse"``: ``S = c`` for the clip value ``c`` in the grid ``max|W| * k / 128, k = 16..128`` that
  minimises the mean squared error between ``W`` and its quantize-dequantize image
  ``S * q / 2^w`` (``q`` as in ``docs/hardware.md`` section 5); ties go to the larger ``c``. Since
  ``c = max|W|`` is in the grid, the error is never above that of ``"max"``.

A layer whose weights are all zero gets ``S = 1.0`` (every ``q`` is then 0).
"""

from __future__ import annotations


import numpy as np

from ...errors import IRError
from ...kinds import Calibration
from ..graph import Graph
from ..options import QuantOptions

__all__ = ["calibrate", "quantize_dequantize", "MSE_GRID"]

#: Grid of the "mse" search, as fractions of max |W| (k / 128 for k = 16..128).
MSE_GRID = np.arange(16, 129, dtype=np.float64) / 128.0


def quantize_dequantize(w: np.ndarray, S: float, weight_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(q, w_hat)``: the integer weights (``docs/hardware.md`` section 5) and their float value.

    ``q = clip(round_half_even(w / S * 2^w), -(2^w - 1), 2^w - 1)`` (int64) and ``w_hat = S * q / 2^w``.
    """
    top = (1 << weight_bits) - 1
    q = np.clip(np.rint(np.asarray(w, np.float64) / S * (1 << weight_bits)), -top, top).astype(np.int64)
    return q, q.astype(np.float64) * (S / (1 << weight_bits))


def _mse_scale(w: np.ndarray, wmax: float, weight_bits: int) -> float:
    best, best_err = wmax, np.inf
    for frac in MSE_GRID[::-1]:  # descending: on equal error keep the larger clip
        S = float(wmax * frac)
        if S <= 0:
            continue
        _, w_hat = quantize_dequantize(w, S, weight_bits)
        err = float(np.mean((w_hat - w) ** 2))
        if err < best_err:
            best, best_err = S, err
    return best


def calibrate(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Record a weight scale per layer (see the module docstring).

    Parameters
    ----------
    graph:
        A float-level graph.
    options:
        ``calibration`` (``"max"`` or ``"mse"``) and the weight bits used by ``"mse"``.
    """
    opts = options or QuantOptions()
    if graph.level != "float":
        raise IRError("graph", "level", "calibrate runs on float graphs (before quantization)")
    wb = opts.resolved_weight_bits
    scales: dict[str, float] = {}
    for layer in graph.layers:
        w = np.asarray(layer.synapse.weight, np.float64)
        wmax = float(np.max(np.abs(w))) if w.size else 0.0
        if wmax == 0.0:
            S = 1.0
        elif opts.calibration is Calibration.MAX:
            S = wmax
        else:
            S = _mse_scale(w, wmax, wb)
        scales[layer.name] = float(S)
    return graph.with_pass("calibrate", {"method": opts.calibration, "weight_bits": wb, "scales": scales})

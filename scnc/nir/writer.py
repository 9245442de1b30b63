"""scnc -> NIR: a checkpoint, a float network or an IR graph written as a NIR graph.

Each layer becomes a ``Linear`` (or ``Affine`` when it has a bias) named ``fc_<i>`` feeding a
``LIF`` named ``lif_<i>``, between an ``Input`` and an ``Output`` node. A layer's synaptic delays
become a ``Delay`` node (``delay = steps * dt``) before ``fc_<i>`` (one delay per input) or after it
(one per output); delays that differ per synapse otherwise have no NIR form and are refused. The LIF parameters follow
snnTorch's exporter, so snnTorch's importer (and scnc's, ``--producer auto``) reads them back:
``dt = 1e-4``, ``tau = dt / (1 - beta)`` (infinite for ``beta = 1``), ``r = tau / dt`` (input gain
1 under forward Euler), ``v_leak = 0``, ``v_reset = 0``. What NIR cannot say is written as
(non-normative) metadata: the graph's ``producer = "scnc"``, ``dt`` and ``discretization``, and
per LIF node the layer's name (``scnc_layer``) and reset mode (``scnc_reset``).

``tau`` and ``r`` are float64 so that ``beta = 1 - dt/tau`` gives back the float32 ``beta`` bit for
bit; weights, biases and thresholds keep their float32 values.

Given a *quantized* graph, the parameters written are the hardware's values in float units
(``docs/hardware.md`` section 5): ``W = sign(q) * (|q| << compare_shift) * scale``,
``threshold = threshold_q * scale``, ``bias = bias_q * scale``, ``beta = beta_q / L`` (SC leak) or
``1 - 2^-shift`` (shift leak) — the fixed-point network the hardware approximates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import ConfigError
from ._hdf5 import _h5py, write_graph
from .conventions import SNNTORCH_DT, Discretization

__all__ = ["to_nir_graph", "write_nir"]


@dataclass(frozen=True)
class _Layer:
    name: str
    weight: np.ndarray  # (n_in, n_out) float32
    bias: np.ndarray | None  # (n_out,) float32
    beta: np.ndarray  # (n_out,) float32
    threshold: np.ndarray  # (n_out,) float32
    reset: str
    delays: np.ndarray | None = None  # (n_in, n_out) int time steps, or None


def _delay_nodes(nir: Any, name: str, delays: np.ndarray, dt: float) -> tuple[Any | None, Any | None]:
    """NIR ``Delay`` nodes ``(before the matrix, after it)`` of a layer's per-synapse delays (steps).

    NIR's ``Delay`` delays each channel: a delay per input (every row constant) is one node before
    the matrix, a delay per output (every column constant) one node after it. A per-synapse delay of
    neither form has no NIR node, and is refused rather than approximated.
    """
    d = np.asarray(delays, np.int64)
    if not d.any():
        return None, None
    if np.all(d == d[:, :1]):
        return nir.Delay(delay=d[:, 0].astype(np.float64) * dt), None
    if np.all(d == d[:1, :]):
        return None, nir.Delay(delay=d[0, :].astype(np.float64) * dt)
    raise ConfigError(f"layer '{name}': its delays differ per synapse (neither one per input nor one per output): "
                      "NIR's Delay node delays channels, so it cannot express them")


def _layers_of(source: Any) -> tuple[list[_Layer], str]:
    """The layers of a checkpoint, a Network or an IR graph, and what the source was."""
    from ..ir import Graph, SCLeak, ShiftLeak
    from ..snn.network import Network
    from ..transfer import SNNCheckpoint

    if isinstance(source, SNNCheckpoint):
        source = source.to_network()
    if isinstance(source, Network):
        out = [_Layer(l.name, l.weight.astype(np.float32), None if l.bias is None else l.bias.astype(np.float32),
                      l.beta_per_neuron(), l.threshold_per_neuron(), str(l.reset), l.delays) for l in source.layers]
        return out, "float network"
    if isinstance(source, Graph):
        out = []
        quantized = str(source.level) == "quantized"
        for layer in source.layers:
            syn, neu = layer.synapse, layer.neuron
            if not quantized:
                out.append(_Layer(neu.name, np.asarray(syn.weight, np.float32), np.asarray(neu.bias, np.float32),
                                  np.asarray(neu.beta, np.float32), np.asarray(neu.threshold, np.float32), str(neu.reset),
                                  getattr(syn, "delays", None)))
                continue
            qd, ql = syn.quant, neu.quant
            scale = float(qd.scale)
            w = np.sign(qd.weight_q).astype(np.float64) * qd.comparator_q.astype(np.float64) * scale
            L = int(source.hardware.stream_length)
            if isinstance(ql.leak, SCLeak):
                beta = np.asarray(ql.leak.beta_q, np.float64) / L
            elif isinstance(ql.leak, ShiftLeak):
                beta = 1.0 - np.ldexp(1.0, -np.asarray(ql.leak.shift, np.int64))
            else:  # pragma: no cover - a new leak kind must say how it exports
                raise ConfigError(f"layer '{neu.name}': cannot export leak kind {type(ql.leak).__name__}")
            out.append(_Layer(neu.name, w.astype(np.float32), (np.asarray(ql.bias_q, np.float64) * scale).astype(np.float32),
                              beta.astype(np.float32), (np.asarray(ql.threshold_q, np.float64) * scale).astype(np.float32),
                              str(ql.reset), getattr(syn, "delays", None)))
        return out, "quantized IR graph" if quantized else "float IR graph"
    raise ConfigError(f"write_nir: expected an SNNCheckpoint, a Network or an IR Graph, got {type(source).__name__}")


def to_nir_graph(source: Any) -> Any:
    """The ``nir.NIRGraph`` of ``source`` (an SNNCheckpoint, a Network or an IR Graph; module doc)."""
    _, nir = _h5py()
    layers, what = _layers_of(source)
    dt = SNNTORCH_DT
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array([layers[0].weight.shape[0]])})}
    edges: list[tuple[str, str]] = []
    prev = "input"
    for i, l in enumerate(layers):
        fc, lif = f"fc_{i}", f"lif_{i}"
        pre, post = (None, None) if l.delays is None else _delay_nodes(nir, l.name, l.delays, dt)
        if pre is not None:  # Delay per input -> fc
            nodes[f"delay_{i}"] = pre
            edges.append((prev, f"delay_{i}"))
            prev = f"delay_{i}"
        w = np.ascontiguousarray(l.weight.T)  # NIR: y = W x, W is (n_out, n_in)
        if l.bias is not None:
            nodes[fc] = nir.Affine(weight=w, bias=np.ascontiguousarray(l.bias))
        else:
            nodes[fc] = nir.Linear(weight=w)
        beta = l.beta.astype(np.float64)
        with np.errstate(divide="ignore"):
            tau = np.where(beta < 1.0, dt / (1.0 - beta), np.inf)
        n = l.threshold.shape[0]
        nodes[lif] = nir.LIF(
            tau=tau, r=tau / dt, v_leak=np.zeros(n), v_threshold=l.threshold.astype(np.float32).copy(),
            v_reset=np.zeros(n, np.float32),
            metadata={"scnc_layer": l.name, "scnc_reset": l.reset},
        )
        if post is not None:  # fc -> Delay per output -> lif
            nodes[f"delay_post_{i}"] = post
            edges += [(prev, fc), (fc, f"delay_post_{i}"), (f"delay_post_{i}", lif)]
        else:
            edges += [(prev, fc), (fc, lif)]
        prev = lif
    nodes["output"] = nir.Output(output_type={"output": np.array([layers[-1].threshold.shape[0]])})
    edges.append((prev, "output"))
    meta = {"producer": "scnc", "scnc_version": __version__, "source": what, "dt": np.float64(dt),
            "discretization": str(Discretization.EULER)}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=True)


def write_nir(source: Any, path: str | os.PathLike) -> Path:
    """Write ``source`` (an SNNCheckpoint, a Network or an IR Graph) as a NIR file, atomically.

    Returns the path. The bytes are the same for the same network (no compression, no timestamps).
    """
    return write_graph(to_nir_graph(source), path)

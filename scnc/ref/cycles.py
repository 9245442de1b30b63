"""The exact latency of every sample, predicted from the IR's cycle model and a reference run.

The dense engine's cycles are a property of the graph alone; the event engine's depend on how many
inputs of each layer spiked at each step, in each of the layer's input banks, which a reference run
(:func:`scnc.ref.run`) knows. Both figures come from :mod:`scnc.ir.schedule` (the one cycle model);
this module only counts the spikes.
"""

from __future__ import annotations

import numpy as np

from ..ir.schedule import event_layer_plan, event_row_tokens, event_sample_cycles, sample_cycles
from ..kinds import Engine
from ..trace import Trace

__all__ = ["cycles", "input_spike_counts", "row_token_counts"]


def input_spike_counts(trace: Trace) -> np.ndarray:
    """int64 ``(B, T, n_layers)``: inputs of layer ``l`` that spiked at step ``t`` of sample ``b``
    (layer 0: the input spikes; layer ``l > 0``: the spikes of layer ``l - 1``)."""
    feeds = (trace.input_spikes, *trace.spikes[:-1])
    return np.stack([np.asarray(s, dtype=np.int64).sum(axis=2) for s in feeds], axis=2)


def row_token_counts(graph, trace: Trace) -> np.ndarray:
    """int64 ``(B, T, n_layers)``: the event engine's row tokens per group of layer ``l`` at step ``t`` of
    sample ``b`` -- the most spiking inputs any of the layer's ``parallel_inputs`` banks holds
    (:func:`scnc.ir.schedule.event_row_tokens`; :func:`input_spike_counts` when every layer has one bank)."""
    feeds = (trace.input_spikes, *trace.spikes[:-1])
    banks = [event_layer_plan(layer, graph.hardware).p_in for layer in graph.layers]
    return np.stack([event_row_tokens(s, b) for s, b in zip(feeds, banks)], axis=2)


def _dense(graph, trace: Trace, trace_port: bool) -> np.ndarray:
    return np.full(trace.counts.shape[0], sample_cycles(graph)["total"], dtype=np.int64)


def _event(graph, trace: Trace, trace_port: bool) -> np.ndarray:
    return event_sample_cycles(graph, row_token_counts(graph, trace), trace=trace_port)


#: The latency model of each engine (a new engine: one function, one entry).
_MODELS = {Engine.DENSE: _dense, Engine.EVENT: _event}


def cycles(graph, trace: Trace, *, trace_port: bool = False) -> np.ndarray:
    """Cycles per sample of the core of ``graph`` on the samples of ``trace`` (no stall, input beats
    offered every cycle; first accepted input beat to accepted counts beat, inclusive).

    Parameters
    ----------
    graph:
        The quantized graph ``trace`` was computed from.
    trace:
        A reference run of ``graph`` (:func:`scnc.ref.run`; ``input_spikes`` and ``spikes`` are read).
    trace_port:
        The core is a trace build (the event engine spends one cycle per trace beat).

    Returns
    -------
    numpy.ndarray
        int64 ``(B,)``.
    """
    return _MODELS[graph.hardware.engine](graph, trace, trace_port)

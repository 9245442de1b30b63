"""Forward and BPTT for networks with synaptic delays, run one layer at a time over all steps.

The fused kernels of :mod:`scnc.snn.bptt` interleave layers within a time step and have no spike
history. A network with any delayed layer (``LIFLayer.delays`` set) runs here instead: since the
network is feed-forward, layer ``l`` can be computed for all ``T`` steps before layer ``l + 1``,
which gives every synapse the whole input history it may reach back into. Layers without delays
in such a network behave as delay 0 (the same currents, bit for bit, as the fused path).

A layer's synapse is one of two types, dispatched by type:

:class:`DelaySynapse`
    Integer delays ``(n_in, n_out)`` in time steps: the spike of input ``i`` at step ``t`` reaches
    neuron ``j`` at step ``t + delays[i, j]`` (the :class:`~scnc.snn.network.LIFLayer` contract).
:class:`KernelSynapse`
    A temporal kernel per synapse, ``keff (K, n_in, n_out)``: ``cur[t, j] = sum_i sum_k
    keff[k, i, j] x[t - k, i]``. DCLS (:mod:`scnc.snn.dcls`) trains through it; its gradient is
    ``dL/dkeff``, which DCLS maps to weights and positions.

The LIF part (leak, fire, reset, surrogate backward) is the same arithmetic as the fused kernels;
see the :mod:`scnc.snn._kernels` docstring for the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

import numpy as np

from ..errors import ConfigError
from ..kinds import ResetMode
from . import _kernels
from .bptt import _RESET_CODES, GradResult, LayerGrads, _check_inputs, _check_labels, _check_surrogate, _has_delays
from .losses import get_loss
from .network import Network

__all__ = [
    "DelaySynapse",
    "KernelSynapse",
    "has_delays",
    "synapses_of",
    "LayerRecord",
    "forward_layers",
    "delayed_output_counts",
    "delayed_run_forward",
    "delayed_value_and_grad",
]


@dataclass(frozen=True)
class DelaySynapse:
    """Integer per-synapse delays, int16 ``(n_in, n_out)``, in time steps (0 = no delay)."""

    delays: np.ndarray


@dataclass(frozen=True)
class KernelSynapse:
    """A temporal kernel per synapse, float32 ``(K, n_in, n_out)``; tap ``k`` delays by ``k`` steps.

    It replaces the layer's ``weight`` in the forward pass (the weight is folded into it).
    """

    keff: np.ndarray


Synapse = DelaySynapse | KernelSynapse


has_delays = _has_delays
"""Whether any layer of a network carries synaptic delays (then it runs in this module)."""


def synapses_of(net: Network) -> list[Synapse]:
    """Each layer's :class:`DelaySynapse` (zeros for a layer without delays)."""
    return [
        DelaySynapse(np.zeros(layer.weight.shape, np.int16) if layer.delays is None else layer.delays)
        for layer in net.layers
    ]


def _check_synapses(net: Network, synapses: list[Synapse]) -> None:
    if len(synapses) != len(net.layers):
        raise ConfigError(f"need one synapse per layer ({len(net.layers)}), got {len(synapses)}")
    for layer, syn in zip(net.layers, synapses):
        if isinstance(syn, DelaySynapse):
            ok = syn.delays.shape == layer.weight.shape and syn.delays.dtype == np.int16
        elif isinstance(syn, KernelSynapse):
            ok = syn.keff.ndim == 3 and syn.keff.shape[1:] == layer.weight.shape and syn.keff.dtype == np.float32
        else:
            raise ConfigError(f"layer '{layer.name}': unknown synapse type {type(syn).__name__}")
        if not ok:
            raise ConfigError(f"layer '{layer.name}': synapse arrays do not match the weight shape {layer.weight.shape}")


# ---- synapse forward / backward, by type ------------------------------------------------------


@singledispatch
def _current(syn, weight: np.ndarray, x: np.ndarray, binary: bool) -> np.ndarray:
    raise TypeError(f"no current for synapse type {type(syn).__name__}")  # pragma: no cover


@_current.register
def _(syn: DelaySynapse, weight: np.ndarray, x: np.ndarray, binary: bool) -> np.ndarray:
    cur = np.empty((x.shape[0], x.shape[1], weight.shape[1]), np.float32)
    _kernels.delay_current(x, binary, weight, syn.delays, cur)
    return cur


@_current.register
def _(syn: KernelSynapse, weight: np.ndarray, x: np.ndarray, binary: bool) -> np.ndarray:
    cur = np.empty((x.shape[0], x.shape[1], weight.shape[1]), np.float32)
    _kernels.conv_current(x, syn.keff, cur)
    return cur


@singledispatch
def _synapse_backward(syn, weight: np.ndarray, x: np.ndarray, dvp: np.ndarray, need_ds: bool):
    raise TypeError(f"no backward for synapse type {type(syn).__name__}")  # pragma: no cover


@_synapse_backward.register
def _(syn: DelaySynapse, weight: np.ndarray, x: np.ndarray, dvp: np.ndarray, need_ds: bool):
    """Returns ``(dL/dweight, dL/dx or None)``."""
    gw = np.empty_like(weight)
    ds_in = np.empty(x.shape, np.float32) if need_ds else np.empty((1, 1, 1), np.float32)
    _kernels.delay_backward(x, weight, syn.delays, dvp, need_ds, gw, ds_in)
    return gw, (ds_in if need_ds else None)


@_synapse_backward.register
def _(syn: KernelSynapse, weight: np.ndarray, x: np.ndarray, dvp: np.ndarray, need_ds: bool):
    """Returns ``(dL/dkeff, dL/dx or None)``."""
    gk = np.empty_like(syn.keff)
    ds_in = np.empty(x.shape, np.float32) if need_ds else np.empty((1, 1, 1), np.float32)
    _kernels.conv_backward(x, syn.keff, dvp, need_ds, gk, ds_in)
    return gk, (ds_in if need_ds else None)


# ---- whole network -----------------------------------------------------------------------------


@dataclass
class LayerRecord:
    """One layer's forward record, each ``(T, B, n_out)``: its input ``x`` is ``(T, B, n_in)``."""

    x: np.ndarray
    spikes: np.ndarray
    vpre: np.ndarray
    vpost: np.ndarray


def _per_neuron(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bias = np.zeros(layer.n_out, np.float32) if layer.bias is None else layer.bias
    return bias, layer.beta_per_neuron(), layer.threshold_per_neuron()


def forward_layers(net: Network, inputs: np.ndarray, binary: bool, synapses: list[Synapse]) -> list[LayerRecord]:
    """Run every layer over all steps; ``inputs`` already checked (float32 ``(T, B, n_in)``)."""
    _check_synapses(net, synapses)
    records = []
    x = inputs
    for l, (layer, syn) in enumerate(zip(net.layers, synapses)):
        cur = _current(syn, layer.weight, x, binary if l == 0 else True)
        bias, beta, theta = _per_neuron(layer)
        shape = cur.shape
        spikes = np.empty(shape, np.uint8)
        vpre = np.empty(shape, np.float32)
        vpost = np.empty(shape, np.float32)
        _kernels.lif_layer_forward(cur, bias, beta, theta, _RESET_CODES[ResetMode(layer.reset)], spikes, vpre, vpost)
        records.append(LayerRecord(x, spikes, vpre, vpost))
        x = spikes.astype(np.float32)
    return records


def delayed_run_forward(net: Network, inputs: np.ndarray, *, binary: bool | None = None,
                        synapses: list[Synapse] | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`scnc.snn.bptt.run_forward` for a network with delays: per layer spikes and ``v``, ``(T, B, n)``."""
    inputs, binary = _check_inputs(net, inputs, binary)
    recs = forward_layers(net, inputs, binary, synapses if synapses is not None else synapses_of(net))
    return [r.spikes for r in recs], [r.vpost for r in recs]


def delayed_output_counts(net: Network, inputs: np.ndarray, *, binary: bool | None = None,
                          synapses: list[Synapse] | None = None) -> np.ndarray:
    """Output spike counts ``(batch, n_outputs)`` int32 of a network with delays."""
    spikes, _ = delayed_run_forward(net, inputs, binary=binary, synapses=synapses)
    return spikes[-1].sum(axis=0, dtype=np.int32)


def delayed_value_and_grad(
    net: Network,
    inputs: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "ce_count",
    surrogate: str = "fast_sigmoid",
    slope: float = 25.0,
    binary: bool | None = None,
    synapses: list[Synapse] | None = None,
) -> tuple[GradResult, list[np.ndarray]]:
    """Loss and gradients of a network with delays (or DCLS kernels); arguments as
    :func:`scnc.snn.bptt.value_and_grad`.

    Returns
    -------
    (GradResult, list)
        The usual result (for a layer with a :class:`KernelSynapse` its ``weight`` gradient is
        zeros: the weight lives inside the kernel) and, per layer, the synapse gradient: dL/dweight
        for a :class:`DelaySynapse`, dL/dkeff ``(K, n_in, n_out)`` for a :class:`KernelSynapse`.
    """
    spec = get_loss(loss)
    sg_kind = _check_surrogate(surrogate, slope)
    inputs, binary = _check_inputs(net, inputs, binary)
    T, B, _ = inputs.shape
    K = net.n_outputs
    y = _check_labels(y, B, K)
    synapses = synapses if synapses is not None else synapses_of(net)
    recs = forward_layers(net, inputs, binary, synapses)
    out = recs[-1]
    counts = out.spikes.sum(axis=0, dtype=np.int32)
    zeros = np.zeros((T, B, K), np.float32)
    if spec.reads == "spikes":
        loss_value, g_spk = spec.fn(out.spikes, y)
        g_mem = zeros
    else:
        loss_value, g_mem = spec.fn(out.vpost, y)
        g_spk = zeros
    ds = np.ascontiguousarray(g_spk, np.float32)
    gm = np.ascontiguousarray(g_mem, np.float32)
    grads: list[LayerGrads] = [None] * len(net.layers)  # type: ignore[list-item]
    syn_grads: list[np.ndarray] = [None] * len(net.layers)  # type: ignore[list-item]
    for l in range(len(net.layers) - 1, -1, -1):
        layer, rec, syn = net.layers[l], recs[l], synapses[l]
        bias, beta, theta = _per_neuron(layer)
        dvp = np.empty(rec.vpre.shape, np.float32)
        gth = np.empty(rec.vpre.shape, np.float32)
        _kernels.lif_layer_backward(beta, theta, _RESET_CODES[ResetMode(layer.reset)], sg_kind, np.float32(slope),
                                    rec.spikes, rec.vpre, ds, gm, dvp, gth)
        g_syn, ds_in = _synapse_backward(syn, layer.weight, rec.x, dvp, l > 0)
        syn_grads[l] = g_syn
        # per-neuron sums over samples and steps (NumPy's fixed pairwise order: deterministic)
        gb = dvp.sum(axis=(0, 1), dtype=np.float32)
        gbeta = (dvp[1:] * rec.vpost[:-1]).sum(axis=(0, 1), dtype=np.float32)
        gt = gth.sum(axis=(0, 1), dtype=np.float32)
        grads[l] = LayerGrads(
            weight=g_syn if isinstance(syn, DelaySynapse) else np.zeros_like(layer.weight),
            bias=None if layer.bias is None else gb,
            beta=np.array([gbeta.sum(dtype=np.float32)], np.float32) if layer.beta.shape == (1,) else gbeta,
            threshold=np.array([gt.sum(dtype=np.float32)], np.float32) if layer.threshold.shape == (1,) else gt,
        )
        if l > 0:
            ds = ds_in
            gm = np.zeros(ds.shape, np.float32)
    return GradResult(float(loss_value), grads, counts), syn_grads

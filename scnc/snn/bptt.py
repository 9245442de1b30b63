"""Surrogate-gradient backpropagation through time for a :class:`~scnc.snn.network.Network`.

The typed wrapper around :mod:`scnc.snn._kernels`: validates once, packs the layers' parameters
into flat float32 buffers, runs the forward kernel, the loss (:mod:`scnc.snn.losses`) and the
backward kernel (two kernel calls per batch, none per time step), and unpacks the gradients.
The exact gradient formulas are in the :mod:`scnc.snn._kernels` docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..kinds import ResetMode
from . import _kernels
from .losses import get_loss
from .network import Network

__all__ = [
    "SURROGATES",
    "N_CHUNKS",
    "LayerGrads",
    "GradResult",
    "value_and_grad",
    "run_forward",
    "output_counts",
]

SURROGATES = ("fast_sigmoid", "arctan")
"""Surrogate names: ``fast_sigmoid`` -> ``1/(1+slope*|u|)**2``, ``arctan`` -> ``1/(1+(pi*slope*u/2)**2)``."""

# the kernels' integer code of each reset mode (a table, so a new mode is one entry here)
_RESET_CODES: dict[ResetMode, int] = {
    ResetMode.SUBTRACT: _kernels.RESET_SUBTRACT,
    ResetMode.ZERO: _kernels.RESET_ZERO,
    ResetMode.SUBTRACT_DELAYED: _kernels.RESET_SUBTRACT_DELAYED,
}

N_CHUNKS = 16
"""Fixed number of sample chunks whose partial gradient sums are added in chunk order (independent
of the thread count, so results are bit-identical on any machine); a batch smaller than this uses
one chunk per sample."""


@dataclass
class LayerGrads:
    """Gradients of one layer, shaped like its parameters (batch-summed dL with L the batch mean).

    ``bias`` is ``None`` for a layer without bias. ``beta`` and ``threshold`` have the layer's own
    shapes (``(1,)`` sums the per-neuron gradient); they are computed whether or not the layer
    learns them.
    """

    weight: np.ndarray
    bias: np.ndarray | None
    beta: np.ndarray
    threshold: np.ndarray


@dataclass
class GradResult:
    """Result of :func:`value_and_grad`: mean loss, per-layer gradients, output spike counts ``(batch, K)``."""

    loss: float
    grads: list[LayerGrads]
    counts: np.ndarray


@dataclass
class _Packed:
    sizes: np.ndarray
    w_off: np.ndarray
    n_off: np.ndarray
    w: np.ndarray
    bias: np.ndarray
    beta: np.ndarray
    theta: np.ndarray
    reset_code: np.ndarray

    @classmethod
    def of(cls, net: Network) -> "_Packed":
        sizes = np.array([net.layers[0].n_in] + [layer.n_out for layer in net.layers], np.int64)
        w_sizes = sizes[:-1] * sizes[1:]
        w_off = np.concatenate([[0], np.cumsum(w_sizes)[:-1]]).astype(np.int64)
        n_off = np.concatenate([[0], np.cumsum(sizes[1:])[:-1]]).astype(np.int64)
        w = np.concatenate([layer.weight.reshape(-1) for layer in net.layers]).astype(np.float32)
        bias = np.concatenate(
            [np.zeros(layer.n_out, np.float32) if layer.bias is None else layer.bias for layer in net.layers]
        ).astype(np.float32)
        beta = np.concatenate([layer.beta_per_neuron() for layer in net.layers]).astype(np.float32)
        theta = np.concatenate([layer.threshold_per_neuron() for layer in net.layers]).astype(np.float32)
        reset_code = np.array([_RESET_CODES[ResetMode(layer.reset)] for layer in net.layers], np.int8)
        return cls(sizes, w_off, n_off, w, bias, beta, theta, reset_code)

    @property
    def n_neurons(self) -> int:
        return int(self.sizes[1:].sum())


def _has_delays(net: Network) -> bool:
    """A network with any delayed layer runs in :mod:`scnc.snn.delayed` (the fused kernels keep no spike history)."""
    return any(layer.delays is not None for layer in net.layers)


def _check_labels(y, batch: int, n_classes: int) -> np.ndarray:
    """``y`` as an integer array of shape ``(batch,)`` with every label in ``[0, n_classes)``."""
    y = np.asarray(y)
    if y.shape != (batch,) or not np.issubdtype(y.dtype, np.integer):
        raise ConfigError(f"labels y must be integers of shape ({batch},), got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ConfigError(f"labels y must lie in [0, {n_classes}), got [{y.min()}, {y.max()}]")
    return y


def _check_inputs(net: Network, inputs: np.ndarray, binary: bool | None) -> tuple[np.ndarray, bool]:
    inputs = np.asarray(inputs)
    if inputs.ndim != 3 or inputs.shape[2] != net.n_inputs:
        raise ConfigError(
            f"inputs must be encoded as (timesteps, batch, {net.n_inputs}), got shape {inputs.shape}"
        )
    if inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise ConfigError(f"inputs need at least one time step and one sample, got shape {inputs.shape}")
    inputs = np.ascontiguousarray(inputs, dtype=np.float32)
    if binary is None:
        binary = bool(np.all((inputs == 0) | (inputs == 1)))
    return inputs, bool(binary)


def _check_surrogate(surrogate: str, slope: float) -> int:
    if surrogate not in SURROGATES:
        raise ConfigError(f"surrogate must be one of {SURROGATES}, got {surrogate!r}")
    if not (np.isfinite(slope) and slope > 0):
        raise ConfigError(f"surrogate slope must be a finite number > 0, got {slope!r}")
    return _kernels.SURROGATE_FAST_SIGMOID if surrogate == "fast_sigmoid" else _kernels.SURROGATE_ARCTAN


def _forward_buffers(
    p: _Packed, inputs: np.ndarray, binary: bool, out: tuple[np.ndarray, ...] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    T, B, _ = inputs.shape
    N = p.n_neurons
    if out is None:
        spikes = np.empty((B, T, N), np.uint8)
        vpre = np.empty((B, T, N), np.float32)
        vpost = np.empty((B, T, N), np.float32)
    else:
        spikes, vpre, vpost = out
    _kernels.forward_train(
        inputs, binary, p.sizes, p.w_off, p.n_off, p.w, p.bias, p.beta, p.theta, p.reset_code,
        min(N_CHUNKS, B), spikes, vpre, vpost,
    )
    return spikes, vpre, vpost


def _layer_view(arr: np.ndarray, p: _Packed, layer: int) -> np.ndarray:
    """``(B, T, N)`` packed record -> ``(T, B, n_out)`` for one layer."""
    lo = int(p.n_off[layer])
    hi = lo + int(p.sizes[layer + 1])
    return np.ascontiguousarray(arr[:, :, lo:hi].transpose(1, 0, 2))


def run_forward(
    net: Network, inputs: np.ndarray, *, binary: bool | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run the network on encoded inputs and keep every layer's record.

    Parameters
    ----------
    inputs:
        Encoded input ``(T, batch, n_in)`` (see :func:`scnc.snn.encoders.encode`).
    binary:
        Whether ``inputs`` are exactly 0/1 (sparse gather-add path); ``None`` checks.

    Returns
    -------
    (list, list)
        Per layer: spikes uint8 ``(T, batch, n_out)`` and membranes ``v`` after the reset,
        float32 ``(T, batch, n_out)``.
    """
    if _has_delays(net):
        from .delayed import delayed_run_forward

        return delayed_run_forward(net, inputs, binary=binary)
    inputs, binary = _check_inputs(net, inputs, binary)
    p = _Packed.of(net)
    spikes, _, vpost = _forward_buffers(p, inputs, binary)
    n = len(net.layers)
    return [_layer_view(spikes, p, i) for i in range(n)], [_layer_view(vpost, p, i) for i in range(n)]


def output_counts(net: Network, inputs: np.ndarray, *, binary: bool | None = None) -> np.ndarray:
    """Output-layer spike counts ``(batch, n_outputs)`` int32 over the ``T`` steps of ``inputs``.

    Inference kernel: keeps no traces, parallel over samples.
    """
    if _has_delays(net):
        from .delayed import delayed_output_counts

        return delayed_output_counts(net, inputs, binary=binary)
    inputs, binary = _check_inputs(net, inputs, binary)
    p = _Packed.of(net)
    counts = np.zeros((inputs.shape[1], net.n_outputs), np.int32)
    _kernels.infer_counts(
        inputs, binary, p.sizes, p.w_off, p.n_off, p.w, p.bias, p.beta, p.theta, p.reset_code, counts
    )
    return counts


class _GradBuffers:
    """Scratch reused across batches of the same shape (avoids page-faulting fresh memory).

    Holds the forward record (spikes, ``v_pre``, ``v``) and the backward's per-sample
    ``dv_pre`` and threshold terms, all ``(B, T, n_neurons)``.
    """

    def __init__(self) -> None:
        self.key: tuple[int, int, int] | None = None

    def get(self, batch: int, timesteps: int, n_n: int) -> tuple[np.ndarray, ...]:
        key = (batch, timesteps, n_n)
        if self.key != key:
            self.key = key
            shape = (batch, timesteps, n_n)
            self.spikes = np.empty(shape, np.uint8)
            self.vpre = np.empty(shape, np.float32)
            self.vpost = np.empty(shape, np.float32)
            self.dvp = np.empty(shape, np.float32)
            self.gth = np.empty(shape, np.float32)
        return self.spikes, self.vpre, self.vpost, self.dvp, self.gth


def value_and_grad(
    net: Network,
    inputs: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "ce_count",
    surrogate: str = "fast_sigmoid",
    slope: float = 25.0,
    binary: bool | None = None,
    _scratch: _GradBuffers | None = None,
) -> GradResult:
    """Loss and surrogate gradients of every parameter for one batch (forward + BPTT).

    Parameters
    ----------
    net:
        The network (not modified).
    inputs:
        Encoded input ``(T, batch, n_in)`` float32.
    y:
        Integer labels ``(batch,)`` in ``[0, n_outputs)``.
    loss:
        A name from :data:`scnc.snn.losses.LOSS_NAMES`.
    surrogate, slope:
        Surrogate spike derivative (:data:`SURROGATES`) and its slope (> 0).
    binary:
        Whether ``inputs`` are exactly 0/1; ``None`` checks (pass it when known, e.g. from the
        encoder kind, to skip the scan).

    Returns
    -------
    GradResult
    """
    if _has_delays(net):
        # synaptic delays need each input's spike history: the layer-by-layer path
        from .delayed import delayed_value_and_grad

        return delayed_value_and_grad(net, inputs, y, loss=loss, surrogate=surrogate, slope=slope, binary=binary)[0]
    spec = get_loss(loss)
    sg_kind = _check_surrogate(surrogate, slope)
    inputs, binary = _check_inputs(net, inputs, binary)
    T, B, _ = inputs.shape
    K = net.n_outputs
    y = _check_labels(y, B, K)

    p = _Packed.of(net)
    L = len(net.layers)
    scratch = _scratch if _scratch is not None else _GradBuffers()
    spikes, vpre, vpost, dvp_all, gth_all = scratch.get(B, T, p.n_neurons)
    _forward_buffers(p, inputs, binary, (spikes, vpre, vpost))
    out_lo = int(p.n_off[L - 1])
    out_spk = spikes[:, :, out_lo:out_lo + K]
    counts = out_spk.sum(axis=1, dtype=np.int32)
    zeros = np.zeros((T, B, K), np.float32)
    if spec.reads == "spikes":
        loss_value, g_spk = spec.fn(out_spk.transpose(1, 0, 2), y)
        g_mem = zeros
    else:
        loss_value, g_mem = spec.fn(vpost[:, :, out_lo:out_lo + K].transpose(1, 0, 2), y)
        g_spk = zeros

    n_chunks = min(N_CHUNKS, B)
    gw = np.empty_like(p.w)
    gbias = np.empty_like(p.bias)
    gbeta = np.empty_like(p.beta)
    gtheta = np.empty_like(p.theta)
    _kernels.backward(
        inputs, binary, p.sizes, p.w_off, p.n_off, p.w, p.beta, p.theta, p.reset_code,
        sg_kind, np.float32(slope), spikes, vpre, vpost,
        np.ascontiguousarray(g_spk, np.float32), np.ascontiguousarray(g_mem, np.float32), n_chunks,
        dvp_all, gth_all, gw, gbias, gbeta, gtheta,
    )
    grads = []
    for i, layer in enumerate(net.layers):
        wo, no = int(p.w_off[i]), int(p.n_off[i])
        n_in, n_out = layer.n_in, layer.n_out
        sl = slice(no, no + n_out)
        gb = gbeta[sl]
        gt = gtheta[sl]
        grads.append(
            LayerGrads(
                weight=gw[wo:wo + n_in * n_out].reshape(n_in, n_out).copy(),
                bias=None if layer.bias is None else gbias[sl].copy(),
                beta=np.array([gb.sum(dtype=np.float32)], np.float32) if layer.beta.shape == (1,) else gb.copy(),
                threshold=(
                    np.array([gt.sum(dtype=np.float32)], np.float32) if layer.threshold.shape == (1,) else gt.copy()
                ),
            )
        )
    return GradResult(float(loss_value), grads, counts)

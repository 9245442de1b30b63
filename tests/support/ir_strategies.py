"""Builders of random small quantized graphs (test-only; shared by the ref and RTL tests).

:func:`build_graph` makes a quantized :class:`~scnc.ir.graph.Graph` directly from QuantInput /
QuantLIF (no quantization pass involved) from a numpy ``Generator`` and a :class:`GraphShape`;
:func:`graph_shapes` is the hypothesis strategy over shapes covering every hardware option: L, weight
bits, every SNG kind for every stream, both encodings, both leaks, every reset mode, tiny saturating
membranes, zero and full-scale weights, biases, rate and spike input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from scnc.ir.graph import (
    DelayDenseNode, DelayLine, DenseNode, Graph, HardwareParams, InputNode, LIFNode, OutputNode, QuantDense, QuantInput, QuantLIF, SCLeak,
    ShiftLeak,
)
from scnc.sc import LFSRSpec, SobolSpec, VdcSpec

WEIGHT_STYLES = ("random", "full", "zero", "sparse_full")


@dataclass(frozen=True)
class GraphShape:
    """Every structural choice of a random quantized graph; arrays are then drawn from ``seed``."""

    sizes: tuple  # (n_in, n_1, ..., n_layers)
    stream_length: int = 8
    timesteps: int = 3
    encoding: str = "sc"
    sng: str = "vdc"
    input_sng: str = "vdc"
    coding: str = "rate"
    input_bits: int = 4
    weight_bits: int | None = None  # None: log2 L
    leak: str = "sc"
    reset: str = "subtract"
    membrane_bits: int = 12
    parallel_inputs: int = 1
    weight_style: str = "random"
    seed: int = 0
    max_delay: int = 0  # > 0: every layer is a DelayDenseNode with delays drawn in 0..max_delay


def random_spec(rng: np.random.Generator, kind: str, bits: int):
    """A random valid SNG spec of ``kind`` giving ``bits``-bit values (any directions / taps: the
    hardware contract holds for every spec, not only the well-chosen ones the IR passes pick)."""
    if kind == "vdc":
        return VdcSpec(bits=bits, xor_mask=int(rng.integers(0, 1 << bits)))
    if kind == "sobol":
        dirs = tuple(int(rng.integers(0, 1 << bits)) for _ in range(bits))
        return SobolSpec(bits=bits, directions=dirs, xor_mask=int(rng.integers(0, 1 << bits)))
    if kind == "lfsr":
        width = int(rng.integers(max(2, bits), max(2, bits) + 5))
        lower = sorted({int(t) for t in rng.integers(1, width, size=int(rng.integers(0, 4)))}, reverse=True)
        taps = (width, *[t for t in lower if t < width])
        select = tuple(int(s) for s in rng.permutation(width)[:bits])
        seed = int(rng.integers(1, 1 << width))
        return LFSRSpec(width=width, taps=taps, seed=seed, select=select)
    raise ValueError(kind)


def _weights(rng: np.random.Generator, n_in: int, n_out: int, w: int, style: str) -> np.ndarray:
    top = (1 << w) - 1
    if style == "zero":
        return np.zeros((n_in, n_out), np.int32)
    signs = rng.choice(np.array([-1, 1]), size=(n_in, n_out))
    if style == "full":
        return (signs * top).astype(np.int32)
    q = rng.integers(-top, top + 1, size=(n_in, n_out))
    if style == "sparse_full":
        pick = rng.random((n_in, n_out))
        q = np.where(pick < 0.3, 0, np.where(pick < 0.6, signs * top, q))
    return q.astype(np.int32)


def build_graph(shape: GraphShape) -> Graph:
    """The quantized graph described by ``shape`` (deterministic in ``shape.seed``).

    Parameters and SNG specs come from two independent generators, so graphs that differ only in
    their streams (encoding, SNG kinds) share every integer parameter.
    """
    # delays come from a third generator, so graphs without delays are what they always were
    rng, srng, drng = (np.random.default_rng(s) for s in np.random.SeedSequence(shape.seed).spawn(3))
    L = shape.stream_length
    n = L.bit_length() - 1
    T = shape.timesteps
    w = n if shape.weight_bits is None else shape.weight_bits
    M = shape.membrane_bits
    vmax = (1 << (M - 1)) - 1
    hw = HardwareParams(stream_length=L, encoding=shape.encoding, sng=shape.sng, input_sng=shape.input_sng,
                        seed=shape.seed)
    n_in = shape.sizes[0]
    if shape.coding == "rate":
        qin = QuantInput(coding="rate", input_bits=shape.input_bits,
                         sngs=tuple(random_spec(srng, shape.input_sng, shape.input_bits) for _ in range(n_in)))
    else:
        qin = QuantInput(coding="spikes")
    nodes: list = [InputNode(name="input", size=n_in, encoder={"kind": shape.coding}, quant=qin)]
    prev = "input"
    for li, (a, b) in enumerate(zip(shape.sizes[:-1], shape.sizes[1:])):
        P = min(shape.parallel_inputs, a)
        wq = _weights(rng, a, b, w, shape.weight_style)
        threshold = rng.integers(1, min(vmax, 2 * L) + 1, size=b).astype(np.int32)
        bias_span = min(vmax, L)
        bias = np.where(rng.random(b) < 0.5, 0, rng.integers(-bias_span, bias_span + 1, size=b)).astype(np.int32)
        beta_q = rng.integers(0, L + 1, size=b).astype(np.int32)
        beta_q[rng.random(b) < 0.2] = L
        leak_shift = rng.integers(0, M + 3, size=b).astype(np.int32)
        sc = shape.encoding == "sc"
        leak_sc = shape.leak == "sc"
        synapse_sngs = tuple(random_spec(srng, shape.sng, n) for _ in range(P)) if sc else ()
        if leak_sc:  # drawn after the synapse streams, in the order earlier versions drew them
            leak = SCLeak(beta_q=beta_q, rounding=L // 2,
                          beta_sng=random_spec(srng, shape.sng, n) if sc else None,
                          dither_sng=random_spec(srng, shape.sng, n) if sc else None)
        else:
            leak = ShiftLeak(shift=leak_shift)
        dq = QuantDense(
            weight_bits=w,
            weight_q=wq,
            compare_shift=n - w,
            scale=1.0 / L,
            current_bits=max(2, int(a * L).bit_length() + 1),
            parallel_inputs=P,
            parallel_neurons=1,
            synapse_sngs=synapse_sngs,
        )
        lq = QuantLIF(bias_q=bias, leak=leak, threshold_q=threshold, reset=shape.reset, membrane_bits=M)
        name = f"layer{li}"
        if shape.max_delay > 0:
            delays = drng.integers(0, shape.max_delay + 1, size=(a, b)).astype(np.int16)
            D = int(delays.max())
            nodes.append(DelayDenseNode(name=f"{name}.synapses", source=prev, weight=wq.astype(np.float32) / L,
                                        delays=delays, quant=dq, line=DelayLine(D, max(1, D.bit_length()))))
        else:
            nodes.append(DenseNode(name=f"{name}.synapses", source=prev, weight=wq.astype(np.float32) / L, quant=dq))
        nodes.append(LIFNode(
            name=name, source=f"{name}.synapses", bias=bias.astype(np.float32) / L,
            beta=beta_q.astype(np.float32) / L, threshold=threshold.astype(np.float32) / L,
            reset=shape.reset, quant=lq,
        ))
        prev = name
    n_cls = shape.sizes[-1]
    nodes.append(OutputNode(name="output", source=prev, class_labels=tuple(range(n_cls)),
                            count_bits=max(1, T.bit_length())))
    return Graph(nodes=tuple(nodes), timesteps=T, level="quantized", hardware=hw)


def random_inputs(graph: Graph, batch: int, seed: int = 0) -> dict:
    """Keyword arguments for ``scnc.ref.run``: ``intensities=`` or ``spikes=`` for ``batch`` samples."""
    rng = np.random.default_rng(seed)
    q = graph.input.quant
    if q.coding == "rate":
        top = 1 << q.input_bits
        x = rng.integers(0, top, size=(batch, graph.input.size))
        x[rng.random(x.shape) < 0.1] = top - 1
        return {"intensities": x.astype(np.int32)}
    s = (rng.random((batch, graph.timesteps, graph.input.size)) < rng.uniform(0.1, 0.9)).astype(np.uint8)
    return {"spikes": s}


@st.composite
def graph_shapes(draw, max_layers: int = 3, max_size: int = 12, lengths=(2, 4, 8, 16), max_timesteps: int = 4,
                 delays: bool = False):
    """Hypothesis strategy over :class:`GraphShape` (small enough for the naive model); ``delays``:
    every layer has random synaptic delays (``max_delay`` 1..max_timesteps + 1)."""
    L = draw(st.sampled_from(lengths))
    n = L.bit_length() - 1
    n_layers = draw(st.integers(1, max_layers))
    sizes = tuple(draw(st.lists(st.integers(1, max_size), min_size=n_layers + 1, max_size=n_layers + 1)))
    return GraphShape(
        sizes=sizes,
        stream_length=L,
        timesteps=draw(st.integers(1, max_timesteps)),
        encoding=draw(st.sampled_from(("sc", "fixed"))),
        sng=draw(st.sampled_from(("vdc", "lfsr", "sobol"))),
        input_sng=draw(st.sampled_from(("vdc", "lfsr", "sobol"))),
        coding=draw(st.sampled_from(("rate", "spikes"))),
        input_bits=draw(st.integers(1, 6)),
        weight_bits=draw(st.integers(1, n)),
        leak=draw(st.sampled_from(("sc", "shift"))),
        reset=draw(st.sampled_from(("subtract", "zero", "subtract_delayed"))),
        membrane_bits=draw(st.sampled_from((2, 3, 4, 6, 10, 16))),
        parallel_inputs=draw(st.integers(1, 4)),
        weight_style=draw(st.sampled_from(WEIGHT_STYLES)),
        seed=draw(st.integers(0, 2**32 - 1)),
        max_delay=draw(st.integers(1, max_timesteps + 1)) if delays else 0,
    )

"""Random small configurations for equivalence campaigns: network + quantization options + inputs.

A :class:`ConfigSpec` fixes every choice (sizes, L, widths, SNG kinds, encoding, leak, reset,
saturating membranes, zero weights, biases, spike or rate input, synaptic delays); :func:`build_config` turns it
into a quantized graph (through the real pipeline: :func:`scnc.ir.from_network` +
:func:`scnc.ir.quantize`) and seeded inputs. :func:`draw_spec` draws one from a numpy generator
(``benchmarks/verify_campaign.py``); the tests draw them with hypothesis.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace

import numpy as np

from scnc.errors import ConfigError

__all__ = ["ConfigSpec", "build_config", "draw_spec"]


@dataclass(frozen=True)
class ConfigSpec:
    """Every choice of one random configuration (see :class:`scnc.ir.QuantOptions` for the options)."""

    sizes: tuple = (4, 3)
    timesteps: int = 3
    stream_length: int = 8
    weight_bits: int | None = None
    sng: str = "vdc"
    input_sng: str = "vdc"
    encoding: str = "sc"
    leak: str = "sc"
    reset: str = "subtract"
    input_coding: str = "rate"
    input_bits: int = 4
    parallel_inputs: int = 2
    parallel_neurons: int = 1
    membrane_bits: int | None = None
    zero_fraction: float = 0.0
    bias: bool = False
    beta: float = 0.9
    threshold: float = 1.0
    weight_gain: float = 1.0
    samples: int = 2
    seed: int = 0
    #: > 0: every layer gets per-synapse delays drawn uniformly in ``0..max_delay`` time steps (a
    #: ``DelayDenseNode``); 0: plain dense layers, exactly the configurations drawn before delays.
    max_delay: int = 0
    engine: str = "dense"

    def to_dict(self) -> dict:
        return asdict(self)


def build_config(spec: ConfigSpec):
    """``(graph, inputs)``: the quantized graph of ``spec`` and its seeded inputs (``B = spec.samples``).

    A forced ``membrane_bits`` that cannot hold a quantized threshold (the pass rejects it) is widened
    until it can; the membrane still saturates where the proven range does not fit.
    """
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.snn.network import Network

    rng = np.random.default_rng(spec.seed)
    net = Network.dense(list(spec.sizes), seed=spec.seed, beta=spec.beta, threshold=spec.threshold,
                        reset=spec.reset, bias=spec.bias, timesteps=spec.timesteps)
    for layer in net.layers:
        layer.weight = (layer.weight * np.float32(spec.weight_gain)).astype(np.float32)
        if spec.zero_fraction > 0:
            mask = rng.random(layer.weight.shape) < spec.zero_fraction
            layer.weight = np.where(mask, np.float32(0), layer.weight).astype(np.float32)
        if spec.bias:
            layer.bias = rng.uniform(-0.5, 0.5, layer.n_out).astype(np.float32)
    if spec.max_delay > 0:
        # their own generator: the weights and inputs of a spec do not depend on whether it has delays
        drng = np.random.default_rng([spec.seed, spec.max_delay])
        for layer in net.layers:
            layer.delays = drng.integers(0, spec.max_delay + 1, size=layer.weight.shape).astype(np.int16)
    graph = None
    mbits = spec.membrane_bits
    while graph is None:
        opts = QuantOptions(
            stream_length=spec.stream_length, weight_bits=spec.weight_bits, sng=spec.sng,
            input_sng=spec.input_sng, encoding=spec.encoding, leak=spec.leak, input_coding=spec.input_coding,
            input_bits=spec.input_bits, parallel_inputs=spec.parallel_inputs,
            parallel_neurons=spec.parallel_neurons, membrane_bits=mbits, seed=spec.seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                graph = quantize(from_network(net), opts)
            except ConfigError as exc:
                # a forced membrane too narrow for a threshold is rejected: widen it one bit at a time
                if mbits is None or mbits >= 32 or "membrane_bits" not in str(exc):
                    raise
                mbits += 1
    if spec.engine != "dense":
        from scnc.ir import set_engine

        graph = set_engine(graph, spec.engine)
    n_in, T, B = spec.sizes[0], spec.timesteps, spec.samples
    if spec.input_coding == "rate":
        inputs = {"intensities": rng.integers(0, 1 << spec.input_bits, size=(B, n_in), dtype=np.int64)}
    else:
        inputs = {"spikes": (rng.random((B, T, n_in)) < rng.uniform(0.2, 0.8)).astype(np.uint8)}
    return graph, inputs


def draw_spec(
    rng: np.random.Generator, *, max_width: int = 6, delays: bool = False, engines: tuple = ("dense",)
) -> ConfigSpec:
    """One random :class:`ConfigSpec` (small: widths up to ``max_width``, L up to 16, T up to 4).

    ``delays``: also draw ``max_delay`` (0 in a third of the specs, else 1..5 time steps, so some
    delays reach past the last step). Without it no extra number is drawn, so the specs of a seed are
    those drawn before delays existed (``tests/test_golden.py`` pins them).

    ``engines``: the layer engines to draw from (:class:`scnc.kinds.Engine` values). The engine is drawn
    last and only when there is a choice, so the default draws exactly the specs it always drew (the
    golden configurations of ``tests/test_golden.py``). An ``"event"`` spec with encoding ``"sc"`` uses
    window-exact synapse streams (``vdc`` or ``sobol``), the event engine's requirement; an ``"event"``
    spec has no delays (the event engine does not realise delay synapses; see docs/rtl.md).
    """
    n_layers = int(rng.integers(1, 3))
    sizes = tuple(int(rng.integers(1, max_width + 1)) for _ in range(n_layers + 1))
    L = int(2 ** rng.integers(1, 5))
    n = L.bit_length() - 1
    wb = None if rng.random() < 0.5 else int(rng.integers(1, n + 1))
    kinds = ("vdc", "lfsr", "sobol")
    spec = ConfigSpec(
        sizes=sizes,
        timesteps=int(rng.integers(1, 5)),
        stream_length=L,
        weight_bits=wb,
        sng=str(rng.choice(kinds)),
        input_sng=str(rng.choice(kinds)),
        encoding=str(rng.choice(("sc", "fixed"))),
        leak=str(rng.choice(("sc", "shift"))),
        reset=str(rng.choice(("subtract", "zero"))),
        input_coding=str(rng.choice(("rate", "spikes"))),
        input_bits=int(rng.integers(1, 9)),
        parallel_inputs=int(rng.integers(1, 5)),
        parallel_neurons=int(rng.integers(1, 4)),
        membrane_bits=None if rng.random() < 0.6 else int(rng.integers(3, 9)),
        zero_fraction=float(rng.choice((0.0, 0.0, 0.3, 1.0))),
        bias=bool(rng.random() < 0.4),
        beta=float(rng.choice((0.0, 0.5, 0.9, 1.0))),
        threshold=float(rng.choice((0.3, 1.0, 2.0))),
        weight_gain=float(rng.choice((0.5, 1.0, 4.0))),
        samples=2,
        seed=int(rng.integers(0, 2**31)),
        max_delay=(0 if rng.random() < 1 / 3 else int(rng.integers(1, 6))) if delays else 0,
    )
    if len(engines) < 2:
        return spec if engines == ("dense",) else replace(spec, engine=str(engines[0]))
    engine = str(rng.choice(engines))
    if engine != "dense" and spec.encoding == "sc" and spec.sng == "lfsr":
        spec = replace(spec, sng=str(rng.choice(("vdc", "sobol"))))
    if engine != "dense":
        spec = replace(spec, max_delay=0)
    return replace(spec, engine=engine)

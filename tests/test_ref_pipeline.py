"""scnc.ref on graphs made by the real pipeline (scnc.ir.from_network + scnc.ir.quantize)."""

from __future__ import annotations

import numpy as np
import pytest

from support.hw_naive import run_naive
from scnc import ref

from scnc import ir
from scnc.snn import network


@pytest.mark.parametrize(
    "opts",
    [
        dict(sng="vdc", input_sng="vdc", leak="sc"),
        dict(sng="lfsr", input_sng="lfsr", leak="sc", parallel_inputs=3),
        dict(sng="sobol", input_sng="sobol", leak="shift"),
        dict(encoding="fixed", leak="sc", input_sng="lfsr"),
        dict(sng="lfsr", input_coding="spikes", leak="sc", membrane_bits=5),
    ],
)
def test_quantized_network_matches_naive(opts: dict) -> None:
    # threshold 0.25: threshold_q fits the forced 5-bit membrane of the last case, which then saturates
    net = network.Network.dense([7, 6, 4], seed=3, timesteps=5, bias=True, reset="subtract", threshold=0.25)
    graph = ir.quantize(ir.from_network(net), ir.QuantOptions(stream_length=16, input_bits=4, seed=5, **opts))
    rng = np.random.default_rng(0)
    if graph.input.quant.coding == "rate":
        x = rng.random((3, 7))
        res = ref.run(graph, x)
        xi = ref.quantize_features(graph, x)
        naive = [run_naive(graph, intensities=[int(v) for v in row]) for row in xi]
    else:
        s = (rng.random((3, 5, 7)) < 0.5).astype(np.uint8)
        res = ref.run(graph, spikes=s)
        naive = [run_naive(graph, spikes=row.tolist()) for row in s]
    for b, nv in enumerate(naive):
        for li in range(len(graph.layers)):
            assert res.spikes[li][b].tolist() == nv["spikes"][li]
            assert res.membranes[li][b].tolist() == nv["membranes"][li]
            assert int(res.saturations[li][b]) == nv["saturations"][li]
        assert res.counts[b].tolist() == nv["counts"]
    assert sum(int(s.sum()) for s in res.spikes) > 0  # the comparison saw activity
    for layer, sat in zip(graph.layers, res.saturations):
        if layer.neuron.quant.overflow_free:  # the bounds pass's proof holds on these samples
            assert sat.sum() == 0, layer.name


def test_exact_sc_with_shift_leak_equals_fixed_point() -> None:
    """With exact (VdC) synapse streams and the shift leak, SC counts are the fixed-point values."""
    net = network.Network.dense([64, 32, 10], seed=1, timesteps=10)
    g = ir.from_network(net)
    sc = ir.quantize(g, ir.QuantOptions(stream_length=64, leak="shift"))
    fx = ir.quantize(g, ir.QuantOptions(stream_length=64, leak="shift", encoding="fixed"))
    x = np.random.default_rng(2).random((50, 64))
    a, b = ref.run(sc, x, trace=False), ref.run(fx, x, trace=False)
    for sa, sb in zip(a.spikes, b.spikes):
        np.testing.assert_array_equal(sa, sb)  # shift leak + exact streams: identical

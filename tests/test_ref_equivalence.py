"""scnc.ref == the naive plain-Python transcription of docs/hardware.md, on every number."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from support.graphs import with_quant
from support.hw_naive import run_naive, sng_values
from support.ir_strategies import GraphShape, build_graph, graph_shapes, random_inputs
from scnc import ref
from scnc.sc import LFSRSpec, SobolSpec, VdcSpec, sequence


def assert_equal_to_naive(graph, inputs: dict) -> ref.RefResult:
    res = ref.run(graph, **inputs)
    batch = res.input_spikes.shape[0]
    for b in range(batch):
        if "intensities" in inputs:
            nv = run_naive(graph, intensities=[int(v) for v in inputs["intensities"][b]])
        else:
            nv = run_naive(graph, spikes=inputs["spikes"][b].tolist())
        where = f"sample {b}"
        assert res.input_spikes[b].tolist() == nv["input_spikes"], where
        for li in range(len(res.spikes)):
            assert res.spikes[li][b].tolist() == nv["spikes"][li], f"{where} layer {li} spikes"
            assert res.membranes[li][b].tolist() == nv["membranes"][li], f"{where} layer {li} membranes"
            assert int(res.saturations[li][b]) == nv["saturations"][li], f"{where} layer {li} saturations"
        assert res.counts[b].tolist() == nv["counts"], where
        assert int(res.winners[b]) == nv["winner"], where
    return res


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=graph_shapes())
def test_ref_equals_naive(shape: GraphShape) -> None:
    graph = build_graph(shape)
    assert_equal_to_naive(graph, random_inputs(graph, batch=3, seed=shape.seed))


@pytest.mark.parametrize("L", [2, 256])
@pytest.mark.parametrize("sng", ["vdc", "lfsr", "sobol"])
def test_edge_stream_lengths(L: int, sng: str) -> None:
    for encoding in ("sc", "fixed"):
        shape = GraphShape(sizes=(5, 4, 3), stream_length=L, timesteps=3, encoding=encoding, sng=sng,
                           input_sng=sng, leak="sc", membrane_bits=12, parallel_inputs=2, seed=L)
        graph = build_graph(shape)
        assert_equal_to_naive(graph, random_inputs(graph, batch=2, seed=1))


def test_saturation_is_exercised_and_counted() -> None:
    # full-scale positive weights, every input active, a 4-bit membrane: must clamp at +7
    shape = GraphShape(sizes=(6, 3), stream_length=8, timesteps=3, coding="spikes", leak="shift",
                       membrane_bits=4, weight_style="full", seed=3)
    graph = build_graph(shape)
    spikes = np.ones((2, 3, 6), np.uint8)
    res = assert_equal_to_naive(graph, {"spikes": spikes})
    assert res.saturations[0].sum() > 0


def test_naive_sngs_match_scnc_sc() -> None:
    """The naive generators agree with scnc.sc (both transcribe docs/hardware.md §1)."""
    specs = [VdcSpec(bits=5, xor_mask=9), SobolSpec(bits=4, directions=(8, 12, 10, 15), xor_mask=3),
             LFSRSpec(width=7, taps=(7, 6), seed=5, select=(6, 0, 3)), LFSRSpec(width=4, taps=(4, 3), seed=1,
                                                                             select=(0, 1, 2, 3))]
    for spec in specs:
        assert sng_values(spec, 300) == sequence(spec, 300).tolist(), spec


def test_planted_difference_is_caught() -> None:
    """The equivalence check can fail: one changed weight in the naive run's graph is detected."""
    from dataclasses import replace

    shape = GraphShape(sizes=(4, 3), stream_length=8, timesteps=3, coding="spikes", leak="shift", seed=5,
                       weight_style="full")
    graph = build_graph(shape)
    wq = graph.layers[0].synapse.quant.weight_q.copy()
    wq[0, 0] = -wq[0, 0]
    other = with_quant(graph, weight_q=wq)
    spikes = np.ones((1, 3, 4), np.uint8)
    res = ref.run(graph, spikes=spikes)
    nv = run_naive(other, spikes=spikes[0].tolist())
    assert res.membranes[0][0].tolist() != nv["membranes"][0]

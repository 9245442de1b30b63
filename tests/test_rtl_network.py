"""The whole generated core in amaranth.sim against scnc.ref: every spike and membrane, every step."""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from support.graphs import with_quant
from support.ir_strategies import GraphShape, build_graph, graph_shapes, random_inputs
from scnc import ref
from scnc.rtl import sample_cycles, simulate
from scnc.trace import Trace, first_divergence


def with_parallel_neurons(graph, p_out: int):
    """The same graph with every layer's P_n set to ``min(p_out, n_out)``."""
    for i, layer in enumerate(graph.layers):
        graph = with_quant(graph, i, parallel_neurons=min(p_out, layer.n_out))
    return graph


def check(graph, batch: int = 2, seed: int = 0, **kw):
    inputs = random_inputs(graph, batch, seed=seed)
    got = simulate(graph, **inputs, **kw)
    want = ref.run(graph, **inputs, trace=True)
    assert isinstance(got, Trace)
    d = first_divergence(want, got)  # every spike, membrane, saturation, o_data spike and count
    assert d is None, str(d)
    return got, want


CASES = {
    "vdc-rate-sc-leak": dict(sizes=(5, 4, 3)),
    "lfsr-rate": dict(sizes=(5, 4, 3), sng="lfsr", input_sng="lfsr", parallel_inputs=2),
    "sobol-shift-zero": dict(sizes=(6, 5, 3), sng="sobol", input_sng="sobol", leak="shift", reset="zero",
                             parallel_inputs=2),
    "fixed-spikes": dict(sizes=(5, 4, 3), encoding="fixed", coding="spikes"),
    "fixed-shift-rate-lfsr": dict(sizes=(4, 6), encoding="fixed", leak="shift", input_sng="lfsr"),
    "L2": dict(sizes=(4, 3, 2), stream_length=2, sng="lfsr", weight_bits=1, timesteps=4),
    "L256": dict(sizes=(3, 2), stream_length=256, sng="lfsr", timesteps=2, parallel_inputs=2),
    "zero-weights": dict(sizes=(4, 3), weight_style="zero", reset="zero"),
    "full-scale-saturating": dict(sizes=(6, 4), weight_style="full", membrane_bits=4, coding="spikes"),
    "tiny-membrane-shift": dict(sizes=(5, 3), membrane_bits=3, leak="shift", weight_style="sparse_full"),
    "delayed-subtract": dict(sizes=(5, 4, 3), reset="subtract_delayed", sng="lfsr", parallel_inputs=2),
    "delayed-subtract-saturating": dict(sizes=(6, 4), weight_style="full", membrane_bits=4, coding="spikes",
                                        reset="subtract_delayed", leak="shift"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_core_matches_ref(name: str) -> None:
    g = build_graph(GraphShape(**CASES[name], seed=7))
    check(g)


@pytest.mark.parametrize("name", ["delayed-subtract", "delayed-subtract-saturating"])
def test_delayed_subtract_cases_exercise_the_delayed_reset(name: str) -> None:
    """The two cases above are only evidence if a stored membrane >= threshold is followed by a step."""
    g = build_graph(GraphShape(**CASES[name], seed=7))
    want = ref.run(g, **random_inputs(g, 2, seed=0), trace=True)
    assert any(int((m[:, :-1] >= layer.neuron.quant.threshold_q).sum()) > 0
               for m, layer in zip(want.membranes, g.layers))


@pytest.mark.parametrize("p_out", [2, 3])
def test_parallel_neurons(p_out: int) -> None:
    g = with_parallel_neurons(build_graph(GraphShape(sizes=(5, 7, 4), sng="lfsr", parallel_inputs=3, seed=3)), p_out)
    got, _ = check(g)
    assert got.cycles.tolist() == [sample_cycles(g)["total"]] * 2


def test_saturation_is_reported() -> None:
    g = build_graph(GraphShape(sizes=(6, 4), weight_style="full", membrane_bits=3, coding="spikes", seed=1,
                               timesteps=4))
    got, want = check(g, batch=2, seed=2)
    assert sum(int(s.sum()) for s in want.saturations) > 0  # the case really saturates


def test_back_pressure_stalls_without_loss() -> None:
    g = with_parallel_neurons(build_graph(GraphShape(sizes=(4, 5, 3), sng="lfsr", parallel_inputs=2, seed=5)), 2)
    got, _ = check(g, ready_probability=0.4, seed=3)
    assert (got.cycles > sample_cycles(g)["total"]).all()


def test_cycle_formula_and_trace_order() -> None:
    # simulate refuses trace beats out of (step, layer, neuron) order, so a result proves the order
    g = build_graph(GraphShape(sizes=(5, 4, 3), parallel_inputs=2, seed=11))
    got, _ = check(g, batch=2)
    assert got.cycles.tolist() == [sample_cycles(g)["total"]] * 2
    assert got.layer_names == tuple(n.name for n in g.layers)


def test_without_trace_only_the_outputs_are_observed() -> None:
    g = build_graph(GraphShape(sizes=(5, 4, 3), parallel_inputs=2, seed=11))
    inputs = random_inputs(g, 1, seed=1)
    got = simulate(g, **inputs, trace=False)
    assert got.membranes is None and got.spikes == (None, None)
    assert first_divergence(ref.run(g, **inputs), got) is None


def test_planted_difference_is_caught() -> None:
    g = build_graph(GraphShape(sizes=(5, 4), weight_style="full", coding="spikes", seed=4))
    wq = np.array(g.layers[0].synapse.quant.weight_q)
    wq[0, 0] = -wq[0, 0]
    bad = with_quant(g, weight_q=wq)
    inputs = {"spikes": np.ones((1, g.timesteps, 5), np.uint8)}
    got = simulate(bad, **inputs)
    want = ref.run(g, **inputs)
    d = first_divergence(want, got)
    assert d is not None and (d.layer, d.neuron) == (0, 0) and d.field in ("spike", "membrane")
    assert d.actual != d.expected


def test_quantized_network_matches_ref() -> None:
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.snn.network import Network

    net = Network.dense([6, 5, 3], seed=1, timesteps=3)
    g = quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=2, parallel_neurons=2,
                                                 input_bits=4, sng="lfsr"))
    check(g)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=graph_shapes(max_layers=2, max_size=5, lengths=(2, 4, 8), max_timesteps=3))
def test_random_graphs_match_ref(shape) -> None:
    check(build_graph(shape), batch=1, seed=shape.seed % 1000)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=graph_shapes(max_layers=3, max_size=8, lengths=(2, 4, 8, 16), max_timesteps=4))
def test_random_graphs_match_ref_long(shape) -> None:
    check(with_parallel_neurons(build_graph(shape), 1 + shape.seed % 3), batch=2, seed=shape.seed % 1000)

"""scnc.ref's public API: determinism, batch independence, validation, helpers."""

from __future__ import annotations

import warnings
from dataclasses import replace

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from support.graphs import with_quant
from support.ir_strategies import GraphShape, build_graph, graph_shapes, random_inputs
from scnc import ref
from scnc.errors import DataError, IRError
from scnc.ref import model as ref_model


def _results_equal(a: ref.RefResult, b: ref.RefResult) -> None:
    np.testing.assert_array_equal(a.input_spikes, b.input_spikes)
    for x, y in zip(a.spikes, b.spikes):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.membranes, b.membranes):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(a.saturations, b.saturations):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.predictions, b.predictions)


@settings(max_examples=25, deadline=None)
@given(shape=graph_shapes(max_timesteps=6))
def test_deterministic_and_batch_split_invariant(shape: GraphShape) -> None:
    graph = build_graph(shape)
    inputs = random_inputs(graph, batch=5, seed=7)
    whole = ref.run(graph, **inputs)
    again = ref.run(build_graph(shape), **inputs)  # a fresh but equal graph: no cache involved
    _results_equal(whole, again)
    for b in range(5):
        one = ref.run(graph, **{k: v[b : b + 1] for k, v in inputs.items()})
        _results_equal(one, ref.RefResult(
            layer_names=whole.layer_names,
            input_spikes=whole.input_spikes[b : b + 1],
            spikes=tuple(s[b : b + 1] for s in whole.spikes),
            membranes=tuple(m[b : b + 1] for m in whole.membranes),
            saturations=tuple(s[b : b + 1] for s in whole.saturations),
            counts=whole.counts[b : b + 1],
            winners=whole.winners[b : b + 1],
            predictions=whole.predictions[b : b + 1],
        ))
    lean = ref.run(graph, **inputs, trace=False)
    assert lean.membranes is None
    for x, y in zip(lean.spikes, whole.spikes):
        np.testing.assert_array_equal(x, y)


def test_time_chunking_matches_single_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step-dependent LFSR counts processed in chunks of steps give the same results."""
    shape = GraphShape(sizes=(9, 7, 4), stream_length=16, timesteps=7, sng="lfsr", leak="sc",
                       parallel_inputs=3, seed=11)
    graph = build_graph(shape)
    inputs = random_inputs(graph, batch=4, seed=2)
    full = ref.run(graph, **inputs)
    assert ref_model._plan(graph).layers[0].wsteps.shape == (7, 9, 7)  # step-dependent, precomputed
    monkeypatch.setattr(ref_model, "_WSTEP_CACHE", 0)
    monkeypatch.setattr(ref_model, "_WSTEP_BUDGET", 9 * 7 * 2)  # 2 steps per chunk
    chunked = build_graph(shape)
    _results_equal(full, ref.run(chunked, **inputs))
    assert ref_model._plan(chunked).layers[0].tables is not None  # really the chunked path


def test_exact_sngs_take_the_step_independent_path() -> None:
    for sng in ("vdc", "sobol"):  # random Sobol directions: windows alike, counts not always m
        graph = build_graph(GraphShape(sizes=(4, 3), sng=sng, seed=1))
        plan = ref_model._plan(graph)
        assert plan.layers[0].tables is None and plan.layers[0].wsteps.shape[0] == 1
    graph = build_graph(GraphShape(sizes=(4, 3), sng="vdc", seed=1))
    q = graph.layers[0].synapse.quant
    m = np.abs(q.weight_q) << (3 - q.weight_bits)
    np.testing.assert_array_equal(ref_model._plan(graph).layers[0].wsteps[0], np.sign(q.weight_q) * m)


def test_quantize_features_rounds_half_even_and_clips() -> None:
    graph = build_graph(GraphShape(sizes=(5, 2), input_bits=3))
    x = np.array([[0.0, 1 / 16, 3 / 16, 1.0, 0.999]])  # *8 = 0, 0.5, 1.5, 8, 7.99
    np.testing.assert_array_equal(ref.quantize_features(graph, x), [[0, 0, 2, 7, 7]])
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        ref.quantize_features(graph, np.array([[0.0, 0.0, 0.0, 0.0, 1.5]]))
    with pytest.raises(DataError, match="shape"):
        ref.quantize_features(graph, np.zeros((1, 4)))
    # float features and their intensities give the same run
    xi = ref.quantize_features(graph, np.linspace(0, 1, 10).reshape(2, 5))
    a = ref.run(graph, np.linspace(0, 1, 10).reshape(2, 5))
    b = ref.run(graph, intensities=xi)
    _results_equal(a, b)


def test_rate_input_spikes_follow_the_input_sngs() -> None:
    graph = build_graph(GraphShape(sizes=(3, 2), input_bits=2, input_sng="vdc", timesteps=4))
    res = ref.run(graph, intensities=np.array([[0, 3, 2]]))
    s = res.input_spikes[0]
    assert s[:, 0].sum() == 0  # intensity 0 never spikes
    assert s[:, 1].sum() == 3  # a 2-bit VdC visits each value once in 4 steps: 3 values < 3
    assert s[:, 2].sum() == 2


def test_input_errors() -> None:
    rate = build_graph(GraphShape(sizes=(3, 2)))
    spk = build_graph(GraphShape(sizes=(3, 2), coding="spikes", timesteps=2))
    with pytest.raises(DataError, match="exactly one"):
        ref.run(rate)
    with pytest.raises(DataError, match="exactly one"):
        ref.run(rate, np.zeros((1, 3)), intensities=np.zeros((1, 3), int))
    with pytest.raises(DataError, match="intensities must be in"):
        ref.run(rate, intensities=np.full((1, 3), 16))
    with pytest.raises(DataError, match="spike coded"):
        ref.run(spk, intensities=np.zeros((1, 3), int))
    with pytest.raises(DataError, match="rate coded"):
        ref.run(rate, spikes=np.zeros((1, 3, 3), np.uint8))
    with pytest.raises(DataError, match="shape"):
        ref.run(spk, spikes=np.zeros((1, 3, 3), np.uint8))
    with pytest.raises(DataError, match="0 or 1"):
        ref.run(spk, spikes=np.full((1, 2, 3), 2, np.uint8))


def _with_quant(graph, **changes):
    return with_quant(graph, 0, **changes)


def _with_leak(graph, **changes):
    return with_quant(graph, 0, **{f"leak__{k}": v for k, v in changes.items()})


#: One broken graph per IR rule (a builder, since some break at construction) and the field named.
_BROKEN = [
    (lambda g: replace(g, level="float"), "hardware"),
    (lambda g: replace(g, level="halfway"), "level"),
    (lambda g: replace(g, hardware=None), "hardware"),
    (lambda g: _with_quant(g, weight_q=np.full((3, 2), 4, np.int32)), "weight_q"),
    (lambda g: _with_quant(g, weight_q=np.zeros((2, 2), np.int32)), "weight_q"),
    (lambda g: _with_quant(g, weight_bits=4), "weight_bits"),
    (lambda g: _with_quant(g, compare_shift=0), "compare_shift"),
    (lambda g: _with_quant(g, threshold_q=np.zeros(2, np.int32)), "threshold_q"),
    (lambda g: _with_quant(g, threshold_q=np.full(2, 40, np.int32)), "threshold_q"),
    (lambda g: _with_quant(g, bias_q=np.zeros(3, np.int32)), "bias_q"),
    (lambda g: _with_leak(g, beta_q=np.full(2, 9, np.int32)), "beta_q"),
    (lambda g: _with_leak(g, rounding=8), "rounding"),
    (lambda g: _with_quant(g, membrane_bits=33), "membrane_bits"),
    (lambda g: _with_quant(g, membrane_bits=64), "membrane_bits"),
    (lambda g: _with_quant(g, reset="hold"), "reset"),
    (lambda g: _with_quant(g, leak="exp"), "leak"),
    (lambda g: _with_quant(g, synapse_sngs=()), "synapse_sngs"),
    (lambda g: _with_leak(g, beta_sng=None), "beta_sng"),
    (lambda g: _with_quant(g, synapse_sngs=(g.input.quant.sngs[0],)), "synapse_sngs"),  # 4-bit spec, L = 8
    (lambda g: replace(g, timesteps=0), "timesteps"),
    (lambda g: g.replace_node("output", replace(g.output, count_bits=1)), "count_bits"),
    (lambda g: g.replace_node("output", replace(g.output, source="input")), "source"),
    (lambda g: g.replace_node("input", replace(g.input, quant=None)), "quant"),
    (lambda g: g.replace_node("input", replace(g.input, quant=replace(g.input.quant, sngs=()))), "sngs"),
    (lambda g: g.replace_node("input", replace(g.input, quant=replace(g.input.quant, input_bits=17))), "input_bits"),
]


@pytest.mark.parametrize("backend", ["ref", "rtl"])
@pytest.mark.parametrize("break_graph, field", _BROKEN, ids=[f for _, f in _BROKEN])
def test_the_ir_validator_refuses_a_planted_drift(backend, break_graph, field, tmp_path) -> None:
    """Each broken rule is refused naming the field, by the IR (graph types or the one validator),
    never by a check of the backend's own: ref and rtl read only validated graphs."""
    from scnc.rtl import compile_graph

    g = build_graph(GraphShape(sizes=(3, 2), stream_length=8, weight_bits=2, membrane_bits=6))
    run = (lambda bad: ref.run(bad, intensities=np.zeros((1, 3), int))) if backend == "ref" else (
        lambda bad: compile_graph(bad, tmp_path / "build"))
    with pytest.raises(IRError, match=field) as info:
        run(break_graph(g))
    raised_in = Path(str(info.traceback[-1].path))
    assert raised_in.parent.name in ("passes", "ir") and raised_in.parent.parent.name in ("ir", "scnc"), raised_in
    assert not (tmp_path / "build").exists()


def test_a_backend_limit_is_its_own_error_naming_the_node() -> None:
    from scnc.ref import BackendLimitError, MAX_MEMBRANE_BITS
    from scnc.ir.options import MAX_MEMBRANE_BITS as IR_MAX

    # every membrane the IR accepts fits the reference model's int64 arithmetic
    assert IR_MAX < MAX_MEMBRANE_BITS
    assert issubclass(BackendLimitError, IRError)


def test_fixed_encoding_needs_no_sngs_and_matches_exact_sc() -> None:
    """fixed encoding == sc with exact (VdC) streams whenever the leak is 'shift'."""
    base = GraphShape(sizes=(6, 5, 3), sng="vdc", leak="shift", coding="spikes", timesteps=5, seed=4)
    sc = build_graph(base)
    fx = build_graph(replace(base, encoding="fixed"))
    spikes = random_inputs(sc, 3, seed=3)["spikes"]
    _results_equal(ref.run(sc, spikes=spikes), ref.run(fx, spikes=spikes))


def test_predict_accuracy_and_class_labels() -> None:
    g = build_graph(GraphShape(sizes=(4, 3), coding="spikes", leak="shift", timesteps=4, seed=2,
                               weight_style="full"))
    g = g.replace_node("output", replace(g.output, class_labels=(7, 5, 9)))
    spikes = random_inputs(g, 6, seed=1)["spikes"]
    res = ref.run(g, spikes=spikes)
    np.testing.assert_array_equal(res.predictions, np.array([7, 5, 9])[res.winners])
    np.testing.assert_array_equal(res.winners, np.argmax(res.counts, axis=1))
    np.testing.assert_array_equal(ref.predict(g, spikes=spikes), res.predictions)
    assert ref.accuracy(g, None, res.winners, spikes=spikes) == 1.0  # class indices, not labels
    assert ref.accuracy(g, None, (res.winners + 1) % 3, spikes=spikes) == 0.0
    assert ref.accuracy(g, None, res.predictions, spikes=spikes) < 1.0  # labels 7, 5, 9 are not indices


def test_ties_go_to_the_lowest_index() -> None:
    g = build_graph(GraphShape(sizes=(2, 4), coding="spikes", timesteps=3, weight_style="zero", leak="shift"))
    # neuron 0 never fires, neurons 1..3 fire every step (bias = threshold): 1, 2, 3 tie
    g = _with_quant(g, bias_q=np.array([0, 5, 5, 5], np.int32), threshold_q=np.full(4, 5, np.int32))
    res = ref.run(g, spikes=np.zeros((2, 3, 2), np.uint8))
    np.testing.assert_array_equal(res.counts, [[0, 3, 3, 3]] * 2)
    np.testing.assert_array_equal(res.winners, [1, 1])
    g0 = _with_quant(g, bias_q=np.zeros(4, np.int32))
    np.testing.assert_array_equal(ref.run(g0, spikes=np.zeros((1, 3, 2), np.uint8)).winners, [0])


def test_activity_and_silent_layer_warning() -> None:
    g = build_graph(GraphShape(sizes=(4, 3, 2), coding="spikes", timesteps=3, leak="shift", seed=9))
    # make the second layer silent: thresholds above anything it can reach in 3 steps
    g = with_quant(g, 1, threshold_q=np.full(2, 2000, np.int32), bias_q=np.zeros(2, np.int32))
    spikes = np.ones((2, 3, 4), np.uint8)
    rates = ref.activity(g, spikes=spikes)
    assert set(rates) == {"layer0", "layer1"} and rates["layer1"] == 0.0
    with pytest.warns(ref.ActivityWarning, match="'layer1'"):
        ref.check_activity(g, spikes=spikes)
    loud = build_graph(GraphShape(sizes=(3, 2), coding="spikes", timesteps=2, weight_style="full",
                                  leak="shift", seed=1))
    loud = _with_quant(loud, bias_q=np.full(2, 64, np.int32), threshold_q=np.ones(2, np.int32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ref.check_activity(loud, spikes=np.ones((1, 2, 3), np.uint8))["layer0"] == 1.0

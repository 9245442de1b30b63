"""scnc.ir passes: each pass's guarantee, the options, determinism and the dead-layer warning."""

from __future__ import annotations

import warnings
from dataclasses import fields, replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError, IRError
from scnc.ir import (
    STAGES,
    QuantizationWarning,
    QuantOptions,
    calibrate,
    check_graph,
    fold,
    from_network,
    ir_hash,
    quantize,
    quantize_neurons,
    quantize_weights,
    set_encoding,
    validate,
)
from scnc.ir.graph import QuantDense, SCLeak, ShiftLeak
from support.graphs import with_quant
from support.hw_naive import run_naive
from scnc.ir.serialize import graph_to_dict
from scnc.snn.network import LIFLayer, Network

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def net(sizes=(6, 5, 3), seed=0, **kw) -> Network:
    return Network.dense(list(sizes), seed=seed, **kw)


def qgraph(sizes=(6, 5, 3), seed=0, opts=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizationWarning)
        return quantize(from_network(net(sizes, seed, **kw)), opts or QuantOptions())


# ---- an independent plain transcription of docs/hardware.md section 3 (v_pre and I) ---------------
def simulate(graph, s0: np.ndarray) -> list[dict]:
    """Run the quantized graph on input spikes ``s0`` (T, n_in) through the naive model of
    docs/hardware.md; per layer: currents I, v_pre after saturation, saturations, spikes."""
    res = run_naive(graph, layer_input=s0.tolist())
    return [
        {"I": np.array(res["currents"][li], np.int64), "v_pre": np.array(res["v_sat"][li], np.int64),
         "sat": res["saturations"][li], "spikes": np.array(res["spikes"][li], np.int64)}
        for li in range(len(graph.layers))
    ]


def report(graph, name):
    return [p for p in graph.passes if p["pass"] == name][-1]


# ---- options --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {"stream_length": 0}, {"stream_length": 3}, {"stream_length": 48}, {"stream_length": 1 << 17},
    {"stream_length": 64.0}, {"stream_length": True},
    {"weight_bits": 0}, {"weight_bits": 7}, {"stream_length": 4, "weight_bits": 3}, {"weight_bits": 2.0},
    {"sng": "xor"}, {"input_sng": "counter"}, {"encoding": "float"}, {"leak": "exp"},
    {"input_coding": "latency"}, {"input_bits": 0}, {"input_bits": 17}, {"parallel_inputs": 0},
    {"parallel_neurons": -1}, {"calibration": "percentile"}, {"seed": -1}, {"membrane_bits": 1},
    {"membrane_bits": 33},
])
def test_bad_options_raise_config_error(kw):
    field = [k for k in kw if k != "stream_length"] or ["stream_length"]
    with pytest.raises(ConfigError, match=field[-1]):
        QuantOptions(**kw)


def test_default_options():
    o = QuantOptions()
    assert (o.stream_length, o.weight_bits, o.sng, o.input_sng, o.encoding, o.leak, o.input_coding, o.input_bits,
            o.parallel_inputs, o.parallel_neurons, o.calibration, o.seed, o.membrane_bits) == \
        (64, None, "vdc", "vdc", "sc", "sc", "rate", 8, 8, 2, "max", 0, None)
    assert [QuantOptions(stream_length=L).resolved_weight_bits for L in (2, 16, 64, 1024)] == [1, 4, 6, 6]


def test_quantize_rejects_non_options_and_quantized_graphs():
    g = from_network(net())
    with pytest.raises(ConfigError):
        quantize(g, {"stream_length": 64})
    with pytest.raises(IRError, match="already quantized"):
        quantize(qgraph())


# ---- validate -------------------------------------------------------------------------------------
_SYNAPSE_FIELDS = ("weight", "source")


def _layer_broken(g, **fields):
    """``g`` with float fields of its first layer replaced: ``weight``/``source`` on the synapse node."""
    layer = g.layers[0]
    syn = {k: v for k, v in fields.items() if k in _SYNAPSE_FIELDS}
    neu = {k: v for k, v in fields.items() if k not in _SYNAPSE_FIELDS}
    return g.replace_layer(layer, synapse=replace(layer.synapse, **syn) if syn else None,
                           neuron=replace(layer.neuron, **neu) if neu else None)


@pytest.mark.parametrize("fields, field, msg", [
    ({"weight": np.ones((6, 5), np.float64)}, "weight", "float32"),
    ({"weight": np.full((6, 5), np.nan, np.float32)}, "weight", "finite"),
    ({"weight": np.ones((7, 5), np.float32)}, "weight", "shape"),
    ({"beta": np.full(5, 1.5, np.float32)}, "beta", r"\[0, 1\]"),
    ({"threshold": np.zeros(5, np.float32)}, "threshold", "> 0"),
    ({"bias": np.ones(4, np.float32)}, "bias", "shape"),
    ({"source": "nowhere"}, "source", "previous node"),
    ({"reset": "hold"}, "reset", "subtract"),
])
def test_validate_names_node_and_field_float(fields, field, msg):
    with pytest.raises(IRError, match=msg) as e:  # a bad reset is refused when the node is built
        validate(_layer_broken(from_network(net()), **fields))
    node = "hidden.synapses" if set(fields) <= set(_SYNAPSE_FIELDS) else "hidden"
    assert e.value.where == node and e.value.field == field


def test_validate_graph_structure():
    g = from_network(net())
    with pytest.raises(IRError, match="unique"):
        check_graph(g.replace_node("output", replace(g.layers[1].neuron, name="hidden")))
    with pytest.raises(IRError, match="labels") as e:
        check_graph(g.replace_node("readout", replace(g.output, class_labels=(0, 1))))
    assert e.value.where == "readout"
    with pytest.raises(IRError, match="timesteps"):
        check_graph(replace(g, timesteps=0))
    with pytest.raises(IRError, match="InputNode"):
        check_graph(replace(g, nodes=g.nodes[1:]))


_DENSE_FIELDS = {f.name for f in fields(QuantDense)}


def _quant_broken(g, **fields):
    """``g`` with fields of its first layer's hardware form replaced (``leak__x``: field x of the leak)."""
    return with_quant(g, 0, **fields)


@pytest.mark.parametrize("fields, field, msg", [
    ({"weight_q": np.full((6, 5), 64, np.int32)}, "quant.weight_q", "<= 63"),
    ({"weight_q": np.zeros((6, 5), np.int64)}, "quant.weight_q", "int32"),
    ({"current_bits": 3}, "quant.current_bits", "needs"),
    ({"leak__beta_sng": None}, "quant.leak.beta_sng", "needs"),
    ({"compare_shift": 1}, "quant.compare_shift", "log2 L - weight_bits"),
    ({"leak__rounding": 64}, "quant.leak.rounding", "<= 63"),
    ({"membrane_bits": 33}, "quant.membrane_bits", "<= 32"),
    ({"weight_bits": 7}, "quant.weight_bits", "<= 6"),
    ({"threshold_q": np.zeros(5, np.int32)}, "quant.threshold_q", ">= 1"),
    ({"threshold_q": np.full(5, 1 << 20, np.int32)}, "quant.threshold_q", "membrane"),
    ({"leak__beta_q": np.full(5, 65, np.int32)}, "quant.leak.beta_q", "<= 64"),
    ({"parallel_inputs": 9}, "quant.parallel_inputs", "<= 6"),
    ({"synapse_sngs": ()}, "quant.synapse_sngs", "tuple"),
    ({"scale": float("inf")}, "quant.scale", "finite"),
    ({"reset": "zero"}, "quant.reset", "layer's reset"),
])
def test_validate_names_node_and_field_quantized(fields, field, msg):
    g = _quant_broken(qgraph(), **fields)
    with pytest.raises(IRError, match=msg) as e:
        validate(g)
    node = "hidden.synapses" if next(iter(fields)) in _DENSE_FIELDS else "hidden"
    assert e.value.where == node and e.value.field == field


def test_validate_quantized_hardware_input_and_output():
    from scnc.sc.sng import VdcSpec

    g = qgraph()
    check_graph(g)
    with pytest.raises(IRError, match="stream_length"):
        check_graph(replace(g, hardware=replace(g.hardware, stream_length=48)))
    qb = _quant_broken(g, synapse_sngs=(VdcSpec(bits=5),) * 6)
    with pytest.raises(IRError, match="6 bits wide"):
        check_graph(qb)
    inp = g.input
    with pytest.raises(IRError, match="one SNG per input") as e:
        check_graph(g.replace_node("input", replace(inp, quant=replace(inp.quant, sngs=inp.quant.sngs[:-1]))))
    assert e.value.where == "input"
    with pytest.raises(IRError, match="count_bits"):
        check_graph(g.replace_node("readout", replace(g.output, count_bits=2)))
    with pytest.raises(IRError, match="hardware"):
        check_graph(replace(g, hardware=None))
    # the fixed encoding may carry no synapse / leak SNGs (the ref tests build such graphs)
    fx = set_encoding(g, "fixed")
    check_graph(_quant_broken(fx, synapse_sngs=(), leak__beta_sng=None, leak__dither_sng=None))


# ---- fold -----------------------------------------------------------------------------------------
def float_run(graph, s0: np.ndarray) -> np.ndarray:
    """The float network's dynamics (scnc/snn/network.py docstring) on spikes s0 (T, n_in)."""
    s = s0.astype(np.float32)
    for layer in graph.layers:
        v = np.zeros(layer.n_out, np.float32)
        out = np.zeros((s.shape[0], layer.n_out), np.float32)
        for t in range(s.shape[0]):
            neu = layer.neuron
            vpre = neu.beta * v + (s[t] @ layer.synapse.weight + neu.bias)
            fire = (vpre >= neu.threshold).astype(np.float32)
            v = vpre - neu.threshold * fire if neu.reset == "subtract" else vpre * (1 - fire)
            out[t] = fire
        s = out
    return s


def test_fold_normalises_and_keeps_the_float_function():
    layer = LIFLayer("l0", weight=np.array([[0.5, -0.0], [1.0, 2.0]], np.float32), bias=None,
                     beta=np.array([0.7], np.float32), threshold=np.array([1.2], np.float32))
    g0 = from_network(Network([layer, LIFLayer("l1", weight=np.ones((2, 2), np.float32))], timesteps=6))
    # a hand-built graph with per-layer (1,) parameters and a -0.0: valid, but not normal form
    l0 = g0.layers[0].neuron
    g = g0.replace_node("l0", replace(l0, beta=np.array([0.7], np.float32), threshold=np.array([1.2], np.float32),
                                      bias=np.array([-0.0], np.float32)))
    validate(g)
    f = fold(g)
    assert f.passes[-1] == {"pass": "fold", "broadcast": ["l0.bias", "l0.beta", "l0.threshold"]}
    for layer in f.layers:
        for name in ("bias", "beta", "threshold"):
            a = getattr(layer.neuron, name)
            assert a.shape == (layer.n_out,) and a.dtype == np.float32 and not a.flags.writeable
    w_in, w_out = g.layers[0].synapse.weight, f.layers[0].synapse.weight
    assert np.signbit(w_in[0, 1]) and not np.signbit(w_out[0, 1])  # -0.0 -> +0.0
    assert np.signbit(w_out).sum() == 0 and not np.signbit(f.layers[0].neuron.bias).any()
    rng = np.random.default_rng(0)
    for _ in range(5):
        s0 = (rng.random((6, 2)) < 0.6).astype(np.uint8)
        assert np.array_equal(float_run(g, s0), float_run(f, s0))
    # idempotent on the normal form: a second fold changes no array
    f2 = fold(f)
    assert all(np.array_equal(a.synapse.weight, b.synapse.weight) and np.array_equal(a.neuron.beta, b.neuron.beta)
               for a, b in zip(f.layers, f2.layers))
    assert f2.passes[-1]["broadcast"] == []
    with pytest.raises(IRError, match="float graphs"):
        fold(qgraph())


# ---- calibrate and quantize_weights ----------------------------------------------------------------
def test_calibrate_max_and_mse():
    g = fold(from_network(net((8, 6, 4), seed=3)))
    gm = calibrate(g, QuantOptions(calibration="max", stream_length=16))
    sm = report(gm, "calibrate")["scales"]
    for layer in g.layers:
        assert sm[layer.name] == float(np.max(np.abs(layer.synapse.weight)))
    ge = calibrate(g, QuantOptions(calibration="mse", stream_length=16))
    se = report(ge, "calibrate")["scales"]
    from scnc.ir.passes.calibrate import quantize_dequantize

    for layer in g.layers:
        w = layer.synapse.weight.astype(np.float64)
        err = lambda S: np.mean((quantize_dequantize(w, S, 4)[1] - w) ** 2)  # noqa: E731
        assert 0 < se[layer.name] <= sm[layer.name]
        assert err(se[layer.name]) <= err(sm[layer.name])
    # an all-zero layer gets S = 1
    z = from_network(Network([LIFLayer("z", weight=np.zeros((3, 2), np.float32))]))
    assert report(calibrate(z), "calibrate")["scales"] == {"z": 1.0}


def test_quantize_weights_formula():
    opts = QuantOptions(stream_length=16, weight_bits=3)
    g = quantize_weights(calibrate(fold(from_network(net((7, 5, 3), seed=4))), opts), opts)
    assert g.level == "quantized" and g.hardware.stream_length == 16
    scales = report(g, "calibrate")["scales"]
    for layer in g.layers:
        S = scales[layer.name]
        q, nq = layer.synapse.quant, layer.neuron.quant
        assert q.weight_bits == 3 and q.scale == S / 16 and q.weight_q.dtype == np.int32
        for (j, i), w in np.ndenumerate(layer.synapse.weight):  # plain transcription of section 5
            x = float(w) / S * 8
            r = round(x)  # Python's round is half-to-even
            assert q.weight_q[j, i] == max(-7, min(7, r))
    with pytest.raises(IRError, match="calibrate"):
        quantize_weights(fold(from_network(net())), opts)


def test_quantize_neurons_formulas():
    layer = LIFLayer("l", weight=np.array([[1.0, -2.0, 0.5]], np.float32), bias=np.array([0.3, -0.7, 0.0], np.float32),
                     beta=np.array([0.0, 0.9, 1.0], np.float32), threshold=np.array([1.0, 0.001, 2.5], np.float32))
    g0 = from_network(Network([layer], timesteps=3))
    for leak in ("sc", "shift"):
        opts = QuantOptions(stream_length=32, leak=leak)
        g = quantize_neurons(quantize_weights(calibrate(fold(g0), opts), opts), opts)
        q, nq = g.layers[0].synapse.quant, g.layers[0].neuron.quant
        scale = 2.0 / 32
        assert q.scale == scale
        assert list(nq.threshold_q) == [max(1, round(t / scale)) for t in (1.0, 0.001, 2.5)] == [16, 1, 40]
        assert list(nq.bias_q) == [round(float(np.float32(b)) / scale) for b in (0.3, -0.7, 0.0)]
        if leak == "sc":
            assert isinstance(nq.leak, SCLeak) and nq.leak.rounding == 16  # the fixed encoding rounds half up
            assert list(nq.leak.beta_q) == [0, round(float(np.float32(0.9)) * 32), 32]
        else:
            # brute force: the k minimising |1 - 2^-k - beta|
            assert isinstance(nq.leak, ShiftLeak)
            for b, k in zip(layer.beta, nq.leak.shift):
                best = min(range(63), key=lambda kk: (abs((1 - 2.0 ** -kk) - float(b)), kk))
                assert k == best
            assert list(nq.leak.shift[[0, 1]]) == [0, 3]


# ---- allocate_streams --------------------------------------------------------------------------------
@pytest.mark.parametrize("sng", ["vdc", "sobol", "lfsr"])
def test_allocate_streams_counts_kinds_and_decorrelation(sng):
    g = qgraph((6, 12, 3), opts=QuantOptions(sng=sng, input_sng=sng, parallel_inputs=4, parallel_neurons=8))
    rep = report(g, "allocate_streams")
    assert rep["clamped"] == ["output"]  # 3 neurons < P_n = 8
    hidden, out = g.layers
    assert hidden.synapse.quant.parallel_inputs == 4 and hidden.synapse.quant.parallel_neurons == 8
    assert out.synapse.quant.parallel_inputs == 4 and out.synapse.quant.parallel_neurons == 3
    for layer in g.layers:
        q, nq = layer.synapse.quant, layer.neuron.quant
        cyc = list(q.synapse_sngs) + [nq.leak.beta_sng]
        assert all(s.kind == sng and s.bits == 6 for s in cyc + [nq.leak.dither_sng])
        assert len(set(cyc)) == len(cyc)  # every cycle-rate stream of a layer is its own
        if sng == "vdc":
            assert len({s.xor_mask for s in cyc}) == len(cyc)
        if sng == "sobol":
            assert len({s.directions for s in cyc}) == len(cyc)
        if sng == "lfsr":
            assert len({s.taps for s in cyc}) > 1 and len({s.select for s in cyc}) == len(cyc)
        scc = rep["layers"][layer.name]["cycle_rate_scc"]
        assert scc["n_streams"] == len(cyc) and 0 <= scc["mean_abs_scc"] <= scc["max_abs_scc"] <= 1
    qi = g.input.quant
    assert qi.coding == "rate" and qi.input_bits == 8 and len(qi.sngs) == 6
    assert all(s.kind == sng and s.bits == 8 for s in qi.sngs)
    assert "max_abs_scc" in rep["input"]["scc"]
    if sng == "sobol":  # distinct dimensions decorrelate: measured, not assumed
        assert rep["layers"]["hidden"]["cycle_rate_scc"]["max_abs_scc"] < 0.5


def test_allocate_streams_seed_and_options():
    a, b, c = (qgraph(opts=QuantOptions(sng="lfsr", seed=s)) for s in (1, 1, 2))
    assert a.layers[0].synapse.quant.synapse_sngs == b.layers[0].synapse.quant.synapse_sngs
    assert a.layers[0].synapse.quant.synapse_sngs != c.layers[0].synapse.quant.synapse_sngs
    sp = qgraph(opts=QuantOptions(input_coding="spikes", leak="shift"))
    assert sp.input.quant.coding == "spikes" and sp.input.quant.sngs == ()
    assert all(isinstance(layer.neuron.quant.leak, ShiftLeak) for layer in sp.layers)


# ---- bound_widths -------------------------------------------------------------------------------------
@st.composite
def nets_and_options(draw):
    n_layers = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 7), min_size=n_layers + 1, max_size=n_layers + 1))
    L = draw(st.sampled_from([2, 4, 8, 16, 64]))
    nbits = L.bit_length() - 1
    opts = QuantOptions(
        stream_length=L,
        weight_bits=draw(st.one_of(st.none(), st.integers(1, nbits))),
        sng=draw(st.sampled_from(["vdc", "sobol", "lfsr"])),
        input_sng=draw(st.sampled_from(["vdc", "sobol", "lfsr"])),
        encoding=draw(st.sampled_from(["sc", "fixed"])),
        leak=draw(st.sampled_from(["sc", "shift"])),
        input_coding=draw(st.sampled_from(["rate", "spikes"])),
        input_bits=draw(st.integers(1, 8)),
        parallel_inputs=draw(st.integers(1, 5)),
        parallel_neurons=draw(st.integers(1, 5)),
        calibration=draw(st.sampled_from(["max", "mse"])),
        seed=draw(st.integers(0, 2**32)),
        membrane_bits=draw(st.sampled_from([None, None, 6, 10])),
    )
    network = Network.dense(
        sizes, seed=draw(st.integers(0, 1000)), beta=draw(st.floats(0, 1)), threshold=draw(st.floats(0.05, 3)),
        reset=draw(st.sampled_from(["subtract", "zero", "subtract_delayed"])), bias=draw(st.booleans()),
        timesteps=draw(st.integers(1, 6)),
    )
    if network.layers[0].bias is not None:
        rng = np.random.default_rng(sizes[0])
        for layer in network.layers:
            layer.bias = (rng.standard_normal(layer.n_out) * 0.5).astype(np.float32)
    return network, opts


@SETTINGS
@given(nets_and_options(), st.integers(0, 2**32 - 1))
def test_bound_widths_hold_on_simulated_runs(case, sim_seed):
    network, opts = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizationWarning)
        try:
            g = quantize(from_network(network), opts)
        except ConfigError as e:  # a forced membrane too narrow for a threshold is refused
            assert opts.membrane_bits is not None and "membrane_bits" in str(e)
            return
    rep = report(g, "bound_widths")
    rng = np.random.default_rng(sim_seed)
    T, n_in = g.timesteps, g.input.size
    for density in (1.0, rng.random()):
        s0 = (rng.random((T, n_in)) < density).astype(np.uint8)
        for enc in ("sc", "fixed"):  # widths hold for both encodings
            ge = set_encoding(g, enc)
            for layer, rec in zip(ge.layers, simulate(ge, s0)):
                q, nq, r = layer.synapse.quant, layer.neuron.quant, rep["layers"][layer.name]
                lim = 1 << (q.current_bits - 1)
                assert all(np.all((-lim <= i) & (i < lim)) for i in rec["I"])
                lo, hi = r["membrane_proven"]
                assert all(np.all((lo <= v) & (v <= hi)) for v in rec["v_pre"])
                if nq.overflow_free:
                    assert rec["sat"] == 0
                if layer.name in rep["dead_layers"]:
                    assert not rec["spikes"].any()
    assert g.output.count_bits == T.bit_length()


def test_bound_widths_forced_membrane():
    # threshold 0.25 keeps threshold_q small enough for an 8-bit membrane while the proven range
    # still needs more bits
    g = qgraph(opts=QuantOptions(membrane_bits=8), threshold=0.25)
    assert all(layer.neuron.quant.membrane_bits == 8 for layer in g.layers)
    assert not all(layer.neuron.quant.overflow_free for layer in g.layers)  # the proven range needs ~14 bits
    with pytest.raises(ConfigError, match="membrane_bits=3"):
        qgraph(opts=QuantOptions(membrane_bits=3), threshold=0.25)
    free = qgraph()
    rep = report(free, "bound_widths")["layers"]
    for layer in free.layers:
        assert layer.neuron.quant.overflow_free and layer.neuron.quant.membrane_bits == rep[layer.name]["membrane_bits_needed"]


def test_dead_layer_warnings():
    zero = Network([LIFLayer("h", weight=np.zeros((4, 3), np.float32)), LIFLayer("o", weight=np.ones((3, 2), np.float32))])
    with pytest.warns(QuantizationWarning) as rec:
        g = quantize(from_network(zero))
    msgs = [str(w.message) for w in rec if w.category is QuantizationWarning]
    assert len(msgs) == 2
    assert "'h' can never fire" in msgs[0] and "weights quantize to 0" in msgs[0]
    assert "'o' can never fire" in msgs[1] and "inputs never spike" in msgs[1]
    assert report(g, "bound_widths")["dead_layers"] == ["h", "o"]
    tiny = Network([LIFLayer("h", weight=np.full((2, 2), 0.01, np.float32), threshold=np.array([50.0], np.float32))],
                   timesteps=3)
    with pytest.warns(QuantizationWarning, match="'h' can never fire.*threshold_q"):
        quantize(from_network(tiny))
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantizationWarning)
        quantize(from_network(net()))  # a healthy network warns nothing


# ---- set_encoding, the pipeline, determinism ------------------------------------------------------------
def test_set_encoding_changes_only_the_encoding():
    g = qgraph()
    f = set_encoding(g, QuantOptions(encoding="fixed"))
    assert f.hardware.encoding == "fixed" and g.hardware.encoding == "sc"
    sg, ag = graph_to_dict(g)
    sf, af = graph_to_dict(f)
    assert set(ag) == set(af) and all(np.array_equal(ag[k], af[k]) and ag[k].dtype == af[k].dtype for k in ag)
    sg["hardware"]["encoding"] = "fixed"
    assert sf["passes"][:-1] == sg["passes"] and sf["passes"][-1] == {"pass": "set_encoding", "encoding": "fixed", "was": "sc"}
    sf["passes"], sg["passes"] = [], []
    assert sf == sg
    check_graph(f)
    with pytest.raises(ConfigError):
        set_encoding(g, "analog")


def test_pipeline_order_and_provenance():
    g = qgraph(opts=QuantOptions(stream_length=16))
    assert [p["pass"] for p in g.passes] == [name for name, _ in STAGES]
    assert [name for name, _ in STAGES] == ["validate", "fold", "calibrate", "quantize_weights", "quantize_neurons",
                                           "allocate_streams", "bound_widths", "plan_delays", "set_encoding", "validate"]
    assert g.provenance["quant_options"]["stream_length"] == 16
    assert g.level == "quantized"


@SETTINGS
@given(nets_and_options())
def test_quantize_is_deterministic(case):
    network, opts = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizationWarning)
        try:
            a = quantize(from_network(network), opts)
        except ConfigError:
            return
        b = quantize(from_network(network.copy()), opts)
    assert ir_hash(a) == ir_hash(b)
    check_graph(a)

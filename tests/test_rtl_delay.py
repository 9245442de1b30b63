"""The delay line in gateware (scnc.rtl.engine.delay_line): components in amaranth.sim, the whole core
against scnc.ref in amaranth.sim, Verilator and Icarus, and a planted wrong delay that must be caught."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator
from hypothesis import HealthCheck, given, settings

from support.build import reseal
from support.ir_strategies import GraphShape, build_graph, graph_shapes, random_inputs
from scnc import ref
from scnc.ir import QuantOptions, from_network, quantize
from scnc.ir.schedule import layer_plan
from scnc.rtl import simulate
from scnc.rtl.engine import DelaySelect, SpikeHistory, delay_block_layout, delay_block_words
from scnc.snn.network import EncoderConfig, LIFLayer, Network
from scnc.trace import first_divergence

#: Simulator builds are cached by content hash, shared across runs (as tests/test_nir_producers.py does).
SIM_BUILDS = Path(__file__).resolve().parents[1] / ".scnc-cache" / "verify-builds"


def run(dut, bench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-8, if_exists=True)
    sim.add_testbench(bench)
    sim.run()


# ---- components --------------------------------------------------------------------------------
@pytest.mark.parametrize("n_in, depth", [(3, 0), (4, 1), (5, 4)])
def test_spike_history_keeps_the_last_steps(n_in: int, depth: int) -> None:
    rng = np.random.default_rng(n_in * 7 + depth)
    dut = SpikeHistory(n_in, depth)
    steps = rng.integers(0, 2, (12, n_in))
    clears = {0, 7}  # a new sample starts at step 0 and at step 7

    async def tick(ctx):  # depth 0 has no register, hence no clock domain
        await (ctx.tick() if depth else ctx.delay(1e-8))

    async def bench(ctx):
        past: list = []
        for t, s in enumerate(steps):
            if t in clears:
                ctx.set(dut.clear, 1)
                await tick(ctx)
                ctx.set(dut.clear, 0)
                past = []
            ctx.set(dut.spikes, int("".join(str(b) for b in s[::-1]), 2))
            for j in range(n_in):
                got = ctx.get(dut.taps[j])
                want = [int(s[j])] + [int(p[j]) for p in past[:depth]] + [0] * (depth - len(past[:depth]))
                assert [(got >> d) & 1 for d in range(depth + 1)] == want, (t, j)
            ctx.set(dut.shift, 1)
            await tick(ctx)
            ctx.set(dut.shift, 0)
            past = [s] + past

    run(dut, bench)


def test_delay_select_gates_each_entry_by_its_delayed_spike() -> None:
    Pi, Pn, w, D, db = 3, 2, 3, 5, 3
    dut = DelaySelect(p_in=Pi, p_out=Pn, weight_bits=w, depth=D, delay_bits=db)
    rng = np.random.default_rng(1)

    async def bench(ctx):
        for _ in range(40):
            taps = rng.integers(0, 1 << (D + 1), Pi)
            delays = rng.integers(0, D + 1, (Pn, Pi))
            mags = rng.integers(0, 1 << w, (Pn, Pi))
            negs = rng.integers(0, 2, (Pn, Pi))
            for il in range(Pi):
                ctx.set(dut.taps[il], int(taps[il]))
            for nl in range(Pn):
                for il in range(Pi):
                    ctx.set(dut.delays[nl][il], int(delays[nl, il]))
                    ctx.set(dut.weights[nl][il].magnitude, int(mags[nl, il]))
                    ctx.set(dut.weights[nl][il].negative, int(negs[nl, il]))
            for nl in range(Pn):
                for il in range(Pi):
                    seen = (int(taps[il]) >> int(delays[nl, il])) & 1
                    assert ctx.get(dut.block[nl][il].magnitude) == int(mags[nl, il]) * seen
                    assert ctx.get(dut.block[nl][il].negative) == int(negs[nl, il]) * seen

    run(dut, bench)


def test_delay_rom_words_follow_the_layout() -> None:
    g = build_graph(GraphShape(sizes=(5, 3), parallel_inputs=2, seed=3, max_delay=6))
    layer = g.layers[0]
    plan = layer_plan(layer, g.hardware)
    db = layer.synapse.line.delay_bits
    layout = delay_block_layout(plan.p_in, plan.p_out, db)
    words = delay_block_words(layer.synapse.delays, plan, db)
    assert len(words) == plan.blocks
    for h in range(plan.groups_out):
        for gi in range(plan.groups_in):
            word = words[h * plan.groups_in + gi]
            for nl in range(plan.p_out):
                for il in range(plan.p_in):
                    j, i = gi * plan.p_in + il, h * plan.p_out + nl
                    off = layout.size // plan.p_out * nl + db * il
                    want = int(layer.synapse.delays[j, i]) if j < plan.n_in and i < plan.n_out else 0
                    assert (word >> off) & ((1 << db) - 1) == want


# ---- the core in amaranth.sim ------------------------------------------------------------------
CASES = {
    "vdc-rate": dict(sizes=(5, 4, 3), max_delay=3, timesteps=6),
    "lfsr-parallel": dict(sizes=(6, 5, 3), max_delay=2, parallel_inputs=2, sng="lfsr", timesteps=5),
    "fixed-spikes": dict(sizes=(5, 4), max_delay=4, encoding="fixed", coding="spikes", timesteps=7,
                         parallel_inputs=3),
    "delays-beyond-T": dict(sizes=(4, 3), max_delay=6, coding="spikes", timesteps=3, leak="shift"),
}


def check(graph, batch: int = 2, seed: int = 0):
    inputs = random_inputs(graph, batch, seed=seed)
    got = simulate(graph, **inputs)
    d = first_divergence(ref.run(graph, **inputs), got)
    assert d is None, str(d)


@pytest.mark.parametrize("name", sorted(CASES))
def test_core_with_delays_matches_ref(name: str) -> None:
    check(build_graph(GraphShape(**CASES[name], seed=7)))


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=graph_shapes(max_layers=2, max_size=5, lengths=(2, 4, 8), max_timesteps=4, delays=True))
def test_random_delay_graphs_match_ref(shape) -> None:
    check(build_graph(shape), batch=1, seed=shape.seed % 1000)


def with_delay(graph, layer: int, j: int, i: int, value: int):
    syn = graph.layers[layer].synapse
    d = np.array(syn.delays)
    d[j, i] = value
    D = int(d.max())
    return graph.replace_node(syn.name, replace(syn, delays=d, line=replace(syn.line, max_delay=D,
                                                                              delay_bits=max(1, D.bit_length()))))


def test_a_wrong_delay_is_caught_and_located() -> None:
    g = build_graph(GraphShape(sizes=(4, 3), weight_style="full", coding="spikes", max_delay=2, timesteps=5,
                               seed=2))
    d0 = int(g.layers[0].synapse.delays[0, 1])
    bad = with_delay(g, 0, 0, 1, 1 if d0 != 1 else 2)
    spikes = np.zeros((1, 5, 4), np.uint8)
    spikes[0, 0, 0] = 1  # one spike of input 0 at step 0: only its synapses carry current
    got = simulate(bad, spikes=spikes)
    d = first_divergence(ref.run(g, spikes=spikes), got)
    assert d is not None and (d.layer, d.neuron) == (0, 1) and d.actual != d.expected


# ---- the emitted Verilog in Verilator and Icarus ------------------------------------------------
def delay_network(seed: int = 0) -> Network:
    """A 16-12-4 network with per-synapse delays up to 5 steps in both layers (T = 10)."""
    rng = np.random.default_rng(seed)
    layers = [LIFLayer(name=f"l{k}", weight=rng.normal(0.2, 0.6, (a, b)).astype(np.float32), beta=0.9,
                       threshold=1.0, delays=rng.integers(0, 6, (a, b)).astype(np.int16))
              for k, (a, b) in enumerate(((16, 12), (12, 4)))]
    return Network(layers, 10, EncoderConfig())


def delay_graph():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize(from_network(delay_network()), QuantOptions(stream_length=8, parallel_inputs=4,
                                                                    parallel_neurons=2, sng="lfsr"))


@pytest.mark.sim
@pytest.mark.parametrize("sim, samples", [("verilator", 50), ("icarus", 3)])
def test_delay_core_is_bit_exact_in_hdl_simulators(tmp_path, sim: str, samples: int) -> None:
    from scnc.rtl import compile_graph
    from scnc.verify import find_verilator, verify_build

    if sim == "icarus" and shutil.which("iverilog") is None:
        pytest.skip("needs Icarus Verilog")
    if sim == "verilator":
        try:
            find_verilator()
        except Exception as exc:  # noqa: BLE001
            pytest.skip(f"no usable Verilator: {exc}")
    g = delay_graph()
    d = tmp_path / "build"
    compile_graph(g, d)
    rng = np.random.default_rng(5)
    inputs = {"intensities": rng.integers(0, 1 << g.input.quant.input_bits, (samples, 16))}
    want = ref.run(g, **inputs)
    assert sum(int(s.sum()) for s in want.spikes) > 0  # the case carries spikes through both delay lines
    rep = verify_build(d, sim=sim, inputs=inputs, build_root=SIM_BUILDS)
    assert rep.ok and rep.mismatches == 0, rep.first_divergence


@pytest.mark.sim
@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")
def test_planted_wrong_delay_is_caught_by_verify(tmp_path) -> None:
    """A build whose Verilog has one delay changed (manifest and IR of the good graph) fails verify,
    and the first divergence is the one scnc.ref predicts for the planted graph."""
    from scnc.rtl import compile_graph
    from scnc.verify import compare, make_case, verify_build
    from test_verify_bench import _encode

    good = delay_graph()
    syn = good.layers[0].synapse
    j, i = np.argwhere(syn.quant.weight_q != 0)[0]
    bad = with_delay(good, 0, int(j), int(i), (int(syn.delays[j, i]) + 1) % (syn.line.max_delay + 1))
    d = tmp_path / "build"
    man = compile_graph(good, d)
    compile_graph(bad, tmp_path / "bad")
    shutil.copyfile(man.verilog_path(tmp_path / "bad"), man.verilog_path(d))
    man = reseal(d)
    inputs = {"intensities": np.full((2, 16), (1 << good.input.quant.input_bits) - 1, np.int64)}
    predicted = compare(man, make_case(good, **inputs), _encode(man, make_case(bad, **inputs)))
    assert predicted.mismatches > 0
    rep = verify_build(d, sim="icarus", inputs=inputs, build_root=SIM_BUILDS)
    assert not rep.ok and rep.mismatches > 0
    f = predicted.first
    assert rep.first_divergence == {"sample": f.sample, "step": f.step, "layer": f.layer, "neuron": f.neuron,
                                    "field": f.field, "expected": f.expected, "actual": f.actual}


def test_a_synapse_kind_without_an_engine_is_refused_by_name() -> None:
    from scnc.errors import IRError
    from scnc.ir.graph import Layer
    from scnc.rtl import LayerEngine

    g = build_graph(GraphShape(sizes=(3, 2), seed=1))
    layer = g.layers[0]

    class OtherSynapse:  # what a new synapse kind looks like to the RTL before it has an engine
        name = layer.synapse.name
        quant = layer.synapse.quant

    with pytest.raises(IRError, match="no engine for a OtherSynapse"):
        LayerEngine(Layer(synapse=OtherSynapse(), neuron=layer.neuron), g.hardware, 0, t_bits=2)

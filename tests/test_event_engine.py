"""The event-driven engine (``--engine event``): IR field, validator rule, cycle model, components,
and the whole core against scnc.ref -- every spike, membrane and the latency of every sample.

amaranth.sim tests are fast (no HDL simulator); the Verilator co-simulation and the planted faults
(Icarus) are marked ``sim``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from support.build import reseal
from support.graphs import with_quant
from support.ir_strategies import GraphShape, build_graph, random_inputs
from scnc import ref
from scnc.errors import IRError
from scnc.ir import QuantOptions, from_network, load_ir, quantize, save_ir, set_engine, summary
from scnc.ir.graph import SCLeak, ShiftLeak
from scnc.ir.schedule import (EVENT_TAIL_CYCLES, event_layer_plan, event_row_tokens, event_sample_cycles,
                               sample_cycles)
from scnc.ref.cycles import row_token_counts
from scnc.kinds import Encoding, Engine, ResetMode
from scnc.ref.scalar import lif_update, sc_leak, shift_leak
from scnc.rtl import compile_graph, load_build, simulate
from scnc.rtl.engine.group_leak import GroupLeakParams, GroupTable, group_leak
from scnc.rtl.engine.lif_update import PipelinedLIFUpdate
from scnc.rtl.engine.spike_queue import BankedSpikeQueue, SpikeQueue
from scnc.snn.network import Network
from scnc.trace import first_divergence
from scnc.verify import compare, make_case, verify_build
from scnc.verify.configs import build_config, draw_spec


def _run(dut, bench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


def event(graph):
    return set_engine(graph, Engine.EVENT)


# ---- the IR: field, files, validator ------------------------------------------------------------

def test_engine_defaults_to_dense_and_old_files_load(tmp_path) -> None:
    g = build_graph(GraphShape(sizes=(5, 4, 3), seed=7))
    assert g.hardware.engine is Engine.DENSE
    save_ir(g, tmp_path / "dense")
    hw = json.loads((tmp_path / "dense" / "ir.json").read_text())["graph"]["hardware"]
    assert "engine" not in hw  # a dense graph's file is what it was before the field existed
    assert load_ir(tmp_path / "dense").hardware.engine is Engine.DENSE
    save_ir(event(g), tmp_path / "event")
    hw = json.loads((tmp_path / "event" / "ir.json").read_text())["graph"]["hardware"]
    assert hw["engine"] == "event"
    assert load_ir(tmp_path / "event").hardware.engine is Engine.EVENT
    assert "engine=event" in summary(event(g))


def test_unknown_engine_in_a_file_is_refused_naming_the_field(tmp_path) -> None:
    g = event(build_graph(GraphShape(sizes=(5, 4), seed=7)))
    save_ir(g, tmp_path)
    doc = json.loads((tmp_path / "ir.json").read_text())
    doc["graph"]["hardware"]["engine"] = "sparse"
    (tmp_path / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="engine"):
        load_ir(tmp_path)


def test_event_engine_refuses_streams_whose_window_counts_are_not_exact() -> None:
    lfsr = build_graph(GraphShape(sizes=(5, 4), sng="lfsr", seed=7))
    with pytest.raises(IRError, match=r"synapse_sngs\[0\].*window counts"):
        event(lfsr)
    # the same graph computed in fixed point has no window: accepted
    fixed = event(with_encoding(lfsr, Encoding.FIXED))
    assert fixed.hardware.engine is Engine.EVENT


def with_encoding(graph, encoding):
    return replace(graph, hardware=replace(graph.hardware, encoding=encoding))


# ---- the cycle model ----------------------------------------------------------------------------

def test_event_cycle_model_by_hand() -> None:
    net = Network.dense([6, 5, 3], seed=1, timesteps=2)
    g = event(quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=1, parallel_neurons=2,
                                                       input_coding="spikes")))
    # layer 0: H = 3; layer 1: H = 2; one bank each. Spike counts (B=1, T=2, layers=2): step 0: 4 and 1; step 1: 0 and 5
    counts = np.array([[[4, 1], [0, 5]]])
    inp, out = 2, 1  # spike coding: accept the beat, start the first layer; the output beat
    # no trace port: 1 load cycle, H * (s + 1) issue cycles (rows and one end token per group; the
    # groups' pipelines overlap the next group's issue), then the last group's 3-cycle tail
    step0 = inp + (1 + 3 * (4 + 1) + 3) + (1 + 2 * (1 + 1) + 3) + out
    step1 = inp + (1 + 3 * (0 + 1) + 3) + (1 + 2 * (5 + 1) + 3) + out
    assert event_sample_cycles(g, counts).tolist() == [step0 + step1 + 1]
    # trace build: one group at a time, 1 + H * (s + 3), and one cycle per trace beat
    traced0 = inp + (1 + 3 * (4 + 3)) + (1 + 2 * (1 + 3)) + out
    traced1 = inp + (1 + 3 * (0 + 3)) + (1 + 2 * (5 + 3)) + out
    assert event_sample_cycles(g, counts, trace=True).tolist() == [traced0 + traced1 + 1 + 2 * (5 + 3)]
    # the manifest's bound: every input spiking
    assert sample_cycles(g)["total"] == int(event_sample_cycles(g, np.array([[[6, 5], [6, 5]]]))[0])


def test_event_row_tokens_by_hand() -> None:
    # 7 inputs in 3 interleaved banks: {0, 3, 6}, {1, 4}, {2, 5}; the fullest bank sets the row tokens
    spikes = np.array([[1, 0, 0, 1, 0, 0, 1],   # bank 0 holds all three
                       [1, 1, 1, 0, 0, 0, 0],   # one per bank
                       [0, 1, 1, 0, 1, 1, 0],   # banks 1 and 2 hold two each
                       [0, 0, 0, 0, 0, 0, 0]])
    assert event_row_tokens(spikes, 3).tolist() == [3, 1, 2, 0]
    assert event_row_tokens(spikes, 1).tolist() == spikes.sum(axis=1).tolist()
    assert event_row_tokens(spikes, 7).tolist() == [1, 1, 1, 0]


def test_event_cycle_model_with_banks() -> None:
    g = event(build_graph(GraphShape(sizes=(6, 5, 3), weight_style="full", coding="spikes", parallel_inputs=4,
                                     timesteps=2, seed=7)))
    plans = [event_layer_plan(layer, g.hardware) for layer in g.layers]
    # P_n = 1. layer 0: 4 banks of ceil(6 / 4) = 2 inputs, H = 5; layer 1: 4 banks of ceil(5 / 4) = 2, H = 3
    assert [(p.p_in, p.bank_inputs, p.bank_rows, p.rows) for p in plans] == [(4, 2, 10, 40), (4, 2, 6, 24)]
    # the bound: every bank full, 2 row tokens per group
    assert sample_cycles(g)["total"] == int(event_sample_cycles(g, np.array([[[2, 2], [2, 2]]]))[0])
    # a reference run's row tokens: the fullest bank of each layer-step, from its spikes
    res = ref.run(g, spikes=np.random.default_rng(0).integers(0, 2, (3, 2, 6)).astype(np.uint8))
    assert np.asarray(res.spikes[0]).sum() > 0  # layer 1 sees spikes too
    tokens = row_token_counts(g, res)
    feeds = (res.input_spikes, *res.spikes[:-1])
    for li, s in enumerate(feeds):
        for b in range(3):
            for t in range(2):
                bits = np.asarray(s)[b, t]
                want = max(int(bits[k::4].sum()) for k in range(4))
                assert tokens[b, t, li] == want
    assert ref.cycles(g, res).tolist() == event_sample_cycles(g, tokens).tolist()


# ---- components in amaranth.sim -----------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), data=st.data())
def test_spike_queue_pops_every_set_bit_lowest_first(n: int, data) -> None:
    vectors = data.draw(st.lists(st.integers(0, (1 << n) - 1), min_size=1, max_size=3))
    dut = SpikeQueue(n)

    async def bench(ctx):
        for vec in vectors:
            ctx.set(dut.spikes, vec)
            ctx.set(dut.load, 1)
            ctx.set(dut.pop, 1)  # load wins over pop: nothing is lost from the new vector
            await ctx.tick()
            ctx.set(dut.load, 0)
            ctx.set(dut.spikes, ~vec & ((1 << n) - 1))  # read only when loading
            got = []
            for _ in range(n + 2):
                if not ctx.get(dut.valid):
                    break
                got.append(ctx.get(dut.addr))
                await ctx.tick()
            ctx.set(dut.pop, 0)
            assert got == [j for j in range(n) if vec >> j & 1], (vec, got)
            assert ctx.get(dut.addr) == 0
            await ctx.tick()

    _run(dut, bench)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 30), banks=st.integers(1, 6), data=st.data())
def test_banked_queue_pops_every_bank_lowest_first_together(n: int, banks: int, data) -> None:
    vec = data.draw(st.integers(0, (1 << n) - 1))
    dut = BankedSpikeQueue(n, banks)
    nb = -(-n // banks)
    want = [[k for k in range(nb) if k * banks + b < n and vec >> (k * banks + b) & 1] for b in range(banks)]

    async def bench(ctx):
        ctx.set(dut.spikes, vec)
        ctx.set(dut.load, 1)
        await ctx.tick()
        ctx.set(dut.load, 0)
        ctx.set(dut.pop, 1)
        got = [[] for _ in range(banks)]
        pops = 0
        while ctx.get(dut.valid) and pops <= nb:
            pend = ctx.get(dut.pending)
            for b in range(banks):
                if pend >> b & 1:
                    got[b].append(ctx.get(dut.addr[b]))
            pops += 1
            await ctx.tick()
        assert got == want, (vec, got)
        assert pops == max(len(w) for w in want)   # the fullest bank sets the pops: the row tokens
        assert pops == int(event_row_tokens(np.array([(vec >> j) & 1 for j in range(n)]), banks))

    _run(dut, bench)


def test_group_table_reads_p_n_neurons_per_word() -> None:
    vals = np.array([3, 1, 4, 1, 5, 9, 2])
    dut = GroupTable(vals, unsigned(4), 3)

    async def bench(ctx):
        for h in range(3):
            ctx.set(dut.group, h)
            ctx.set(dut.en, 1)
            await ctx.tick()
            want = list(vals[h * 3:(h + 1) * 3]) + [0] * (3 - len(vals[h * 3:(h + 1) * 3]))
            assert [ctx.get(dut.data[nl]) for nl in range(3)] == want

    _run(dut, bench)


@pytest.mark.parametrize("encoding", [Encoding.FIXED, Encoding.SC])
def test_group_sc_leak_is_the_scalar_leak_on_every_lane(encoding) -> None:
    g = build_graph(GraphShape(sizes=(3, 5), seed=4, encoding=str(encoding)))
    layer = g.layers[0]
    leak = layer.neuron.quant.leak
    assert isinstance(leak, SCLeak)
    n, M, Pn = g.hardware.stream_bits, layer.neuron.quant.membrane_bits, 2
    from scnc.sc.sng import sequence

    dither = sequence(leak.dither_sng, 3).tolist() if encoding is Encoding.SC else [leak.rounding] * 3
    dut = group_leak(leak, GroupLeakParams(encoding=encoding, stream_bits=n, membrane_bits=M, n_out=5, p_out=Pn,
                                           t_bits=2, where="x"))
    rng = np.random.default_rng(0)

    async def bench(ctx):
        ctx.set(dut.init, 1)
        await ctx.tick()
        ctx.set(dut.init, 0)
        for t in range(3):
            ctx.set(dut.t, t)
            for h in range(3):
                ctx.set(dut.group, h)
                ctx.set(dut.load, 1)
                await ctx.tick()
                ctx.set(dut.load, 0)
                for v in rng.integers(-(1 << (M - 1)), 1 << (M - 1), size=(4, Pn)):
                    for nl in range(Pn):
                        ctx.set(dut.v[nl], int(v[nl]))
                    for nl in range(Pn):
                        i = h * Pn + nl
                        if i < 5:
                            want = sc_leak(int(v[nl]), int(leak.beta_q[i]), int(dither[t]), n)
                            assert ctx.get(dut.leaked[nl]) == want, (t, i, int(v[nl]))
            ctx.set(dut.step_done, 1)
            await ctx.tick()
            ctx.set(dut.step_done, 0)

    _run(dut, bench)


def test_group_shift_leak_is_the_scalar_leak_on_every_lane() -> None:
    g = build_graph(GraphShape(sizes=(3, 4), seed=4, leak="shift", membrane_bits=6))
    leak = g.layers[0].neuron.quant.leak
    assert isinstance(leak, ShiftLeak)
    dut = group_leak(leak, GroupLeakParams(encoding=Encoding.SC, stream_bits=3, membrane_bits=6, n_out=4, p_out=4,
                                           t_bits=2, where="x"))

    async def bench(ctx):
        ctx.set(dut.group, 0)
        ctx.set(dut.load, 1)
        await ctx.tick()
        for v in range(-32, 32):
            for nl in range(4):
                ctx.set(dut.v[nl], v)
            for nl in range(4):
                assert ctx.get(dut.leaked[nl]) == shift_leak(v, int(leak.shift[nl]))

    _run(dut, bench)


# ---- the pipelined LIF update ---------------------------------------------------------------------

@pytest.mark.parametrize("consts", [(None, None), (-3, 6)])
@pytest.mark.parametrize("reset", list(ResetMode))
def test_pipelined_lif_update_is_the_scalar_update_a_cycle_later(reset, consts) -> None:
    """A new input every cycle (as the overlapped engine launches groups back to back), then a hold:
    every output is :func:`scnc.ref.scalar.lif_update` of the inputs ``STAGES - 1`` advancing edges
    before, and ``advance = 0`` freezes S3 (what a trace build's beats read). Per-neuron and shared
    (constant) bias and threshold."""
    const_bias, const_threshold = consts
    M, cb, bb, tb = 5, 7, 4, 4
    assert PipelinedLIFUpdate.STAGES + 1 == EVENT_TAIL_CYCLES  # A1, then A2 = S2, S3: the cycle model's tail
    dut = PipelinedLIFUpdate(membrane_bits=M, current_bits=cb, bias_shape=signed(bb), threshold_shape=tb,
                             reset=reset, const_bias=const_bias, const_threshold=const_threshold)
    assert dut.reads_old == (reset is ResetMode.SUBTRACT_DELAYED) == ("old" in dut.signature.members)
    assert ("threshold" in dut.signature.members) == (const_threshold is None)
    assert ("bias" in dut.signature.members) == (const_bias is None)
    rng = np.random.default_rng(5)
    cases = [(int(rng.integers(-16, 16)), int(rng.integers(-64, 64)), int(rng.integers(-8, 8)),
              int(rng.integers(0, 16)), int(rng.integers(-16, 16))) for _ in range(300)]
    cases += [(15, 63, 7, 0, 15), (-16, -64, -8, 15, -16), (0, 0, 0, 0, 0)]  # both clamps, threshold 0
    if const_threshold is not None:
        cases = [(lv, cur, b, const_threshold, old) for lv, cur, b, _, old in cases]
    if const_bias is not None:
        cases = [(lv, cur, const_bias, thr, old) for lv, cur, _, thr, old in cases]
    want = [lif_update(lv, cur, b, thr, M, reset, old=old) for lv, cur, b, thr, old in cases]
    lag = PipelinedLIFUpdate.STAGES - 1

    async def bench(ctx):
        ctx.set(dut.advance, 1)
        for i in range(len(cases) + lag):
            if i < len(cases):  # the inputs of case i
                lv, cur, b, thr, old = cases[i]
                ctx.set(dut.leaked, lv)
                ctx.set(dut.current, cur)
                if const_bias is None:
                    ctx.set(dut.bias, b)
                if const_threshold is None:
                    ctx.set(dut.threshold, thr)
                if dut.reads_old:
                    ctx.set(dut.old, old)
            if i >= lag:
                w = want[i - lag]
                got = (ctx.get(dut.v_new), ctx.get(dut.spike), ctx.get(dut.saturated))
                assert got == (w.membrane, w.spike, int(w.saturated)), (cases[i - lag], got, w)
            await ctx.tick()
        # hold: new inputs, no advance -> the outputs stay those of the last case
        ctx.set(dut.advance, 0)
        ctx.set(dut.leaked, 3)
        for _ in range(3):
            await ctx.tick()
        w = want[-1]
        assert (ctx.get(dut.v_new), ctx.get(dut.spike)) == (w.membrane, w.spike)

    _run(dut, bench)


# ---- the whole core in amaranth.sim -------------------------------------------------------------

CASES = {
    "vdc-sc-leak": dict(sizes=(5, 4, 3)),
    "fixed-sobol-shift-zero": dict(sizes=(6, 5, 3), encoding="fixed", sng="sobol", input_sng="sobol", leak="shift",
                                   reset="zero", parallel_inputs=2),
    "fixed-spikes": dict(sizes=(5, 4, 3), encoding="fixed", coding="spikes"),
    "fixed-lfsr-input": dict(sizes=(4, 6), encoding="fixed", leak="shift", input_sng="lfsr"),
    "full-scale-saturating": dict(sizes=(6, 4), weight_style="full", membrane_bits=4, coding="spikes"),
    "delayed-subtract": dict(sizes=(6, 4), weight_style="full", membrane_bits=4, coding="spikes",
                             reset="subtract_delayed", leak="shift"),
    "zero-weights": dict(sizes=(4, 3), weight_style="zero", reset="zero"),
    # input banks: 9 inputs in 4 banks (the last bank one short), 7 hidden inputs in 3 banks
    "fixed-banks": dict(sizes=(9, 7, 3), encoding="fixed", weight_style="full", coding="spikes", parallel_inputs=4),
    "sc-banks-rate": dict(sizes=(9, 7, 3), weight_style="full", parallel_inputs=3),
}


@pytest.mark.parametrize("trace", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_event_core_matches_ref_and_its_cycle_model(name: str, trace: bool) -> None:
    g = event(build_graph(GraphShape(**CASES[name], seed=7)))
    inputs = random_inputs(g, 2, seed=0)
    got = simulate(g, **inputs, trace=trace)
    want = ref.run(g, **inputs, trace=True)
    if trace:
        d = first_divergence(want, got)
        assert d is None, str(d)
    else:
        assert (got.counts == want.counts).all()
    assert got.cycles.tolist() == ref.cycles(g, want, trace_port=trace).tolist()


def test_a_cycle_model_one_cycle_off_is_caught(monkeypatch) -> None:
    """The no-trace core's measured latency pins the pipeline's tail: a model one cycle short per
    layer-step (a tail without S3) disagrees with every sample, by T * n_layers cycles."""
    import scnc.ir.schedule as schedule

    g = event(build_graph(GraphShape(**CASES["fixed-spikes"], seed=7)))
    inputs = random_inputs(g, 2, seed=0)
    got = simulate(g, **inputs, trace=False)
    want = ref.run(g, **inputs, trace=False)
    assert got.cycles.tolist() == ref.cycles(g, want).tolist()
    monkeypatch.setattr(schedule, "EVENT_TAIL_CYCLES", schedule.EVENT_TAIL_CYCLES - 1)
    off = got.cycles - ref.cycles(g, want)
    assert off.tolist() == [g.timesteps * len(g.layers)] * 2


def test_rate_coded_event_core_encodes_a_step_ahead(monkeypatch) -> None:
    """The encoder of step t + 1 runs while the layers compute step t: the measured latency is the
    overlapped model's, which is below the serial one; a model without the overlap is caught."""
    import scnc.ir.schedule as schedule

    g = event(build_graph(GraphShape(sizes=(12, 4, 3), weight_style="full", timesteps=4, seed=5)))
    assert schedule.overlaps_input_stage(g)
    inputs = random_inputs(g, 3, seed=2)
    got = simulate(g, **inputs, trace=False)
    want = ref.run(g, **inputs, trace=False)
    assert (got.counts == want.counts).all()
    assert got.cycles.tolist() == ref.cycles(g, want).tolist()
    monkeypatch.setitem(schedule.OVERLAPS_INPUT_STAGE, Engine.EVENT, False)  # the serial model
    serial = ref.cycles(g, want)
    assert (got.cycles < serial).all()   # the 12-input encoder (14 cycles) hid behind the layers
    spikes = event(build_graph(GraphShape(sizes=(12, 4, 3), coding="spikes", timesteps=4, seed=5)))
    monkeypatch.undo()
    assert not schedule.overlaps_input_stage(spikes)   # spike input has no encoder to overlap


@pytest.mark.parametrize("p_out", [2, 3, 7])
def test_event_core_updates_p_n_neurons_at_once(p_out: int) -> None:
    g = build_graph(GraphShape(sizes=(5, 7, 4), parallel_inputs=3, seed=3))
    for i, layer in enumerate(g.layers):
        g = with_quant(g, i, parallel_neurons=min(p_out, layer.n_out))
    g = event(g)
    inputs = random_inputs(g, 2, seed=1)
    got = simulate(g, **inputs, trace=True, ready_probability=0.7)  # back-pressure on the trace
    want = ref.run(g, **inputs, trace=True)
    assert first_divergence(want, got) is None
    # fewer neuron groups, fewer cycles: H = ceil(n_out / P_n) per spiking input
    assert event_layer_plan(g.layers[0], g.hardware).groups_out == -(-7 // p_out)


def test_random_event_configs_match_ref() -> None:
    rng = np.random.default_rng(11)
    specs = [s for s in (draw_spec(rng, engines=("dense", "event")) for _ in range(24)) if s.engine == "event"]
    assert len(specs) >= 6
    for spec in specs:
        g, inputs = build_config(spec)
        got = simulate(g, **inputs, trace=True)
        want = ref.run(g, **inputs, trace=True)
        assert first_divergence(want, got) is None, spec
        assert got.cycles.tolist() == ref.cycles(g, want, trace_port=True).tolist(), spec
        # the board build: groups overlap in the pipeline, the latency is the no-trace model's
        fast = simulate(g, **inputs, trace=False)
        assert (fast.counts == want.counts).all(), spec
        assert fast.cycles.tolist() == ref.cycles(g, want).tolist(), spec


def test_draw_spec_default_draws_what_it_always_drew() -> None:
    """The golden configurations stay dense: the engine is drawn only when asked for."""
    a = draw_spec(np.random.default_rng(3))
    b = draw_spec(np.random.default_rng(3), engines=("dense", "event"))
    assert a.engine == "dense"
    assert replace(b, engine="dense", sng=a.sng) == a


def test_event_build_states_its_engine_and_loads(tmp_path) -> None:
    g = event(build_graph(GraphShape(sizes=(5, 4, 3), seed=7)))
    man = compile_graph(g, tmp_path / "b")
    again, graph = load_build(tmp_path / "b")
    assert again.graph.engine is Engine.EVENT and graph.hardware.engine is Engine.EVENT
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["graph"]["engine"] == "event"
    assert man.layers[0].membrane_ram.depth == man.layers[0].neuron_groups
    dense = compile_graph(build_graph(GraphShape(sizes=(5, 4, 3), seed=7)), tmp_path / "d")
    assert "engine" not in json.loads((tmp_path / "d" / "manifest.json").read_text())["graph"]
    assert dense.graph.engine is Engine.DENSE


# ---- HDL simulators ---------------------------------------------------------------------------

def small_event_graph(**opts):
    net = Network.dense([6, 5, 3], seed=2, timesteps=4)
    return event(quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=2, parallel_neurons=2,
                                                          **opts)))


@pytest.mark.sim
def test_event_core_verilator_bit_exact_with_latency(tmp_path) -> None:
    from scnc.verify import find_verilator

    try:
        find_verilator()
    except Exception as exc:  # noqa: BLE001 - any discovery failure means: no usable Verilator here
        pytest.skip(f"no usable Verilator: {exc}")
    d = tmp_path / "build"
    g = small_event_graph()
    compile_graph(g, d)
    inputs = _inputs(g, 4)
    rep = verify_build(d, sim="verilator", inputs=inputs, flow="always", build_root=tmp_path / "vb")
    assert rep.ok, rep.summary()
    assert rep.mismatches == 0 and rep.values_compared > 0
    want = ref.cycles(g, ref.run(g, **inputs), trace_port=True).tolist()
    assert len(set(want)) > 1  # data-dependent: the samples really differ in latency
    assert list(rep.latency_cycles) == want


def _inputs(g, b, seed=0):
    rng = np.random.default_rng(seed)
    return {"intensities": rng.integers(0, 256, size=(b, g.input.size), dtype=np.int64)}


INPUTS = {"intensities": np.array([[255, 0, 200, 30, 255, 90], [10, 255, 255, 0, 128, 255]], np.int64)}


def planted_build(tmp_path, good, bad):
    """``good``'s manifest and IR with ``bad``'s Verilog, re-sealed (as tests/test_verify_mutation.py)."""
    d = tmp_path / "build"
    man = compile_graph(good, d)
    compile_graph(bad, tmp_path / "bad")
    shutil.copyfile(man.verilog_path(tmp_path / "bad"), man.verilog_path(d))
    return d, reseal(d)


needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")


@pytest.mark.sim
@needs_icarus
@pytest.mark.parametrize("flow", ["always", "random"])
def test_event_core_icarus_bit_exact(tmp_path, flow: str) -> None:
    g = small_event_graph(encoding="fixed", leak="shift")
    compile_graph(g, tmp_path / "build")
    rep = verify_build(tmp_path / "build", sim="icarus", inputs=INPUTS, flow=flow, seed=5, build_root=tmp_path / "sb")
    assert rep.ok and rep.mismatches == 0 and rep.values_compared > 0, rep.summary()
    if flow == "always":
        assert list(rep.latency_cycles) == ref.cycles(g, ref.run(g, **INPUTS), trace_port=True).tolist()


@pytest.mark.sim
@needs_icarus
def test_a_wrong_event_latency_is_caught_as_a_latency_divergence(tmp_path) -> None:
    """Hardware that computes the same values in other cycles (P_n = 1 instead of 2: more neuron groups)."""
    good = small_event_graph()
    bad = event(with_quant(with_quant(set_engine(good, Engine.DENSE), 0, parallel_neurons=1), 1, parallel_neurons=1))
    assert (ref.run(good, **INPUTS).counts == ref.run(bad, **INPUTS).counts).all()
    d, _ = planted_build(tmp_path, good, bad)
    rep = verify_build(d, sim="icarus", inputs=INPUTS, flow="always", build_root=tmp_path / "sb")
    assert not rep.ok
    first = rep.first_divergence
    assert first["field"] == "latency" and first["sample"] == 0
    want_bad = ref.cycles(bad, ref.run(bad, **INPUTS), trace_port=True)
    assert first["actual"] == int(want_bad[0]) and first["expected"] != first["actual"]


@pytest.mark.sim
@needs_icarus
def test_a_dropped_address_is_caught(tmp_path, monkeypatch) -> None:
    """A queue that loses the highest input's address: its weight row is never added."""
    good = small_event_graph()

    from amaranth.hdl import Module

    import scnc.rtl.event as event_mod

    class DropTop(BankedSpikeQueue):
        def elaborate(self, platform):
            m = Module()
            m.submodules.inner = inner = BankedSpikeQueue(self.n, self.banks)
            top = 1 << (self.n - 1)
            m.d.comb += [inner.spikes.eq(self.spikes & ~top), inner.load.eq(self.load), inner.pop.eq(self.pop),
                         self.valid.eq(inner.valid), self.pending.eq(inner.pending), self.addr.eq(inner.addr)]
            return m

    monkeypatch.setattr(event_mod, "BankedSpikeQueue", DropTop)
    d, man = planted_build(tmp_path, good, good)  # same IR, Verilog generated with the faulty queue
    monkeypatch.undo()
    rep = verify_build(d, sim="icarus", inputs=INPUTS, flow="always", build_root=tmp_path / "sb")
    assert not rep.ok and rep.mismatches > 0
    # what the faulty hardware computes: the same graph with the highest input's weights zeroed
    dropped = with_quant(good, 0, weight_q=_zero_last_row(good.layers[0].synapse.quant.weight_q))
    predicted = compare(man, make_case(good, **INPUTS), _observed_from(man, make_case(dropped, **INPUTS)))
    assert predicted.first is not None
    assert rep.first_divergence["field"] == predicted.first.field
    assert rep.first_divergence["sample"] == predicted.first.sample


def _zero_last_row(w):
    w = np.array(w, copy=True)
    w[-1, :] = 0
    return w


def _observed_from(man, case):
    from test_verify_bench import _encode

    return _encode(man, case)

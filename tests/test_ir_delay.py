"""Synaptic delays in the IR, the checkpoint and the reference model (issue 13, the hardware half).

The contract (``scnc.snn.network.LIFLayer.delays``): the spike of input ``j`` at step ``t`` reaches
neuron ``i`` at step ``t + delays[j, i]``; a spike before step 0 is 0. The IR holds it as a
``DelayDenseNode``; ``scnc.ref`` is checked against the naive transcription of docs/hardware.md
(``tests/support/hw_naive.py``) and against a direct integer oracle written here.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from support.ir_strategies import GraphShape, build_graph, graph_shapes, random_inputs
from support.hw_naive import run_naive
from test_ref_equivalence import assert_equal_to_naive
from scnc import ref
from scnc.errors import CheckpointError, IRError
from scnc.ir import (
    MAX_DELAY, DelayDenseNode, DelayLine, DenseNode, QuantOptions, check_graph, from_checkpoint, from_network,
    ir_hash, load_ir, quantize, save_ir, summary,
)
from scnc.snn import network as snn_network
from scnc.snn.network import EncoderConfig, LIFLayer, Network
from scnc.transfer import SNNCheckpoint, load_checkpoint, save_checkpoint
from scnc.transfer.records import DelayDenseLIFRecord, DenseLIFRecord


def delay_net(seed: int = 0, sizes=(6, 5, 3), max_delay: int = 3, T: int = 8) -> Network:
    rng = np.random.default_rng(seed)
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(LIFLayer(
            name=f"l{k}", weight=rng.normal(0.0, 0.6, (a, b)).astype(np.float32), beta=0.9, threshold=1.0,
            delays=rng.integers(0, max_delay + 1, (a, b)).astype(np.int16) if k == 0 else None))
    return Network(layers, T, EncoderConfig())


def quantized(net: Network, **opts) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize(from_network(net), QuantOptions(stream_length=opts.pop("stream_length", 16), **opts))


def test_ir_bound_is_the_training_contract() -> None:
    assert MAX_DELAY == snn_network.MAX_DELAY


def test_lowering_and_plan_delays() -> None:
    net = delay_net()
    g = from_network(net)
    syn0, syn1 = (layer.synapse for layer in g.layers)
    assert isinstance(syn0, DelayDenseNode) and type(syn1) is DenseNode
    assert syn0.delays.dtype == np.int16 and not syn0.delays.flags.writeable
    assert np.array_equal(syn0.delays, net.layers[0].delays) and syn0.line is None
    q = quantized(net)
    line = q.layers[0].synapse.line
    D = int(net.layers[0].delays.max())
    assert line == DelayLine(max_delay=D, delay_bits=max(1, D.bit_length()))
    rec = [p for p in q.passes if p["pass"] == "plan_delays"][-1]
    assert rec["layers"] == {"l0.synapses": {"max_delay": D, "delay_bits": line.delay_bits, "history_bits": 6 * D}}
    text = summary(q)
    assert f"delays 'l0.synapses': 0..{D} steps" in text and f"depth D={D}" in text
    assert "delays 'l0.synapses'" in summary(g)


def test_graph_without_delays_is_unchanged_by_the_pass() -> None:
    net = delay_net()
    for layer in net.layers:
        layer.delays = None
    q = quantized(net)
    assert all(type(layer.synapse) is DenseNode for layer in q.layers)
    assert [p for p in q.passes if p["pass"] == "plan_delays"] == [{"pass": "plan_delays", "layers": {}}]


def test_ir_files_round_trip(tmp_path: Path) -> None:
    q = quantized(delay_net())
    save_ir(q, tmp_path / "ir")
    back = load_ir(tmp_path / "ir")
    assert ir_hash(back) == ir_hash(q)
    assert np.array_equal(back.layers[0].synapse.delays, q.layers[0].synapse.delays)
    assert back.layers[0].synapse.line == q.layers[0].synapse.line
    f = from_network(delay_net())  # the float level too
    save_ir(f, tmp_path / "float")
    assert ir_hash(load_ir(tmp_path / "float")) == ir_hash(f)


def test_ir_file_with_a_bad_delay_is_refused(tmp_path: Path) -> None:
    import json

    from scnc._io import canonical_json, npz_bytes

    q = quantized(delay_net())
    save_ir(q, tmp_path / "ir")
    with np.load(tmp_path / "ir" / "ir.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["n1.delays"] = arrays["n1.delays"].astype(np.float32)
    (tmp_path / "ir" / "ir.npz").write_bytes(npz_bytes(arrays))
    with pytest.raises(IRError, match="delays.*int16"):
        load_ir(tmp_path / "ir")
    save_ir(q, tmp_path / "ir2")
    doc = json.loads((tmp_path / "ir2" / "ir.json").read_text())
    del doc["graph"]["nodes"][1]["line"]
    (tmp_path / "ir2" / "ir.json").write_text(canonical_json(doc))
    with pytest.raises(IRError, match=r"ir\.json.*nodes\[1\]\.line.*missing"):
        load_ir(tmp_path / "ir2")


@pytest.mark.parametrize("edit, field, match", [
    (lambda s: replace(s, delays=s.delays.astype(np.int32)), "delays", "dtype int16"),
    (lambda s: replace(s, delays=np.full_like(s.delays, -1)), "delays", ">= 0"),
    (lambda s: replace(s, delays=np.full_like(s.delays, MAX_DELAY + 1)), "delays", f"<= {MAX_DELAY}"),
    (lambda s: replace(s, delays=s.delays[:, :1].copy()), "delays", "shape"),
    (lambda s: replace(s, line=None), "line", "plan_delays"),
    (lambda s: replace(s, line=DelayLine(s.line.max_delay + 1, 9)), "line.max_delay", "largest delay"),
    (lambda s: replace(s, line=DelayLine(s.line.max_delay, s.line.delay_bits + 1)), "line.delay_bits", "<="),
])
def test_validator_refuses_bad_delay_fields(edit, field: str, match: str) -> None:
    q = quantized(delay_net())
    syn = q.layers[0].synapse
    bad = q.replace_node(syn.name, edit(syn))
    with pytest.raises(IRError, match=match) as info:
        check_graph(bad)
    assert info.value.where == syn.name and info.value.field == field
    # and both back ends refuse it through the same validator
    with pytest.raises(IRError):
        ref.run(bad, intensities=np.zeros((1, 6), np.int32))


def test_float_graph_with_a_line_is_refused() -> None:
    g = from_network(delay_net())
    syn = g.layers[0].synapse
    with pytest.raises(IRError, match="float graph has no hardware form"):
        check_graph(g.replace_node(syn.name, replace(syn, line=DelayLine(3, 2))))


# ---- checkpoints -------------------------------------------------------------------------------
def test_checkpoint_round_trip_and_hash(tmp_path: Path) -> None:
    net = delay_net()
    ck = SNNCheckpoint.from_network(net)
    assert type(ck.layers[0]) is DelayDenseLIFRecord and type(ck.layers[1]) is DenseLIFRecord
    save_checkpoint(ck, tmp_path / "c")
    back = load_checkpoint(tmp_path / "c")
    assert back.content_hash == ck.content_hash
    assert np.array_equal(back.layers[0].delays, net.layers[0].delays)
    assert back.to_network().layers[0].delays.dtype == np.int16
    assert ir_hash(from_checkpoint(back)) == ir_hash(from_checkpoint(ck))
    other = delay_net()
    other.layers[0].delays = (other.layers[0].delays + 1).astype(np.int16)
    assert SNNCheckpoint.from_network(other).content_hash != ck.content_hash  # delays are identity
    side = (tmp_path / "c.json").read_text()
    assert '"kind": "delay_dense_lif"' in side


def test_checkpoint_without_delays_is_as_before(tmp_path: Path) -> None:
    """A network without delays writes the same files as before delays existed (no new key or array)."""
    net = delay_net()
    net.layers[0].delays = None
    ck = SNNCheckpoint.from_network(net)
    assert all(type(r) is DenseLIFRecord for r in ck.layers)
    save_checkpoint(ck, tmp_path / "c")
    assert "delay" not in (tmp_path / "c.json").read_text()
    with np.load(tmp_path / "c.npz") as z:
        assert not any(k.startswith("delays") for k in z.files)


@pytest.mark.parametrize("value, match", [
    (lambda d: d.astype(np.float32), "dtype must be int16"),
    (lambda d: d.astype(">i2"), "little-endian"),
    (lambda d: np.full_like(d, MAX_DELAY + 1), "MAX_DELAY"),
    (lambda d: d[:, :2].copy(), "shape"),
])
def test_checkpoint_with_bad_delays_is_refused(tmp_path: Path, value, match: str) -> None:
    from scnc._io import npz_bytes

    save_checkpoint(SNNCheckpoint.from_network(delay_net()), tmp_path / "c")
    with np.load(tmp_path / "c.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["delays_0"] = value(arrays["delays_0"])
    (tmp_path / "c.npz").write_bytes(npz_bytes(arrays))
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(tmp_path / "c")
    assert "c.npz" in str(info.value) and "delays" in str(info.value)


# ---- the reference model -----------------------------------------------------------------------
def oracle(graph, s_in: np.ndarray) -> list[np.ndarray]:
    """Fixed encoding, shift leak, subtract reset: the delayed dense LIF written directly with numpy."""
    T = graph.timesteps
    out = []
    cur_in = s_in.astype(np.int64)  # (T, n_in)
    for layer in graph.layers:
        q, nq = layer.synapse.quant, layer.neuron.quant
        w = np.sign(q.weight_q).astype(np.int64) * q.comparator_q
        d = getattr(layer.synapse, "delays", np.zeros(w.shape, np.int16)).astype(np.int64)
        v = np.zeros(layer.n_out, np.int64)
        s_out = np.zeros((T, layer.n_out), np.int64)
        for t in range(T):
            past = np.where(t - d >= 0, cur_in[np.clip(t - d, 0, None), np.arange(w.shape[0])[:, None]], 0)
            current = (past * w).sum(axis=0)
            v = v - (v >> nq.leak.shift.astype(np.int64)) + current + nq.bias_q
            v = np.clip(v, nq.membrane_min, nq.membrane_max)
            s_out[t] = v >= nq.threshold_q
            v = v - s_out[t] * nq.threshold_q
        out.append(s_out)
        cur_in = s_out
    return out


def test_ref_matches_a_direct_oracle() -> None:
    net = delay_net(seed=3, sizes=(8, 7, 4), max_delay=4, T=12)
    net.layers[1].delays = np.random.default_rng(9).integers(0, 5, (7, 4)).astype(np.int16)
    g = quantized(net, encoding="fixed", leak="shift", input_coding="spikes")
    spikes = (np.random.default_rng(1).random((3, 12, 8)) < 0.5).astype(np.uint8)
    res = ref.run(g, spikes=spikes)
    for b in range(3):
        for li, want in enumerate(oracle(g, spikes[b])):
            assert res.spikes[li][b].tolist() == want.tolist(), (b, li)
    assert sum(int(s.sum()) for s in res.spikes) > 0


def test_a_delay_moves_the_current_in_time() -> None:
    """One input spike at step 0 through a delay d: the neuron's current arrives at step d exactly."""
    for d in (0, 1, 3):
        net = Network([LIFLayer(name="l", weight=np.array([[2.0]], np.float32), beta=1.0, threshold=1.0,
                                delays=np.array([[d]], np.int16))], 6, EncoderConfig())
        g = quantized(net, encoding="fixed", leak="shift", input_coding="spikes")
        spikes = np.zeros((1, 6, 1), np.uint8)
        spikes[0, 0, 0] = 1
        res = ref.run(g, spikes=spikes)
        first = int(np.argmax(res.spikes[0][0, :, 0]))
        assert res.spikes[0][0, first, 0] == 1 and first == d


def test_zero_delays_equal_the_dense_layer() -> None:
    net = delay_net()
    net.layers[0].delays = np.zeros_like(net.layers[0].delays)
    g = quantized(net, sng="lfsr")
    plain = delay_net()
    plain.layers[0].delays = None
    h = quantized(plain, sng="lfsr")
    x = np.random.default_rng(0).random((4, 6))
    a, b = ref.run(g, x), ref.run(h, x)
    for s, t in zip(a.spikes + a.membranes, b.spikes + b.membranes):
        assert np.array_equal(s, t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=graph_shapes(max_timesteps=5, delays=True))
def test_ref_equals_naive_with_delays(shape: GraphShape) -> None:
    graph = build_graph(shape)
    assert_equal_to_naive(graph, random_inputs(graph, batch=2, seed=shape.seed))


def test_ref_chunked_weight_steps_with_delays(monkeypatch) -> None:
    """LFSR streams with a step-dependent weight table built in chunks read the delayed spikes right."""
    from scnc.ref import model

    shape = GraphShape(sizes=(5, 4, 3), stream_length=8, timesteps=6, sng="lfsr", parallel_inputs=2, seed=4,
                       max_delay=3)
    inputs = random_inputs(build_graph(shape), batch=2, seed=2)
    want = ref.run(build_graph(shape), **inputs)
    monkeypatch.setattr(model, "_WSTEP_CACHE", 0)
    monkeypatch.setattr(model, "_WSTEP_BUDGET", 5 * 4)  # one step per chunk
    got = ref.run(build_graph(shape), **inputs)
    for s, t in zip(want.spikes + want.membranes, got.spikes + got.membranes):
        assert np.array_equal(s, t)
    nv = run_naive(build_graph(shape), intensities=[int(v) for v in inputs["intensities"][0]])
    assert got.spikes[1][0].tolist() == nv["spikes"][1]


# ---- the random-config campaign ----------------------------------------------------------------
def test_campaign_draws_delays_only_when_asked() -> None:
    from scnc.verify.configs import build_config, draw_spec

    plain = [draw_spec(np.random.default_rng(s)) for s in range(30)]
    assert all(s.max_delay == 0 for s in plain)  # the golden specs stay what they were
    drawn = [draw_spec(np.random.default_rng(s), delays=True) for s in range(30)]
    assert [dataclass_fields(a) for a in plain] == [dataclass_fields(b) for b in drawn]
    depths = {s.max_delay for s in drawn}
    assert 0 in depths and len(depths) >= 3
    spec = next(s for s in drawn if s.max_delay > 0)
    graph, inputs = build_config(spec)
    for layer in graph.layers:
        assert isinstance(layer.synapse, DelayDenseNode)
        assert layer.synapse.line.max_delay == int(layer.synapse.delays.max()) <= spec.max_delay
    same, _ = build_config(replace(spec, max_delay=0))  # the weights do not depend on the delays
    for a, b in zip(graph.layers, same.layers):
        assert np.array_equal(a.synapse.quant.weight_q, b.synapse.quant.weight_q)


def dataclass_fields(spec) -> dict:
    d = spec.to_dict()
    d.pop("max_delay")
    return d


# ---- the command line --------------------------------------------------------------------------
def test_cli_pipeline_on_a_delay_checkpoint(tmp_path: Path, capsys) -> None:
    from scnc.cli import main

    save_checkpoint(SNNCheckpoint.from_network(delay_net()), tmp_path / "c")
    assert main(["quantize", str(tmp_path / "c.npz"), "-o", str(tmp_path / "ir"), "--stream-length", "8"]) == 0
    capsys.readouterr()
    assert main(["ir", "show", str(tmp_path / "ir")]) == 0
    assert "delays 'l0.synapses'" in capsys.readouterr().out
    assert main(["compile", str(tmp_path / "c.npz"), "-o", str(tmp_path / "build"), "--stream-length", "8"]) == 0
    assert (tmp_path / "build" / "manifest.json").is_file()


def test_cli_refuses_a_checkpoint_with_bad_delays(tmp_path: Path, capsys) -> None:
    from scnc._io import npz_bytes
    from scnc.cli import main

    save_checkpoint(SNNCheckpoint.from_network(delay_net()), tmp_path / "c")
    with np.load(tmp_path / "c.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["delays_0"] = np.full_like(arrays["delays_0"], -3)
    (tmp_path / "c.npz").write_bytes(npz_bytes(arrays))
    assert main(["quantize", str(tmp_path / "c.npz"), "-o", str(tmp_path / "ir")]) == 2
    err = capsys.readouterr().err
    assert "c.npz" in err and "delays" in err and not (tmp_path / "ir").exists()


def test_event_engine_refuses_delay_synapses_naming_the_node() -> None:
    from scnc.ir import set_engine
    from scnc.kinds import Encoding, Engine

    graph = quantized(delay_net(), encoding=Encoding.FIXED)
    with pytest.raises(IRError, match=r"l0\.synapses.*kind.*DelayDenseNode.*engine dense"):
        set_engine(graph, Engine.EVENT)
    # without delays the same network is accepted by the event engine
    plain = quantized(Network([replace(layer, delays=None) for layer in delay_net().layers], 8, EncoderConfig()),
                      encoding=Encoding.FIXED)
    assert set_engine(plain, Engine.EVENT).hardware.engine is Engine.EVENT

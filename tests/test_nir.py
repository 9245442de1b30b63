"""scnc.nir: the export round trip, the conventions, and refusals of what scnc cannot represent.

Graphs are built in memory with the ``nir`` package (a test dependency); the files made by the
real frameworks are tested in tests/test_nir_producers.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nir

from scnc.cli import main as cli_main
from scnc.nir import NIRError, import_graph, read_nir, to_nir_graph, write_nir
from scnc.nir.conventions import Discretization, discretize
from scnc.snn import Network, run_forward
from scnc.transfer import SNNCheckpoint, load_checkpoint, save_checkpoint


def _net() -> Network:
    net = Network.dense([6, 5, 3], seed=3, beta=0.8, bias=True, timesteps=7)
    net.layers[0].beta = np.linspace(0.25, 1.0, 5).astype(np.float32)  # per neuron, including beta = 1
    net.layers[0].threshold = np.linspace(0.5, 1.5, 5).astype(np.float32)
    net.layers[0].bias = np.array([0.1, 0.0, 0.2, -0.3, 0.0], np.float32)
    net.layers[1].reset = "zero"
    return net


def _lif(n: int, *, tau=0.02, r=1.0, v_leak=0.0, thr=1.0, v_reset=0.0) -> nir.LIF:
    full = lambda v: np.broadcast_to(np.asarray(v, np.float64), (n,)).copy()  # noqa: E731
    return nir.LIF(tau=full(tau), r=full(r), v_leak=full(v_leak), v_threshold=full(thr), v_reset=full(v_reset))


def _chain(*nodes, n_in: int = 4) -> nir.NIRGraph:
    named = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    for i, node in enumerate(nodes):
        named[f"n{i}"] = node
    last = nodes[-1]
    n_out = int(np.asarray(getattr(last, "v_threshold", getattr(last, "weight", np.zeros((1, 1))))).shape[0])
    named["output"] = nir.Output(output_type={"output": np.array([n_out])})
    names = list(named)
    return nir.NIRGraph(nodes=named, edges=list(zip(names, names[1:])), type_check=False)


def _w(n_out: int, n_in: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.7, (n_out, n_in)).astype(np.float32)


# ------------------------------------------------------------------------------------------------
# Round trip


def test_export_then_import_gives_identical_float_parameters(tmp_path):
    net = _net()
    ckpt = SNNCheckpoint.from_network(net)
    res = read_nir(write_nir(ckpt, tmp_path / "m.nir"), timesteps=7)
    back = res.network()
    assert str(res.producer) == "scnc" and res.warnings == ()
    for a, b in zip(net.layers, back.layers):
        assert a.name == b.name and a.reset == b.reset
        assert np.array_equal(a.weight, b.weight)
        assert np.array_equal(a.beta_per_neuron(), b.beta_per_neuron())
        assert np.array_equal(a.threshold_per_neuron(), b.threshold_per_neuron())
        assert (a.bias is None) == (b.bias is None) and (a.bias is None or np.array_equal(a.bias, b.bias))
    x = (np.random.default_rng(0).random((7, 9, 6)) < 0.4).astype(np.float32)
    for sa, sb in zip(run_forward(net, x)[0], run_forward(back, x)[0]):
        assert np.array_equal(sa, sb)


def test_export_is_deterministic_and_readable_by_nir(tmp_path):
    ckpt = SNNCheckpoint.from_network(_net())
    p1, p2 = write_nir(ckpt, tmp_path / "a.nir"), write_nir(ckpt, tmp_path / "b.nir")
    assert p1.read_bytes() == p2.read_bytes()
    g = nir.read(p1)  # nir's own reader, with its type check
    assert sorted(type(n).__name__ for n in g.nodes.values()) == ["Affine", "Affine", "Input", "LIF", "LIF", "Output"]
    lif = g.nodes["lif_0"]
    # snnTorch's conventions: r = tau / dt, so the Euler input gain r*dt/tau is 1.
    fin = np.isfinite(lif.tau)
    assert np.allclose(lif.r[fin] * 1e-4 / lif.tau[fin], 1.0) and np.isinf(lif.tau[~fin]).all()


def test_quantized_ir_exports_the_hardware_values(tmp_path):
    from scnc.ir import QuantOptions, from_checkpoint, quantize

    graph = quantize(from_checkpoint(SNNCheckpoint.from_network(_net())), QuantOptions(stream_length=16))
    back = read_nir(write_nir(graph, tmp_path / "q.nir")).network()
    for layer, b in zip(graph.layers, back.layers):
        q, ql = layer.synapse.quant, layer.neuron.quant
        expect = np.sign(q.weight_q) * q.comparator_q * q.scale
        assert np.array_equal(b.weight, expect.astype(np.float32))
        assert np.array_equal(b.threshold_per_neuron(), (ql.threshold_q * q.scale).astype(np.float32))
        assert np.array_equal(b.beta_per_neuron(), (np.asarray(ql.leak.beta_q) / 16).astype(np.float32))


# ------------------------------------------------------------------------------------------------
# Conventions


@pytest.mark.parametrize("how", ["euler", "exact"])
def test_generic_lif_maps_tau_r_and_v_leak(how):
    tau, r, dt, v_leak = 0.02, 3.0, 1e-3, 0.5
    w = _w(3, 4)
    g = _chain(nir.Linear(weight=w), _lif(3, tau=tau, r=r, v_leak=v_leak, thr=0.7))
    res = import_graph(g, producer="nir", dt=dt, discretization=how)
    beta, gain = discretize(np.array([tau]), np.array([r]), dt, Discretization(how))
    layer = res.network().layers[0]
    assert np.array_equal(layer.beta, beta.astype(np.float32))
    assert np.array_equal(layer.weight, (w * gain[0]).T.astype(np.float32))
    assert np.array_equal(layer.bias, np.full(3, (1 - beta[0]) * v_leak, np.float32))
    assert layer.reset == "zero" and np.array_equal(layer.threshold, np.float32([0.7]))
    expect_beta = 1 - dt / tau if how == "euler" else np.exp(-dt / tau)
    assert np.isclose(beta[0], expect_beta)


def test_composed_synapses_scale_flatten_and_if():
    w1, w2 = _w(5, 4, 1), _w(3, 5, 2)
    s = np.array([1.0, 2.0, 0.5, 1.0, -1.0], np.float32)
    g = _chain(nir.Flatten(input_type={"input": np.array([4])}, start_dim=0), nir.Linear(weight=w1),
               nir.Scale(scale=s), nir.IF(r=np.full(5, 2.0), v_threshold=np.full(5, 1.0)),
               nir.Affine(weight=w2, bias=np.ones(3, np.float32)), _lif(3, tau=4.0, thr=1.0))
    res = import_graph(g, producer="sinabs")  # dt = 1 step, exact
    l0, l1 = res.network().layers
    assert np.allclose(l0.weight, ((s[:, None] * w1) * 2.0).T) and np.array_equal(l0.beta, np.float32([1.0]))
    gain = 1 - np.exp(-1 / 4.0)
    assert np.allclose(l1.weight, (w2 * gain).T) and np.allclose(l1.bias, gain)
    assert res.layers[0].nodes == ("n0", "n1", "n2", "n3") and l0.reset == "subtract"
    assert any("sinabs files do not record the reset" in w for w in res.warnings)


def test_nested_subgraph_is_flattened():
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([4])}), "fc": nir.Linear(weight=_w(3, 4)),
                                "lif": _lif(3), "o": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("i", "fc"), ("fc", "lif"), ("lif", "o")], type_check=False)
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([4])}), "block": inner,
                            "output": nir.Output(output_type={"output": np.array([3])})},
                     edges=[("input", "block"), ("block", "output")], type_check=False)
    res = import_graph(g, producer="nir", dt=1e-3)
    assert res.layers[0].name == "block.lif" and res.layers[0].nodes == ("block.fc", "block.lif")


def test_auto_asks_for_the_producer_when_the_file_cannot_tell():
    with pytest.raises(NIRError, match="pass --producer"):
        import_graph(_chain(nir.Linear(weight=_w(3, 4)), _lif(3, tau=0.02, r=1.0)))


def test_cuba_lif_without_synaptic_memory_is_a_lif():
    n, dt = 3, 1e-4
    w = _w(n, 4)
    cuba = nir.CubaLIF(tau_syn=np.full(n, dt), tau_mem=np.full(n, dt / 0.2), r=np.full(n, 5.0), v_leak=np.zeros(n),
                       v_threshold=np.ones(n), w_in=np.ones(n))
    layer = import_graph(_chain(nir.Linear(weight=w), cuba), producer="snntorch").network().layers[0]
    assert np.allclose(layer.beta, 0.8) and np.array_equal(layer.weight, w.T)


# ------------------------------------------------------------------------------------------------
# Refusals: a NIRError (exit 2) naming the file, the node, its kind and the field


def _refused(g, match, **kw):
    with pytest.raises(NIRError, match=match) as info:
        import_graph(g, source="model.nir", **{"producer": "nir", "dt": 1e-3, **kw})
    assert "model.nir" in str(info.value)
    return info.value


def test_unsupported_node_is_named():
    conv = nir.Conv1d(input_shape=4, weight=np.ones((2, 1, 3)), stride=1, padding=0, dilation=1, groups=1,
                      bias=np.zeros(2))
    e = _refused(_chain(conv, _lif(2)), "node kind Conv1d is not supported")
    assert e.node == "n0" and e.kind == "Conv1d" and "Linear, Affine" in str(e)


def test_li_readout_is_refused_with_the_reason():
    li = nir.LI(tau=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3))
    _refused(_chain(nir.Linear(weight=_w(3, 4)), li), "does not spike")


def test_recurrent_graph_is_refused():
    nodes = {"input": nir.Input(input_type={"input": np.array([4])}), "fc": nir.Linear(weight=_w(3, 4)),
             "lif": _lif(3), "rec": nir.Linear(weight=_w(3, 3)), "output": nir.Output(output_type={"output": np.array([3])})}
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")]
    e = _refused(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), "recurrent")
    assert e.node == "lif"


def test_branching_graph_is_refused():
    nodes = {"input": nir.Input(input_type={"input": np.array([4])}), "a": nir.Linear(weight=_w(3, 4)),
             "b": nir.Linear(weight=_w(3, 4)), "lif": _lif(3), "output": nir.Output(output_type={"output": np.array([3])})}
    edges = [("input", "a"), ("input", "b"), ("a", "lif"), ("b", "lif"), ("lif", "output")]
    e = _refused(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False), "feeds 2 nodes")
    assert e.node == "input"


def test_mismatched_shapes_are_refused():
    e = _refused(_chain(nir.Linear(weight=_w(3, 5)), _lif(3)), r"weight has shape \(3, 5\)")
    assert (e.node, e.field) == ("n0", "weight")
    e = _refused(_chain(nir.Linear(weight=_w(3, 4)), _lif(2)), "has 3 neurons")
    assert e.node == "n1" and e.field in ("v_threshold", "tau")


@pytest.mark.parametrize("tau, match", [(np.nan, "NaN"), (-0.01, "must be > 0")])
def test_nan_or_negative_tau_is_refused(tau, match):
    e = _refused(_chain(nir.Linear(weight=_w(3, 4)), _lif(3, tau=tau)), match)
    assert (e.node, e.kind, e.field) == ("n1", "LIF", "tau")


def test_nonzero_v_reset_and_euler_instability_are_refused():
    e = _refused(_chain(nir.Linear(weight=_w(3, 4)), _lif(3, v_reset=0.2)), "v_reset != 0")
    assert e.field == "v_reset"
    e = _refused(_chain(nir.Linear(weight=_w(3, 4)), _lif(3, tau=1e-4)), "beta = 1 - dt/tau", discretization="euler")
    assert e.field == "tau"


def test_synaptic_memory_is_refused():
    cuba = nir.CubaLIF(tau_syn=np.full(3, 0.01), tau_mem=np.full(3, 0.02), r=np.ones(3), v_leak=np.zeros(3),
                       v_threshold=np.ones(3))
    e = _refused(_chain(nir.Linear(weight=_w(3, 4)), cuba), "synaptic current decays")
    assert e.field == "tau_syn"


# ------------------------------------------------------------------------------------------------
# Files and the command line


def test_truncated_and_corrupt_files_exit_2_naming_the_file(tmp_path, capsys):
    good = write_nir(SNNCheckpoint.from_network(_net()), tmp_path / "good.nir")
    data = good.read_bytes()
    cases = {"truncated.nir": data[: len(data) // 2], "garbage.nir": b"not hdf5 at all" * 10,
             "flipped.nir": data[:2048] + bytes(b ^ 0xFF for b in data[2048:4096]) + data[4096:]}
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        assert cli_main(["import", str(tmp_path / name), "-o", str(tmp_path / "x.npz")]) == 2
        err = capsys.readouterr().err
        assert name in err and "error" in err
        assert not (tmp_path / "x.npz").exists()  # nothing half-written


def test_cli_unsupported_node_exits_2_naming_node_and_kind(tmp_path, capsys):
    g = _chain(nir.Linear(weight=_w(3, 4)), nir.Threshold(threshold=np.ones(3)))
    nir.write(tmp_path / "t.nir", g)
    assert cli_main(["import", str(tmp_path / "t.nir"), "-o", str(tmp_path / "x.npz"), "--producer", "nir",
                     "--dt", "1e-3"]) == 2
    err = capsys.readouterr().err
    assert "t.nir: node 'n1' (Threshold)" in err and "not supported" in err


def test_cli_import_export_round_trip(tmp_path, capsys):
    ckpt = SNNCheckpoint.from_network(_net())
    save_checkpoint(ckpt, tmp_path / "a.npz")
    assert cli_main(["export", str(tmp_path / "a.npz"), "-o", str(tmp_path / "a.nir")]) == 0
    assert cli_main(["import", str(tmp_path / "a.nir"), "-o", str(tmp_path / "b.npz"), "--timesteps", "7", "--json"]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert summary["producer"] == "scnc" and [l["reset"] for l in summary["layers"]] == ["subtract", "zero"]
    assert "beta" in out.err and "threshold" in out.err
    back = load_checkpoint(tmp_path / "b.npz")
    # Same arrays, names, resets, time steps and encoder: the same network, so the same content hash.
    assert back.content_hash == ckpt.content_hash


def test_bad_options_exit_2(tmp_path, capsys):
    p = write_nir(SNNCheckpoint.from_network(_net()), tmp_path / "m.nir")
    with pytest.raises(SystemExit) as e:  # argparse refuses the value
        cli_main(["import", str(p), "-o", str(tmp_path / "x.npz"), "--dt", "-1"])
    assert e.value.code == 2 and "--dt" in capsys.readouterr().err
    assert cli_main(["import", str(tmp_path / "missing.nir"), "-o", str(tmp_path / "x.npz")]) == 2
    assert "missing.nir: no such file" in capsys.readouterr().err


def test_to_nir_graph_refuses_other_objects():
    from scnc.errors import ConfigError

    with pytest.raises(ConfigError, match="expected an SNNCheckpoint"):
        to_nir_graph(object())


def test_readme_nir_block_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's NIR command block, run from a folder laid out like the repository."""
    import re
    import shlex
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    blocks = re.findall(r"```bash\n(.*?)```", (repo / "README.md").read_text(), flags=re.S)
    (block,) = [b for b in blocks if "scnc import" in b]
    fixture = tmp_path / "tests" / "fixtures" / "nir"
    fixture.mkdir(parents=True)
    shutil.copy(repo / "tests" / "fixtures" / "nir" / "optdigits_snntorch.nir", fixture)
    monkeypatch.chdir(tmp_path)
    for line in block.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "scnc"
        assert cli_main(argv[1:]) == 0, f"README command failed: {line}\n{capsys.readouterr().err}"
    assert (tmp_path / "snn.npz").exists() and (tmp_path / "snn-back.nir").exists()


def test_compile_evaluate_quantize_take_a_nir_file(tmp_path, capsys):
    """A .nir file goes straight to scnc evaluate / quantize / compile (snnTorch's file is recognised)."""
    src = Path(__file__).resolve().parent / "fixtures" / "nir" / "optdigits_snntorch.nir"
    assert cli_main(["evaluate", str(src), "--limit", "20"]) == 0
    assert cli_main(["quantize", str(src), "-o", str(tmp_path / "ir"), "--stream-length", "16"]) == 0
    assert (tmp_path / "ir" / "ir.json").is_file()
    assert cli_main(["compile", str(src), "-o", str(tmp_path / "build"), "--stream-length", "16"]) == 0
    assert (tmp_path / "build" / "manifest.json").is_file()
    err = capsys.readouterr().err
    assert "Traceback" not in err

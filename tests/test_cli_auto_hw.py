"""--engine auto / --parallel auto (scnc.fpga.choose) and compile's defaults."""

from __future__ import annotations

import json
import warnings

import pytest

from scnc.cli import main
from scnc.data import load_dataset
from scnc.fpga import choose as CH
from scnc.ir import QuantOptions, from_network, quantize
from scnc.kinds import Engine
from scnc.snn.network import Network
from scnc.transfer import SNNCheckpoint, save_checkpoint


@pytest.fixture(autouse=True)
def few_candidates(monkeypatch):
    """Fewer candidates keep these tests quick; the choice logic is the same."""
    monkeypatch.setattr(CH, "DENSE_PARALLEL", ((8, 2), (16, 8), (32, 8)))
    monkeypatch.setattr(CH, "EVENT_PARALLEL", ((1, 4), (2, 8), (1, 32)))


@pytest.fixture(scope="module")
def graph():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quantize(from_network(Network.dense([64, 128, 10], seed=0, timesteps=25)),
                        QuantOptions(stream_length=8, weight_bits=3))


@pytest.fixture(scope="module")
def digits_x():
    return load_dataset("digits", split="train").x[:200]


def test_choice_is_the_fewest_cycles_that_fit(graph, digits_x):
    c = CH.choose_hardware(graph, "ice40-up5k", x=digits_x)
    fitting = [t for t in c.trials if t.fits]
    assert c.chosen.fits and c.chosen.cycles == min(t.cycles for t in fitting)
    assert any(not t.fits for t in c.trials)          # 32x8 / 8x32 do not fit the UP5K
    assert {t.engine for t in c.trials} == {Engine.DENSE, Engine.EVENT}
    q = c.graph.layers[0].synapse.quant
    assert (c.graph.hardware.engine, q.parallel_neurons) == (c.chosen.engine, c.chosen.parallel_neurons)
    for t in c.trials:  # a fitting trial fits with the logic-cell margin
        if t.fits:
            assert t.estimate.fits and t.estimate.logic_cells * (1 + CH.LC_ERROR) <= 5280
    lines = CH.format_hardware_choice(c)
    assert sum("<- chosen" in line for line in lines) == 1


def test_given_engine_and_parallelism_are_kept(graph):
    c = CH.choose_hardware(graph, "ice40-up5k", engine="dense")
    assert {t.engine for t in c.trials} == {Engine.DENSE} and c.chosen.engine is Engine.DENSE
    c = CH.choose_hardware(graph, "ice40-up5k", parallel=(8, 2))
    assert {(t.parallel_inputs, t.parallel_neurons) for t in c.trials} == {(8, 2)}
    assert c.chosen.cycles_kind in ("exact", "bound")   # no calibration data: the event bound


def test_nothing_fits_is_a_clear_error(graph):
    with pytest.raises(Exception, match="no engine / parallelism tried fits"):
        CH.choose_hardware(graph, "ice40-up5k", engine="dense", parallel=(32, 8))


def _checkpoint(path, provenance):
    net = Network.dense([64, 128, 10], seed=0, timesteps=25)
    return save_checkpoint(SNNCheckpoint.from_network(net, class_labels=list(range(10)), provenance=provenance),
                           path)


def test_compile_defaults_choose_with_recorded_data(tmp_path, capsys):
    ds = load_dataset("digits", split="train")
    ckpt = _checkpoint(tmp_path / "c.npz", {"dataset": ds.identity()})
    assert main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--no-trace", "--json"]) == 0
    out = capsys.readouterr()
    res = json.loads(out.out.strip().splitlines()[-1])
    assert "stream length auto" in out.err and "engine / parallelism auto" in out.err
    assert res["stream_length"] in (8, 16, 32, 64) and res["capacity"]["fits"]
    assert "capacity estimate on ice40-up5k" in out.err


def test_compile_without_data_keeps_l64_and_explicit_options_as_before(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path / "c.npz", {})
    assert main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--engine", "dense", "--parallel", "8x2",
                 "--json"]) == 0
    out = capsys.readouterr()
    res = json.loads(out.out.strip().splitlines()[-1])
    assert "no calibration data" in out.err and "engine / parallelism auto" not in out.err
    assert (res["engine"], res["stream_length"]) == ("dense", 64)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert [(l["parallel_inputs"], l["parallel_neurons"]) for l in manifest["layers"]] == [(8, 2), (8, 2)]


# ---- per-layer parallelism (--parallel 4x8,1x16, QuantOptions.layer_parallel) ----------------------------

def test_layer_parallel_option_normalises_validates_and_keeps_old_provenance():
    from scnc.errors import ConfigError

    o = QuantOptions(layer_parallel=[[4, 8], [1, 16]])           # JSON lists become pairs
    assert o.layer_parallel == ((4, 8), (1, 16))
    assert [o.layer_pair(i) for i in range(3)] == [(4, 8), (1, 16), (1, 16)]  # the last pair repeats
    assert QuantOptions(**o.to_dict()) == o
    assert "layer_parallel" not in QuantOptions().to_dict()     # old graphs keep their provenance and hash
    assert QuantOptions(parallel_inputs=3, parallel_neurons=5).layer_pair(7) == (3, 5)
    for bad in ([[4, 0]], [[4]], [4, 8], "4x8", [[4, 8.5]]):
        with pytest.raises(ConfigError, match="layer_parallel"):
            QuantOptions(layer_parallel=bad)


def test_layer_parallel_sets_every_layer_and_clamps():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = quantize(from_network(Network.dense([64, 32, 20, 10], seed=0, timesteps=4)),
                     QuantOptions(stream_length=8, weight_bits=3, layer_parallel=((4, 8), (1, 16))))
    assert CH.layer_pairs(g) == ((4, 8), (1, 16), (1, 10))      # layer 2 repeats 1x16, clamped to 10 neurons


def test_parse_parallel_per_layer():
    from scnc.cli._quant import parse_parallel
    from scnc.errors import ConfigError

    assert parse_parallel("16x4") == {"parallel_inputs": 16, "parallel_neurons": 4}
    assert parse_parallel("4x8,1x16") == {"parallel_inputs": 4, "parallel_neurons": 8,
                                          "layer_parallel": ((4, 8), (1, 16))}
    for bad in ("4x8,1", "4x8,,1x2", "4x8,0x2", "4xx8"):
        with pytest.raises(ConfigError, match="--parallel"):
            parse_parallel(bad)


def test_per_layer_candidates_are_tried_and_a_given_one_is_kept(digits_x, monkeypatch):
    monkeypatch.setattr(CH, "EVENT_PARALLEL", ((1, 8), ((4, 8), (1, 16))))
    net = Network.dense([64, 128, 10], seed=0, timesteps=25)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # shift leak: no multipliers, so DSPs do not decide
        graph = quantize(from_network(net), QuantOptions(stream_length=8, weight_bits=3, leak="shift"))
        g = quantize(from_network(net), QuantOptions(stream_length=8, weight_bits=3, leak="shift",
                                                     layer_parallel=((4, 8), (1, 16))))
    c = CH.choose_hardware(graph, "ice40-up5k", x=digits_x, engine="event")
    labels = {t.label: t for t in c.trials}
    assert set(labels) == {"1x8", "4x8,1x16"}
    # banking layer 0 reads up to 4 rows per cycle: fewer cycles than one bank at the same P_n
    assert labels["4x8,1x16"].cycles < labels["1x8"].cycles
    assert any("4x8,1x16" in line for line in CH.format_hardware_choice(c))
    kept = CH.choose_hardware(g, "ice40-up5k", engine="event", parallel=CH.layer_pairs(g))
    assert CH.layer_pairs(kept.graph) == ((4, 8), (1, 10)) and len(kept.trials) == 1


def test_compile_with_per_layer_parallel(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path / "c.npz", {})
    assert main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--engine", "event", "--parallel", "4x8,1x16",
                 "--stream-length", "8", "--weight-bits", "3", "--no-trace", "--json"]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert [(l["parallel_inputs"], l["parallel_neurons"]) for l in manifest["layers"]] == [(4, 8), (1, 10)]
    assert [l["input_groups"] for l in manifest["layers"]] == [16, 128]   # inputs per bank
    assert main(["compile", str(ckpt), "-o", str(tmp_path / "x"), "--parallel", "4x8,1"]) == 2
    assert "--parallel" in capsys.readouterr().err

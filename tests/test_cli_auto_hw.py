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
    monkeypatch.setattr(CH, "EVENT_PARALLEL", (4, 8, 32))


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

"""``--stream-length auto``: the shortest L (then fewest weight bits) within the tolerance of float on a
held-out calibration split, and the table it chose from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scnc.cli import main
from scnc.errors import ConfigError
from scnc.ir import from_network
from scnc.ref.stream_length import calibration_split, choose_stream_length, format_choice
from scnc.snn import Network, accuracy


@pytest.fixture(scope="module")
def problem():
    """A random 6-5-3 network and 40 random samples labelled by the network itself (float accuracy 1)."""
    net = Network.dense([6, 5, 3], seed=3, timesteps=6, threshold=0.5)
    rng = np.random.default_rng(0)
    x = rng.random((40, 6)).astype(np.float32)
    from scnc.snn import predict

    y = predict(net, x)
    return net, x, y


def test_chooses_the_first_candidate_within_the_tolerance(problem) -> None:
    net, x, y = problem
    fa = accuracy(net, x, y)
    choice = choose_stream_length(from_network(net), x, y, fa, tolerance=1.0)  # anything goes: the cheapest
    assert (choice.chosen.stream_length, choice.chosen.weight_bits) == (8, 3)
    assert len(choice.trials) == 1 and choice.met
    assert choice.options.stream_length == 8 and choice.options.weight_bits == 3


def test_tries_candidates_cheapest_first_and_falls_back_to_the_most_accurate(problem) -> None:
    net, x, y = problem
    choice = choose_stream_length(from_network(net), x, y, 1.5, tolerance=0.0)  # unreachable: every candidate
    keys = [(t.stream_length, t.weight_bits) for t in choice.trials]
    assert keys == [(8, 3), (16, 3), (16, 4), (32, 3), (32, 4), (32, 5), (64, 3), (64, 4), (64, 5), (64, 6)]
    assert not choice.met
    assert choice.chosen.accuracy == max(t.accuracy for t in choice.trials)
    assert choice.chosen is next(t for t in choice.trials if t.accuracy == choice.chosen.accuracy)
    text = "\n".join(format_choice(choice))
    assert "<- chosen" in text and "no candidate is within the tolerance" in text


def test_a_tolerance_decides_between_candidates(problem) -> None:
    net, x, y = problem
    fa = accuracy(net, x, y)
    full = choose_stream_length(from_network(net), x, y, 1.5, tolerance=0.0).trials
    for tol in (0.0, 0.05, 0.2):
        choice = choose_stream_length(from_network(net), x, y, fa, tolerance=tol)
        first = next((t for t in full if t.accuracy >= fa - tol - 1e-12), None)
        if first is not None:
            assert (choice.chosen.stream_length, choice.chosen.weight_bits) == (first.stream_length, first.weight_bits)


def test_calibration_split_is_stratified_disjoint_and_seeded() -> None:
    y = np.repeat(np.arange(4), 25)
    fit, cal = calibration_split(y, 0.2, seed=0)
    assert len(np.intersect1d(fit, cal)) == 0 and len(fit) + len(cal) == 100
    assert np.bincount(y[cal]).tolist() == [5, 5, 5, 5]
    again = calibration_split(y, 0.2, seed=0)
    assert (again[1] == cal).all()
    with pytest.raises(ConfigError):
        calibration_split(y, 1.0, seed=0)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("auto") / "pre.npz"
    assert main(["train", "-o", str(path), "--classes", "0-4", "--hidden", "16", "--epochs", "2",
                 "--timesteps", "6", "--no-progress", "--json"]) == 0
    return path


def test_compile_stream_length_auto_prints_its_table(ckpt, tmp_path, capsys) -> None:
    code = main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--stream-length", "auto",
                 "--auto-tolerance", "100", "--engine", "event", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "stream length auto" in captured.err and "<- chosen" in captured.err
    res = json.loads(captured.out)
    assert res["stream_length"] == 8 and res["engine"] == "event"
    man = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert man["graph"]["stream_length"] == 8 and man["graph"]["engine"] == "event"


def test_auto_on_a_quantized_ir_exits_2(ckpt, tmp_path, capsys) -> None:
    assert main(["quantize", str(ckpt), "-o", str(tmp_path / "ir")]) == 0
    capsys.readouterr()
    code = main(["compile", str(tmp_path / "ir"), "-o", str(tmp_path / "b"), "--stream-length", "auto"])
    err = capsys.readouterr().err
    assert code == 2 and "--stream-length auto" in err
    assert not (tmp_path / "b").exists()


def test_event_engine_with_lfsr_sc_exits_2_naming_the_field(ckpt, tmp_path, capsys) -> None:
    code = main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--engine", "event", "--sng", "lfsr"])
    err = capsys.readouterr().err
    assert code == 2 and "synapse_sngs" in err and "engine" in err
    assert not (tmp_path / "b").exists()


def test_a_given_weight_bits_is_kept(ckpt, tmp_path, capsys) -> None:
    code = main(["compile", str(ckpt), "-o", str(tmp_path / "b"), "--stream-length", "auto", "--weight-bits", "5",
                 "--auto-tolerance", "100", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    ir = json.loads((tmp_path / "b" / "ir" / "ir.json").read_text())
    assert ir["graph"]["hardware"]["stream_length"] == 32  # the shortest L that can hold 5-bit weights
    assert {n["quant"]["weight_bits"] for n in ir["graph"]["nodes"] if n["kind"] == "dense"} == {5}


def test_a_few_shot_checkpoint_is_calibrated_on_every_example_it_did_not_see(tmp_path, capsys) -> None:
    """A checkpoint trained on a 50-example sample of digits 5-9 (train split): compile's calibration data is
    the rest of that split (not the 20 % split, which would hold some of the 50); a sample that does not
    draw again identically falls back to the 20 % split and says so."""
    from scnc.data import load_dataset

    path = tmp_path / "few.npz"
    assert main(["train", "-o", str(path), "--classes", "5-9", "--shots", "50", "--hidden", "16", "--epochs", "2",
                 "--timesteps", "6", "--no-progress"]) == 0
    split = load_dataset("digits", split="train", classes="5-9")
    capsys.readouterr()
    assert main(["compile", str(path), "-o", str(tmp_path / "b"), "--engine", "dense"]) == 0
    cap = capsys.readouterr()
    said = cap.out + cap.err
    assert f"the {split.n - 50} examples of digits/train outside the 50-example sample" in said
    assert f"calibration split of {split.n - 50} samples" in said
    sidecar = tmp_path / "few.json"
    meta = json.loads(sidecar.read_text())
    meta["provenance"]["dataset"]["seed"] += 1  # provenance is not hashed: the file still loads
    sidecar.write_text(json.dumps(meta))
    assert main(["compile", str(path), "-o", str(tmp_path / "c"), "--engine", "dense"]) == 0
    cap = capsys.readouterr()
    said = cap.out + cap.err
    assert "does not draw again identically" in said
    assert f"calibration split of {len(calibration_split(split.y, 0.2, seed=0)[1])} samples" in said

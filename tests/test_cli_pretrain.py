"""``scnc pretrain`` and ``scnc train --init-from``: JSON lines, provenance, errors naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scnc.cli import main
from scnc.transfer import load_checkpoint


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    try:  # argparse refuses a bad option value with SystemExit(2)
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_line(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return json.loads(lines[0])


SMALL = ("--classes", "0-4", "--hidden", "16", "--timesteps", "8", "--no-progress")


@pytest.fixture(scope="module")
def ann(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ann") / "ann.npz"
    assert main(["pretrain", "-o", str(path), "--epochs", "3", *SMALL, "--json"]) == 0
    return path


def test_pretrain_writes_an_ann_stage_checkpoint(ann, tmp_path, capsys):
    ckpt = load_checkpoint(ann)
    assert ckpt.metadata["stage"] == "ann"
    assert ckpt.layer_sizes == [(64, 16), (16, 5)] and ckpt.timesteps == 8
    assert len(ckpt.provenance["pretrain"]["history"]) == 3
    code, out, _ = run_cli(capsys, "pretrain", "-o", tmp_path / "again.npz", "--epochs", "3", *SMALL, "--json")
    s = json_line(out)
    assert code == 0 and s["command"] == "pretrain" and s["epochs"] == 3
    assert 0.5 < s["ann_accuracy"] <= 1.0 and 0.0 <= s["snn_accuracy"] <= 1.0
    assert (tmp_path / "again.npz").read_bytes() == ann.read_bytes()  # deterministic


def test_train_init_from_fine_tunes_the_pretrained_parameters(ann, tmp_path, capsys):
    out_path = tmp_path / "snn.npz"
    code, out, err = run_cli(capsys, "train", "--init-from", ann, "-o", out_path, "--epochs", "2",
                             "--classes", "0-4", "--no-progress", "--json")
    assert code == 0, err
    s = json_line(out)
    assert s["command"] == "train" and s["accuracy"] > 0.5
    snn = load_checkpoint(out_path)
    pre = load_checkpoint(ann)
    assert snn.layer_sizes == pre.layer_sizes and snn.timesteps == pre.timesteps
    assert "stage" not in snn.metadata  # an ordinary checkpoint
    assert snn.provenance["pretrain"]["content_hash"] == pre.content_hash
    assert snn.weights[0].tobytes() != pre.weights[0].tobytes()
    assert "before any SNN epoch" in err


def test_init_from_a_non_ann_checkpoint_exits_2_naming_file_and_field(ann, tmp_path, capsys):
    snn = tmp_path / "plain.npz"
    assert main(["train", "-o", str(snn), "--epochs", "1", *SMALL]) == 0
    capsys.readouterr()
    code, _, err = run_cli(capsys, "train", "--init-from", snn, "-o", tmp_path / "x.npz", "--classes", "0-4")
    assert code == 2
    assert "plain.json" in err and "metadata.stage" in err


@pytest.mark.parametrize("opts,field", [
    (("--hidden", "32"), "layer_sizes"),
    (("--timesteps", "25"), "timesteps"),
    (("--threshold", "0.5"), "thresholds"),
    (("--encoder", "latency"), "encoder"),
])
def test_init_from_with_conflicting_network_options_exits_2(ann, tmp_path, capsys, opts, field):
    code, _, err = run_cli(capsys, "train", "--init-from", ann, "-o", tmp_path / "x.npz", "--classes", "0-4", *opts)
    assert code == 2
    assert ann.stem in err and f"field '{field}'" in err


def test_init_from_defaults_to_the_pretrained_classes(ann, tmp_path, capsys):
    code, out, err = run_cli(capsys, "train", "--init-from", ann, "-o", tmp_path / "c.npz", "--epochs", "1",
                             "--no-progress", "--json")
    assert code == 0, err
    assert json_line(out)["classes"] == [0, 1, 2, 3, 4]


def test_init_from_with_other_classes_exits_2(ann, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--init-from", ann, "-o", tmp_path / "x.npz", "--classes", "5-9")
    assert code == 2 and "class_labels" in err and "ann.json" in err


def test_init_from_missing_or_corrupt_file_exits_2(ann, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "--init-from", tmp_path / "nope.npz", "-o", tmp_path / "x.npz")
    assert code == 2 and "nope" in err
    bad = tmp_path / "bad"
    bad.with_suffix(".npz").write_bytes(ann.read_bytes())
    doc = json.loads(ann.with_suffix(".json").read_text())
    doc["content_hash"] = "0" * 64
    bad.with_suffix(".json").write_text(json.dumps(doc))
    code, _, err = run_cli(capsys, "train", "--init-from", bad.with_suffix(".npz"), "-o", tmp_path / "x.npz")
    assert code == 2 and "bad." in err


def test_pretrain_bad_options_exit_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, "pretrain", "-o", tmp_path / "a.npz", "--final-width", "0", *SMALL)
    assert code == 2 and "--final-width" in err
    code, _, err = run_cli(capsys, "pretrain", "-o", tmp_path / "a.npz", "--hidden", "x", "--classes", "0-4", "--no-progress")
    assert code == 2 and "--hidden" in err


@pytest.mark.slow  # ~3 min on the loaded 2-core machine (Verilator build)
@pytest.mark.sim
def test_pipe_s_checkpoint_compiles_and_verifies_bit_exact(ann, tmp_path, capsys):
    pytest.importorskip("cocotb")
    snn = tmp_path / "snn.npz"
    assert main(["train", "--init-from", str(ann), "-o", str(snn), "--epochs", "1", "--classes", "0-4",
                 "--no-progress"]) == 0
    build = tmp_path / "build"
    assert main(["compile", str(snn), "-o", str(build), "--stream-length", "16", "--weight-bits", "4"]) == 0
    capsys.readouterr()
    code, out, err = run_cli(capsys, "verify", build, "--sim", "verilator", "--samples", "3", "--json")
    assert code == 0, err
    s = json_line(out)
    assert s["mismatches"] == 0 and s["ok"]

"""The command line: exit codes, --json lines, errors that name the file, the full train/finetune/evaluate flow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scnc.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def json_line(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"--json must print exactly one line on stdout, got {lines!r}"
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    """A small checkpoint trained on digits 0-4 through the CLI (shared by the tests below)."""
    path = tmp_path_factory.mktemp("ckpt") / "pre.npz"
    code = main(["train", "-o", str(path), "--classes", "0-4", "--hidden", "32", "--epochs", "3",
                 "--timesteps", "10", "--no-progress", "--json"])
    assert code == 0
    return path


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("train", "finetune", "evaluate", "info", "quantize", "ir"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["train", "finetune", "evaluate", "info", "quantize"])
def test_each_command_has_help(capsys, cmd):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "usage: scnc " + cmd in capsys.readouterr().out


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train"])  # -o is required
    assert e.value.code == 2


def test_train_writes_checkpoint_and_json(pretrained, capsys):
    assert pretrained.exists() and pretrained.with_suffix(".json").exists()
    code, out, _ = run_cli(capsys, "info", pretrained, "--json")
    assert code == 0
    info = json_line(out)
    assert info["layer_sizes"] == [[64, 32], [32, 5]]
    assert info["class_labels"] == [0, 1, 2, 3, 4]


def test_info_human_readable(pretrained, capsys):
    code, out, _ = run_cli(capsys, "info", pretrained)
    assert code == 0
    assert "hidden" in out and "64x32" in out and "classes" in out


def test_evaluate_json_has_accuracy(pretrained, capsys):
    code, out, _ = run_cli(capsys, "evaluate", pretrained, "--json")
    assert code == 0
    summary = json_line(out)
    assert 0.0 <= summary["accuracy"] <= 1.0
    assert summary["classes"] == [0, 1, 2, 3, 4]
    assert summary["split"] == "test"


def test_min_accuracy_failure_exits_1(pretrained, capsys):
    code, _, err = run_cli(capsys, "evaluate", pretrained, "--min-accuracy", "1.01")
    assert code == 1
    assert "below --min-accuracy" in err


def test_missing_checkpoint_exits_2_and_names_file(tmp_path, capsys):
    code, _, err = run_cli(capsys, "info", tmp_path / "nope.npz")
    assert code == 2
    assert "nope" in err


def test_corrupt_checkpoint_exits_2(pretrained, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(pretrained.read_bytes()[:100])
    bad.with_suffix(".json").write_text(pretrained.with_suffix(".json").read_text())
    code, _, err = run_cli(capsys, "evaluate", bad)
    assert code == 2
    assert "bad.npz" in err


def test_bad_classes_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "x.npz", "--classes", "5-3", "--epochs", "1")
    assert code == 2
    assert "5-3" in err
    assert not (tmp_path / "x.npz").exists()


def test_finetune_replaces_head_and_keeps_frozen_layer(pretrained, tmp_path, capsys):
    from scnc.transfer import load_checkpoint

    out_path = tmp_path / "ft.npz"
    code, out, _ = run_cli(capsys, "finetune", pretrained, "-o", out_path, "--classes", "5-9", "--shots", "50",
                           "--freeze-until", "0", "--lr-head", "1e-3", "--lr-frozen", "0", "--epochs", "2",
                           "--no-progress", "--json")
    assert code == 0
    summary = json_line(out)
    assert summary["classes"] == [5, 6, 7, 8, 9] and summary["train_samples"] == 50
    # --shots thins the training data only: accuracy is measured on the whole test split of 5-9
    from scnc.data import load_dataset

    assert summary["test_samples"] == load_dataset("digits", split="test", classes=[5, 6, 7, 8, 9]).n
    pre, ft = load_checkpoint(pretrained), load_checkpoint(out_path)
    assert np.array_equal(pre.weights[0], ft.weights[0])  # frozen: bit-identical
    assert ft.class_labels == [5, 6, 7, 8, 9]
    code, out, _ = run_cli(capsys, "evaluate", out_path, "--json")
    assert code == 0 and json_line(out)["classes"] == [5, 6, 7, 8, 9]
    # the hardware view of a head whose labels are not 0..k-1: same scale as the float accuracy
    code, out, _ = run_cli(capsys, "evaluate", out_path, "--hw", "--json")
    hw = json_line(out)
    assert code == 0 and abs(hw["accuracy"] - hw["float_accuracy"]) < 0.15, hw


def test_finetune_phases_parse_errors(pretrained, tmp_path, capsys):
    code, _, err = run_cli(capsys, "finetune", pretrained, "-o", tmp_path / "ft.npz", "--phases", "0:x")
    assert code == 2
    assert "--phases" in err


def test_evaluate_hw_reports_both_accuracies(pretrained, capsys):
    code, out, _ = run_cli(capsys, "evaluate", pretrained, "--hw", "--limit", "40", "--json")
    assert code == 0
    summary = json_line(out)
    assert {"accuracy", "float_accuracy", "stream_length", "encoding"} <= set(summary)
    assert summary["stream_length"] == 64 and summary["encoding"] == "sc"


def test_evaluate_hw_bad_option_exits_2(pretrained, capsys):
    code, _, err = run_cli(capsys, "evaluate", pretrained, "--hw", "--stream-length", "48")
    assert code == 2
    assert "stream_length" in err or "stream-length" in err


def test_quantize_and_ir_show(pretrained, tmp_path, capsys):
    ir_dir = tmp_path / "ir"
    code, out, _ = run_cli(capsys, "quantize", pretrained, "-o", ir_dir, "--json")
    assert code == 0
    q = json_line(out)
    assert (ir_dir / "ir.json").exists() and (ir_dir / "ir.npz").exists()
    code, out, _ = run_cli(capsys, "ir", "show", ir_dir, "--json")
    assert code == 0
    shown = json_line(out)
    assert shown["ir_hash"] == q["ir_hash"]
    code, out, _ = run_cli(capsys, "ir", "show", ir_dir)
    assert "hidden" in out


def test_compile_writes_core_deterministically(pretrained, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for out_dir in (a, b):
        code, out, _ = run_cli(capsys, "compile", pretrained, "-o", out_dir, "--parallel", "16x4",
                               "--stream-length", "16", "--json")
        assert code == 0
    summary = json_line(out)
    assert summary["cycles_per_sample"] > 0 and summary["top"] == "scnc_core"
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert "scnc_core.v" in names and "manifest.json" in names and "ir/ir.json" in names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["ir_hash"] == summary["ir_hash"]


def test_compile_bad_parallel_exits_2(pretrained, tmp_path, capsys):
    code, _, err = run_cli(capsys, "compile", pretrained, "-o", tmp_path / "c", "--parallel", "4y2")
    assert code == 2 and "--parallel" in err
    assert not (tmp_path / "c").exists()

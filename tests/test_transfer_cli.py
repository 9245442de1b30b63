"""scnc finetune's measured defaults (fine-tune every layer), --head-init, and its bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scnc.cli import main
from scnc.transfer import load_checkpoint


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "pre.npz"
    assert main(["train", "-o", str(path), "--classes", "0-4", "--hidden", "24", "--epochs", "1",
                 "--timesteps", "8", "--no-progress", "--json"]) == 0
    return path


def test_default_fine_tunes_every_layer(pretrained, tmp_path, capsys) -> None:
    out_path = tmp_path / "ft.npz"
    code, out, _ = run_cli(capsys, "finetune", pretrained, "-o", out_path, "--classes", "5-9", "--shots", "20",
                           "--epochs", "2", "--no-progress", "--json")
    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["head_init"] == "random" and summary["phases"] == 1
    pre, ft = load_checkpoint(pretrained), load_checkpoint(out_path)
    assert not np.array_equal(pre.weights[0], ft.weights[0])  # the hidden layer trained too
    assert ft.frozen == [False, False]
    step = [e for e in ft.provenance["transfer"] if e["op"] == "fine_tune"][-1]
    assert step["per_layer_lr"] == [3e-3, 3e-3]
    assert step["train_config"]["batch_size"] == 10


def test_head_init_prototype(pretrained, tmp_path, capsys) -> None:
    out_path = tmp_path / "proto.npz"
    code, out, _ = run_cli(capsys, "finetune", pretrained, "-o", out_path, "--classes", "5-9", "--shots", "20",
                           "--head-init", "prototype", "--freeze-until", "0", "--epochs", "1", "--no-progress", "--json")
    assert code == 0
    ft = load_checkpoint(out_path)
    assert [e["op"] for e in ft.provenance["transfer"]][:2] == ["replace_head", "prototype_head"]
    assert np.array_equal(load_checkpoint(pretrained).weights[0], ft.weights[0])


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--head-init", "zeros"], "--head-init"),
        (["--batch-size", "0"], "--batch-size"),
        (["--epochs", "0"], "--epochs"),
        (["--classes", "0-4", "--head-init", "prototype"], "--head-init prototype"),
    ],
)
def test_bad_input_exits_2(pretrained, tmp_path, capsys, extra, needle) -> None:
    argv = ["finetune", pretrained, "-o", tmp_path / "bad.npz", "--shots", "20", "--no-progress"]
    if "--classes" not in extra:
        argv += ["--classes", "5-9"]
    try:
        code, _, err = run_cli(capsys, *argv, *extra)
    except SystemExit as e:  # argparse refuses unknown choices itself, with exit code 2
        code, err = e.code, capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert not (tmp_path / "bad.npz").exists()

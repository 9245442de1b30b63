"""``scnc demo``: the README's main job, end to end (small settings), including the co-simulation."""

from __future__ import annotations

import json
import shutil

import pytest

from scnc.cli import main

pytestmark = pytest.mark.sim


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog (apt-get install -y iverilog)")
def test_demo_runs_every_stage(tmp_path, monkeypatch, capsys):
    # a relative output folder, as in the README (the simulators run in other folders)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "demo"
    code = main(["demo", "-o", "demo", "--epochs", "2", "--hidden", "16", "--timesteps", "6",
                 "--verify-samples", "2", "--sim", "icarus", "--no-progress", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert 0.0 <= summary["accuracy"] <= 1.0 and 0.0 <= summary["float_accuracy"] <= 1.0
    assert summary["verify"]["ok"] and summary["verify"]["mismatches"] == 0
    assert summary["verify"]["values_compared"] > 0
    assert (out / "digits.npz").exists() and (out / "build" / "scnc_core.v").exists()
    for stage in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):
        assert stage in captured.err
    assert "hardware predictions" in captured.err

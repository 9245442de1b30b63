"""examples/from_snntorch.py on optdigits, from the committed snnTorch NIR file (no torch needed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_OPTDIGITS = REPO.parent / "shared" / "data" / "optdigits"


def _example():
    spec = importlib.util.spec_from_file_location("from_snntorch", REPO / "examples" / "from_snntorch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _needs_data():
    if not (SHARED_OPTDIGITS / "optdigits.tes").is_file():
        pytest.skip(f"optdigits not found in {SHARED_OPTDIGITS}")


@pytest.mark.needs_shared
def test_float_import_equals_snntorch_and_hardware_within_half_a_point(tmp_path):
    _needs_data()
    recorded = json.loads((REPO / "tests" / "fixtures" / "nir" / "optdigits_snntorch.json").read_text())
    out = _example().main(["--data-dir", str(SHARED_OPTDIGITS), "--out", str(tmp_path), "--verify-samples", "0"])
    assert out["float_accuracy"] == recorded["snntorch_accuracy"]  # the same 1797 decisions' count
    assert out["stream_length"] <= 32
    assert abs(out["hardware_accuracy"] - out["float_accuracy"]) <= 0.005


@pytest.mark.needs_shared
@pytest.mark.sim
@pytest.mark.slow
def test_example_verifies_50_samples_bit_exact(tmp_path):
    _needs_data()
    out = _example().main(["--data-dir", str(SHARED_OPTDIGITS), "--out", str(tmp_path), "--verify-samples", "50"])
    assert out["verify_ok"] and out["mismatches"] == 0 and out["verify_samples"] == 50

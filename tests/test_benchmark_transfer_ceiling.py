"""benchmarks/transfer_ceiling.py: the augmentation is seeded and shape-preserving; (``-m slow``) one split end to end."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "transfer_ceiling.py"
SHARED_OPTDIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"


@pytest.fixture()
def ceiling() -> ModuleType:
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("scnc_bench_transfer_ceiling", BENCH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH.parent))
    return module


def test_affine_copies_are_seeded_and_keep_the_image_shape(ceiling: ModuleType) -> None:
    x = np.random.default_rng(0).random((6, 64))
    a = ceiling.affine_copies(x, 2, seed=3)
    assert a.shape == (12, 64)
    assert np.array_equal(a, ceiling.affine_copies(x, 2, seed=3))
    assert not np.array_equal(a, ceiling.affine_copies(x, 2, seed=4))
    assert not np.allclose(a[:6], x)  # the copies are distorted, not the originals


@pytest.mark.slow
@pytest.mark.needs_shared
def test_one_split_reports_both_families(ceiling: ModuleType) -> None:
    if not SHARED_OPTDIGITS.is_dir():
        pytest.skip(f"needs optdigits at {SHARED_OPTDIGITS}")
    out = ceiling.run_split(str(SHARED_OPTDIGITS), "0-4", "5-9", [2], seeds=1)
    row = out["2"]
    assert row["best_scratch"] == max(row[m]["mean"] for m in ceiling.SCRATCH)
    assert row["best_transfer"] == max(row[m]["mean"] for m in ceiling.TRANSFER)
    assert all(40.0 < row[m]["mean"] <= 100.0 for m in (*ceiling.SCRATCH, *ceiling.TRANSFER))

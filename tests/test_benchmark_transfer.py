"""benchmarks/transfer.py: the summary maths, the verdict, and (``-m slow``) a tiny end-to-end run on optdigits."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scnc.transfer import TransferConfig

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "transfer.py"
SHARED_OPTDIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"


@pytest.fixture()
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scnc_bench_transfer", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cell(split: str, shots: int, seed: int, scratch: float, transfer: float) -> dict:
    return {"split": split, "shots": shots, "seed": seed, "acc": {"scratch": scratch, "transfer": transfer}}


def test_summarize_mean_and_population_std(bench: ModuleType) -> None:
    cells = [_cell("a", 2, 0, 0.5, 0.7), _cell("a", 2, 1, 0.7, 0.9), _cell("a", 20, 0, 0.9, 0.96)]
    s = bench.summarize(cells, ["scratch", "transfer"])
    assert s["a"]["2"]["scratch"] == {"mean": 60.0, "std": 10.0, "n": 2}
    assert s["a"]["2"]["transfer"] == {"mean": 80.0, "std": 10.0, "n": 2}
    assert s["a"]["20"]["transfer"] == {"mean": 96.0, "std": 0.0, "n": 1}


def test_verdict_applies_the_issue_targets(bench: ModuleType) -> None:
    def row(t: float, ts: float, s: float, ss: float) -> dict:
        return {"transfer": {"mean": t, "std": ts}, "scratch": {"mean": s, "std": ss}}

    good = {"20": row(96.0, 0.5, 93.9, 0.5), "2": row(80.0, 2.0, 70.0, 3.0), "5": row(90.0, 1.0, 85.0, 1.0)}
    assert bench.verdict({"x": good})["x"] == {
        "20_ge_95": True, "20_ge_scratch_plus_2": True,
        "2_ahead_by_more_than_spread": True, "5_ahead_by_more_than_spread": True}
    bad = {"20": row(94.9, 0.5, 93.0, 0.5), "2": row(80.0, 2.0, 77.5, 3.0), "5": row(90.0, 1.0, 85.0, 1.0)}
    v = bench.verdict({"x": bad})["x"]
    assert v["20_ge_95"] is False and v["20_ge_scratch_plus_2"] is False
    assert v["2_ahead_by_more_than_spread"] is False and v["5_ahead_by_more_than_spread"] is True


def test_splits_never_pretrain_on_new_classes(bench: ModuleType) -> None:
    from scnc.data import parse_classes

    assert ("0-4", "5-9") in bench.SPLITS and len(bench.SPLITS) >= 3
    for source, target in [*bench.SPLITS, bench.TUNING_SPLIT]:
        assert not set(parse_classes(source)) & set(parse_classes(target))
    assert bench.TUNING_SPLIT not in bench.SPLITS
    assert bench.SHOTS == [2, 5, 10, 20]


@pytest.mark.slow
@pytest.mark.needs_shared
def test_tiny_run_writes_table_png_and_json(bench: ModuleType, tmp_path: Path, capsys,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if not (SHARED_OPTDIGITS / "optdigits.tra").is_file():
        pytest.skip("needs ../shared/data/optdigits")
    monkeypatch.setattr(bench, "HIDDEN", 16)
    monkeypatch.setattr(bench, "TIMESTEPS", 5)
    monkeypatch.setattr(bench, "PRETRAIN", {"epochs": 1, "batch_size": 64, "lr": 5e-3})
    monkeypatch.setattr(bench, "SCRATCH", {"epochs": 2, "lr": 1e-2})
    monkeypatch.setattr(bench, "FROZEN_EPOCHS", 2)
    monkeypatch.setattr(bench, "DEFAULT_PHASES", ((TransferConfig.recommended(), 2),))
    argv = ["--data-dir", str(SHARED_OPTDIGITS), "--quick", "--seeds", "1", "--no-progress", "--out", str(tmp_path)]
    result = bench.main(argv)
    out = capsys.readouterr().out
    last = json.loads(out.strip().splitlines()[-1])
    assert last == json.loads(json.dumps(result))
    assert set(last["summary"]) == {"0-4 -> 5-9"}
    assert set(last["summary"]["0-4 -> 5-9"]) == {"2", "20"}
    assert set(last["summary"]["0-4 -> 5-9"]["2"]) == set(bench.METHODS)
    assert "transfer-scratch" in out and "pretraining (s)" in out
    assert (tmp_path / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stored = json.loads((tmp_path / "transfer.json").read_text())
    assert len(stored["cells"]) == 2
    # same inputs, same numbers
    again = bench.main(argv)
    capsys.readouterr()
    assert again["summary"] == result["summary"]


def test_dihedral_pseudo_classes(bench: ModuleType) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((3, 64)).astype(np.float32)  # no symmetry: the 8 images of each must all differ
    y = np.array([0, 1, 2])
    xs, ys = bench.dihedral_pseudo_classes(x, y, 3, 8)
    assert xs.shape == (24, 64) and xs.dtype == np.float32
    np.testing.assert_array_equal(xs[:3], x)  # identity first
    assert ys.tolist() == [c + 3 * o for o in range(8) for c in range(3)]
    assert len({xs[i].tobytes() for i in range(0, 24, 3)}) == 8
    # every pseudo-class image holds the same pixel values (a permutation of the original)
    for o in range(8):
        np.testing.assert_array_equal(np.sort(xs[3 * o]), np.sort(x[0]))
    assert bench.dihedral_pseudo_classes(x, y, 3, 1)[0].tobytes() == x.tobytes()
    with pytest.raises(ValueError):
        bench.dihedral_pseudo_classes(x, y, 3, 9)


def test_input_noise_copies(bench: ModuleType) -> None:
    x = np.full((4, 64), 0.5, np.float32)
    y = np.arange(4)
    xs, ys = bench.input_noise_copies(x, y, 0.2, 3)
    assert xs.shape == (12, 64) and ys.tolist() == [0, 1, 2, 3] * 3
    np.testing.assert_array_equal(xs[:4], x)
    assert set(np.unique(xs[4:]).tolist()) == {0.0, 0.5}
    assert 0.1 < float((xs[4:] == 0).mean()) < 0.3
    assert bench.input_noise_copies(x, y, 0.2, 3)[0].tobytes() == xs.tobytes()


def test_l2sp_context_reaches_the_trainer(bench: ModuleType) -> None:
    import importlib

    from scnc.snn import Network, TrainConfig, train
    from scnc.snn.optim import Adam

    rng = np.random.default_rng(1)
    x = rng.random((12, 6)).astype(np.float32)
    y = np.arange(12) % 3
    cfg = TrainConfig(epochs=3, batch_size=4, lr=1e-2, seed=0)

    def run(alpha: float) -> bytes:
        net = Network.dense([6, 8, 3], seed=0, timesteps=6)
        with bench.l2sp(alpha):
            train(net, x, y, cfg)
        return net.layers[0].weight.tobytes()

    plain = run(0.0)
    assert run(0.0) == plain and run(5.0) != plain
    assert importlib.import_module("scnc.snn.train").Adam is Adam  # restored after the block


def test_ablation_rows_are_well_formed(bench: ModuleType) -> None:
    names = [v.name for v in bench.ABLATION]
    assert len(set(names)) == len(names)
    assert {v.pretrain for v in bench.ABLATION} - {None} <= set(bench.PRETRAIN_SPECS)
    assert bench.Variant("transfer (default)", "base") in bench.ABLATION
    assert bench.PRETRAIN_SPECS["base"] == bench.PretrainSpec()
    assert any(v.pretrain is None for v in bench.ABLATION)  # scratch is measured beside every variant


@pytest.mark.slow
@pytest.mark.needs_shared
def test_tiny_ablation_run(bench: ModuleType, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (SHARED_OPTDIGITS / "optdigits.tra").is_file():
        pytest.skip("needs ../shared/data/optdigits")
    monkeypatch.setattr(bench, "HIDDEN", 16)
    monkeypatch.setattr(bench, "TIMESTEPS", 5)
    monkeypatch.setattr(bench, "PRETRAIN", {"epochs": 1, "batch_size": 64, "lr": 5e-3})
    monkeypatch.setattr(bench, "SCRATCH", {"epochs": 2, "lr": 1e-2})
    monkeypatch.setattr(bench, "DEFAULT_PHASES", ((TransferConfig.recommended(), 2),))
    monkeypatch.setattr(bench, "PRETRAIN_SPECS", {k: v._replace(epochs=1, hidden=(16, 16) if v.hidden else None)
                                                  for k, v in bench.PRETRAIN_SPECS.items()})
    monkeypatch.setattr(bench, "ABLATION", [v._replace(hidden=(16, 16) if v.hidden else None) for v in bench.ABLATION])
    argv = ["--data-dir", str(SHARED_OPTDIGITS), "--ablation", "--seeds", "1", "--no-progress", "--out", str(tmp_path)]
    result = bench.main(argv)
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1]) == json.loads(json.dumps(result))
    assert set(result["summary"]) == {v.name for v in bench.ABLATION}
    assert set(result["pretrain"]) == set(bench.PRETRAIN_SPECS)
    assert result["pretrain"]["dihedral-8"]["n"] == 8 * result["pretrain"]["base"]["n"]
    stored = json.loads((tmp_path / "ablation.json").read_text())
    assert len(stored["cells"]) == len(bench.ABLATION) * len(bench.ABLATION_SHOTS)


def test_scratch_rate_by_shots_and_methods_option(bench: ModuleType, tmp_path: Path, capsys) -> None:
    assert set(bench.SCRATCH_LR_BY_SHOTS) == set(bench.SHOTS)
    assert bench.scratch_lr(2) == 3e-3 and bench.scratch_lr(20) == 1e-2
    assert bench.scratch_lr(7) == bench.SCRATCH["lr"]
    (tmp_path / "optdigits.tra").write_text("")
    with pytest.raises(SystemExit) as e:
        bench.main(["--data-dir", str(tmp_path), "--methods", "scratch,nope"])
    assert e.value.code == 2 and "nope" in capsys.readouterr().err

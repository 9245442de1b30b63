"""Tests for scnc.transfer.fine_tune: the freezing rule, head replacement, phased fine-tuning."""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn.network import Network
from scnc.transfer import (
    SNNCheckpoint,
    TransferConfig,
    apply_transfer_config,
    fine_tune,
    load_checkpoint,
    replace_head,
    save_checkpoint,
)


def ckpt_of(sizes: list[int], seed: int = 0, **kw: Any) -> SNNCheckpoint:
    return SNNCheckpoint.from_network(Network.dense(sizes, seed=seed, **kw))


# ---------------------------------------------------------------------------- the rule


def test_tutorial_learning_rates_exactly() -> None:
    c = ckpt_of([8, 6, 4])
    frozen, lrs = apply_transfer_config(c, TransferConfig(freeze_until=0, lr_head=0.001, lr_frozen=0.0))
    assert lrs == [0.0, 0.001] and frozen.frozen == [True, False]
    unfrozen, lrs = apply_transfer_config(frozen, TransferConfig(freeze_until=-1, lr_head=0.001, lr_frozen=0.0001))
    assert lrs == [0.0001, 0.001] and unfrozen.frozen == [False, False]
    assert all(type(v) is float for v in lrs)


def test_rule_on_deeper_networks() -> None:
    c = ckpt_of([8, 7, 6, 5, 4])
    assert c.layer_names == ["hidden0", "hidden1", "hidden2", "output"]
    for f, expected in [
        (-1, [0.01, 0.01, 0.01, 0.1]),
        (0, [0.0, 0.01, 0.01, 0.1]),
        (1, [0.0, 0.0, 0.01, 0.1]),
        (2, [0.0, 0.0, 0.0, 0.1]),
        ("hidden1", [0.0, 0.0, 0.01, 0.1]),
    ]:
        out, lrs = apply_transfer_config(c, TransferConfig(freeze_until=f, lr_head=0.1, lr_frozen=0.01))
        assert lrs == expected
        assert out.frozen == [v == 0.0 for v in expected]
    single = ckpt_of([8, 3])
    assert apply_transfer_config(single, TransferConfig(lr_head=0.5))[1] == [0.5]


def test_rule_errors() -> None:
    c = ckpt_of([8, 6, 4])
    with pytest.raises(ConfigError, match="nothing left to train"):
        apply_transfer_config(c, TransferConfig(freeze_until=1))
    with pytest.raises(ConfigError, match="nothing left to train"):
        apply_transfer_config(c, TransferConfig(freeze_until="output"))
    with pytest.raises(ConfigError, match="out of range"):
        apply_transfer_config(c, TransferConfig(freeze_until=2))
    with pytest.raises(ConfigError, match="no layer named 'conv'"):
        apply_transfer_config(c, TransferConfig(freeze_until="conv"))
    for bad in (dict(freeze_until=-2), dict(freeze_until=True), dict(freeze_until=""), dict(freeze_until=1.0),
                dict(lr_head=-1e-3), dict(lr_frozen=float("nan")), dict(lr_head="fast"), dict(lr_head=float("inf"))):
        with pytest.raises(ConfigError):
            TransferConfig(**bad)
    with pytest.raises(ConfigError, match="TransferConfig"):
        apply_transfer_config(c, {"freeze_until": 0})  # type: ignore[arg-type]


def test_apply_returns_new_checkpoint_and_records_it() -> None:
    c = ckpt_of([8, 6, 4])
    before = c.provenance
    out, _ = apply_transfer_config(c, TransferConfig(freeze_until="hidden", lr_head=0.002))
    assert c.frozen == [False, False] and c.provenance == before and c.provenance["transfer"] == []
    assert out.frozen == [True, False]
    (entry,) = out.provenance["transfer"]
    assert entry == {"op": "apply_transfer_config", "freeze_until": "hidden", "lr_head": 0.002, "lr_frozen": 0.0,
                     "frozen_layers": ["hidden"], "per_layer_lr": [0.0, 0.002]}
    assert out.content_hash == c.content_hash  # freezing does not change the network
    for a, b in zip(out.weights, c.weights):
        assert a is b or np.array_equal(a, b)


# ---------------------------------------------------------------------------- replace_head


def test_replace_head(tmp_path: Path) -> None:
    net = Network.dense([8, 6, 10], seed=1, bias=True)
    net.layers[1].beta = np.linspace(0.5, 0.9, 10, dtype=np.float32)
    c = SNNCheckpoint.from_network(net, frozen=[True, False])
    new = replace_head(c, 5, seed=9, class_labels=[5, 6, 7, 8, 9])
    assert new.layer_sizes == [(8, 6), (6, 5)] and new.class_labels == [5, 6, 7, 8, 9]
    for k in ("weights", "biases", "betas", "thresholds"):
        a, b = getattr(new, k)[0], getattr(c, k)[0]
        assert a.tobytes() == b.tobytes()
    assert np.array_equal(new.weights[1], Network.dense([6, 5], seed=9).layers[0].weight)
    assert np.array_equal(new.biases[1], np.zeros(5, np.float32))
    assert new.betas[1].shape == (1,) and new.betas[1][0] == np.float32(np.mean(net.layers[1].beta, dtype=np.float64))
    assert new.thresholds[1].tolist() == c.thresholds[1].tolist()
    assert new.frozen == [True, False] and new.layer_names == c.layer_names
    entry = new.provenance["transfer"][-1]
    assert entry["op"] == "replace_head" and entry["old_n_out"] == 10 and entry["seed"] == 9
    assert c.layer_sizes[-1] == (6, 10)  # input unchanged
    assert replace_head(c, 5, seed=9, class_labels=[5, 6, 7, 8, 9]) == new  # deterministic
    assert not np.array_equal(replace_head(c, 5, seed=10).weights[1], new.weights[1])
    save_checkpoint(new, tmp_path / "h")
    assert load_checkpoint(tmp_path / "h") == new
    with pytest.raises(ConfigError, match="class_labels"):
        replace_head(c, 3, seed=0, class_labels=[1, 2])
    with pytest.raises(ConfigError, match="n_classes"):
        replace_head(c, 0, seed=0)
    with pytest.raises(ConfigError, match="seed"):
        replace_head(c, 3, seed=-1)


# ---------------------------------------------------------------------------- fine_tune with a stand-in trainer


@dataclass(frozen=True)
class FakeTrainConfig:
    epochs: int = 1
    batch_size: int = 8
    lr: float = 1e-3
    seed: int = 0


@dataclass
class FakeResult:
    network: Network
    history: list = field(default_factory=list)


def fake_trainer(monkeypatch: pytest.MonkeyPatch, *, touch_frozen: bool = False) -> list[dict]:
    """Install a stand-in scnc.snn.train that adds lr to every parameter of every layer."""
    calls: list[dict] = []

    def train(net: Network, x: np.ndarray, y: np.ndarray, cfg: Any, *, per_layer_lr=None, progress=False):
        calls.append({"epochs": cfg.epochs, "seed": cfg.seed, "lrs": list(per_layer_lr), "n": len(x)})
        out = net.copy()
        for layer, lr in zip(out.layers, per_layer_lr):
            if lr > 0 or touch_frozen:
                layer.weight = layer.weight + np.float32(lr + 1e-3)
                layer.beta = np.clip(layer.beta - np.float32(lr), 0, 1)
        return FakeResult(out, [{"epoch": e, "loss": 1.0 / (e + 1)} for e in range(cfg.epochs)])

    module = types.ModuleType("scnc.snn.train")
    module.train = train  # type: ignore[attr-defined]
    module.TrainConfig = FakeTrainConfig  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scnc.snn.train", module)
    return calls


def _data(n_in: int, n_out: int, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (n, n_in)).astype(np.float32), (np.arange(n) % n_out).astype(np.int64)


def test_fine_tune_phases(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_trainer(monkeypatch)
    c = ckpt_of([8, 6, 5, 3], seed=2)
    x, y = _data(8, 3)
    phases = [
        (TransferConfig(freeze_until=1, lr_head=0.01), 2),
        (TransferConfig(freeze_until=0, lr_head=0.01, lr_frozen=0.001), 3),
        (TransferConfig(freeze_until=-1, lr_head=0.01, lr_frozen=0.001), 1),
    ]
    out, history = fine_tune(c, x, y, phases, FakeTrainConfig(seed=5))
    assert [h["lrs"] for h in calls] == [[0.0, 0.0, 0.01], [0.0, 0.001, 0.01], [0.001, 0.001, 0.01]]
    assert [h["epochs"] for h in calls] == [2, 3, 1] and [h["seed"] for h in calls] == [5, 6, 7]
    assert [h["per_layer_lr"] for h in history] == [h["lrs"] for h in calls]
    assert len(history[1]["history"]) == 3
    assert out.frozen == [False, False, False]
    ops = [e["op"] for e in out.provenance["transfer"]]
    assert ops == ["apply_transfer_config", "fine_tune"] * 3
    assert out.provenance["training"]["seed"] == 7 and out.provenance["dataset"]["n"] == 20
    assert out.class_labels == c.class_labels and c.provenance["transfer"] == []
    # layer 0 was frozen in phases 0 and 1 and trained in phase 2 only
    assert np.array_equal(out.weights[0], c.weights[0] + np.float32(0.001 + 1e-3))


def test_fine_tune_keeps_frozen_layers_bit_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_trainer(monkeypatch)
    c = ckpt_of([8, 6, 3], seed=2, bias=True)
    x, y = _data(8, 3)
    out, _ = fine_tune(c, x, y, [(TransferConfig(freeze_until=0, lr_head=0.01), 2)], FakeTrainConfig())
    for k in ("weights", "biases", "betas", "thresholds"):
        assert getattr(out, k)[0].tobytes() == getattr(c, k)[0].tobytes()
    assert not np.array_equal(out.weights[1], c.weights[1])


def test_fine_tune_refuses_a_trainer_that_moves_frozen_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_trainer(monkeypatch, touch_frozen=True)
    c = ckpt_of([8, 6, 3])
    x, y = _data(8, 3)
    with pytest.raises(RuntimeError, match="frozen layer 'hidden'"):
        fine_tune(c, x, y, [(TransferConfig(freeze_until=0), 1)], FakeTrainConfig())


def test_fine_tune_input_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_trainer(monkeypatch)
    c = ckpt_of([8, 6, 3])
    x, y = _data(8, 3)
    cfg = FakeTrainConfig()
    with pytest.raises(ConfigError, match="at least one phase"):
        fine_tune(c, x, y, [], cfg)
    with pytest.raises(ConfigError, match="epochs"):
        fine_tune(c, x, y, [(TransferConfig(), 0)], cfg)
    with pytest.raises(ConfigError, match="phase 0"):
        fine_tune(c, x, y, [TransferConfig()], cfg)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="nothing left to train"):
        fine_tune(c, x, y, [(TransferConfig(), 1), (TransferConfig(freeze_until=1), 1)], cfg)
    with pytest.raises(ConfigError, match="shape"):
        fine_tune(c, x[:, :5], y, [(TransferConfig(), 1)], cfg)
    with pytest.raises(ConfigError, match="replace the head"):
        fine_tune(c, x, y + 3, [(TransferConfig(), 1)], cfg)


def test_fine_tune_records_dataset_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_trainer(monkeypatch)
    from scnc.data import load_dataset

    ds = load_dataset("digits", classes="5-9", shots=20, seed=1)
    c = replace_head(ckpt_of([64, 16, 10]), 5, seed=0, class_labels=list(ds.classes))
    out, _ = fine_tune(c, ds.x, ds.y, [(TransferConfig(freeze_until=0), 1)], FakeTrainConfig(), dataset=ds)
    assert out.provenance["dataset"] == ds.identity()


# ---------------------------------------------------------------------------- fine_tune with the real trainer


def test_fine_tune_with_scnc_trainer() -> None:
    train_mod = importlib.import_module("scnc.snn.train")  # the module (scnc.snn.train is also a function name)
    from scnc.data import load_dataset

    ds = load_dataset("digits", classes="0-4", shots=50, seed=0)
    pre = ckpt_of([64, 24, 10], seed=3)
    c = replace_head(pre, 5, seed=1, class_labels=list(ds.classes))
    cfg = train_mod.TrainConfig(epochs=1, batch_size=16, lr=1e-3, seed=0, weight_decay=0.01)
    out, history = fine_tune(
        c, ds.x, ds.y, [(TransferConfig(freeze_until=0, lr_head=5e-3), 2), (TransferConfig(-1, 5e-3, 1e-3), 1)], cfg
    )
    assert len(history) == 2
    for k in ("weights", "betas", "thresholds"):
        assert getattr(out, k)[0].dtype == np.float32
    # phase 1 froze the hidden layer; phase 2 trained it: check phase 1 alone keeps it bit-identical
    one, _ = fine_tune(c, ds.x, ds.y, [(TransferConfig(freeze_until=0, lr_head=5e-3), 2)], cfg)
    for k in ("weights", "biases", "betas", "thresholds"):
        a, b = getattr(one, k)[0], getattr(c, k)[0]
        assert (a is None and b is None) or a.tobytes() == b.tobytes()
    assert not np.array_equal(one.weights[1], c.weights[1])
    acc = train_mod.accuracy(one.to_network(), ds.x, ds.y)
    assert 0.0 <= acc <= 1.0

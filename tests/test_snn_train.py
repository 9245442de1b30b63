"""Training loop, optimiser, inference API and accuracy targets (scnc.snn.train / optim)."""

from __future__ import annotations

import time
from pathlib import Path

import numba
import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn import (
    THRESHOLD_FLOOR,
    Adam,
    EncoderConfig,
    LayerGrads,
    LIFLayer,
    Network,
    TrainConfig,
    accuracy,
    forward,
    predict,
    train,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"

def _train_net(sizes, *, seed=0, timesteps=25, **kw) -> Network:
    return Network.dense(sizes, seed=seed, timesteps=timesteps, **kw)


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return train_test_split(x, d.target, test_size=0.3, stratify=d.target, random_state=0)


def _toy(n=64, n_in=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, n_in)).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype(np.int64)
    return x, y


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(epochs=0), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(lr=-1.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(loss="hinge"), "loss"),
        (dict(surrogate="relu"), "surrogate"),
        (dict(slope=0.0), "slope"),
        (dict(seed=-1), "seed"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(shuffle=1), "shuffle"),
    ],
)
def test_train_config_validation(kw, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig(**kw)


def test_train_input_validation():
    net = _train_net([10, 6, 2], timesteps=5)
    x, y = _toy()
    with pytest.raises(ConfigError, match="shape"):
        train(net, x[:, :5], y, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match="labels"):
        train(net, x, y + 5, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        train(net, x * 3, y, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match="x_val"):
        train(net, x, y, TrainConfig(epochs=1), x_val=x)
    with pytest.raises(ConfigError, match="one learning rate per layer"):
        train(net, x, y, TrainConfig(epochs=1), per_layer_lr=[1e-3])


def test_same_seed_gives_identical_weights_any_thread_count():
    x, y = _toy(n=96)
    cfg = TrainConfig(epochs=2, batch_size=32, seed=5)
    old = numba.get_num_threads()
    nets = []
    try:
        for threads in (numba.config.NUMBA_NUM_THREADS, 1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            net = _train_net([10, 12, 2], timesteps=8)
            net.layers[0].learn_threshold = True
            train(net, x, y, cfg)
            nets.append(net)
    finally:
        numba.set_num_threads(old)
    for other in nets[1:]:
        for a, b in zip(nets[0].layers, other.layers):
            for name in ("weight", "beta", "threshold"):
                assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    diff = _train_net([10, 12, 2], timesteps=8)
    train(diff, x, y, TrainConfig(epochs=2, batch_size=32, seed=6))
    assert diff.layers[0].weight.tobytes() != nets[0].layers[0].weight.tobytes()


def test_zero_lr_layer_is_bit_identical():
    x, y = _toy()
    net = _train_net([10, 12, 2], timesteps=8, bias=True)
    net.layers[0].learn_threshold = True
    before = net.copy()
    res = train(net, x, y, TrainConfig(epochs=2, batch_size=16), per_layer_lr=[0.0, 5e-3])
    assert res.network is net
    frozen, trained = net.layers[0], net.layers[1]
    for name in ("weight", "bias", "beta", "threshold"):
        assert getattr(frozen, name).tobytes() == getattr(before.layers[0], name).tobytes()
    assert not np.array_equal(trained.weight, before.layers[1].weight)
    assert not np.array_equal(trained.bias, before.layers[1].bias)


def test_adam_constraints_clip_beta_and_floor_threshold():
    layer = LIFLayer("l", np.ones((2, 3), np.float32), beta=np.array([0.99, 0.5, 0.01], np.float32),
                     threshold=np.array([0.0015, 1.0, 1.0], np.float32), learn_threshold=True)
    net = Network([layer], timesteps=3)
    opt = Adam(net, [0.1])
    big = np.array([-1e3, 0.0, 1e3], np.float32)
    g = LayerGrads(weight=np.zeros((2, 3), np.float32), bias=None, beta=big, threshold=big)
    for _ in range(20):
        opt.step([g])
    assert np.all((layer.beta >= 0) & (layer.beta <= 1))
    assert layer.beta[0] == 1.0 and layer.beta[2] == 0.0
    assert np.all(layer.threshold >= THRESHOLD_FLOOR)
    assert layer.threshold[2] == THRESHOLD_FLOOR
    with pytest.raises(ConfigError, match="learning rate"):
        Adam(net, [-1.0])


def test_beta_not_learned_stays_fixed():
    x, y = _toy()
    net = _train_net([10, 8, 2], timesteps=6)
    for layer in net.layers:
        layer.learn_beta = False
    before = [layer.beta.copy() for layer in net.layers]
    train(net, x, y, TrainConfig(epochs=1, batch_size=16))
    for layer, b in zip(net.layers, before):
        assert layer.beta.tobytes() == b.tobytes()
    net2 = _train_net([10, 8, 2], timesteps=6)
    train(net2, x, y, TrainConfig(epochs=1, batch_size=16))
    assert any(not np.array_equal(layer.beta, b) for layer, b in zip(net2.layers, before))


def test_forward_predict_and_history(capsys):
    x, y = _toy(n=50)
    net = _train_net([10, 8, 3], timesteps=7, encoder=EncoderConfig("rate", seed=4))
    res = train(net, x, y, TrainConfig(epochs=2, batch_size=20), x_val=x[:20], y_val=y[:20], progress=True)
    assert [h["epoch"] for h in res.history] == [1, 2]
    for h in res.history:
        assert set(h) == {"epoch", "loss", "train_accuracy", "val_accuracy", "seconds"}
        assert 0.0 <= h["train_accuracy"] <= 1.0 and h["loss"] > 0
    tr = forward(net, x, batch_size=16)
    assert tr.inputs.shape == (7, 50, 10)
    assert [s.shape for s in tr.spikes] == [(7, 50, 8), (7, 50, 3)]
    assert tr.spikes[0].dtype == np.uint8 and tr.membranes[1].dtype == np.float32
    pred = predict(net, x, batch_size=16)
    assert pred.dtype == np.int64
    assert np.array_equal(pred, np.argmax(tr.counts, axis=1))
    assert np.array_equal(pred, predict(net, x, batch_size=16))
    assert accuracy(net, x, y, batch_size=16) == pytest.approx(np.mean(pred == y))
    # after-reset membranes: subtract reset keeps every stored v below threshold + what it crossed by
    th = net.layers[0].threshold[0]
    assert np.all(tr.membranes[0][tr.spikes[0] == 0] < th)


def test_predict_ties_go_to_lowest_index():
    layer = LIFLayer("out", np.ones((2, 4), np.float32), beta=np.array([0.0], np.float32))
    net = Network([layer], timesteps=3, encoder=EncoderConfig("direct"))
    pred = predict(net, np.array([[1.0, 0.0], [0.0, 0.0]], np.float32))
    assert pred.tolist() == [0, 0]
    layer.weight[:, 2] = 2.0
    layer.threshold = np.array([1.5], np.float32)
    assert predict(net, np.array([[1.0, 0.0]], np.float32)).tolist() == [2]


@pytest.mark.parametrize("loss", ["ce_membrane_mean", "mse_count"])
def test_other_losses_learn(loss):
    x_tr, x_te, y_tr, y_te = _digits()
    net = _train_net([64, 64, 10], timesteps=15)
    train(net, x_tr, y_tr, TrainConfig(epochs=5, lr=5e-3, loss=loss))
    assert accuracy(net, x_te, y_te) > 0.5  # chance is 0.1


def test_delayed_subtract_reset_learns():
    """snnTorch's default reset trains through the same BPTT (reset detached)."""
    x_tr, x_te, y_tr, y_te = _digits()
    net = _train_net([64, 64, 10], timesteps=15, reset="subtract_delayed")
    train(net, x_tr, y_tr, TrainConfig(epochs=5, lr=5e-3))
    acc = accuracy(net, x_te, y_te)
    print(f"digits 64-64-10 T=15 subtract_delayed, 5 epochs: test accuracy {acc:.4f}")
    assert acc > 0.5  # chance is 0.1


def test_digits_rate_coded_reaches_90_percent():
    x_tr, x_te, y_tr, y_te = _digits()
    net = _train_net([64, 128, 10], timesteps=25)
    t0 = time.perf_counter()
    res = train(net, x_tr, y_tr, TrainConfig(epochs=10))
    elapsed = time.perf_counter() - t0
    acc = accuracy(net, x_te, y_te)
    print(f"digits 64-128-10 T=25: test accuracy {acc:.4f} in {elapsed:.1f} s, history {res.history[-1]}")
    assert acc >= 0.90


def _load_optdigits(name):
    path = DATA / name
    rows = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    a = np.array([[int(v) for v in row.split(",")] for row in rows], dtype=np.int64)
    assert a.shape[1] == 65
    return (a[:, :64] / 16.0).astype(np.float32), a[:, 64]


@pytest.mark.slow
@pytest.mark.needs_shared
def test_optdigits_float_accuracy_at_least_96_percent():
    if not (DATA / "optdigits.tra").exists():
        pytest.skip("needs ../shared/data/optdigits (CI has it)")
    x_tr, y_tr = _load_optdigits("optdigits.tra")
    x_te, y_te = _load_optdigits("optdigits.tes")
    assert x_tr.shape == (3823, 64) and x_te.shape == (1797, 64)
    net = _train_net([64, 256, 10], timesteps=25)
    t0 = time.perf_counter()
    train(net, x_tr, y_tr, TrainConfig(epochs=20))
    acc = accuracy(net, x_te, y_te)
    print(f"optdigits 64-256-10 T=25: test accuracy {acc:.4f} in {time.perf_counter() - t0:.1f} s")
    assert acc >= 0.96


def test_lif_layer_delays_are_validated_and_copied():
    from scnc.snn.network import MAX_DELAY, LIFLayer

    layer = LIFLayer("h", np.zeros((3, 2), np.float32), delays=np.array([[0, 1], [2, 3], [4, MAX_DELAY]]))
    assert layer.delays.dtype == np.int16
    clone = layer.copy()
    clone.delays[0, 0] = 7
    assert layer.delays[0, 0] == 0
    for bad in (np.ones((2, 2), int), np.full((3, 2), -1), np.full((3, 2), MAX_DELAY + 1), np.full((3, 2), 0.5)):
        with pytest.raises(ConfigError, match="delays"):
            LIFLayer("h", np.zeros((3, 2), np.float32), delays=bad)

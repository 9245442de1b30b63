"""pipe-S's ANN stage (scnc.snn.pretrain): schedule, kernels vs naive float64, finite differences, transfer."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn import EncoderConfig, Network, run_forward
from scnc.snn.pretrain import (
    PretrainConfig,
    ann_accuracy,
    ann_forward,
    ann_value_and_grad,
    pretrain,
    window,
)
from scnc.transfer import SNNCheckpoint, load_checkpoint, save_checkpoint


def _net(sizes=(12, 9, 4), seed=0, bias=True, timesteps=5, threshold=1.0) -> Network:
    net = Network.dense(list(sizes), seed=seed, bias=bias, timesteps=timesteps, threshold=threshold,
                        encoder=EncoderConfig("direct"))
    rng = np.random.default_rng(seed + 100)
    for layer in net.layers:  # larger weights than the default init so windows are crossed
        layer.weight = (rng.standard_normal(layer.weight.shape) * 0.8).astype(np.float32)
        if layer.bias is not None:
            layer.bias = (rng.standard_normal(layer.n_out) * 0.3).astype(np.float32)
    return net


def _data(n=20, n_in=12, k=4, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, n_in)).astype(np.float32)
    x[x < 0.2] = 0.0  # exercise the skip-zeros path
    return x, rng.integers(0, k, n)


# ------------------------------------------------------------------------------ naive float64 model


def _sg(u, kind, slope):
    if kind == "fast_sigmoid":
        return 1.0 / (1.0 + slope * np.abs(u)) ** 2
    return 1.0 / (1.0 + (np.pi * slope * u / 2) ** 2)


def naive_forward(net, x, win):
    zs, hs, inp = [], [], x.astype(np.float64)
    for layer in net.layers:
        th = layer.threshold_per_neuron().astype(np.float64)
        b = 0.0 if layer.bias is None else layer.bias.astype(np.float64)
        z = inp @ layer.weight.astype(np.float64) + b
        h = np.clip((z - th * win[0]) / (th * (win[1] - win[0])), 0.0, 1.0)
        zs.append(z)
        hs.append(h)
        inp = h
    return zs, hs


def naive_loss(net, x, y, win):
    _, hs = naive_forward(net, x, win)
    logits = net.timesteps * hs[-1]
    m = logits.max(axis=1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def naive_grads(net, x, y, win, backward, kind="fast_sigmoid", slope=5.0):
    zs, hs = naive_forward(net, x, win)
    T = net.timesteps
    logits = T * hs[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    dh = T * p / len(y)
    out = []
    for li in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[li]
        th = layer.threshold_per_neuron().astype(np.float64)
        lo, hi = th * win[0], th * win[1]
        z = zs[li]
        d = (((z > lo) & (z < hi)) / (hi - lo)) if backward == "window" else _sg(z - th, kind, slope)
        dz = dh * d
        inp = x.astype(np.float64) if li == 0 else hs[li - 1]
        out.append((inp.T @ dz, dz.sum(axis=0)))
        dh = dz @ layer.weight.astype(np.float64).T
    return out[::-1]


# ------------------------------------------------------------------------------ schedule


def test_window_reproduces_the_seeds_schedule_at_100_epochs():
    # seed (threshold 0.5, epochs e = 0..99): lo = min(e/200, 0.49), hi = 1 - e/200. Ours with
    # epochs = 101 has p = e/100: the same windows, divided by the threshold, for e = 0..99.
    for e in range(100):
        lo, hi = window(e, 101)
        assert lo * 0.5 == pytest.approx(min(e / 200, 0.49), abs=1e-12)
        assert hi * 0.5 == pytest.approx(1 - e / 200, abs=1e-12)


def test_window_starts_wide_ends_at_the_firing_step_and_narrows_monotonically():
    ws = [window(e, 7) for e in range(7)]
    assert ws[0] == (0.0, 2.0)
    assert ws[-1] == pytest.approx((0.98, 1.0))
    widths = [hi - lo for lo, hi in ws]
    assert all(a > b for a, b in zip(widths, widths[1:]))
    assert all(lo < 1.0 <= hi for lo, hi in ws)  # the threshold stays inside (or at the top of) the window
    assert window(0, 1) == pytest.approx((0.98, 1.0))  # one epoch: the final window
    assert window(4, 5, final_width=0.1) == pytest.approx((0.9, 1.0))


@pytest.mark.parametrize("args", [(5, 5), (-1, 5), (0, 0), (0, 3, 0.0), (0, 3, 1.5), (1.0, 3)])
def test_window_rejects_bad_arguments(args):
    with pytest.raises(ConfigError):
        window(*args)


# ------------------------------------------------------------------------------ kernels vs naive


@pytest.mark.parametrize("win", [(0.0, 2.0), (0.5, 1.5), (0.98, 1.0)])
def test_forward_matches_naive_float64(win):
    net = _net()
    x, _ = _data()
    zs, hs = ann_forward(net, x, win)
    nz, nh = naive_forward(net, x, win)
    for a, b in zip(zs, nz):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(hs[:1], nh[:1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert all(h.dtype == np.float32 and h.min() >= 0 and h.max() <= 1 for h in hs)


@pytest.mark.parametrize("backward,kind", [("surrogate", "fast_sigmoid"), ("surrogate", "arctan"), ("window", "fast_sigmoid")])
def test_backward_matches_naive_float64(backward, kind):
    net = _net()
    x, y = _data()
    win = (0.3, 1.7)
    res = ann_value_and_grad(net, x, y, win, backward=backward, surrogate=kind, slope=5.0)
    ref = naive_grads(net, x, y, win, backward, kind, 5.0)
    assert res.loss == pytest.approx(naive_loss(net, x, y, win), rel=1e-5)
    for g, (gw, gb) in zip(res.grads, ref):
        np.testing.assert_allclose(g.weight, gw, rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(g.bias, gb, rtol=2e-4, atol=2e-5)
        assert not np.any(g.beta) and not np.any(g.threshold)
    assert any(np.abs(g.weight).max() > 1e-3 for g in res.grads)  # not trivially zero


def test_window_backward_matches_finite_differences():
    net = _net()
    x, y = _data()
    win = (0.3, 1.7)
    res = ann_value_and_grad(net, x, y, win, backward="window")
    rng = np.random.default_rng(3)
    checked = 0
    for li, layer in enumerate(net.layers):
        for _ in range(6):
            i, j = rng.integers(layer.n_in), rng.integers(layer.n_out)
            w0 = float(layer.weight[i, j])
            eps = 1e-3
            vals = []
            for d in (eps, -eps):
                layer.weight[i, j] = np.float32(w0 + d)
                vals.append(naive_loss(net, x, y, win))
            layer.weight[i, j] = np.float32(w0)
            fd = (vals[0] - vals[1]) / (2 * eps)
            np.testing.assert_allclose(res.grads[li].weight[i, j], fd, rtol=2e-2, atol=2e-4)
            checked += abs(fd) > 1e-4
    assert checked >= 4  # enough of the probes were away from flat regions


def test_surrogate_backward_differs_from_the_window_slope():
    # the seed's point: the backward is the SNN's surrogate, not the clipped line's slope
    net = _net()
    x, y = _data()
    a = ann_value_and_grad(net, x, y, (0.3, 1.7), backward="surrogate")
    b = ann_value_and_grad(net, x, y, (0.3, 1.7), backward="window")
    assert not np.allclose(a.grads[0].weight, b.grads[0].weight)


# ------------------------------------------------------------------------------ transfer


def test_snn_membrane_at_t0_equals_the_ann_pre_activation():
    net = _net(sizes=(12, 9, 4), bias=True)
    x, _ = _data()
    zs, _ = ann_forward(net, x)
    inputs = np.broadcast_to(x[None], (net.timesteps, *x.shape)).astype(np.float32)  # direct input
    spikes, membranes = run_forward(net, inputs, binary=False)
    th = net.layers[0].threshold_per_neuron()
    fired = zs[0] >= th
    assert fired.any() and (~fired).any()
    np.testing.assert_array_equal(spikes[0][0], fired.astype(np.uint8))
    np.testing.assert_array_equal(membranes[0][0], np.where(fired, zs[0] - th, zs[0]))  # bit-exact: v_pre == z


def test_pretrain_is_deterministic_and_leaves_beta_and_threshold_alone(tmp_path):
    x, y = _data(n=64)
    outs = []
    for _ in range(2):
        net = _net(bias=False)
        beta = [layer.beta.copy() for layer in net.layers]
        res = pretrain(net, x, y, PretrainConfig(epochs=3, batch_size=16, seed=7))
        for layer, b in zip(net.layers, beta):
            assert layer.beta.tobytes() == b.tobytes() and layer.threshold.tobytes() == np.float32(1.0).tobytes()
        assert res.network is net and len(res.history) == 3
        assert [h["window"] for h in res.history] == [list(window(e, 3)) for e in range(3)]
        path = save_checkpoint(SNNCheckpoint.from_network(net, metadata={"stage": "ann"}), tmp_path / f"a{len(outs)}")
        outs.append(path.read_bytes())
        loaded = load_checkpoint(path).to_network()
        for a, b in zip(loaded.layers, net.layers):  # copied unchanged into the LIF network
            assert a.weight.tobytes() == b.weight.tobytes()
    assert outs[0] == outs[1]
    net2 = _net(bias=False)
    pretrain(net2, x, y, PretrainConfig(epochs=3, batch_size=16, seed=8))
    assert net2.layers[0].weight.tobytes() != load_checkpoint(tmp_path / "a0").weights[0].tobytes()


def test_pretrain_learns_digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data[:600] / 16.0).astype(np.float32)
    y = d.target[:600]
    net = Network.dense([64, 32, 10], seed=0, timesteps=10)
    before = ann_accuracy(net, x, y)
    res = pretrain(net, x, y, PretrainConfig(epochs=4))
    after = ann_accuracy(net, x, y)
    assert after > 0.85 > before
    assert res.history[-1]["loss"] < res.history[0]["loss"]


@pytest.mark.parametrize("kw", [{"epochs": 0}, {"batch_size": 0}, {"lr": -1.0}, {"surrogate": "relu"},
                                {"slope": 0.0}, {"backward": "exact"}, {"final_width": 0.0}, {"seed": -1},
                                {"lr_schedule": "step"}, {"weight_decay": float("nan")}])
def test_config_is_validated(kw):
    with pytest.raises(ConfigError):
        PretrainConfig(**kw)


def test_bad_inputs_are_rejected():
    net = _net()
    x, y = _data()
    with pytest.raises(ConfigError, match="shape"):
        pretrain(net, x[:, :5], y)
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        pretrain(net, x * 2, y)
    with pytest.raises(ConfigError, match="labels"):
        pretrain(net, x, y + 10)
    with pytest.raises(ConfigError, match="lo < hi"):
        ann_forward(net, x, (1.0, 1.0))


def test_pretrain_is_identical_on_any_thread_count():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2 to compare thread counts")
    x, y = _data(n=80)
    weights = []
    before = numba.get_num_threads()
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            net = _net(bias=True)
            pretrain(net, x, y, PretrainConfig(epochs=2, batch_size=32))
            weights.append(b"".join(layer.weight.tobytes() + layer.bias.tobytes() for layer in net.layers))
    finally:
        numba.set_num_threads(before)
    assert len(set(weights)) == 1


DATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"


@pytest.mark.slow
@pytest.mark.needs_shared
def test_pipe_s_on_optdigits_reaches_95_percent_after_5_snn_epochs():
    if not (DATA / "optdigits.tra").exists():
        pytest.skip("needs ../shared/data/optdigits (CI has it)")
    from scnc.data import load_dataset
    from scnc.snn import TrainConfig, accuracy, train

    tr = load_dataset("optdigits", split="train", data_dir=DATA)
    te = load_dataset("optdigits", split="test", data_dir=DATA)
    net = Network.dense([64, 128, 10], seed=0, timesteps=25)
    pretrain(net, tr.x, tr.y, PretrainConfig(epochs=10))
    assert ann_accuracy(net, te.x, te.y) >= 0.94
    after = accuracy(net, te.x, te.y)
    assert after >= 0.88  # measured 92.0% right after transfer (docs/pretrain.md)
    train(net, tr.x, tr.y, TrainConfig(epochs=5))
    assert accuracy(net, te.x, te.y) >= 0.95

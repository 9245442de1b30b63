"""Synaptic delays in training: integer delays, DCLS kernels and their gradients (scnc.snn.delayed, scnc.snn.dcls)."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn import EncoderConfig, Network, TrainConfig, encode, output_counts, run_forward, value_and_grad
from scnc.snn.dcls import (
    DelayConfig,
    dcls_grads,
    dcls_kernels,
    evaluate,
    gaussian_taps,
    random_delays,
    sigma_at,
    train_delays,
)
from scnc.snn.delayed import KernelSynapse, delayed_run_forward, delayed_value_and_grad
from support import naive_delays as naive

SLOPE = 5.0


def _net(sizes=(10, 7, 3), T=9, seed=0, threshold=1.0):
    net = Network.dense(list(sizes), seed=seed, timesteps=T, threshold=threshold,
                        encoder=EncoderConfig("rate", seed=1))
    for layer in net.layers:
        layer.weight *= 3.0  # enough drive that hidden and output neurons spike
    return net


def _inputs(net, n=5, seed=0):
    x = np.random.default_rng(seed).random((n, net.n_inputs)).astype(np.float32)
    return encode(x, net.encoder, net.timesteps, seed=seed + 7), np.arange(n) % net.n_outputs


def test_a_delay_moves_the_spike_later_and_drops_it_past_the_last_step():
    net = Network.dense([2, 1], seed=0, timesteps=6, threshold=0.5)
    layer = net.layers[0]
    layer.weight[:] = [[1.0], [1.0]]
    layer.beta[:] = 0.0
    layer.delays = np.array([[2], [5]], np.int16)
    x = np.zeros((6, 1, 2), np.float32)
    x[1, 0, 0] = 1.0   # arrives at step 3
    x[3, 0, 1] = 1.0   # would arrive at step 8 > T-1: lost
    spikes, _ = run_forward(net, x)
    assert np.flatnonzero(spikes[0][:, 0, 0]).tolist() == [3]


def test_zero_delays_reproduce_the_fused_path():
    net = _net()
    inp, y = _inputs(net)
    s0, v0 = run_forward(net, inp)
    r0 = value_and_grad(net, inp, y, slope=SLOPE)
    for layer in net.layers:
        layer.delays = np.zeros(layer.weight.shape, np.int16)
    s1, v1 = run_forward(net, inp)
    r1 = value_and_grad(net, inp, y, slope=SLOPE)
    for a, b in zip(s0 + v0, s1 + v1):
        assert a.tobytes() == b.tobytes()  # same currents, same order: bit for bit
    assert r0.loss == r1.loss and np.array_equal(r0.counts, r1.counts)
    for g0, g1 in zip(r0.grads, r1.grads):  # only the summation order of the batch sums differs
        np.testing.assert_allclose(g1.weight, g0.weight, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(g1.beta, g0.beta, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(g1.threshold, g0.threshold, rtol=1e-5, atol=1e-7)


def test_integer_delays_match_a_one_hot_kernel_bit_for_bit():
    net = _net()
    inp, _ = _inputs(net)
    D = 4
    for layer, d in zip(net.layers, random_delays(net, D, seed=3)):
        layer.delays = d
    s0, v0 = run_forward(net, inp)
    syns = [KernelSynapse(naive.onehot_kernel(l.weight, l.delays, D + 1).astype(np.float32)) for l in net.layers]
    s1, v1 = delayed_run_forward(net, inp, synapses=syns)
    for a, b in zip(s0 + v0, s1 + v1):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("loss", ["ce_count", "ce_membrane_mean"])
def test_integer_delay_gradients_match_a_naive_float64_model(loss):
    net = _net()
    inp, y = _inputs(net, n=6, seed=1)
    D = 3
    for layer, d in zip(net.layers, random_delays(net, D, seed=5)):
        layer.delays = d
    res = value_and_grad(net, inp, y, loss=loss, slope=SLOPE)
    kernels = [naive.onehot_kernel(l.weight.astype(np.float64), l.delays, D + 1) for l in net.layers]
    betas = [float(l.beta[0]) for l in net.layers]
    thetas = [float(l.threshold[0]) for l in net.layers]
    recs = naive.forward(kernels, betas, thetas, inp)
    spikes, _ = run_forward(net, inp)
    for s, r in zip(spikes, recs):
        np.testing.assert_array_equal(s, r[1])
    assert spikes[0].sum() > 0 and spikes[1].sum() > 0
    value, ds, gm = naive.loss_and_seeds(recs, y, loss)
    gks, gbetas = naive.backward(kernels, betas, thetas, recs, ds, gm, SLOPE)
    assert res.loss == pytest.approx(value, rel=1e-6)
    for layer, g, gk, gb in zip(net.layers, res.grads, gks, gbetas):
        i, j = np.indices(layer.weight.shape)
        gw = gk[layer.delays, i, j]  # the weight sits at its delay's tap
        assert np.abs(gw).max() > 0
        np.testing.assert_allclose(g.weight, gw, rtol=2e-4, atol=1e-6)
        np.testing.assert_allclose(g.beta[0], gb, rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("sigma", [2.0, 0.23])
def test_dcls_weight_and_position_gradients_match_a_naive_float64_model(sigma):
    net = _net()
    inp, y = _inputs(net, n=6, seed=2)
    D = 4
    rng = np.random.default_rng(4)
    positions = [rng.uniform(0, D, layer.weight.shape).astype(np.float32) for layer in net.layers]
    syns, taps = dcls_kernels(net, positions, sigma, D + 1)
    res, gks = delayed_value_and_grad(net, inp, y, slope=SLOPE, synapses=syns)
    kernels = [naive.gauss_kernel(l.weight.astype(np.float64), p.astype(np.float64), sigma, D + 1)
               for l, p in zip(net.layers, positions)]
    betas = [float(l.beta[0]) for l in net.layers]
    thetas = [float(l.threshold[0]) for l in net.layers]
    recs = naive.forward(kernels, betas, thetas, inp)
    spikes, _ = delayed_run_forward(net, inp, synapses=syns)
    for s, r in zip(spikes, recs):
        np.testing.assert_array_equal(s, r[1])
    assert spikes[1].sum() > 0
    _, ds, gm = naive.loss_and_seeds(recs, y, "ce_count")
    ngks, _ = naive.backward(kernels, betas, thetas, recs, ds, gm, SLOPE)
    for layer, p, (g, dg), gk, ngk in zip(net.layers, positions, taps, gks, ngks):
        gw, gp = dcls_grads(layer.weight, g, dg, gk)
        nw, npos = naive.dcls_grads(layer.weight.astype(np.float64), p.astype(np.float64), sigma, D + 1, ngk)
        assert np.abs(gp).max() > 0
        np.testing.assert_allclose(gw, nw, rtol=2e-4, atol=1e-6)
        np.testing.assert_allclose(gp, npos, rtol=2e-3, atol=2e-6 * max(1.0, np.abs(npos).max()))


def test_dcls_gradients_match_finite_differences_on_a_smooth_case():
    """One layer that never spikes, membrane loss: the loss is smooth in weights and positions."""
    net = Network.dense([4, 3], seed=1, timesteps=6, threshold=1e6)
    inp, y = _inputs(net, n=3, seed=3)
    D, sigma = 3, 0.8
    p0 = np.random.default_rng(0).uniform(0, D, (4, 3))
    w0 = net.layers[0].weight.astype(np.float64)
    beta = float(net.layers[0].beta[0])

    def loss(w, p):
        recs = naive.forward([naive.gauss_kernel(w, p, sigma, D + 1)], [beta], [1e6], inp)
        return naive.loss_and_seeds(recs, y, "ce_membrane_mean")[0]

    syns, taps = dcls_kernels(net, [p0.astype(np.float32)], sigma, D + 1)
    _, gks = delayed_value_and_grad(net, inp, y, loss="ce_membrane_mean", slope=SLOPE, synapses=syns)
    gw, gp = dcls_grads(net.layers[0].weight, *taps[0], gks[0])
    h = 1e-5
    fw = np.zeros_like(w0)
    fp = np.zeros_like(p0)
    for idx in np.ndindex(w0.shape):
        e = np.zeros_like(w0)
        e[idx] = h
        fw[idx] = (loss(w0 + e, p0) - loss(w0 - e, p0)) / (2 * h)
        fp[idx] = (loss(w0, p0 + e) - loss(w0, p0 - e)) / (2 * h)
    assert np.abs(fp).max() > 1e-4
    np.testing.assert_allclose(gw, fw, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(gp, fp, rtol=2e-3, atol=1e-6)


def test_gaussian_taps_are_normalised_and_peak_at_the_position():
    g, dg = gaussian_taps(np.array([[0.0, 2.6, 5.0]]), 0.23, 6)
    np.testing.assert_allclose(g.sum(axis=0), 1.0, rtol=1e-6)
    assert g[:, 0, :].argmax(axis=0).tolist() == [0, 3, 5]
    assert g.shape == dg.shape == (6, 1, 3)


def test_sigma_schedule_runs_from_half_max_delay_to_the_final_width():
    dcfg = DelayConfig(max_delay=10)
    assert sigma_at(dcfg, 0.0) == pytest.approx(5.0)
    assert sigma_at(dcfg, 0.125) == pytest.approx(5.0 * (0.23 / 5.0) ** 0.5)
    assert sigma_at(dcfg, 0.25) == pytest.approx(0.23)
    assert sigma_at(dcfg, 0.9) == pytest.approx(0.23)


@pytest.mark.parametrize("kw", [{"mode": "sometimes"}, {"max_delay": 0}, {"max_delay": 1025}, {"max_delay": 2.0},
                                {"sigma_final": 0}, {"sigma_decay_fraction": 0}, {"pos_lr_factor": -1},
                                {"fine_tune_epochs": -1}])
def test_bad_delay_config_is_refused(kw):
    with pytest.raises(ConfigError):
        DelayConfig(**kw)


def _task(n=48, seed=0):
    """A task where only timing separates the classes: input 0 fires at step 1 (class 0) or 4 (class 1),
    input 1 always at step 5."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = np.zeros((8, n, 2), np.float32)
    x[np.where(y == 0, 1, 4), np.arange(n), 0] = 1.0
    x[5, :, 1] = 1.0
    return x, y


@pytest.mark.parametrize("mode", ["random", "learned", "none"])
def test_train_delays_is_deterministic_and_leaves_integer_delays(mode):
    x, y = _task()
    cfg = TrainConfig(epochs=3, batch_size=16, seed=3)
    dcfg = DelayConfig(mode=mode, max_delay=4, fine_tune_epochs=1)
    nets = []
    for _ in range(2):
        net = Network.dense([2, 6, 2], seed=0, timesteps=8)
        res = train_delays(net, x, y, cfg, dcfg, data_val=x, y_val=y)
        nets.append(net)
    a, b = nets
    for la, lb in zip(a.layers, b.layers):
        assert la.weight.tobytes() == lb.weight.tobytes()
        if mode == "none":
            assert la.delays is None
        else:
            assert la.delays.dtype == np.int16 and 0 <= la.delays.min() and la.delays.max() <= 4
            assert np.array_equal(la.delays, lb.delays)
    phases = [h["phase"] for h in res.history]
    assert phases == ({"learned": ["dcls"] * 3 + ["fine_tune"]}.get(mode, ["train"] * 3))
    assert res.history[-1]["val_accuracy"] == evaluate(a, x, y)
    if mode == "learned":
        assert len(res.positions) == 2
        np.testing.assert_array_equal(a.layers[0].delays, np.rint(res.positions[0]).astype(np.int16))
        assert res.history[0]["sigma"] > res.history[-2]["sigma"] == pytest.approx(0.23)


def test_learned_delays_solve_a_timing_task_no_delays_cannot():
    """Class = order of two single spikes, one output layer without leak memory (beta 0, fixed):
    without delays both classes give every neuron the same inputs at different steps, hence the same
    counts (chance); delays can line the two spikes up for a coincidence. (DCLS finds it from this
    initialisation, seed 1; on seeds 0 and 2 this 2-neuron problem stays at chance too.)"""
    rng = np.random.default_rng(0)
    n = 64
    y = rng.integers(0, 2, n)
    x = np.zeros((10, n, 2), np.float32)
    x[np.where(y == 0, 2, 5), np.arange(n), 0] = 1.0
    x[np.where(y == 0, 5, 2), np.arange(n), 1] = 1.0
    cfg = TrainConfig(epochs=30, batch_size=16, seed=1, lr=1e-2)
    accs = {}
    for mode in ("none", "learned"):
        net = Network.dense([2, 2], seed=1, timesteps=10, beta=0.0)
        net.layers[0].learn_beta = False
        train_delays(net, x, y, cfg, DelayConfig(mode=mode, max_delay=4, fine_tune_epochs=5))
        accs[mode] = evaluate(net, x, y)
    assert accs["learned"] == 1.0 and accs["none"] < 0.6, accs


def test_features_are_encoded_like_predict():
    net = _net()
    x = np.random.default_rng(0).random((20, net.n_inputs)).astype(np.float32)
    y = np.arange(20) % net.n_outputs
    from scnc.snn import accuracy

    assert evaluate(net, x, y, batch_size=8) == accuracy(net, x, y, batch_size=8)
    for layer, d in zip(net.layers, random_delays(net, 3, seed=0)):
        layer.delays = d
    assert evaluate(net, x, y, batch_size=8) == accuracy(net, x, y, batch_size=8)
    counts = output_counts(net, encode(x, net.encoder, net.timesteps, seed=0))
    assert counts.shape == (20, net.n_outputs)


def test_train_delays_refuses_bad_data():
    net = _net()
    with pytest.raises(ConfigError, match="timesteps"):
        train_delays(net, np.zeros((5, 3, net.n_inputs), np.float32), np.zeros(3, np.int64))
    net.layers[0].delays = np.zeros(net.layers[0].weight.shape, np.int16)
    with pytest.raises(ConfigError, match="already carries delays"):
        train_delays(net, np.zeros((3, net.n_inputs), np.float32), np.zeros(3, np.int64))


def test_the_naive_comparison_catches_planted_faults():
    """The checks above can fail: a position gradient without the normaliser's derivative, and delays
    off by one step, both disagree with the naive model."""
    net = _net()
    inp, y = _inputs(net, n=6, seed=2)
    D, sigma = 4, 1.5
    rng = np.random.default_rng(4)
    positions = [rng.uniform(0, D, layer.weight.shape).astype(np.float32) for layer in net.layers]
    syns, taps = dcls_kernels(net, positions, sigma, D + 1)
    _, gks = delayed_value_and_grad(net, inp, y, slope=SLOPE, synapses=syns)
    kernels = [naive.gauss_kernel(l.weight.astype(np.float64), p.astype(np.float64), sigma, D + 1)
               for l, p in zip(net.layers, positions)]
    betas = [float(l.beta[0]) for l in net.layers]
    thetas = [float(l.threshold[0]) for l in net.layers]
    recs = naive.forward(kernels, betas, thetas, inp)
    _, ds, gm = naive.loss_and_seeds(recs, y, "ce_count")
    ngks, _ = naive.backward(kernels, betas, thetas, recs, ds, gm, SLOPE)
    layer, p, (g, _), gk = net.layers[1], positions[1], taps[1], gks[1]
    k = np.arange(D + 1)[:, None, None]
    wrong = layer.weight * (g * (k - p) / sigma**2 * gk).sum(axis=0)  # d(e/Z)/dp taken as de/dp / Z
    _, npos = naive.dcls_grads(layer.weight.astype(np.float64), p.astype(np.float64), sigma, D + 1, ngks[1])
    assert not np.allclose(wrong, npos, rtol=2e-3, atol=2e-6 * np.abs(npos).max())
    for l in net.layers:
        l.delays = random_delays(net, 3, seed=5)[net.layers.index(l)]
    spikes, _ = run_forward(net, inp)
    shifted = [naive.onehot_kernel(l.weight.astype(np.float64), l.delays + 1, 5) for l in net.layers]
    nrecs = naive.forward(shifted, betas, thetas, inp)
    assert any(not np.array_equal(s, r[1]) for s, r in zip(spikes, nrecs))

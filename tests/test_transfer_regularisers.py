"""Training aids measured for transfer (docs/transfer.md): L2-SP (scnc.snn.optim.L2SPAdam) and the
label-smoothed count loss (scnc.snn.losses.ce_count_smooth_loss)."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn import LOSS_NAMES, Network, TrainConfig, ce_count_loss, get_loss
from scnc.snn.bptt import LayerGrads
from scnc.snn.losses import LABEL_SMOOTHING, ce_count_smooth_loss
from scnc.snn.optim import Adam, L2SPAdam


def _grads(net: Network, rng: np.random.Generator, scale: float = 1.0) -> list[LayerGrads]:
    return [LayerGrads(weight=(scale * rng.normal(size=layer.weight.shape)).astype(np.float32), bias=None,
                       beta=np.zeros_like(layer.beta), threshold=np.zeros_like(layer.threshold))
            for layer in net.layers]


def test_l2sp_with_alpha_zero_is_adam_bit_for_bit() -> None:
    a, b = Network.dense([6, 5, 3], seed=1), Network.dense([6, 5, 3], seed=1)
    opt_a, opt_b = Adam(a, [1e-2, 1e-2]), L2SPAdam(b, [1e-2, 1e-2], alpha=0.0)
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    for _ in range(5):
        opt_a.step(_grads(a, rng_a))
        opt_b.step(_grads(b, rng_b))
    for la, lb in zip(a.layers, b.layers):
        assert la.weight.tobytes() == lb.weight.tobytes()


def test_l2sp_pulls_anchored_weights_back_and_leaves_the_head_alone() -> None:
    net = Network.dense([6, 5, 3], seed=1)
    opt = L2SPAdam(net, [1e-2, 1e-2], alpha=1.0)
    start = [layer.weight.copy() for layer in net.layers]
    assert not np.shares_memory(opt.anchors[0], net.layers[0].weight) and set(opt.anchors) == {0}
    net.layers[0].weight += 0.5  # as if the data had moved it
    net.layers[1].weight += 0.5
    for _ in range(20):
        opt.step(_grads(net, np.random.default_rng(0), scale=0.0))  # no data gradient: only the pull
    assert np.abs(net.layers[0].weight - start[0]).max() < 0.5 - 0.15  # moved back toward w0
    np.testing.assert_array_equal(net.layers[1].weight, start[1] + np.float32(0.5))  # head: no anchor, no pull
    # the caller's gradients are not modified
    g = _grads(net, np.random.default_rng(1))
    before = g[0].weight.copy()
    opt.step(g)
    np.testing.assert_array_equal(g[0].weight, before)


def test_l2sp_changes_training_and_checks_its_arguments() -> None:
    net = Network.dense([6, 5, 3], seed=1)
    plain, pulled = Network.dense([6, 5, 3], seed=1), Network.dense([6, 5, 3], seed=1)
    rng_a, rng_b = np.random.default_rng(0), np.random.default_rng(0)
    opt_a, opt_b = Adam(plain, [1e-2, 1e-2]), L2SPAdam(pulled, [1e-2, 1e-2], alpha=10.0)
    for _ in range(10):
        opt_a.step(_grads(plain, rng_a))
        opt_b.step(_grads(pulled, rng_b))
    w0 = Network.dense([6, 5, 3], seed=1).layers[0].weight
    assert np.abs(pulled.layers[0].weight - w0).sum() < np.abs(plain.layers[0].weight - w0).sum()
    for bad in (-1.0, float("nan"), True):
        with pytest.raises(ConfigError, match="alpha"):
            L2SPAdam(net, [1e-2, 1e-2], alpha=bad)
    with pytest.raises(ConfigError, match="out of range"):
        L2SPAdam(net, [1e-2, 1e-2], alpha=0.1, anchored=[2])
    assert set(L2SPAdam(net, [1e-2, 1e-2], alpha=0.1, anchored=[0, 1]).anchors) == {0, 1}


def test_smoothed_count_loss_is_registered_and_reduces_to_ce_count() -> None:
    assert "ce_count_smooth" in LOSS_NAMES and get_loss("ce_count_smooth").reads == "spikes"
    assert TrainConfig(loss="ce_count_smooth").loss == "ce_count_smooth"
    rng = np.random.default_rng(3)
    spikes = (rng.random((7, 4, 5)) < 0.4).astype(np.uint8)
    y = rng.integers(0, 5, size=4)
    l0, g0 = ce_count_smooth_loss(spikes, y, smoothing=0.0)
    lc, gc = ce_count_loss(spikes, y)
    assert l0 == pytest.approx(lc, rel=1e-12)
    np.testing.assert_allclose(g0, gc, rtol=1e-6, atol=1e-9)
    with pytest.raises(ConfigError, match="smoothing"):
        ce_count_smooth_loss(spikes, y, smoothing=1.0)


def test_smoothed_count_loss_value_and_target() -> None:
    T, K = 4, 3
    spikes = np.zeros((T, 1, K), np.uint8)
    spikes[:, 0, 1] = 1  # counts (0, 4, 0)
    loss, g = ce_count_smooth_loss(spikes, np.array([1]))
    c = np.array([0.0, 4.0, 0.0])
    p = np.exp(c) / np.exp(c).sum()
    q = np.full(K, LABEL_SMOOTHING / K)
    q[1] += 1 - LABEL_SMOOTHING
    assert loss == pytest.approx(-(q * np.log(p)).sum())
    np.testing.assert_allclose(g[0, 0], p - q, rtol=1e-6)
    assert g.shape == spikes.shape and g.dtype == np.float32
    np.testing.assert_allclose(g.sum(axis=2), 0.0, atol=1e-7)  # the target sums to 1 like softmax
    # a confident, correct output is still pushed back toward the smoothed target (plain CE would not)
    big = np.zeros((60, 1, K), np.uint8)
    big[:, 0, 1] = 1
    _, gb = ce_count_smooth_loss(big, np.array([1]))
    assert gb[0, 0, 1] > 0 and abs(ce_count_loss(big, np.array([1]))[1][0, 0, 1]) < 1e-20


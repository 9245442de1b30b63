"""scnc.transfer.prototype: hidden spike rates, class prototypes, a prototype-initialised head."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.snn import Network, accuracy, forward
from scnc.transfer import SNNCheckpoint, class_prototypes, hidden_rates, prototype_head, replace_head


def _toy(seed: int = 0) -> tuple[SNNCheckpoint, np.ndarray, np.ndarray]:
    """A 16 -> 40 -> 3 network and three well separated input patterns (noisy copies)."""
    rng = np.random.default_rng(seed)
    net = Network.dense([16, 40, 3], seed=seed, timesteps=20)
    patterns = np.zeros((3, 16), np.float32)
    for k in range(3):
        patterns[k, 5 * k:5 * k + 6] = 1.0
    # hidden neuron j prefers pattern j % 3: a feature layer that tells the patterns apart
    pref = patterns[np.arange(40) % 3].T  # (16, 40)
    net.layers[0].weight[:] = (np.where(pref > 0, 0.4, -0.4) + 0.1 * rng.standard_normal((16, 40))).astype(np.float32)
    ckpt = SNNCheckpoint.from_network(net)
    y = np.repeat(np.arange(3), 6)
    x = np.clip(patterns[y] * rng.uniform(0.7, 1.0, (y.size, 16)), 0, 1).astype(np.float32)
    return ckpt, x, y


def test_hidden_rates_are_the_forward_spike_rates() -> None:
    ckpt, x, _ = _toy()
    r = hidden_rates(ckpt, x)
    trace = forward(ckpt.to_network(), x)
    assert r.shape == (x.shape[0], 40) and r.dtype == np.float64
    assert np.array_equal(r, trace.spikes[0].sum(axis=0) / 20)
    assert np.array_equal(hidden_rates(ckpt, x, seed=5), forward(ckpt.to_network(), x, seed=5).spikes[0].mean(0))
    assert 0 < r.mean() <= 1
    with pytest.raises(ConfigError, match="single layer"):
        hidden_rates(SNNCheckpoint.from_network(Network.dense([16, 3], seed=0)), x)


def test_class_prototypes_are_class_means() -> None:
    f = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    y = np.array([0, 0, 1])
    assert class_prototypes(f, y, 2).tolist() == [[2.0, 5.0], [1.0, 5.0]]
    with pytest.raises(ConfigError, match=r"no example of class index \[2\]"):
        class_prototypes(f, y, 3)
    with pytest.raises(ConfigError, match="0..1"):
        class_prototypes(f, np.array([0, 1, 2]), 2)
    with pytest.raises(ConfigError, match="integer labels"):
        class_prototypes(f, np.array([0.0, 1.0, 1.0]), 2)


def test_prototype_head_follows_the_rule() -> None:
    ckpt, x, y = _toy()
    start = replace_head(ckpt, 3, seed=1)
    out = prototype_head(start, x, y, target_current=0.5)
    r = hidden_rates(start, x)
    mu = np.stack([r[y == k].mean(0) for k in range(3)], axis=1)
    d = mu - mu.mean(axis=1, keepdims=True)
    w = d / np.linalg.norm(d, axis=0, keepdims=True)
    own = np.mean([r[i] @ w[:, y[i]] for i in range(y.size)])
    want = (w * (0.5 / own)).astype(np.float32)
    np.testing.assert_allclose(out.weights[1], want, rtol=1e-5, atol=1e-7)
    # the correct class's mean input current per step is the target
    got = np.mean([(r[i] @ out.weights[1].astype(np.float64))[y[i]] for i in range(y.size)])
    assert got == pytest.approx(0.5, rel=1e-5)
    # only the head's weights changed
    assert out.weights[0].tobytes() == start.weights[0].tobytes()
    assert out.betas[1].tobytes() == start.betas[1].tobytes()
    assert out.thresholds[1].tobytes() == start.thresholds[1].tobytes()
    assert out.provenance["transfer"][-1]["op"] == "prototype_head"
    # it is a classifier before any training: the toy classes are told apart
    assert accuracy(out.to_network(), x, y) == 1.0
    assert accuracy(start.to_network(), x, y) < 1.0
    # deterministic, byte for byte
    assert prototype_head(start, x, y).weights[1].tobytes() == prototype_head(start, x, y).weights[1].tobytes()


def test_prototype_head_scales_with_threshold_and_target() -> None:
    ckpt, x, y = _toy()
    start = replace_head(ckpt, 3, seed=1)
    a = prototype_head(start, x, y, target_current=0.5).weights[1]
    b = prototype_head(start, x, y, target_current=1.0).weights[1]
    np.testing.assert_allclose(b, 2 * a, rtol=1e-6)
    thr = [start.thresholds[0], np.array([2.0], np.float32)]
    c = prototype_head(start.replace(thresholds=thr), x, y, target_current=0.5).weights[1]
    np.testing.assert_allclose(c, 2 * a, rtol=1e-6)


def test_prototype_head_errors() -> None:
    ckpt, x, y = _toy()
    start = replace_head(ckpt, 3, seed=1)
    for bad in (0, -1.0, float("nan"), True, "1"):
        with pytest.raises(ConfigError, match="target_current"):
            prototype_head(start, x, y, target_current=bad)
    with pytest.raises(ConfigError, match="shape"):
        prototype_head(start, x[:, :8], y)
    with pytest.raises(ConfigError, match="no example"):
        prototype_head(start, x[y < 2], y[y < 2])
    silent = start.replace(weights=[np.zeros_like(start.weights[0]), start.weights[1]])
    with pytest.raises(ConfigError, match="identical hidden rates|barely fires"):
        prototype_head(silent, x, y)

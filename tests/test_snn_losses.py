"""Losses (scnc.snn.losses): values and gradients against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError
from scnc.snn import LOSS_NAMES, ce_count_loss, ce_membrane_loss, get_loss, mse_count_loss


def _fd(fn, rec, y, eps=1e-6):
    g = np.zeros_like(rec)
    for idx in np.ndindex(rec.shape):
        a = rec.copy()
        a[idx] += eps
        b = rec.copy()
        b[idx] -= eps
        g[idx] = (fn(a, y)[0] - fn(b, y)[0]) / (2 * eps)
    return g


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), T=st.integers(1, 5), B=st.integers(1, 4), K=st.integers(2, 5))
def test_gradients_match_finite_differences(seed, T, B, K):
    rng = np.random.default_rng(seed)
    rec = rng.normal(0, 1.5, size=(T, B, K))  # continuous stand-in for spikes / membranes
    y = rng.integers(0, K, size=B)
    for name in LOSS_NAMES:
        spec = get_loss(name)
        loss, g = spec.fn(rec, y)
        assert g.shape == rec.shape and g.dtype == np.float32
        np.testing.assert_allclose(g, _fd(spec.fn, rec, y), rtol=1e-3, atol=1e-6)


def test_ce_count_value():
    spikes = np.zeros((4, 1, 3), np.uint8)
    spikes[:, 0, 1] = 1  # counts (0, 4, 0)
    loss, g = ce_count_loss(spikes, np.array([1]))
    p = np.exp([0.0, 4.0, 0.0]) / np.exp([0.0, 4.0, 0.0]).sum()
    assert loss == pytest.approx(-np.log(p[1]))
    np.testing.assert_allclose(g[2, 0], p - np.array([0, 1, 0]), rtol=1e-6)


def test_membrane_max_gradient_goes_to_first_maximum():
    mem = np.zeros((3, 1, 2), np.float32)
    mem[1, 0, 0] = 2.0
    mem[2, 0, 0] = 2.0
    _, g = ce_membrane_loss(mem, np.array([0]), "max")
    assert g[1, 0, 0] != 0 and g[2, 0, 0] == 0 and g[0, 0, 0] == 0


def test_mse_count_target_convention():
    T = 10
    spikes = np.zeros((T, 1, 3), np.uint8)
    spikes[:8, 0, 2] = 1
    spikes[:2, 0, 0] = 1
    spikes[:2, 0, 1] = 1
    loss, g = mse_count_loss(spikes, np.array([2]))
    assert loss == pytest.approx(0.0, abs=1e-12)
    assert not g.any()


def test_validation():
    with pytest.raises(ConfigError, match="loss must be one of"):
        get_loss("nll")
    with pytest.raises(ConfigError, match="labels"):
        ce_count_loss(np.zeros((2, 2, 3)), np.array([0, 3]))
    with pytest.raises(ConfigError, match=r"\(T, batch"):
        ce_count_loss(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ConfigError, match="reduction"):
        ce_membrane_loss(np.zeros((2, 2, 3)), np.array([0, 1]), "median")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="correct_rate"):
        mse_count_loss(np.zeros((2, 2, 3)), np.array([0, 1]), correct_rate=1.5)

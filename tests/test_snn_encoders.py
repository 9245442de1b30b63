"""Input encoders (scnc.snn.encoders)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError
from scnc.snn import EncoderConfig, encode, is_binary_encoder


def test_rate_is_seeded_binary_and_follows_probability():
    x = np.array([[0.0, 0.25, 1.0, 0.6]], np.float32).repeat(500, axis=0)
    enc = EncoderConfig("rate", seed=3)
    a = encode(x, enc, 40)
    assert a.shape == (40, 500, 4) and a.dtype == np.float32
    assert set(np.unique(a)) <= {0.0, 1.0}
    assert np.array_equal(a, encode(x, enc, 40))
    assert np.array_equal(a, encode(x, EncoderConfig("rate", seed=99), 40, seed=3))
    assert not np.array_equal(a, encode(x, enc, 40, seed=4))
    rate = a.mean(axis=(0, 1))
    assert rate[0] == 0.0 and rate[2] == 1.0
    assert abs(rate[1] - 0.25) < 0.02 and abs(rate[3] - 0.6) < 0.02


def test_rate_gain_clips_probability():
    x = np.full((200, 3), 0.6, np.float32)
    a = encode(x, EncoderConfig("rate", gain=2.0), 10)
    assert a.mean() == 1.0


def test_rate_uses_documented_stream():
    x = np.random.default_rng(0).random((5, 7)).astype(np.float32)
    got = encode(x, EncoderConfig("rate", seed=11), 3)
    u = np.random.default_rng(11).random((3, 5, 7), dtype=np.float32)
    assert np.array_equal(got, (u < x[None]).astype(np.float32))


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.floats(0, 1, width=32), min_size=1, max_size=12),
    T=st.integers(1, 30),
    floor=st.floats(0, 0.5),
)
def test_latency_one_spike_at_documented_step(x, T, floor):
    xa = np.array([x], np.float32)
    out = encode(xa, EncoderConfig("latency", latency_floor=floor), T)
    assert out.shape == (T, 1, len(x))
    for j, v in enumerate(xa[0]):
        col = out[:, 0, j]
        if v <= np.float32(floor):
            assert col.sum() == 0
        else:
            assert col.sum() == 1
            assert int(np.argmax(col)) == int(np.rint((1.0 - float(v)) * (T - 1)))


def test_direct_repeats_values():
    x = np.array([[0.1, 0.9], [0.5, 0.0]], np.float32)
    out = encode(x, EncoderConfig("direct"), 4)
    assert out.shape == (4, 2, 2)
    assert np.array_equal(out, np.broadcast_to(x, (4, 2, 2)))
    assert not is_binary_encoder(EncoderConfig("direct"))
    assert is_binary_encoder(EncoderConfig("rate")) and is_binary_encoder(EncoderConfig("latency"))


@pytest.mark.parametrize(
    "x, T, match",
    [
        (np.zeros(4, np.float32), 5, "2-D"),
        (np.full((2, 2), 1.5, np.float32), 5, r"\[0, 1\]"),
        (np.full((2, 2), -0.1, np.float32), 5, r"\[0, 1\]"),
        (np.full((2, 2), np.nan, np.float32), 5, "NaN"),
        (np.zeros((2, 2), np.float32), 0, "timesteps"),
        (np.array([["a", "b"]]), 5, "numeric"),
    ],
)
def test_validation(x, T, match):
    with pytest.raises(ConfigError, match=match):
        encode(x, EncoderConfig(), T)

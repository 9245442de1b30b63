"""Temporal renderings of 8x8 digits (scnc.data.temporal)."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.data.temporal import render
from scnc.errors import ConfigError
from scnc.snn import EncoderConfig, encode


def _x(n=7, seed=0):
    x = np.random.default_rng(seed).integers(0, 17, (n, 64)) / 16.0
    return x.astype(np.float32)


@pytest.mark.parametrize("T,floor", [(25, 0.0), (8, 0.25), (1, 0.0)])
def test_latency_is_the_snn_latency_encoder_bit_for_bit(T, floor):
    x = _x()
    a = render(x, "latency", T, floor=floor)
    b = encode(x, EncoderConfig("latency", latency_floor=floor), T)
    assert a.dtype == np.float32 and a.shape == (T, 7, 64)
    assert a.tobytes() == b.tobytes()
    # one spike per pixel above the floor, brighter earlier
    np.testing.assert_array_equal(a.sum(axis=0), (x > floor).astype(np.float32))
    if T > 1:
        first = np.argmax(a, axis=0)
        on = x > floor
        assert np.all(first[on & (x == 1.0)] == 0)


def test_rows_present_one_row_per_block_of_steps():
    x = np.zeros((2, 64), np.float32)
    x[0, 8 * 3 + 5] = 1.0      # row 3, column 5
    x[1, 8 * 7 + 0] = 0.49     # below 0.5: silent
    x[1, 8 * 0 + 1] = 0.5
    r = render(x, "rows", 16)
    assert r.shape == (16, 2, 8) and r.dtype == np.float32
    assert np.flatnonzero(r[:, 0, 5]).tolist() == [6, 7]      # steps 2*3, 2*3+1
    assert r[:, 0].sum() == 2
    assert np.flatnonzero(r[:, 1, 1]).tolist() == [0, 1]
    assert r[:, 1].sum() == 2


@pytest.mark.parametrize("args,kw", [((np.zeros((2, 63)),), {}), ((np.full((1, 64), 2.0),), {}),
                                     ((np.zeros((1, 64)), "rows", 12), {}), ((np.zeros((1, 64)), "dvs"), {}),
                                     ((np.zeros((1, 64)), "latency", 0), {})])
def test_bad_arguments_raise(args, kw):
    with pytest.raises(ConfigError):
        render(*args, **kw)


def test_columns_are_the_transpose_of_rows():
    x = np.zeros((2, 64), np.float32)
    x[0, 8 * 3 + 5] = 1.0      # row 3, column 5: input 3 during column 5's steps
    x[1, 8 * 0 + 1] = 0.5      # row 0, column 1
    c = render(x, "columns", 16)
    assert c.shape == (16, 2, 8) and c.dtype == np.float32
    assert np.flatnonzero(c[:, 0, 3]).tolist() == [10, 11]
    assert c[:, 0].sum() == 2
    assert np.flatnonzero(c[:, 1, 0]).tolist() == [2, 3] and c[:, 1].sum() == 2
    xr = _x(5)
    img = xr.reshape(5, 8, 8).transpose(0, 2, 1).reshape(5, 64)
    assert render(xr, "columns", 8).tobytes() == render(img, "rows", 8).tobytes()
    with pytest.raises(ConfigError):
        render(xr, "columns", 12)

"""Measured SC error versus stream length (scnc.sc.analysis)."""

from __future__ import annotations

import math

import pytest

from scnc.errors import ConfigError
from scnc.sc import equal_error_length_ratio, error_stats, format_error_stats

LENGTHS = (16, 32, 64, 128, 256, 512, 1024)


@pytest.fixture(scope="module")
def stats():
    return error_stats(
        ("lfsr", "vdc", "sobol", "random"), LENGTHS, n_trials=128, seed=0, lfsr_width=20
    )


def test_error_stats_shape_and_determinism(stats) -> None:
    assert set(stats) == {"lfsr", "vdc", "sobol", "random"}
    for rows in stats.values():
        assert sorted(rows) == list(LENGTHS)
        for row in rows.values():
            assert set(row) == {f"{m}_{s}" for m in ("encode", "and", "xnor", "split") for s in ("mae", "rmse")}
            assert all(v >= 0 for v in row.values())
    again = error_stats(("sobol",), (16, 64), n_trials=16, seed=3)
    assert again == error_stats(("sobol",), (16, 64), n_trials=16, seed=3)
    assert "sobol" in format_error_stats(again)


def test_low_discrepancy_encoding_is_exact(stats) -> None:
    for kind in ("vdc", "sobol"):
        assert all(stats[kind][L]["encode_mae"] == 0.0 for L in LENGTHS)
    # Random streams are not.
    assert all(stats["random"][L]["encode_mae"] > 0 for L in LENGTHS)


def test_errors_shrink_with_length(stats) -> None:
    for kind in ("lfsr", "sobol", "random"):
        for m in ("and_rmse", "split_rmse", "xnor_rmse"):
            assert stats[kind][1024][m] < 0.35 * stats[kind][16][m]
    # Sobol products converge ~1/L (faster than random's 1/sqrt(L)).
    assert stats["sobol"][1024]["and_rmse"] < 0.5 * stats["random"][1024]["and_rmse"]


def test_xnor_bipolar_needs_longer_streams_than_split_unipolar(stats) -> None:
    for kind in ("lfsr", "sobol", "random"):
        ratio = equal_error_length_ratio(stats, kind)
        assert ratio > 2.0, (kind, ratio)
        for L in LENGTHS:
            assert stats[kind][L]["xnor_rmse"] > 1.5 * stats[kind][L]["split_rmse"]
    # VDC pairs are correlated: their product error does not fall, so no ratio exists.
    assert math.isnan(equal_error_length_ratio(stats, "vdc"))


def test_validation() -> None:
    with pytest.raises(ConfigError, match="kinds"):
        error_stats(("halton",), (16,))
    with pytest.raises(ConfigError, match="stream_lengths"):
        error_stats(("sobol",), (24,))
    with pytest.raises(ConfigError, match="lfsr_width"):
        error_stats(("lfsr",), (1024,), lfsr_width=8)
    with pytest.raises(ConfigError, match="kind"):
        equal_error_length_ratio({}, "lfsr")

"""Decorrelated stream allocation and measured SCC (scnc.sc.streams)."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.sc import (
    LFSRSpec,
    count_table,
    lfsr_streams,
    measure_scc,
    n_primitive_polynomials,
    primitive_taps,
    sequence,
    sobol_streams,
    vdc_streams,
)
from scnc.sc.sng import _lfsr_state_at

LEVELS = tuple(i / 8 for i in range(1, 8))


def _mean_scc(specs, L: int, levels=LEVELS, windows: int = 4) -> float:
    return float(
        np.mean([measure_scc(specs, L, levels, start=t * L)["mean_abs_scc"] for t in range(windows)])
    )


def test_lfsr_streams_structure_and_determinism() -> None:
    specs = lfsr_streams(12, 16, 8, seed=42)
    assert specs == lfsr_streams(12, 16, 8, seed=42)
    assert specs != lfsr_streams(12, 16, 8, seed=43)
    assert len({s.taps for s in specs}) == 12  # different polynomials, not phase shifts
    assert all(s.is_maximal and s.bits == 8 and s.width == 16 for s in specs)
    assert len({s.select for s in specs}) == 12
    # Beyond the number of primitive polynomials (2 for W = 4) the taps repeat, selections differ.
    small = lfsr_streams(5, 4, 3, seed=1)
    assert len({s.taps for s in small}) == n_primitive_polynomials(4) == 2
    assert len(lfsr_streams(40, 16, 8, seed=0, max_polys=4)) == 40
    assert len({s.taps for s in lfsr_streams(40, 16, 8, seed=0, max_polys=4)}) == 4


@pytest.mark.parametrize(("w", "n"), [(16, 8), (20, 10)])
def test_decorrelated_lfsr_streams_beat_phase_shifted_copies(w: int, n: int) -> None:
    """Different taps + per-stream bit selections give lower |SCC| than one register's delayed taps."""
    L, S = 1 << n, 8
    taps = primitive_taps(w)
    base = LFSRSpec(width=w, taps=taps, seed=1, select=tuple(range(n)))
    shifted = [
        LFSRSpec(width=w, taps=taps, seed=_lfsr_state_at(base, i), select=base.select) for i in range(S)
    ]
    for seed in (1, 2):
        dec = _mean_scc(lfsr_streams(S, w, n, seed), L)
        ph = _mean_scc(shifted, L)
        assert dec < 0.85 * ph, (dec, ph)


def test_sobol_streams_exactly_uncorrelated_at_half_scale() -> None:
    for n, S in ((4, 8), (8, 16), (8, 128), (10, 64)):
        specs = sobol_streams(S, n, seed=3)
        assert len({s.directions for s in specs}) == S  # distinct dimensions
        r = measure_scc(specs, 1 << n)
        assert r["max_abs_scc"] == 0.0 and r["n_pairs"] == S * (S - 1) // 2
        for s in specs:  # every stream still encodes exactly
            assert np.array_equal(count_table(s, 1 << n, 2)[0], np.arange((1 << n) + 1))
    # More streams than 2**(n-1) distinct functionals: dimensions repeat.
    specs = sobol_streams(6, 3, seed=0)
    assert len({s.directions for s in specs}) == 4


def test_vdc_streams_are_correlated_as_documented() -> None:
    specs = vdc_streams(6, 8, seed=5)
    assert len({s.xor_mask for s in specs}) == 6
    assert measure_scc(specs, 256)["max_abs_scc"] == 1.0


def test_measure_scc_report() -> None:
    one = measure_scc(lfsr_streams(1, 12, 6, 0), 64)
    assert one["max_abs_scc"] == 0.0 and one["n_pairs"] == 0
    r = measure_scc(lfsr_streams(4, 12, 6, 0), 64, levels=(0.25, 0.5))
    assert 0.0 <= r["mean_abs_scc"] <= r["max_abs_scc"] <= 1.0
    assert r["levels"] == [0.25, 0.5] and r["stream_length"] == 64
    # Identical streams give |SCC| == 1.
    s = lfsr_streams(1, 12, 6, 0)[0]
    assert measure_scc([s, s], 64)["max_abs_scc"] == 1.0
    with pytest.raises(ConfigError, match="specs"):
        measure_scc([], 8)
    with pytest.raises(ConfigError, match="levels"):
        measure_scc([s], 8, levels=(1.5,))


def test_allocation_validation() -> None:
    with pytest.raises(ConfigError, match="bits"):
        lfsr_streams(2, 8, 9, 0)
    with pytest.raises(ConfigError, match="n_streams"):
        sobol_streams(0, 8, 0)
    with pytest.raises(ConfigError, match="seed"):
        vdc_streams(2, 8, -1)


def test_streams_values_in_range() -> None:
    for specs in (lfsr_streams(3, 16, 8, 9), vdc_streams(3, 8, 9), sobol_streams(3, 8, 9)):
        for s in specs:
            v = sequence(s, 1000, 12345)
            assert v.max() < 256

"""Bitstream maths (scnc.sc.bitstream): encoding, SC multiplication, APC, SCC, stochastic rounding."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scnc.errors import ConfigError
from scnc.sc import (
    VdcSpec,
    and_mul,
    apc,
    bipolar_decode,
    bipolar_to_threshold,
    decode,
    encode,
    lfsr_streams,
    probability_to_threshold,
    scc,
    scc_matrix,
    sequence,
    stochastic_round_shift,
    xnor_mul,
)

SETTINGS = settings(max_examples=60, deadline=None)
bitstreams = st.integers(1, 200).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.uint8, n, elements=st.integers(0, 1)),
        hnp.arrays(np.uint8, n, elements=st.integers(0, 1)),
    )
)


def naive_scc(a: np.ndarray, b: np.ndarray) -> float:
    """The definition in exact rational arithmetic, rounded once (floats would lose ~1e-12 when the
    denominator is small, and the comparison must be exact)."""
    n = len(a)
    pa, pb = Fraction(int(a.sum()), n), Fraction(int(b.sum()), n)
    pab = Fraction(int((a & b).sum()), n)
    d = pab - pa * pb
    den = (min(pa, pb) - pa * pb) if d > 0 else (pa * pb - max(pa + pb - 1, 0))
    return 0.0 if den == 0 else float(d / den)


@SETTINGS
@given(ab=bitstreams)
def test_scc_bounds_and_definition(ab) -> None:
    a, b = ab
    s = scc(a, b)
    assert -1.0 <= s <= 1.0
    assert s == naive_scc(a.astype(int), b.astype(int))
    assert scc(b, a) == s
    constant = a.min() == a.max()
    assert scc(a, a) == (0.0 if constant else 1.0)
    if not constant:
        assert scc(a, 1 - a) == -1.0


@SETTINGS
@given(m=hnp.arrays(np.uint8, st.tuples(st.integers(1, 6), st.integers(1, 100)), elements=st.integers(0, 1)))
def test_scc_matrix_matches_pairwise(m: np.ndarray) -> None:
    mat = scc_matrix(m)
    assert mat.shape == (m.shape[0], m.shape[0])
    assert np.array_equal(mat, mat.T)
    for i in range(m.shape[0]):
        for j in range(m.shape[0]):
            assert mat[i, j] == pytest.approx(scc(m[i], m[j]), abs=1e-12)


def test_scc_examples() -> None:
    a = np.array([1, 1, 0, 0, 1, 1, 0, 0], np.uint8)
    b = np.array([1, 0, 1, 0, 1, 0, 1, 0], np.uint8)
    assert scc(a, b) == 0.0  # independent halves
    assert scc(a, np.array([1, 1, 1, 0, 1, 1, 1, 0], np.uint8)) == 1.0  # maximal overlap
    assert scc(np.zeros(8, np.uint8), b) == 0.0  # constant stream: denominator 0
    with pytest.raises(ConfigError, match="b"):
        scc(a, b[:4])
    with pytest.raises(ConfigError, match="a"):
        scc(np.array([0, 2]), np.array([0, 1]))


@SETTINGS
@given(n=st.integers(1, 12), mask=st.integers(0, 4095), data=st.data())
def test_encode_decode_round_trip_exact_for_vdc(n: int, mask: int, data: st.DataObject) -> None:
    L = 1 << n
    q = data.draw(st.integers(0, L))
    bits = encode(sequence(VdcSpec(n, mask % L), L), q)
    assert bits.dtype == np.uint8
    assert decode(bits) == q / L
    assert bipolar_decode(bits) == 2 * q / L - 1
    assert probability_to_threshold(q / L, n) == q
    assert bipolar_to_threshold(2 * q / L - 1, n) == q


@settings(max_examples=15, deadline=None)
@given(qa=st.integers(0, 256), qb=st.integers(0, 256), seed=st.integers(0, 2**32))
def test_and_multiplication_expectation_lfsr(qa: int, qb: int, seed: int) -> None:
    """E[mean(a AND b)] = pa * pb over independent LFSR streams (within 5 standard errors)."""
    n, L, trials = 8, 256, 48
    est = []
    for t in range(trials):
        s1, s2 = lfsr_streams(2, 20, n, seed + t)
        est.append(decode(and_mul(encode(sequence(s1, L), qa), encode(sequence(s2, L), qb))))
    p = qa * qb / L**2
    se = np.sqrt(max(p * (1 - p), 1e-3) / (L * trials))
    assert abs(np.mean(est) - p) < 5 * se


def test_xnor_and_and_truth_tables() -> None:
    a = np.array([0, 0, 1, 1], np.uint8)
    b = np.array([0, 1, 0, 1], np.uint8)
    assert and_mul(a, b).tolist() == [0, 0, 0, 1]
    assert xnor_mul(a, b).tolist() == [1, 0, 0, 1]
    assert xnor_mul(a.astype(bool), b.astype(bool)).dtype == np.uint8


def test_xnor_bipolar_product_exact_with_independent_vdc_halves() -> None:
    # a depends on the low bit of k only, b on the high bits: exactly independent over L cycles.
    L = 64
    k = np.arange(L)
    a = (k % 2).astype(np.uint8)  # x_a = 0
    b = (k < 48).astype(np.uint8)  # x_b = 0.5
    assert bipolar_decode(xnor_mul(a, b)) == 0.0
    a2 = (k % 4 != 0).astype(np.uint8)  # x = 0.5
    assert bipolar_decode(xnor_mul(a2, b)) == 0.25


@SETTINGS
@given(m=hnp.arrays(np.uint8, st.tuples(st.integers(1, 8), st.integers(1, 50)), elements=st.integers(0, 1)))
def test_apc_is_exact_popcount(m: np.ndarray) -> None:
    assert apc(m, axis=0).tolist() == [int(x) for x in m.sum(axis=0)]
    assert apc(m, axis=1).dtype == np.int64
    assert int(apc(m, axis=None)) == int(m.sum())


@SETTINGS
@given(value=st.integers(-(2**40), 2**40), shift=st.integers(0, 10))
def test_stochastic_rounding_unbiased_over_a_full_dither_period(value: int, shift: int) -> None:
    dither = sequence(VdcSpec(max(shift, 1)), 1 << shift) if shift else np.zeros(1, np.uint32)
    r = stochastic_round_shift(value, shift, dither)
    assert int(r.sum()) == value  # Hermite's identity: exactly unbiased
    assert r.min() == value >> shift and r.max() - r.min() <= 1


def test_validation_errors() -> None:
    with pytest.raises(ConfigError, match="values"):
        encode(np.array([0.5]), 1)
    with pytest.raises(ConfigError, match="threshold"):
        encode(np.array([1]), 0.5)
    with pytest.raises(ConfigError, match="p"):
        probability_to_threshold(1.5, 4)
    with pytest.raises(ConfigError, match="x"):
        bipolar_to_threshold(-2, 4)
    with pytest.raises(ConfigError, match="dither"):
        stochastic_round_shift(5, 2, 4)
    with pytest.raises(ConfigError, match="shift"):
        stochastic_round_shift(5, -1, 0)
    with pytest.raises(ConfigError, match="streams"):
        scc_matrix(np.zeros(4, np.uint8))

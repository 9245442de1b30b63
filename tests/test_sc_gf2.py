"""GF(2) polynomial arithmetic, primitivity proofs and the LFSR tap search (scnc.sc.gf2)."""

from __future__ import annotations

import time

import pytest

from scnc.errors import ConfigError
from scnc.sc import gf2
from scnc.sc.gf2 import (
    alternative_taps,
    is_irreducible,
    is_primitive,
    n_primitive_polynomials,
    primitive_polynomial,
    primitive_taps,
    taps_polynomial,
)


def _naive_mod(a: int, p: int) -> int:
    while a.bit_length() >= p.bit_length():
        a ^= p << (a.bit_length() - p.bit_length())
    return a


def _naive_irreducible(p: int) -> bool:
    d = p.bit_length() - 1
    return d >= 1 and all(_naive_mod(p, q) != 0 for q in range(2, 1 << (d // 2 + 1)))


def _naive_primitive(p: int) -> bool:
    """Irreducible and x generates all 2**d - 1 nonzero residues (by stepping)."""
    d = p.bit_length() - 1
    if not _naive_irreducible(p):
        return False
    x, k = 1, 0
    while True:
        x = _naive_mod(x << 1, p)
        k += 1
        if x == 0:  # p == x: x is not a unit
            return False
        if x == 1:
            return k == (1 << d) - 1


def test_checker_matches_brute_force_up_to_degree_9() -> None:
    for p in range(2, 1 << 10):
        assert is_irreducible(p) == _naive_irreducible(p), bin(p)
        assert is_primitive(p) == _naive_primitive(p), bin(p)


@pytest.mark.parametrize("d", range(1, 15))
def test_number_of_primitive_polynomials_matches_euler_phi(d: int) -> None:
    count = sum(is_primitive(p) for p in range(1 << d, 1 << (d + 1)))
    assert count == n_primitive_polynomials(d)


@pytest.mark.parametrize(
    "poly",
    [
        0b11111,  # x^4+x^3+x^2+x+1: irreducible, x has order 5
        0b1001001,  # x^6+x^3+1: irreducible, order 9
        0b100011011,  # x^8+x^4+x^3+x+1 (AES): irreducible, order 51
        0b10001,  # x^4+1 = (x+1)^4
        0b110001,  # x^5+x^4+1 = (x^2+x+1)(x^3+x+1)
        (1 << 16) | 1,  # x^16+1 = (x+1)^16
        (1 << 32) | (1 << 16) | 1,  # x^32+x^16+1 = (x^16+x^8+1)^2
        0b10,  # x
    ],
)
def test_rejects_known_non_primitive(poly: int) -> None:
    assert not is_primitive(poly)


def test_irreducible_but_not_primitive() -> None:
    for p in (0b11111, 0b1001001, 0b100011011):
        assert is_irreducible(p) and not is_primitive(p)
    assert not is_irreducible(0b110001)
    assert is_irreducible(0b111) and is_primitive(0b111)


@pytest.mark.parametrize("w", range(3, 33))
def test_primitive_taps_are_proved_primitive(w: int) -> None:
    taps = primitive_taps(w)
    assert taps[0] == w and list(taps) == sorted(taps, reverse=True)
    assert is_primitive(taps_polynomial(taps))
    # The order of x divides 2**w - 1 and no proper divisor: recheck directly.
    p, n = taps_polynomial(taps), (1 << w) - 1
    assert gf2.poly_powmod(2, n, p) == 1
    for q in gf2.prime_factors(n):
        assert gf2.poly_powmod(2, n // q, p) != 1


def test_first_in_search_order() -> None:
    # Search order: fewest terms, then lexicographically smallest descending tuple.
    assert primitive_taps(3) == (3, 1)
    assert primitive_taps(4) == (4, 1)
    assert primitive_taps(5) == (5, 2)
    for w in range(3, 33):
        taps = primitive_taps(w)
        for cand in gf2._tap_candidates(w):
            if cand == taps:
                break
            assert not is_primitive(taps_polynomial(cand))


def test_all_widths_fast_from_cold_cache() -> None:
    gf2._ALT_CACHE.clear()
    gf2._ALT_ITER.clear()
    gf2.is_primitive.cache_clear()
    t0 = time.perf_counter()
    for w in range(3, 33):
        primitive_taps(w)
    assert time.perf_counter() - t0 < 1.0


def test_alternative_taps_distinct_and_primitive() -> None:
    for w in (3, 8, 16, 24, 32):
        count = min(8, n_primitive_polynomials(w))
        alts = alternative_taps(w, count)
        assert alts[0] == primitive_taps(w)
        assert len(set(alts)) == count
        assert all(is_primitive(taps_polynomial(t)) for t in alts)
    assert len(alternative_taps(8, 16)) == 16 == n_primitive_polynomials(8)
    with pytest.raises(ConfigError, match="count"):
        alternative_taps(8, 17)
    with pytest.raises(ConfigError, match="width"):
        primitive_taps(33)
    with pytest.raises(ConfigError, match="width"):
        primitive_taps(2)


def test_primitive_polynomial_enumeration() -> None:
    first = [primitive_polynomial(i) for i in range(8)]
    assert first == [0b11, 0b111, 0b1011, 0b1101, 0b10011, 0b11001, 0b100101, 0b101001]
    degs = [gf2.degree(primitive_polynomial(i)) for i in range(200)]
    assert degs == sorted(degs)
    assert all(is_primitive(primitive_polynomial(i)) for i in range(200))
    with pytest.raises(ConfigError, match="index"):
        primitive_polynomial(-1)

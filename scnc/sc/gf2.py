"""Polynomials over GF(2): irreducibility, primitivity, LFSR tap search, Sobol polynomials.

A polynomial is a Python ``int`` whose bit ``i`` is the coefficient of ``x**i``; e.g.
``0b1011`` is ``x**3 + x + 1``. Everything here is exact integer arithmetic, deterministic
and memoized; nothing is copied from a table: every polynomial returned is *proved* primitive
by :func:`is_primitive`.

LFSR taps
---------
The LFSR of :class:`scnc.sc.LFSRSpec` with ``taps = (W, t_1, ..., t_r)`` (descending) has the
feedback polynomial ``p(x) = x**W + x**t_1 + ... + x**t_r + 1`` (:func:`taps_polynomial`).
Its output bit sequence satisfies ``a[k] = XOR_{t in taps} a[k - t]``, whose characteristic
polynomial is the reciprocal of ``p``; a polynomial is primitive iff its reciprocal is, so the
register has the maximal period ``2**W - 1`` iff ``p`` is primitive.

Search order (:func:`primitive_taps`, :func:`alternative_taps`): by number of terms first
(trinomials, then pentanomials, then 7 terms, ...), then lexicographically smallest descending
tap tuple, e.g. ``(W, 1) < (W, 2) < ...`` and ``(W, 3, 2, 1) < (W, 4, 2, 1) < (W, 4, 3, 1)``.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import ConfigError

__all__ = [
    "MAX_LFSR_WIDTH",
    "MIN_LFSR_WIDTH",
    "alternative_taps",
    "degree",
    "is_irreducible",
    "is_primitive",
    "n_primitive_polynomials",
    "poly_gcd",
    "poly_mulmod",
    "poly_powmod",
    "prime_factors",
    "primitive_polynomial",
    "primitive_taps",
    "taps_polynomial",
]

MIN_LFSR_WIDTH = 3
"""Smallest LFSR width (bits) for which :func:`primitive_taps` searches."""
MAX_LFSR_WIDTH = 32
"""Largest LFSR width (bits); states and outputs fit in ``uint32``."""


def degree(p: int) -> int:
    """Degree of polynomial ``p`` (``-1`` for the zero polynomial)."""
    return p.bit_length() - 1


def poly_mulmod(a: int, b: int, p: int) -> int:
    """``a * b mod p`` over GF(2); ``a`` must already be reduced (``degree(a) < degree(p)``)."""
    d = degree(p)
    top = 1 << d
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & top:
            a ^= p
    return r


def poly_powmod(a: int, e: int, p: int) -> int:
    """``a ** e mod p`` over GF(2) by square-and-multiply (``e >= 0``)."""
    if e < 0:
        raise ConfigError(f"exponent: expected >= 0, got {e!r}")
    result = 1 if degree(p) > 0 else 0
    base = _mod(a, p)
    while e:
        if e & 1:
            result = poly_mulmod(result, base, p)
        e >>= 1
        if e:
            base = poly_mulmod(base, base, p)
    return result


def _mod(a: int, p: int) -> int:
    dp = degree(p)
    while degree(a) >= dp:
        a ^= p << (degree(a) - dp)
    return a


def poly_gcd(a: int, b: int) -> int:
    """Greatest common divisor of two GF(2) polynomials (monic, i.e. the plain int)."""
    while b:
        a, b = b, _mod(a, b)
    return a


@lru_cache(maxsize=None)
def prime_factors(n: int) -> tuple[int, ...]:
    """Distinct prime factors of ``n >= 1`` in ascending order, by trial division."""
    if n < 1:
        raise ConfigError(f"n: expected an integer >= 1, got {n!r}")
    out = []
    if n % 2 == 0:
        out.append(2)
        while n % 2 == 0:
            n //= 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            out.append(f)
            while n % f == 0:
                n //= f
        f += 2
    if n > 1:
        out.append(n)
    return tuple(out)


def is_irreducible(p: int) -> bool:
    """Whether ``p`` (degree >= 1) is irreducible over GF(2).

    Ben-Or's test: ``p`` of degree ``d`` is irreducible iff ``gcd(x**(2**i) - x, p) == 1`` for
    ``i = 1 .. d // 2`` (no factor of degree ``<= d/2``). Most reducible polynomials have a small
    factor and are rejected in the first steps.
    """
    d = degree(p)
    if d < 1:
        return False
    if d == 1:
        return True
    if not p & 1:  # divisible by x
        return False
    h = 2  # x
    for _ in range(d // 2):
        h = poly_mulmod(h, h, p)
        if poly_gcd(p, h ^ 2) != 1:
            return False
    return True


@lru_cache(maxsize=None)
def is_primitive(p: int) -> bool:
    """Whether ``p`` (degree ``d >= 1``) is primitive over GF(2).

    ``p`` is primitive iff it is irreducible and the multiplicative order of ``x`` modulo ``p`` is
    ``N = 2**d - 1``: ``x**N == 1`` and ``x**(N/q) != 1`` for every prime factor ``q`` of ``N``
    (factored by trial division, memoized).
    """
    d = degree(p)
    if d < 1 or not is_irreducible(p):
        return False
    if d == 1:
        return p == 0b11  # x + 1: x == 1, order 1 == 2**1 - 1
    n = (1 << d) - 1
    if poly_powmod(2, n, p) != 1:
        return False
    return all(poly_powmod(2, n // q, p) != 1 for q in prime_factors(n))


def n_primitive_polynomials(degree_: int) -> int:
    """Number of primitive polynomials of degree ``d >= 1`` over GF(2): ``phi(2**d - 1) / d``."""
    if isinstance(degree_, bool) or not isinstance(degree_, int) or degree_ < 1:
        raise ConfigError(f"degree: expected an int >= 1, got {degree_!r}")
    n = (1 << degree_) - 1
    phi = n
    for q in prime_factors(n):
        phi = phi // q * (q - 1)
    return phi // degree_


def taps_polynomial(taps: tuple[int, ...]) -> int:
    """Feedback polynomial ``sum_{t in taps} x**t + 1`` of an LFSR tap tuple."""
    p = 1
    for t in taps:
        p |= 1 << t
    return p


def _check_width(width: int) -> None:
    if isinstance(width, bool) or not isinstance(width, int):
        raise ConfigError(f"width: expected an int, got {width!r}")
    if not MIN_LFSR_WIDTH <= width <= MAX_LFSR_WIDTH:
        raise ConfigError(
            f"width: expected {MIN_LFSR_WIDTH} <= width <= {MAX_LFSR_WIDTH} bits, got {width}"
        )


def _tap_candidates(width: int):
    """All tap tuples ``(width, ...)`` with an odd number of terms, in search order."""
    # An even number of terms (counting the constant 1) means p(1) == 0: divisible by x + 1.
    for r in range(1, width, 2):  # r lower taps -> r + 2 terms (odd)
        # Lexicographic order of the descending tuple == combinations of descending values
        # ordered by (first, second, ...) ascending.
        for combo in _descending_combinations(width - 1, r):
            yield (width, *combo)


def _descending_combinations(top: int, r: int):
    """Descending r-tuples of distinct ints in [1, top], lexicographically ascending."""
    if r == 0:
        yield ()
        return
    for first in range(r, top + 1):
        for rest in _descending_combinations(first - 1, r - 1):
            yield (first, *rest)


_ALT_CACHE: dict[int, list[tuple[int, ...]]] = {}
_ALT_ITER: dict[int, object] = {}


def _primitive_taps_upto(width: int, count: int) -> list[tuple[int, ...]]:
    found = _ALT_CACHE.setdefault(width, [])
    it = _ALT_ITER.setdefault(width, _tap_candidates(width))
    while len(found) < count:
        taps = next(it, None)
        if taps is None:
            break
        if is_primitive(taps_polynomial(taps)):
            found.append(taps)
    return found[:count]


def primitive_taps(width: int) -> tuple[int, ...]:
    """Taps of the first maximal-length LFSR of ``width`` bits in the documented search order.

    Parameters
    ----------
    width:
        Register width W in bits, ``3 <= W <= 32``.

    Returns
    -------
    tuple of int
        Descending exponents ``(W, ...)`` of ``p(x) = sum x**t + 1``, proved primitive;
        e.g. ``primitive_taps(3) == (3, 1)`` and ``primitive_taps(8) == (8, 4, 3, 2)``.
    """
    _check_width(width)
    return _primitive_taps_upto(width, 1)[0]


def alternative_taps(width: int, count: int) -> list[tuple[int, ...]]:
    """The first ``count`` distinct primitive tap tuples of ``width`` bits (search order).

    ``alternative_taps(W, k)[0] == primitive_taps(W)``. Used to decorrelate LFSR streams by
    giving them different feedback polynomials.

    Raises
    ------
    ConfigError
        If ``count < 1`` or fewer than ``count`` primitive polynomials of degree W exist
        (there are ``phi(2**W - 1) / W``).
    """
    _check_width(width)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError(f"count: expected an int >= 1, got {count!r}")
    found = _primitive_taps_upto(width, count)
    if len(found) < count:
        raise ConfigError(
            f"count: only {len(found)} primitive polynomials of degree {width} exist, got {count}"
        )
    return list(found)


_PRIM_LIST: list[int] = []
_PRIM_NEXT = [2]  # next candidate polynomial (as int) to test; 2 == x (degree 1, skipped)


def primitive_polynomial(index: int) -> int:
    """The ``index``-th primitive polynomial over GF(2), 0-based.

    Enumeration: degree ascending, then integer value ascending (``x + 1``, ``x**2 + x + 1``,
    ``x**3 + x + 1``, ``x**3 + x**2 + 1``, ``x**4 + x + 1``, ...). Sobol dimension ``d >= 1``
    uses ``primitive_polynomial(d - 1)``.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ConfigError(f"index: expected an int >= 0, got {index!r}")
    while len(_PRIM_LIST) <= index:
        p = _PRIM_NEXT[0]
        _PRIM_NEXT[0] = p + 1
        # Beyond degree 1 a primitive polynomial has a constant term and an odd number of terms.
        if p == 0b11 or (p & 1 and bin(p).count("1") % 2 == 1 and is_primitive(p)):
            _PRIM_LIST.append(p)
    return _PRIM_LIST[index]


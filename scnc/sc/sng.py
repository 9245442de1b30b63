"""Stochastic number generators (SNGs): the exact sequences that the IR, ``scnc.ref`` and the RTL share.

An SNG produces n-bit unsigned values ``R[k]`` for cycle ``k = 0, 1, 2, ...``; a bitstream of a
value with threshold ``q`` is ``b[k] = R[k] < q`` (:func:`scnc.sc.encode`). The definitions
below are a contract: hardware and reference model implement exactly these formulas.

LFSR (:class:`LFSRSpec`)
    Fibonacci register of ``W`` bits, state ``!= 0``, ``state_0 = seed``. One update::

        fb     = XOR_{t in taps} bit(state, t - 1)
        state' = ((state << 1) | fb) & (2**W - 1)

    Output ``R[k] = sum_b bit(state_k, select[b]) << b`` with ``n = len(select)`` bits.
    ``taps`` are the exponents of the feedback polynomial ``x**W + ... + 1`` other than the
    constant, descending, starting with ``W`` (e.g. ``(16, 5, 3, 2)``).

Van der Corput (:class:`VdcSpec`)
    ``R[k] = bitreverse_n(k mod 2**n) XOR xor_mask`` (a bit-reversed counter).

Sobol (:class:`SobolSpec`)
    Natural (not Gray-code) order: ``R[k] = (XOR_{b : bit b of (k mod 2**n) is 1} v_b) XOR xor_mask``
    with n-bit direction integers ``v_0 .. v_{n-1}`` (:func:`sobol_directions`).

Bit layout of an LFSR state (W = 8) and one output selection (n = 4)::

    state  : b7 b6 b5 b4 b3 b2 b1 b0     shift left, fb enters at b0
    select = (2, 7, 0, 5)  ->  R = b5 b0 b7 b2   (R bit 0 = state bit select[0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Union

import numpy as np

from ..errors import ConfigError
from . import _kernels
from ._mix import derive
from .gf2 import MAX_LFSR_WIDTH, degree, is_primitive, primitive_polynomial, taps_polynomial

__all__ = [
    "LFSRSpec",
    "MAX_BITS",
    "SNGSpec",
    "SobolSpec",
    "VdcSpec",
    "count_table",
    "lfsr_period",
    "sequence",
    "sobol_directions",
    "spec_from_dict",
]

MAX_BITS = 32
"""Largest output width n (bits) of any SNG; values are ``uint32``."""

_JUMP_ITERATE_BELOW = 1 << 12  # LFSR starts below this are reached by stepping, above by jumping


def _int_field(value: Any, field: str, lo: int, hi: int) -> int:
    """``value`` as a Python int in ``[lo, hi]``; bools, floats and strings are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{field}: expected an integer, got {value!r}")
    v = int(value)
    if not lo <= v <= hi:
        raise ConfigError(f"{field}: expected {lo} <= value <= {hi}, got {v}")
    return v


def _int_tuple(value: Any, field: str, lo: int, hi: int) -> tuple[int, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ConfigError(f"{field}: expected a list of integers, got {value!r}")
    return tuple(_int_field(v, f"{field}[{i}]", lo, hi) for i, v in enumerate(value))


@dataclass(frozen=True)
class LFSRSpec:
    """A Fibonacci LFSR SNG (see the module docstring for the exact update and output).

    Parameters
    ----------
    width:
        Register width W in bits, ``2 <= W <= 32``.
    taps:
        Descending exponents ``(W, t_1, ..., t_r)`` of the feedback polynomial
        ``x**W + x**t_1 + ... + x**t_r + 1``; each ``t`` in ``[1, W]``. Maximal length (period
        ``2**W - 1`` cycles) iff the polynomial is primitive (:func:`scnc.sc.is_primitive`);
        not required here, see :attr:`is_maximal`.
    seed:
        Initial state ``state_0``, ``1 <= seed < 2**W``.
    select:
        Distinct state bit positions in ``[0, W)``; ``select[b]`` drives output bit ``b``.
        ``bits == len(select)``, ``1 <= bits <= min(W, 32)``.
    """

    kind: ClassVar[str] = "lfsr"
    width: int
    taps: tuple[int, ...]
    seed: int
    select: tuple[int, ...]

    def __post_init__(self) -> None:
        w = _int_field(self.width, "width", 2, MAX_LFSR_WIDTH)
        taps = _int_tuple(self.taps, "taps", 1, w)
        if not taps or taps[0] != w:
            raise ConfigError(f"taps: expected a tuple starting with width {w}, got {taps!r}")
        if any(a <= b for a, b in zip(taps, taps[1:])):
            raise ConfigError(f"taps: expected strictly descending exponents, got {taps!r}")
        seed = _int_field(self.seed, "seed", 1, (1 << w) - 1)
        select = _int_tuple(self.select, "select", 0, w - 1)
        if not 1 <= len(select) <= min(w, MAX_BITS):
            raise ConfigError(f"select: expected 1..{min(w, MAX_BITS)} positions, got {len(select)}")
        if len(set(select)) != len(select):
            raise ConfigError(f"select: expected distinct bit positions, got {select!r}")
        object.__setattr__(self, "width", w)
        object.__setattr__(self, "taps", taps)
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "select", select)

    @property
    def bits(self) -> int:
        """Output width n in bits (``len(select)``)."""
        return len(self.select)

    @property
    def tapmask(self) -> int:
        """Mask with bit ``t - 1`` set for each tap ``t``: ``fb = parity(state & tapmask)``."""
        m = 0
        for t in self.taps:
            m |= 1 << (t - 1)
        return m

    @property
    def is_maximal(self) -> bool:
        """Whether the feedback polynomial is primitive (state period ``2**W - 1`` cycles)."""
        return is_primitive(taps_polynomial(self.taps))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; :func:`spec_from_dict` inverts it exactly."""
        return {
            "kind": self.kind,
            "width": self.width,
            "taps": list(self.taps),
            "seed": self.seed,
            "select": list(self.select),
        }


@dataclass(frozen=True)
class VdcSpec:
    """Van der Corput / bit-reversed counter: ``R[k] = bitreverse_n(k mod 2**n) XOR xor_mask``.

    Parameters
    ----------
    bits:
        Output width n in bits, ``1 <= n <= 32``; period ``2**n`` cycles.
    xor_mask:
        n-bit mask XORed into every value (a digital shift; keeps the permutation property).
    """

    kind: ClassVar[str] = "vdc"
    bits: int
    xor_mask: int = 0

    def __post_init__(self) -> None:
        n = _int_field(self.bits, "bits", 1, MAX_BITS)
        object.__setattr__(self, "bits", n)
        object.__setattr__(self, "xor_mask", _int_field(self.xor_mask, "xor_mask", 0, (1 << n) - 1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; :func:`spec_from_dict` inverts it exactly."""
        return {"kind": self.kind, "bits": self.bits, "xor_mask": self.xor_mask}


@dataclass(frozen=True)
class SobolSpec:
    """One Sobol dimension in natural order (see the module docstring).

    Parameters
    ----------
    bits:
        Output width n in bits, ``1 <= n <= 32``; period ``2**n`` cycles.
    directions:
        ``(v_0, ..., v_{n-1})``, each an n-bit integer. With linearly independent directions
        (as :func:`sobol_directions` gives) every aligned block of ``2**n`` values is a
        permutation of ``0 .. 2**n - 1``.
    xor_mask:
        n-bit mask XORed into every value.
    """

    kind: ClassVar[str] = "sobol"
    bits: int
    directions: tuple[int, ...]
    xor_mask: int = 0

    def __post_init__(self) -> None:
        n = _int_field(self.bits, "bits", 1, MAX_BITS)
        dirs = _int_tuple(self.directions, "directions", 0, (1 << n) - 1)
        if len(dirs) != n:
            raise ConfigError(f"directions: expected {n} direction integers, got {len(dirs)}")
        object.__setattr__(self, "bits", n)
        object.__setattr__(self, "directions", dirs)
        object.__setattr__(self, "xor_mask", _int_field(self.xor_mask, "xor_mask", 0, (1 << n) - 1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; :func:`spec_from_dict` inverts it exactly."""
        return {
            "kind": self.kind,
            "bits": self.bits,
            "directions": list(self.directions),
            "xor_mask": self.xor_mask,
        }


SNGSpec = Union[LFSRSpec, VdcSpec, SobolSpec]
_KINDS: dict[str, type] = {"lfsr": LFSRSpec, "vdc": VdcSpec, "sobol": SobolSpec}
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind -> (required, optional)
    "lfsr": ({"width", "taps", "seed", "select"}, set()),
    "vdc": ({"bits"}, {"xor_mask"}),
    "sobol": ({"bits", "directions"}, {"xor_mask"}),
}


def spec_from_dict(d: Mapping[str, Any]) -> SNGSpec:
    """Rebuild an SNG spec from :meth:`to_dict` output, validating every field.

    Raises
    ------
    ConfigError
        Naming the field: unknown ``kind``, missing or unknown keys, wrong types or ranges.
    """
    if not isinstance(d, Mapping):
        raise ConfigError(f"sng: expected a mapping, got {type(d).__name__}")
    kind = d.get("kind")
    if kind not in _KINDS:
        raise ConfigError(f"kind: expected one of {sorted(_KINDS)}, got {kind!r}")
    required, optional = _FIELDS[kind]
    keys = set(d) - {"kind"}
    missing = sorted(required - keys)
    if missing:
        raise ConfigError(f"{missing[0]}: missing from {kind} spec")
    unknown = sorted(keys - required - optional)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown field for a {kind} spec")
    for key in ("taps", "select", "directions"):
        if key in keys and not isinstance(d[key], (list, tuple)):
            raise ConfigError(f"{key}: expected a list of integers, got {d[key]!r}")
    return _KINDS[kind](**{k: d[k] for k in keys})


def _check_spec(spec: Any) -> None:
    if not isinstance(spec, (LFSRSpec, VdcSpec, SobolSpec)):
        raise ConfigError(f"spec: expected LFSRSpec, VdcSpec or SobolSpec, got {spec!r}")


def sequence(spec: SNGSpec, n_values: int, start: int = 0) -> np.ndarray:
    """SNG values ``R[start], ..., R[start + n_values - 1]``.

    Parameters
    ----------
    spec:
        The generator.
    n_values:
        Number of values (cycles), ``>= 0``.
    start:
        Index of the first value (cycles, ``>= 0``). For an LFSR the register is first advanced
        ``start`` steps (companion-matrix jump); for VDC / Sobol ``k`` is taken mod ``2**n``.

    Returns
    -------
    numpy.ndarray
        ``uint32`` array of shape ``(n_values,)``, each value in ``[0, 2**spec.bits)``.
    """
    _check_spec(spec)
    n_values = _int_field(n_values, "n_values", 0, 1 << 40)
    start = _int_field(start, "start", 0, (1 << 63) - 1)
    if isinstance(spec, LFSRSpec):
        state = _lfsr_state_at(spec, start)
        select = np.asarray(spec.select, dtype=np.int64)
        out, _ = _kernels.lfsr_values(
            np.int64(state), np.int64(spec.tapmask), np.int64(spec.width), select, n_values
        )
        return out
    n = spec.bits
    if isinstance(spec, VdcSpec):
        dirs = np.array([1 << (n - 1 - b) for b in range(n)], dtype=np.int64)
    else:
        dirs = np.asarray(spec.directions, dtype=np.int64)
    period = 1 << n
    k = (np.arange(n_values, dtype=np.int64) + (start % period)) % period
    out = _kernels.xor_directions(k, dirs, n)
    if spec.xor_mask:
        out ^= np.uint32(spec.xor_mask)
    return out


def _lfsr_state_at(spec: LFSRSpec, start: int) -> int:
    """LFSR state after ``start`` updates from the seed."""
    tm, w = np.int64(spec.tapmask), np.int64(spec.width)
    if start == 0:
        return spec.seed
    if start < _JUMP_ITERATE_BELOW:
        _, s = _kernels.lfsr_values(np.int64(spec.seed), tm, w, np.zeros(1, np.int64), start)
        return int(s)
    return int(_kernels.lfsr_jump(np.int64(spec.seed), tm, w, np.int64(start)))


def lfsr_period(spec: LFSRSpec, limit: int | None = None) -> int:
    """Measured state period of an LFSR (cycles), by iteration; ``-1`` if above ``limit``.

    ``limit`` defaults to ``2**W - 1`` (the longest possible period of a nonzero state).
    """
    if not isinstance(spec, LFSRSpec):
        raise ConfigError(f"spec: expected an LFSRSpec, got {spec!r}")
    if limit is None:
        limit = (1 << spec.width) - 1
    limit = _int_field(limit, "limit", 1, 1 << 40)
    return int(
        _kernels.lfsr_period(
            np.int64(spec.seed), np.int64(spec.tapmask), np.int64(spec.width), np.int64(limit)
        )
    )


def count_table(spec: SNGSpec, stream_length: int, n_windows: int, start: int = 0) -> np.ndarray:
    """Per-window comparator counts: the number of 1s a threshold gives in each window.

    ``table[t, m] = #{j in [0, L) : R[start + t*L + j] < m}`` for ``m = 0 .. L``: the count of
    the stream ``R < m`` over window ``t`` of ``L`` cycles (one SNN time step). With VDC or Sobol
    and ``start`` a multiple of L, ``table[t, m] == m`` exactly.

    Parameters
    ----------
    spec:
        The generator; ``spec.bits`` must equal ``log2(stream_length)``.
    stream_length:
        L in cycles, a power of two ``>= 2``.
    n_windows:
        Number of consecutive windows (time steps), ``>= 1``.
    start:
        Cycle index of the first window's first value.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(n_windows, L + 1)``, non-decreasing along axis 1,
        ``table[:, 0] == 0`` and ``table[:, L] == L``.
    """
    _check_spec(spec)
    L = _int_field(stream_length, "stream_length", 2, 1 << MAX_BITS)
    if L & (L - 1):
        raise ConfigError(f"stream_length: expected a power of two, got {L}")
    if spec.bits != L.bit_length() - 1:
        raise ConfigError(
            f"stream_length: spec has {spec.bits} bits so L must be {1 << spec.bits}, got {L}"
        )
    n_windows = _int_field(n_windows, "n_windows", 1, 1 << 32)
    vals = sequence(spec, L * n_windows, start).astype(np.int64)
    idx = vals + np.repeat(np.arange(n_windows, dtype=np.int64) * L, L)
    hist = np.bincount(idx, minlength=n_windows * L).reshape(n_windows, L)
    table = np.zeros((n_windows, L + 1), dtype=np.int64)
    np.cumsum(hist, axis=1, out=table[:, 1:])
    return table


def _sobol_initial_m(dim: int, i: int) -> int:
    """Initial direction integer ``m_i`` (odd, ``< 2**i``) of Sobol dimension ``dim >= 1``."""
    return 2 * (derive(dim, i) % (1 << (i - 1))) + 1


def _sobol_m(poly: int, initial: tuple[int, ...], count: int) -> list[int]:
    """``m_1 .. m_count`` from the Sobol recurrence of primitive ``poly`` of degree ``s``.

    With ``poly = x**s + a_1 x**(s-1) + ... + a_{s-1} x + 1`` and ``i > s``::

        m_i = 2 a_1 m_{i-1} ^ 4 a_2 m_{i-2} ^ ... ^ 2**(s-1) a_{s-1} m_{i-s+1}
              ^ 2**s m_{i-s} ^ m_{i-s}
    """
    s = degree(poly)
    m = list(initial[:s])
    for i in range(s, count):  # 0-based: m[i] is m_{i+1}
        v = m[i - s] ^ (m[i - s] << s)
        for j in range(1, s):
            if (poly >> (s - j)) & 1:
                v ^= m[i - j] << j
        m.append(v)
    return m[:count]


def sobol_directions(dim: int, bits: int) -> tuple[int, ...]:
    """Direction integers ``(v_0, ..., v_{n-1})`` of Sobol dimension ``dim`` with ``n = bits``.

    ``v_b = m_{b+1} << (n - 1 - b)`` where ``m_i`` is odd and ``< 2**i``:

    - ``dim == 0``: ``m_i = 1`` for all i, so ``v_b = 1 << (n - 1 - b)`` (== Van der Corput).
    - ``dim >= 1``: polynomial ``p = primitive_polynomial(dim - 1)`` of degree ``s`` (degree
      ascending, then value: ``x+1``, ``x^2+x+1``, ``x^3+x+1``, ...). Initial values for
      ``i = 1 .. s``: ``m_i = 2 * (derive(dim, i) mod 2**(i-1)) + 1`` with
      ``derive(dim, i) = splitmix64(splitmix64(dim) XOR i)`` (so ``m_1 = 1``); then the standard
      recurrence (see ``_sobol_m``) for ``i > s``.

    Because ``v_b`` has its lowest set bit at position ``n - 1 - b``, the directions are linearly
    independent: every aligned block of ``2**n`` values is a permutation of ``0 .. 2**n - 1``.
    Dimensions 0 and 1 together form a (0, n, 2)-net in base 2.
    """
    dim = _int_field(dim, "dim", 0, 1 << 20)
    n = _int_field(bits, "bits", 1, MAX_BITS)
    if dim == 0:
        m = [1] * n
    else:
        poly = primitive_polynomial(dim - 1)
        s = degree(poly)
        initial = tuple(_sobol_initial_m(dim, i) for i in range(1, min(s, n) + 1))
        m = initial if n <= s else tuple(_sobol_m(poly, initial, n))
    return tuple(int(m[b]) << (n - 1 - b) for b in range(n))

"""SNG sequences, specs and count tables (scnc.sc.sng): the contract ref and RTL implement."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError
from scnc.sc import (
    LFSRSpec,
    SobolSpec,
    VdcSpec,
    alternative_taps,
    count_table,
    lfsr_period,
    n_primitive_polynomials,
    primitive_taps,
    sequence,
    sobol_directions,
    spec_from_dict,
)
from scnc.sc.sng import _sobol_m

SETTINGS = settings(max_examples=40, deadline=None)


def naive_lfsr(width: int, taps: tuple[int, ...], seed: int, select: tuple[int, ...], n: int) -> list[int]:
    """The LFSR contract written out literally in Python."""
    state, out = seed, []
    for _ in range(n):
        out.append(sum(((state >> s) & 1) << b for b, s in enumerate(select)))
        fb = 0
        for t in taps:
            fb ^= (state >> (t - 1)) & 1
        state = ((state << 1) | fb) & ((1 << width) - 1)
    return out


def naive_vdc(n: int, mask: int, k: int) -> int:
    k %= 1 << n
    return int(format(k, f"0{n}b")[::-1], 2) ^ mask


def naive_sobol(dirs: tuple[int, ...], mask: int, k: int) -> int:
    n = len(dirs)
    k %= 1 << n
    v = 0
    for b in range(n):
        if (k >> b) & 1:
            v ^= dirs[b]
    return v ^ mask


@pytest.mark.parametrize("w", range(3, 21))
def test_lfsr_measured_period_is_maximal(w: int) -> None:
    spec = LFSRSpec(width=w, taps=primitive_taps(w), seed=1, select=(0,))
    assert lfsr_period(spec) == (1 << w) - 1
    assert spec.is_maximal


def test_lfsr_non_primitive_period_is_short() -> None:
    spec = LFSRSpec(width=4, taps=(4, 3, 2, 1), seed=1, select=(0, 1))  # x^4+..+1: order 5
    assert lfsr_period(spec) == 5
    assert not spec.is_maximal


@SETTINGS
@given(
    w=st.integers(3, 32),
    data=st.data(),
)
def test_lfsr_matches_naive_contract(w: int, data: st.DataObject) -> None:
    alts = alternative_taps(w, min(4, n_primitive_polynomials(w)))
    taps = data.draw(st.sampled_from(alts))
    seed = data.draw(st.integers(1, (1 << w) - 1))
    n = data.draw(st.integers(1, min(w, 32)))
    select = tuple(data.draw(st.permutations(range(w)))[:n])
    spec = LFSRSpec(width=w, taps=taps, seed=seed, select=select)
    got = sequence(spec, 300)
    assert got.dtype == np.uint32
    assert got.tolist() == naive_lfsr(w, taps, seed, select, 300)
    start = data.draw(st.integers(0, 20000))
    assert sequence(spec, 7, start).tolist() == naive_lfsr(w, taps, seed, select, start + 7)[start:]


def test_lfsr_jump_equals_stepping_and_wraps_period() -> None:
    w = 12
    spec = LFSRSpec(width=w, taps=primitive_taps(w), seed=0x5A5, select=tuple(range(w)))
    full = sequence(spec, 20000)
    for start in (4095, 4096, 5000, 12345, 19990):
        assert np.array_equal(sequence(spec, 10, start), full[start : start + 10])
    period = (1 << w) - 1
    big = 10**15 + 3
    assert np.array_equal(sequence(spec, 16, big), sequence(spec, 16, big % period))
    # All nonzero W-bit states appear once per period.
    assert sorted(full[:period].tolist()) == list(range(1, 1 << w))


def test_lfsr_first_values() -> None:
    spec = LFSRSpec(width=8, taps=(8, 4, 3, 2), seed=1, select=tuple(range(8)))
    assert sequence(spec, 10).tolist() == [1, 2, 5, 11, 22, 44, 88, 177, 99, 199]


@SETTINGS
@given(n=st.integers(1, 16), mask=st.integers(0, 2**16 - 1), start=st.integers(0, 2**40), count=st.integers(0, 50))
def test_vdc_matches_naive(n: int, mask: int, start: int, count: int) -> None:
    mask %= 1 << n
    got = sequence(VdcSpec(bits=n, xor_mask=mask), count, start)
    assert got.tolist() == [naive_vdc(n, mask, start + i) for i in range(count)]


@SETTINGS
@given(dim=st.integers(0, 300), n=st.integers(1, 20), mask=st.integers(0, 2**20 - 1), start=st.integers(0, 2**40))
def test_sobol_matches_naive(dim: int, n: int, mask: int, start: int) -> None:
    mask %= 1 << n
    dirs = sobol_directions(dim, n)
    got = sequence(SobolSpec(bits=n, directions=dirs, xor_mask=mask), 40, start)
    assert got.tolist() == [naive_sobol(dirs, mask, start + i) for i in range(40)]


def test_sobol_dim0_is_vdc_and_dim1_classic() -> None:
    for n in (1, 5, 12):
        assert sobol_directions(0, n) == tuple(1 << (n - 1 - b) for b in range(n))
        assert np.array_equal(
            sequence(SobolSpec(n, sobol_directions(0, n)), 3000), sequence(VdcSpec(n), 3000)
        )
    # x + 1 with m_1 = 1: the classic second Sobol dimension m = 1, 3, 5, 15, 17, 51, 85, 255.
    assert _sobol_m(0b11, (1,), 8) == [1, 3, 5, 15, 17, 51, 85, 255]
    n = 8
    assert sobol_directions(1, n) == tuple(m << (n - 1 - b) for b, m in enumerate([1, 3, 5, 15, 17, 51, 85, 255]))


def test_sobol_m_odd_and_bounded() -> None:
    for dim in range(0, 200):
        dirs = sobol_directions(dim, 16)
        for b, v in enumerate(dirs):
            m = v >> (16 - 1 - b)
            assert m << (16 - 1 - b) == v and m % 2 == 1 and m < (1 << (b + 1))


@SETTINGS
@given(
    kind=st.sampled_from(["vdc", "sobol"]),
    n=st.integers(1, 10),
    dim=st.integers(0, 60),
    mask=st.integers(0, 1023),
    block=st.integers(0, 10**6),
    data=st.data(),
)
def test_aligned_blocks_are_permutations(kind: str, n: int, dim: int, mask: int, block: int, data: st.DataObject) -> None:
    L = 1 << n
    mask %= L
    spec = VdcSpec(n, mask) if kind == "vdc" else SobolSpec(n, sobol_directions(dim, n), mask)
    vals = sequence(spec, L, block * L)
    assert np.array_equal(np.sort(vals), np.arange(L, dtype=np.uint32))
    m = data.draw(st.integers(0, L))
    assert int(np.count_nonzero(vals < m)) == m  # exact encoding
    table = count_table(spec, L, 3, block * L)
    assert np.array_equal(table, np.tile(np.arange(L + 1), (3, 1)))


@SETTINGS
@given(n=st.integers(1, 9), m1=st.integers(0, 2**20), m2=st.integers(0, 2**20), data=st.data())
def test_sobol_dims_0_1_form_a_0_n_2_net(n: int, m1: int, m2: int, data: st.DataObject) -> None:
    """Every box [0, x 2^-i) x [0, y 2^-(n-i)) holds exactly x*y of 2**n points: exact AND products."""
    L = 1 << n
    a = sequence(VdcSpec(n, m1 % L), L)
    b = sequence(SobolSpec(n, sobol_directions(1, n), m2 % L), L)
    i = data.draw(st.integers(0, n))
    x = data.draw(st.integers(0, 1 << i))
    y = data.draw(st.integers(0, 1 << (n - i)))
    assert int(np.count_nonzero((a < x << (n - i)) & (b < y << i))) == x * y


def test_count_table_matches_naive_for_lfsr() -> None:
    spec = LFSRSpec(width=16, taps=primitive_taps(16), seed=777, select=(3, 9, 0, 14, 7, 12))
    L, T, start = 64, 5, 1000
    table = count_table(spec, L, T, start)
    vals = sequence(spec, L * T, start).reshape(T, L)
    for t in range(T):
        for m in range(L + 1):
            assert table[t, m] == np.count_nonzero(vals[t] < m)
    assert table.dtype == np.int64 and table.shape == (T, L + 1)


def test_count_table_lfsr_full_period_window_is_within_one() -> None:
    # W == n: one window of 2**n cycles is a full period (every nonzero value once) plus one.
    for n in (3, 6, 8):
        spec = LFSRSpec(width=n, taps=primitive_taps(n), seed=5, select=tuple(range(n)))
        table = count_table(spec, 1 << n, 7)
        diff = table - np.arange((1 << n) + 1)[None, :]
        assert diff.min() >= -1 and diff.max() <= 1


def test_count_table_validation() -> None:
    with pytest.raises(ConfigError, match="stream_length"):
        count_table(VdcSpec(4), 32, 1)
    with pytest.raises(ConfigError, match="stream_length"):
        count_table(VdcSpec(4), 12, 1)
    with pytest.raises(ConfigError, match="n_windows"):
        count_table(VdcSpec(4), 16, 0)


_specs = st.one_of(
    st.builds(
        lambda w, d: LFSRSpec(
            width=w,
            taps=alternative_taps(w, 2)[d.draw(st.integers(0, 1))],
            seed=d.draw(st.integers(1, (1 << w) - 1)),
            select=tuple(d.draw(st.permutations(range(w)))[: d.draw(st.integers(1, min(w, 32)))]),
        ),
        st.integers(3, 32),
        st.data(),
    ),
    st.builds(lambda n, m: VdcSpec(n, m % (1 << n)), st.integers(1, 32), st.integers(0, 2**32)),
    st.builds(
        lambda n, d, m: SobolSpec(n, sobol_directions(d, n), m % (1 << n)),
        st.integers(1, 32),
        st.integers(0, 100),
        st.integers(0, 2**32),
    ),
)


@SETTINGS
@given(spec=_specs)
def test_spec_dict_round_trip(spec) -> None:
    d = spec.to_dict()
    again = spec_from_dict(json.loads(json.dumps(d)))
    assert again == spec and type(again) is type(spec)
    assert again.to_dict() == d
    assert spec.bits >= 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(width=8, taps=(7, 3), seed=1, select=(0,)), "taps"),
        (dict(width=8, taps=(8, 3, 5), seed=1, select=(0,)), "taps"),
        (dict(width=8, taps=(8, 9), seed=1, select=(0,)), "taps"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=0, select=(0,)), "seed"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=256, select=(0,)), "seed"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=1, select=(0, 0)), "select"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=1, select=(8,)), "select"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=1, select=()), "select"),
        (dict(width=33, taps=(33, 1), seed=1, select=(0,)), "width"),
        (dict(width=8.0, taps=(8, 4, 3, 2), seed=1, select=(0,)), "width"),
        (dict(width=8, taps=(8, 4, 3, 2), seed=True, select=(0,)), "seed"),
    ],
)
def test_lfsr_spec_validation(kwargs: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        LFSRSpec(**kwargs)


def test_other_spec_validation() -> None:
    with pytest.raises(ConfigError, match="bits"):
        VdcSpec(0)
    with pytest.raises(ConfigError, match="xor_mask"):
        VdcSpec(4, 16)
    with pytest.raises(ConfigError, match="directions"):
        SobolSpec(4, (8, 4, 2))
    with pytest.raises(ConfigError, match="directions"):
        SobolSpec(2, (4, 1))


@pytest.mark.parametrize(
    ("d", "field"),
    [
        ({"kind": "mystery"}, "kind"),
        ({"bits": 4}, "kind"),
        ({"kind": "vdc"}, "bits"),
        ({"kind": "vdc", "bits": 4, "extra": 1}, "extra"),
        ({"kind": "vdc", "bits": "4"}, "bits"),
        ({"kind": "sobol", "bits": 2, "directions": "ab"}, "directions"),
        ({"kind": "lfsr", "width": 4, "taps": [4, 1], "seed": 1}, "select"),
        ({"kind": "lfsr", "width": 4, "taps": [4, 1.0], "seed": 1, "select": [0]}, "taps"),
    ],
)
def test_spec_from_dict_names_the_field(d: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        spec_from_dict(d)


def test_sequence_validation_and_determinism() -> None:
    spec = LFSRSpec(width=10, taps=primitive_taps(10), seed=3, select=(1, 2, 3))
    assert np.array_equal(sequence(spec, 100, 50), sequence(spec, 100, 50))
    assert sequence(spec, 0).shape == (0,)
    with pytest.raises(ConfigError, match="n_values"):
        sequence(spec, -1)
    with pytest.raises(ConfigError, match="start"):
        sequence(spec, 1, -5)
    with pytest.raises(ConfigError, match="spec"):
        sequence({"kind": "vdc", "bits": 3}, 4)  # type: ignore[arg-type]

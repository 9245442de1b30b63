"""scnc.ref.scalar (the per-neuron arithmetic the RTL components are tested against) is what the Numba
kernels compute: the kernels of scnc.ref._kernels on random values equal the scalar functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.hw_naive import sng_values
from support.ir_strategies import random_spec
from scnc.kinds import ResetMode
from scnc.ref import _kernels
from scnc.ref.model import _RESET_CODES
from scnc.ref.scalar import (
    fixed_block_current,
    lane_window_current,
    lif_update,
    sc_leak,
    shift_leak,
    window_count,
)
from scnc.sc import count_table


def test_scalar_functions_on_hand_values() -> None:
    assert window_count([0, 3, 1, 2], 2) == 2
    assert lane_window_current([1, 1, 0], [1, -1, 1], [4, 2, 4], [[0, 1, 5], [0, 1, 3], [0, 0, 0]]) == 2 - 2
    assert fixed_block_current([1, 0, 1], [-1, 1, 1], [8, 8, 3]) == -5
    assert sc_leak(-7, 8, 0, 3) == -7 and sc_leak(-7, 4, 0, 3) == -4 and sc_leak(7, 4, 4, 3) == 4
    assert shift_leak(-1, 5) == 0 and shift_leak(-8, 1) == -4 and shift_leak(9, 0) == 0
    s = lif_update(5, 3, 0, 6, 4, ResetMode.SUBTRACT)
    assert (s.membrane, s.spike, s.saturated) == (1, 1, True)
    s = lif_update(-8, -1, 0, 6, 4, ResetMode.ZERO)
    assert (s.membrane, s.spike, s.saturated) == (-8, 0, True)
    # delayed subtract: the old membrane 7 >= 6 fired last step, so 6 comes off before the clamp
    s = lif_update(5, 3, 0, 6, 4, ResetMode.SUBTRACT_DELAYED, old=7)
    assert (s.membrane, s.spike, s.saturated) == (2, 0, False)
    # ... and a spike is stored un-reset
    s = lif_update(5, 3, 0, 6, 4, ResetMode.SUBTRACT_DELAYED, old=5)
    assert (s.membrane, s.spike, s.saturated) == (7, 1, True)
    with pytest.raises(ValueError, match="old membrane"):
        lif_update(5, 3, 0, 6, 4, ResetMode.SUBTRACT_DELAYED)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), M=st.integers(2, 40), n=st.integers(1, 16), sc=st.booleans(),
       reset=st.sampled_from(list(ResetMode)))
def test_lif_kernel_is_the_scalar_update(data, M: int, n: int, sc: bool, reset: ResetMode) -> None:
    """One step of ``lif_layer`` (one input, so the current is the weight step) for a few neurons."""
    N = data.draw(st.integers(1, 6))
    L = 1 << n
    vmin, vmax = -(1 << (M - 1)), (1 << (M - 1)) - 1
    ints = lambda lo, hi: data.draw(st.lists(st.integers(lo, hi), min_size=N, max_size=N))  # noqa: E731
    v0 = ints(vmin, vmax)
    cur = ints(-(2**31 - 1), 2**31 - 1)
    bias = ints(max(vmin, -(2**31 - 1)), min(vmax, 2**31 - 1))
    thr = ints(1, max(1, min(vmax, 2**31 - 1)))
    c = ints(0, L)
    d = data.draw(st.integers(0, L - 1))
    k = ints(0, 63)
    args = dict(
        in_spikes=np.ones((1, 1, 1), np.uint8), wsteps=np.array(cur, np.int32).reshape(1, 1, N), t0=0, t1=1,
        bias=np.array(bias, np.int64), threshold=np.array(thr, np.int64), leak_sc=sc,
        leak_c=np.array(c, np.int64).reshape(1, N), leak_d=np.array([d], np.int64), leak_shift=np.array(k, np.int64),
        n_bits=n, vmin=vmin, vmax=vmax, reset=_RESET_CODES[reset],
        v_state=np.array(v0, np.int64).reshape(1, N), out_spikes=np.zeros((1, 1, N), np.uint8),
        membranes=np.zeros((1, 1, N), np.int64), trace=True, saturations=np.zeros(1, np.int64),
        delay_order=np.zeros((0, 0), np.int64), delay_start=np.zeros((0, 0), np.int64))
    _kernels.lif_layer(*args.values())
    want = [lif_update(sc_leak(v, ci, d, n) if sc else shift_leak(v, ki), x, b, th, M, reset, old=v)
            for v, ci, ki, x, b, th in zip(v0, c, k, cur, bias, thr)]
    assert args["membranes"][0, 0].tolist() == [w.membrane for w in want]
    assert args["v_state"][0].tolist() == [w.membrane for w in want]
    assert args["out_spikes"][0, 0].tolist() == [w.spike for w in want]
    assert int(args["saturations"][0]) == sum(w.saturated for w in want)


@pytest.mark.parametrize("kind", ["vdc", "sobol", "lfsr"])
def test_weight_step_kernel_is_the_scalar_window_count(kind: str) -> None:
    """``build_weight_steps`` (the kernel's per-synapse window counts) against ``lane_window_current``."""
    n, T, P, n_in, n_out = 3, 4, 2, 5, 3
    L = 1 << n
    rng = np.random.default_rng(7)
    specs = [random_spec(rng, kind, n) for _ in range(P)]
    q = rng.integers(-L, L + 1, size=(n_in, n_out))
    sign, m = np.sign(q).astype(np.int64), np.abs(q).astype(np.int64)
    stream = np.arange(n_in, dtype=np.int64) % P
    tables = np.stack([np.asarray(count_table(s, L, T), np.int32) for s in specs])
    out = np.zeros((T, n_in, n_out), np.int32)
    _kernels.build_weight_steps(sign, m, stream, tables, 0, T, out)
    seqs = [sng_values(s, T * L) for s in specs]
    spikes = rng.integers(0, 2, size=(T, n_in))
    for t in range(T):
        for i in range(n_out):
            kernel = int(sum(out[t, j, i] for j in range(n_in) if spikes[t, j]))
            scalar = lane_window_current(
                spikes=spikes[t].tolist(), signs=sign[:, i].tolist(), thresholds=m[:, i].tolist(),
                windows=[seqs[stream[j]][t * L : (t + 1) * L] for j in range(n_in)])
            assert kernel == scalar, (t, i)

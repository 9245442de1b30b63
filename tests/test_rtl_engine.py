"""The components of the layer engine (scnc.rtl.engine) in amaranth.sim against scnc.ref.scalar.

Each component is driven the way the sequencer drives it and compared with the scalar function of
the arithmetic it implements (the functions the Numba kernels are tested against in
tests/test_ref_scalar.py): exhaustively over small widths, or with hypothesis over wider ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Fragment, signed
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from support.graphs import with_quant
from support.hw_naive import sng_values
from support.ir_strategies import GraphShape, build_graph, random_spec
from scnc.errors import IRError
from scnc.ir.graph import SCLeak, ShiftLeak
from scnc.ir.schedule import cdiv, layer_plan
from scnc.kinds import Encoding, ResetMode, SNGKind
from scnc.ref.scalar import (
    fixed_block_current,
    lane_window_current,
    lif_update,
    sc_leak,
    shift_leak,
    window_count,
)
from scnc.rtl import APC, LayerEngine, NetworkCore
from scnc.rtl.engine import (
    LeakParams,
    LIFUpdate,
    SCLeakUnit,
    ShiftLeakUnit,
    WeightROM,
    leak_unit,
    synapse_lanes,
)


def run(dut, bench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-8, if_exists=True)  # purely combinational components have no clock domain
    sim.add_testbench(bench)
    sim.run()


def signed_range(bits: int) -> range:
    return range(-(1 << (bits - 1)), 1 << (bits - 1))


# ---- weight ROM -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_in,n_out,p_in,p_out", [(5, 3, 2, 2), (4, 4, 4, 1), (3, 7, 1, 3), (1, 1, 1, 1)])
def test_weight_rom_holds_every_block(n_in: int, n_out: int, p_in: int, p_out: int) -> None:
    w = 3
    g = build_graph(GraphShape(sizes=(n_in, n_out), weight_bits=w, parallel_inputs=p_in, seed=n_in * 10 + n_out))
    g = with_quant(g, parallel_neurons=p_out)
    layer = g.layers[0]
    plan = layer_plan(layer, g.hardware)
    wq = np.asarray(layer.synapse.quant.weight_q, dtype=np.int64)
    dut = WeightROM(wq, plan, w)
    seen = {}

    async def bench(ctx):
        for blk in range(plan.blocks):
            ctx.set(dut.addr, blk)
            ctx.set(dut.en, 1)
            await ctx.tick()
            ctx.set(dut.en, 0)
            await ctx.tick()  # the register holds the block while en is low
            view = ctx.get(dut.block)
            seen[blk] = [[(int(view[nl][il].magnitude), int(view[nl][il].negative)) for il in range(p_in)]
                         for nl in range(p_out)]

    run(dut, bench)
    G = plan.groups_in
    for blk, lanes in seen.items():
        h, gg = divmod(blk, G)
        for nl in range(p_out):
            for il in range(p_in):
                j, i = gg * p_in + il, h * p_out + nl
                q = int(wq[j, i]) if j < n_in and i < n_out else 0  # padding: no synapse
                assert lanes[nl][il] == (abs(q), int(q < 0)), (blk, nl, il)


# ---- synapse lanes ----------------------------------------------------------------------------------
@st.composite
def lane_cases(draw):
    n = draw(st.integers(1, 4))
    L = 1 << n
    w = draw(st.integers(1, n))
    p_in, p_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    blocks = draw(st.integers(1, 2))
    q = draw(st.lists(st.integers(-(2**w - 1), 2**w - 1), min_size=blocks * p_in * p_out,
                      max_size=blocks * p_in * p_out))
    spikes = draw(st.lists(st.integers(0, 1), min_size=blocks * p_in, max_size=blocks * p_in))
    streams = draw(st.lists(st.integers(0, L - 1), min_size=blocks * p_in * L, max_size=blocks * p_in * L))
    return dict(n=n, w=w, p_in=p_in, p_out=p_out, blocks=blocks,
                q=np.array(q).reshape(blocks, p_out, p_in), spikes=np.array(spikes).reshape(blocks, p_in),
                streams=np.array(streams).reshape(blocks, L, p_in))


def _block_word(q: np.ndarray, w: int) -> int:
    """``q[nl, il]`` as a weight_block_layout word (entry ``nl*P_i + il``: magnitude, then the sign)."""
    word = 0
    for e, v in enumerate(q.reshape(-1)):
        word |= (abs(int(v)) | (int(v < 0) << w)) << (e * (w + 1))
    return word


def _drive_lanes(encoding: Encoding, c: dict, window: int) -> list:
    """Run the lanes over ``c['blocks']`` blocks of ``window`` cycles each, without clearing in
    between (as a neuron group's input groups); return the currents after each block, then after a clear."""
    n, w, p_in, p_out = c["n"], c["w"], c["p_in"], c["p_out"]
    cb = (c["blocks"] * p_in * (1 << n)).bit_length() + 2  # wide enough for any sum of the blocks
    dut = synapse_lanes(encoding, p_in=p_in, p_out=p_out, weight_bits=w, compare_shift=n - w, stream_bits=n,
                        current_bits=cb)
    got = []

    async def bench(ctx):
        ctx.set(dut.clear, 1)
        await ctx.tick()
        ctx.set(dut.clear, 0)
        for blk in range(c["blocks"]):
            ctx.set(dut.block.as_value(), _block_word(c["q"][blk], w))
            ctx.set(dut.spikes, sum(int(s) << il for il, s in enumerate(c["spikes"][blk])))
            ctx.set(dut.accumulate, 1)
            for k in range(window):
                if encoding is Encoding.SC:
                    for il in range(p_in):
                        ctx.set(dut.streams[il], int(c["streams"][blk, k, il]))
                await ctx.tick()
            ctx.set(dut.accumulate, 0)
            got.append([ctx.get(dut.currents[nl]) for nl in range(p_out)])
        ctx.set(dut.clear, 1)
        ctx.set(dut.accumulate, 1)  # clear wins
        await ctx.tick()
        got.append([ctx.get(dut.currents[nl]) for nl in range(p_out)])

    run(dut, bench)
    return got


@settings(max_examples=30, deadline=None)
@given(c=lane_cases())
def test_sc_lanes_count_one_window_per_block(c) -> None:
    n, w, L = c["n"], c["w"], 1 << c["n"]
    got = _drive_lanes(Encoding.SC, c, L)
    total = [0] * c["p_out"]
    for blk in range(c["blocks"]):
        for nl in range(c["p_out"]):
            q = c["q"][blk, nl]
            total[nl] += lane_window_current(
                spikes=c["spikes"][blk].tolist(), signs=np.sign(q).tolist(),
                thresholds=[abs(int(v)) << (n - w) for v in q],
                windows=[c["streams"][blk, :, il].tolist() for il in range(c["p_in"])])
        assert got[blk] == total, blk
    assert got[-1] == [0] * c["p_out"]


@settings(max_examples=30, deadline=None)
@given(c=lane_cases())
def test_fixed_lanes_add_one_block_per_cycle(c) -> None:
    n, w = c["n"], c["w"]
    got = _drive_lanes(Encoding.FIXED, c, 1)
    total = [0] * c["p_out"]
    for blk in range(c["blocks"]):
        for nl in range(c["p_out"]):
            q = c["q"][blk, nl]
            total[nl] += fixed_block_current(c["spikes"][blk].tolist(), np.sign(q).tolist(),
                                             [abs(int(v)) << (n - w) for v in q])
        assert got[blk] == total, blk
    assert got[-1] == [0] * c["p_out"]


def test_the_shipped_core_counts_with_the_exported_apc() -> None:
    """Every neuron lane of every SC layer engine in the core is an instance of scnc.rtl.APC."""
    g = build_graph(GraphShape(sizes=(5, 4, 3), parallel_inputs=2, seed=1))
    g = with_quant(g, 0, parallel_neurons=2)

    def apcs(frag) -> list:
        found = [o for o in getattr(frag, "origins", ()) or () if isinstance(o, APC)]
        for sub, _name, _loc in frag.subfragments:
            found += apcs(sub)
        return found

    found = apcs(Fragment.get(NetworkCore(g, trace=False), None))
    lanes = sum(layer.synapse.quant.parallel_neurons for layer in g.layers)
    assert len(found) == lanes
    assert all(a.width == layer.synapse.quant.parallel_inputs
               for a, layer in zip(found, [lay for lay in g.layers
                                           for _ in range(lay.synapse.quant.parallel_neurons)]))


# ---- leak units ---------------------------------------------------------------------------------------
def _params(encoding: Encoding, *, n: int, M: int, n_out: int, p_out: int = 1, sng=SNGKind.VDC) -> LeakParams:
    return LeakParams(encoding=encoding, sng=sng, stream_bits=n, membrane_bits=M, n_out=n_out, p_out=p_out,
                      t_bits=4, where="lif")


def _sweep_neurons(dut, n_out: int, M: int) -> dict:
    """leaked of every neuron (loaded one at a time, as READ does) for every M-bit membrane."""
    got = {}

    async def bench(ctx):
        for i in range(n_out):
            ctx.set(dut.neuron, i)
            ctx.set(dut.load, 1)
            await ctx.tick()
            ctx.set(dut.load, 0)
            for v in signed_range(M):
                ctx.set(dut.v, v)
                got[i, v] = ctx.get(dut.leaked)

    run(dut, bench)
    return got


@pytest.mark.parametrize("rounding", [0, 4, 7])
def test_sc_leak_unit_fixed_encoding_exhaustive(rounding: int) -> None:
    n, M = 3, 5
    L = 1 << n
    beta_q = np.arange(L + 1)  # every beta_q in [0, L], one neuron each
    dut = SCLeakUnit(SCLeak(beta_q=beta_q, rounding=rounding), _params(Encoding.FIXED, n=n, M=M, n_out=L + 1))
    got = _sweep_neurons(dut, L + 1, M)
    for (i, v), lv in got.items():
        assert lv == sc_leak(v, int(beta_q[i]), rounding, n), (i, v)


@pytest.mark.parametrize("sng", [SNGKind.VDC, SNGKind.SOBOL, SNGKind.LFSR])
def test_sc_leak_unit_counts_the_beta_stream(sng: SNGKind) -> None:
    """Encoding sc: C = the beta stream's count over the group's first window, d = D[t]."""
    n, M, n_out, p_out, T = 3, 5, 5, 2, 3
    L = 1 << n
    rng = np.random.default_rng(int(sng == SNGKind.LFSR) + 2 * int(sng == SNGKind.SOBOL))
    beta_q = rng.integers(0, L + 1, size=n_out)
    beta_q[0], beta_q[1] = 0, L
    beta_spec, dither_spec = random_spec(rng, sng.value, n), random_spec(rng, "lfsr", n)
    leak = SCLeak(beta_q=beta_q, beta_sng=beta_spec, dither_sng=dither_spec)
    dut = SCLeakUnit(leak, _params(Encoding.SC, n=n, M=M, n_out=n_out, p_out=p_out, sng=sng))
    H = cdiv(n_out, p_out)
    beta_seq, dither_seq = sng_values(beta_spec, T * L), sng_values(dither_spec, T)
    got = {}

    async def bench(ctx):
        ctx.set(dut.init, 1)
        await ctx.tick()
        ctx.set(dut.init, 0)
        for t in range(T):
            ctx.set(dut.t, t)
            for h in range(H):
                ctx.set(dut.group, h)
                ctx.set(dut.load_group, 1)
                ctx.set(dut.clear, 1)
                await ctx.tick()
                ctx.set(dut.load_group, 0)
                ctx.set(dut.clear, 0)
                ctx.set(dut.count, 1)
                for k in range(L):  # one window; the beta stream replays it for every group
                    last = k == L - 1
                    ctx.set(dut.k, k)
                    ctx.set(dut.advance, not last)
                    ctx.set(dut.rewind, last and h < H - 1)
                    ctx.set(dut.commit, last and h == H - 1)
                    await ctx.tick()
                for s in ("count", "advance", "rewind", "commit"):
                    ctx.set(getattr(dut, s), 0)
                for nl in range(min(p_out, n_out - h * p_out)):
                    ctx.set(dut.lane, nl)
                    for v in signed_range(M):
                        ctx.set(dut.v, v)
                        got[t, h * p_out + nl, v] = ctx.get(dut.leaked)
            ctx.set(dut.step_done, 1)
            await ctx.tick()
            ctx.set(dut.step_done, 0)

    run(dut, bench)
    assert len(got) == T * n_out * (1 << M)
    for (t, i, v), lv in got.items():
        c = window_count(beta_seq[t * L : (t + 1) * L], int(beta_q[i]))
        assert lv == sc_leak(v, c, dither_seq[t], n), (t, i, v)


def test_shift_leak_unit_exhaustive() -> None:
    M = 5
    shifts = np.arange(M + 3)  # 0 (no memory) .. past the membrane width
    dut = ShiftLeakUnit(ShiftLeak(shift=shifts), _params(Encoding.SC, n=3, M=M, n_out=len(shifts)))
    got = _sweep_neurons(dut, len(shifts), M)
    for (i, v), lv in got.items():
        assert lv == shift_leak(v, int(shifts[i])), (i, v)


def test_shared_shift_is_a_constant() -> None:
    """Every neuron with the same k: no ROM, the value holds without a load."""
    M = 4
    dut = ShiftLeakUnit(ShiftLeak(shift=np.full(3, 2)), _params(Encoding.SC, n=3, M=M, n_out=3))
    got = {}

    async def bench(ctx):
        for v in signed_range(M):
            ctx.set(dut.v, v)
            got[v] = ctx.get(dut.leaked)

    run(dut, bench)
    assert got == {v: shift_leak(v, 2) for v in signed_range(M)}


def test_leak_unit_is_chosen_by_the_leak_type() -> None:
    p = _params(Encoding.FIXED, n=3, M=6, n_out=2)
    for leak, unit in ((SCLeak(beta_q=np.array([3, 8])), SCLeakUnit),
                       (ShiftLeak(shift=np.array([1, 2])), ShiftLeakUnit)):
        built = leak_unit(leak, p)
        Fragment.get(built, None)  # elaborates
        assert type(built) is unit

    class OtherLeak:
        pass

    with pytest.raises(IRError, match="no leak unit for a OtherLeak"):
        leak_unit(OtherLeak(), p)


def test_leak_unit_refuses_a_beta_stream_of_another_kind() -> None:
    spec = random_spec(np.random.default_rng(0), "lfsr", 3)
    leak = SCLeak(beta_q=np.array([1, 2]), beta_sng=spec, dither_sng=spec)
    with pytest.raises(IRError, match="leak.beta_sng"):
        SCLeakUnit(leak, _params(Encoding.SC, n=3, M=6, n_out=2, sng=SNGKind.VDC))


# ---- LIF update -------------------------------------------------------------------------------------
def _lif_sweep(M: int, cb: int, bb: int, tb: int, reset: ResetMode, cases) -> list:
    dut = LIFUpdate(membrane_bits=M, current_bits=cb, bias_shape=signed(bb), threshold_shape=tb, reset=reset)
    # only the delayed subtract reads the stored membrane: the other modes' gateware is unchanged
    assert ("old" in dut.signature.members) == (reset is ResetMode.SUBTRACT_DELAYED) == dut.reads_old
    got = []

    async def bench(ctx):
        for lv, cur, bias, thr, old in cases:
            ctx.set(dut.leaked, lv)
            ctx.set(dut.current, cur)
            ctx.set(dut.bias, bias)
            ctx.set(dut.threshold, thr)
            if dut.reads_old:
                ctx.set(dut.old, old)
            got.append((ctx.get(dut.v_new), ctx.get(dut.spike), ctx.get(dut.saturated)))

    run(dut, bench)
    return got


@pytest.mark.parametrize("reset", list(ResetMode))
def test_lif_update_exhaustive_small(reset: ResetMode) -> None:
    """M = 4: every leaked membrane, current, 3-bit bias and 3-bit threshold (and, for the delayed
    subtract, every stored membrane at M = 3 so the sweep stays small)."""
    M, cb, bb, tb = (3, 3, 2, 2) if reset is ResetMode.SUBTRACT_DELAYED else (4, 4, 3, 3)
    olds = signed_range(M) if reset is ResetMode.SUBTRACT_DELAYED else [0]
    cases = [(lv, cur, bias, thr, old) for lv in signed_range(M) for cur in signed_range(cb)
             for bias in signed_range(bb) for thr in range(1, 1 << tb) for old in olds]
    got = _lif_sweep(M, cb, bb, tb, reset, cases)
    for (lv, cur, bias, thr, old), (v, s, sat) in zip(cases, got):
        want = lif_update(lv, cur, bias, thr, M, reset, old=old)
        assert (v, s, bool(sat)) == (want.membrane, want.spike, want.saturated), (lv, cur, bias, thr, old)



@settings(max_examples=15, deadline=None)
@given(data=st.data(), M=st.integers(2, 24), reset=st.sampled_from(list(ResetMode)))
def test_lif_update_wide(data, M: int, reset: ResetMode) -> None:
    cb = data.draw(st.integers(2, M + 3))
    bb = data.draw(st.integers(1, M))
    tb = data.draw(st.integers(1, M - 1))
    sint = lambda b: st.integers(-(1 << (b - 1)), (1 << (b - 1)) - 1)  # noqa: E731
    case = st.tuples(sint(M), sint(cb), sint(bb), st.integers(1, (1 << tb) - 1), sint(M))
    cases = data.draw(st.lists(case, min_size=1, max_size=40))
    got = _lif_sweep(M, cb, bb, tb, reset, cases)
    for (lv, cur, bias, thr, old), (v, s, sat) in zip(cases, got):
        want = lif_update(lv, cur, bias, thr, M, reset, old=old)
        assert (v, s, bool(sat)) == (want.membrane, want.spike, want.saturated), (lv, cur, bias, thr, old)


def test_lif_update_rejects_a_one_bit_membrane() -> None:
    with pytest.raises(ValueError, match="membrane_bits"):
        LIFUpdate(membrane_bits=1, current_bits=4, bias_shape=4, threshold_shape=2, reset=ResetMode.ZERO)


# ---- the sequencer builds its parts from the IR -------------------------------------------------
@pytest.mark.parametrize("encoding,leak,lanes,unit", [
    ("sc", "sc", "SCSynapseLanes", SCLeakUnit), ("sc", "shift", "SCSynapseLanes", ShiftLeakUnit),
    ("fixed", "sc", "FixedSynapseLanes", SCLeakUnit), ("fixed", "shift", "FixedSynapseLanes", ShiftLeakUnit)])
def test_engine_parts_follow_the_ir(encoding: str, leak: str, lanes: str, unit: type) -> None:
    g = build_graph(GraphShape(sizes=(6, 5), parallel_inputs=3, leak=leak, encoding=encoding, seed=2))
    eng = LayerEngine(g.layers[0], g.hardware, 0, t_bits=2)
    assert type(eng.leak) is unit
    assert len(eng.syn_forms) == (3 if encoding == "sc" else 0)
    frag = Fragment.get(eng, None)
    names = {name: type(sub.origins[0]).__name__ for sub, name, _ in frag.subfragments}
    assert names["lanes"] == lanes and names["weights"] == "WeightROM" and names["update"] == "LIFUpdate"
    assert names["leak"] == unit.__name__

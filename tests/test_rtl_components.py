"""scnc.rtl components in amaranth.sim against scnc.sc and against plain transcriptions of docs/hardware.md."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import IRError
from scnc.ir.graph import InputNode, QuantInput
from scnc.rtl import APC, CycleSNG, InputEncoder, StepSNG
from scnc.rtl._specs import sng_form
from scnc.sc import LFSRSpec, SobolSpec, VdcSpec, sequence
from support.hw_naive import sng_values


def make_spec(kind: str, bits: int, seed: int):
    rng = np.random.default_rng(seed)
    if kind == "vdc":
        return VdcSpec(bits=bits, xor_mask=int(rng.integers(0, 1 << bits)))
    if kind == "sobol":
        return SobolSpec(bits=bits, directions=tuple(int(rng.integers(0, 1 << bits)) for _ in range(bits)),
                         xor_mask=int(rng.integers(0, 1 << bits)))
    width = max(3, bits + int(rng.integers(0, 4)))
    lower = sorted({int(t) for t in rng.integers(1, width, size=2)}, reverse=True)
    return LFSRSpec(width=width, taps=(width, *lower), seed=int(rng.integers(1, 1 << width)),
                    select=tuple(int(s) for s in rng.permutation(width)[:bits]))


class _WithClock(Elaboratable):
    """Give a purely combinational component a sync domain so a testbench can tick."""

    def __init__(self, dut) -> None:
        self.dut = dut

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.dut = self.dut
        toggle = Signal()
        m.d.sync += toggle.eq(~toggle)
        return m


def run_sim(dut, bench) -> None:
    sim = Simulator(_WithClock(dut))
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


# ---- cycle-rate SNG: windows, rewind, commit ------------------------------------------------------
@pytest.mark.parametrize("kind", ["vdc", "sobol", "lfsr"])
@pytest.mark.parametrize("L", [2, 16, 256])
def test_cycle_sng_replays_windows(kind: str, L: int) -> None:
    n = L.bit_length() - 1
    spec = make_spec(kind, n, seed=L)
    form = sng_form(spec, kind=kind, bits=n, where="test", field="spec")
    dut = CycleSNG(form)
    steps, blocks = 3 if L < 256 else 2, 2
    expect_sc = sequence(spec, steps * L)
    expect_naive = sng_values(spec, steps * L)
    assert [int(v) for v in expect_sc] == expect_naive  # scnc.sc agrees with the contract
    seen = []

    async def bench(ctx):
        ctx.set(dut.init, 1)
        await ctx.tick()
        ctx.set(dut.init, 0)
        for t in range(steps):
            for blk in range(blocks):
                window = []
                for k in range(L):
                    ctx.set(dut.k, k)
                    last = k == L - 1
                    ctx.set(dut.advance, not last)
                    ctx.set(dut.rewind, last and blk < blocks - 1)
                    ctx.set(dut.commit, last and blk == blocks - 1)
                    window.append(ctx.get(dut.value))
                    await ctx.tick()
                seen.append((t, window))
        ctx.set(dut.commit, 0)

    run_sim(dut, bench)
    for t, window in seen:
        assert window == expect_naive[t * L : (t + 1) * L], (t, kind)


@pytest.mark.parametrize("kind", ["vdc", "sobol", "lfsr"])
def test_step_sng(kind: str) -> None:
    bits, T = 5, 40
    spec = make_spec(kind, bits, seed=3)
    dut = StepSNG(sng_form(spec, kind=kind, bits=bits, where="test", field="spec"), t_bits=6)
    got = []

    async def bench(ctx):
        for rep in range(2):  # a second sample restarts from index 0
            ctx.set(dut.init, 1)
            await ctx.tick()
            ctx.set(dut.init, 0)
            vals = []
            for t in range(T):
                ctx.set(dut.t, t)
                vals.append(ctx.get(dut.value))
                ctx.set(dut.advance, 1)
                await ctx.tick()
                ctx.set(dut.advance, 0)
            got.append(vals)

    run_sim(dut, bench)
    expect = [int(v) for v in sequence(spec, T)]
    assert got[0] == expect and got[1] == expect


def test_spec_kind_mismatch_is_an_ir_error() -> None:
    with pytest.raises(IRError, match="expected a 'lfsr' SNG"):
        sng_form(VdcSpec(bits=3), kind="lfsr", bits=3, where="layer0", field="synapse_sngs[0]")
    with pytest.raises(IRError, match="4 bits wide"):
        sng_form(VdcSpec(bits=3), kind="vdc", bits=4, where="layer0", field="beta_sng")


# ---- APC ----------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(width=st.integers(1, 20), data=st.data())
def test_apc_counts(width: int, data) -> None:
    pos = data.draw(st.integers(0, (1 << width) - 1))
    neg = data.draw(st.integers(0, (1 << width) - 1))
    dut = APC(width)
    out = []

    async def bench(ctx):
        ctx.set(dut.pos, pos)
        ctx.set(dut.neg, neg)
        out.append(ctx.get(dut.count))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert out[0] == bin(pos).count("1") - bin(neg).count("1")


# ---- comparator + input encoder -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["vdc", "sobol", "lfsr"])
def test_input_encoder(kind: str) -> None:
    n_in, bits, T = 7, 4, 5
    specs = tuple(make_spec(kind, bits, seed=10 + j) for j in range(n_in))
    node = InputNode(name="input", size=n_in, quant=QuantInput(coding="rate", input_bits=bits, sngs=specs))
    dut = InputEncoder(node, kind, t_bits=3)
    rng = np.random.default_rng(1)
    samples = [rng.integers(0, 1 << bits, size=n_in) for _ in range(2)]
    samples[1][0] = (1 << bits) - 1
    samples[1][1] = 0
    got = []

    async def bench(ctx):
        for x in samples:
            for j, v in enumerate(x):
                ctx.set(dut.wr_en, 1)
                ctx.set(dut.wr_addr, j)
                ctx.set(dut.wr_data, int(v))
                await ctx.tick()
            ctx.set(dut.wr_en, 0)
            rows = []
            for t in range(T):
                ctx.set(dut.t, t)
                ctx.set(dut.first, t == 0)
                ctx.set(dut.go, 1)
                await ctx.tick()
                ctx.set(dut.go, 0)
                await ctx.tick().until(dut.done)
                s = ctx.get(dut.spikes)
                rows.append([(s >> j) & 1 for j in range(n_in)])
            got.append(rows)

    run_sim(dut, bench)
    for x, rows in zip(samples, got):
        for j in range(n_in):
            vals = sng_values(specs[j], T)
            assert [r[j] for r in rows] == [int(vals[t] < x[j]) for t in range(T)], j

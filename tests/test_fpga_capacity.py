"""The capacity model (scnc.fpga.capacity) against measured syntheses, and the check before synthesis."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from scnc.fpga import capacity as C
from scnc.ir import QuantOptions, from_network, quantize, set_engine
from scnc.snn.network import Network


def _graph(sizes, engine="dense", **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = quantize(from_network(Network.dense(list(sizes), seed=0, timesteps=25)), QuantOptions(**options))
    return set_engine(g, engine)


@pytest.fixture(scope="module")
def measured():
    """Every measured point with the graph that rebuilds it and the model's estimate."""
    rows = []
    for p in C.MEASURED:
        g = _graph(p["sizes"], p["engine"], **p["options"])
        rows.append((p, g, C.estimate(g, p["target"], p["wrapper"])))
    return rows


# ---- memory mapping (yosys memory_libmap's choice) ---------------------------------------------------------

@pytest.mark.parametrize("mem, family, kind, blocks", [
    (C.MemorySpec("w", 512, 112, True), "ice40", "bram", 14),      # 256 x 16: 2 x 7
    (C.MemorySpec("w", 4096, 14, True), "ice40", "bram", 14),      # 2048 x 2: 2 x 7 beats 256 x 16: 16
    (C.MemorySpec("b", 64, 14, True), "ice40", "logic", 0),        # 896 bits / 16 = 56 < one block (64)
    (C.MemorySpec("m", 10, 15, False), "ice40", "bram", 1),        # a RAM costs 1 per bit in logic
    (C.MemorySpec("m", 4, 352, False), "ice40", "logic", 0),       # 1408 = 22 x 64: a tie stays in logic
    (C.MemorySpec("w", 12544, 64, True), "ecp5", "bram", 50),      # 512 x 36: 25 x 2
    (C.MemorySpec("m", 16, 224, False), "ecp5", "lutram", 0),      # 56 DPR16X4 (cost 224) < 7 blocks
    (C.MemorySpec("w", 100, 8, True), "generic", "logic", 0),
    (C.MemorySpec("w", 64, 32, True), "ice40", "logic", 0),        # 2048 / 16 = 128 = 2 blocks: a tie, logic
    (C.MemorySpec("w", 64, 32, True, block=True), "ice40", "bram", 2),  # rom_style = "block" asks for BRAM
])
def test_map_memory(mem, family, kind, blocks):
    m = C.map_memory(mem, family)
    assert (m.kind, m.blocks) == (kind, blocks)


def test_event_bank_roms_of_a_kilobit_ask_for_block_ram(tmp_path):
    from scnc.rtl import compile_graph
    from scnc.rtl.event import BLOCK_ROM_MIN_BITS

    g = _graph((64, 128, 10), "event", stream_length=8, weight_bits=3, parallel_inputs=4, parallel_neurons=8)
    mems = {m.name: m for m in C.core_memories(g)}
    # layer 0: 4 banks of 16 inputs x 16 groups = 256 rows; layer 1: 4 banks of 32 inputs x 2 groups = 64 rows
    for layer, rows in ((0, 256), (1, 64)):
        for b in range(4):
            m = mems[f"layer{layer}.weights{b}.rom"]
            assert (m.depth, m.width) == (rows, 8 * 4)
            assert m.block == (m.bits >= BLOCK_ROM_MIN_BITS) and m.block
            assert C.map_memory(m, "ice40").kind == "bram"
    man = compile_graph(g, tmp_path / "b", trace=False)   # the attribute reaches yosys
    assert man.verilog_path(tmp_path / "b").read_text().count('rom_style = "block"') == 8
    small = _graph((6, 5, 3), "event", stream_length=8, weight_bits=3, parallel_inputs=2, parallel_neurons=2)
    assert not any(m.block for m in C.core_memories(small))   # 3 x 3 rows of 8 bits: left to yosys


def test_core_memories_are_read_from_the_rtl():
    g = _graph((64, 128, 10))
    names = {m.name: (m.depth, m.width, m.rom) for m in C.core_memories(g)}
    assert names["layer0.weights.rom"] == (512, 8 * 2 * 7, True)   # H*G blocks of P_i*P_n*(w+1) bits
    assert names["layer0.membrane"] == (128, 14, False)
    assert names["encoder.intensity"] == (64, 8, False)
    board = {m.name: (m.depth, m.width) for m in C.wrapper_memories(g, "board")}
    assert board == {"bridge.imem": (64, 8), "bridge.omem": (26, 51)}
    assert C.wrapper_memories(g, "ooc") == []


# ---- the model on the measured points ---------------------------------------------------------------------

def test_block_rams_exact_on_rebuilt_points(measured):
    for p, _, est in measured:
        if p["target"].startswith("ecp5"):
            assert 0 <= est.brams - p["brams"] <= C.BRAM_ECP5_OVER, (p, est.brams)
        elif p["weights"] == "random":
            assert est.brams == p["brams"], (p, est.brams)
        else:
            assert abs(est.brams - p["brams"]) <= C.BRAM_TRAINED_BOUND, (p, est.brams)


def test_logic_cell_model_is_the_least_squares_fit_and_within_its_error(measured):
    placed = [(p, g) for p, g, _ in measured
              if C.lc_model_point(p) and p["wrapper"] == "board" and not p.get("held_out")]
    for engine, model in C.LC_MODEL.items():
        pts = [(C.point_features(p, g), p["lcs"] - C.estimate(g, p["target"], p["wrapper"]).memory_cells)
               for p, g in placed if p["engine"] == engine]
        keys = [k for k in model if k != "intercept" and k not in C.LC_NOT_FITTED]
        fixed = [k for k in C.LC_NOT_FITTED if k in model]
        X = np.array([[1.0] + [f[k] for k in keys] for f, _ in pts])
        y = np.array([lc - sum(model[k] * f[k] for k in fixed) for f, lc in pts], dtype=float)
        coef = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(coef, [model["intercept"]] + [model[k] for k in keys], rtol=1e-4, atol=0.01)
    for p, g, est in measured:
        if C.lc_model_point(p):
            lcs = C.model_logic_cells(g, C.point_features(p, g), p["wrapper"], est.memory_cells)
            assert abs(lcs - p["lcs"]) <= C.LC_ERROR * p["lcs"], (p, lcs)


def test_input_copy_is_what_the_encoder_overlap_cost(measured):
    """The one measured pair: the same options with and without the encoder a step ahead."""
    pair = [(p, g) for p, g, _ in measured if p["options"].get("layer_parallel") and p["options"]["encoding"] == "fixed"]
    (serial, g), (overlapped, _) = sorted(pair, key=lambda t: bool(t[0].get("serial_input")), reverse=True)
    assert C.lc_features(g)["input_copy"] == 64 and C.point_features(serial, g)["input_copy"] == 0
    assert C.LC_MODEL["event"]["input_copy"] * 64 == overlapped["lcs"] - serial["lcs"]


def test_dsps_equal_yosys_on_rebuilt_points(measured):
    for p, _, est in measured:
        if "dsps" in p:
            assert est.dsps == p["dsps"], (p, est.dsps)
    g = _graph((64, 128, 10), leak="shift")                      # no multiplier
    assert C.estimate(g, "ice40-up5k").dsps == 0
    assert C.estimate(_graph((64, 128, 10)), "ice40-up5k", dsp=False).dsps == 0


# ---- the check and its suggestions -------------------------------------------------------------------------

def test_check_names_what_does_not_fit_and_options_that_do():
    g = _graph((64, 128, 10), parallel_inputs=16, parallel_neurons=4)   # measured: 36 of 30 block RAMs
    with pytest.raises(C.DoesNotFitEstimate) as info:
        C.check_capacity(g, "ice40-up5k")
    e = info.value
    assert e.estimate.overflow == {"brams": (36, 30)}
    assert "block RAM 36 of 30" in str(e)
    assert e.suggestions, "the model found no option that fits"
    for text in e.suggestions:  # every suggestion was estimated to fit
        assert text.startswith("--")
    assert any(s.startswith("--parallel ") for s in e.suggestions)
    assert any(s.startswith("--target ecp5-25k") for s in e.suggestions)
    assert C.check_capacity(_graph((64, 128, 10)), "ice40-up5k").fits


def test_only_a_certain_overflow_stops():
    est = C.CapacityEstimate("ice40-up5k", "board", [], 10, 0, 5400, 0, 0,
                             available={"brams": 30, "logic_cells": 5280, "dsps": 8, "sprams": 4})
    assert est.overflow == {"logic_cells": (5400, 5280)} and C.certain_overflow(est) == {}  # within 5 %
    est.logic_cells = 5600
    assert C.certain_overflow(est) == {"logic_cells": (5600, 5280)}
    ecp5 = C.CapacityEstimate("ecp5-25k", "ooc", [], 58, 0, 100, 0, 0,
                              available={"brams": 56, "logic_cells": 24288, "dsps": 28, "sprams": 0})
    assert C.certain_overflow(ecp5) == {}                       # may be 55 once yosys maps it
    ecp5.brams = 60
    assert C.certain_overflow(ecp5) == {"brams": (60, 56)}


def test_requantize_without_changes_is_the_same_graph():
    from scnc.ir import ir_hash

    g = _graph((64, 128, 10), "event", stream_length=8, weight_bits=3)
    assert ir_hash(C.requantize(g)) == ir_hash(g)
    assert C.requantize(g, parallel_neurons=4).layers[0].synapse.quant.parallel_neurons == 4


def test_synth_stops_before_yosys_with_exit_2(tmp_path, capsys):
    from scnc.cli import main
    from scnc.rtl import compile_graph

    build = tmp_path / "big"
    compile_graph(_graph((64, 128, 10), parallel_inputs=16, parallel_neurons=4), build, trace=False)
    rc = main(["synth", str(build), "--target", "ice40-up5k", "--json"])
    out = capsys.readouterr()
    assert rc == 2
    assert not (build / "synth").exists()   # no tool ran, nothing written
    res = json.loads(out.out.strip().splitlines()[-1])
    assert res["fits"] is False and res["stage"] == "capacity"
    assert res["capacity"]["overflow"] == {"brams": [36, 30]}
    assert res["suggestions"]
    assert "block RAM" in out.err and "--force" in out.err

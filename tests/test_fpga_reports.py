"""scnc.fpga report parsing and wrapper parameters, on recorded yosys / nextpnr output (no tools run)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError, ToolError
from scnc.fpga import (
    DEVICES,
    OOC_SHELL,
    cell_counts,
    constant_clock_period_ns,
    core_params,
    get_device,
    group_cells,
    parse_cross_domain,
    parse_fmax,
    parse_utilisation,
    parse_yosys_stat,
    resource_overflow,
    trace_shim,
    wrapper_for,
)
from scnc.hil.protocol import bridge_shape
from scnc.manifest import Manifest

# yosys 0.70 `stat -json` of W-digits (sc, defaults) in the ooc shell, trimmed.
STAT_JSON = json.dumps({
    "creator": "Yosys 0.70",
    "modules": {"\\scnc_ooc_shell": {"num_cells_by_type": {
        "$scopeinfo": 24, "SB_CARRY": 485, "SB_DFF": 82, "SB_DFFE": 17, "SB_DFFESR": 314, "SB_DFFSR": 105,
        "SB_LUT4": 1629, "SB_MAC16": 2, "SB_RAM40_4K": 24}}},
    "design": {"num_cells_by_type": {
        "$scopeinfo": 24, "SB_CARRY": 485, "SB_DFF": 82, "SB_DFFE": 17, "SB_DFFESR": 314, "SB_DFFSR": 105,
        "SB_LUT4": 1629, "SB_MAC16": 2, "SB_RAM40_4K": 24}},
})

# nextpnr-ice40 0.11 log excerpts (a design that does not fit, then timing lines of a routed one).
NOFIT_LOG = """\
Info: Packing constants..
Info: Device utilisation:
Info: 	         ICESTORM_LC:    6002/   5280   113%
Info: 	        ICESTORM_RAM:       0/     30     0%
Info: 	               SB_IO:       3/     39     7%
Info: 	               SB_GB:       1/      8    12%
Info: 	        ICESTORM_DSP:       0/      8     0%
Info: 	      ICESTORM_SPRAM:       0/      4     0%

Info: Placed 0 cells based on constraints.
ERROR: Unable to place cell 'r_SB_DFF_Q_3376_D_SB_LUT4_O_LC', no BELs remaining to implement cell type 'ICESTORM_LC'
1 warning, 1 error
"""

TIMING_LOG = """\
Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 20.80 MHz (PASS at 12.00 MHz)
Info: Max delay posedge $PACKER_GND_NET_$glb_clk -> posedge clk$SB_IO_IN_$glb_clk   : 30.00 ns
Info: Routing complete.
Info: Router1 time 3.27s
Info: Max frequency for clock 'clk$SB_IO_IN_$glb_clk': 20.77 MHz (PASS at 12.00 MHz)

Info: Max delay <async>                          -> posedge clk$SB_IO_IN_$glb_clk   : 3.88 ns
Info: Max delay posedge $PACKER_GND_NET_$glb_clk -> posedge clk$SB_IO_IN_$glb_clk   : 37.76 ns
Info: Max delay posedge clk$SB_IO_IN_$glb_clk    -> <async>                         : 4.34 ns
Info: Max delay posedge clk$SB_IO_IN_$glb_clk    -> posedge $PACKER_GND_NET_$glb_clk: 16.83 ns
"""

REPORT_JSON = {
    "fmax": {"clk$SB_IO_IN_$glb_clk": {"achieved": 20.771883010864258, "constraint": 12}},
    "utilization": {"ICESTORM_LC": {"available": 5280, "used": 2026}, "ICESTORM_RAM": {"available": 30, "used": 24}},
}


def test_yosys_stat_counts_by_device():
    by_type = parse_yosys_stat(STAT_JSON)
    assert "$scopeinfo" not in by_type
    c = cell_counts(by_type, get_device("ice40-up5k"))
    assert (c.luts, c.ffs, c.brams, c.dsps, c.carries, c.sprams) == (1629, 82 + 17 + 314 + 105, 24, 2, 485, 0)
    assert parse_yosys_stat(STAT_JSON, "scnc_ooc_shell") == by_type


def test_yosys_stat_rejects_garbage():
    with pytest.raises(ToolError, match="not JSON"):
        parse_yosys_stat("ERROR: syntax error")
    with pytest.raises(ToolError, match="no cell counts"):
        parse_yosys_stat(STAT_JSON, "other_module")


def test_ecp5_and_generic_counts():
    by_type = {"LUT4": 100, "TRELLIS_FF": 50, "CCU2C": 7, "DP16KD": 3, "MULT18X18D": 1}
    c = cell_counts(by_type, get_device("ecp5-25k"))
    assert (c.luts, c.ffs, c.brams, c.dsps, c.carries) == (100, 50, 3, 1, 7)
    g = cell_counts({"$lut": 9, "$_SDFFE_PP0P_": 4, "$_DFF_P_": 1}, get_device("generic"))
    assert (g.luts, g.ffs) == (9, 5)


def test_utilisation_and_overflow_from_failed_placement():
    util = parse_utilisation(NOFIT_LOG)
    assert util["ICESTORM_LC"] == (6002, 5280)
    assert util["ICESTORM_RAM"] == (0, 30)
    over = resource_overflow({k: u for k, (u, a) in util.items()}, {k: a for k, (u, a) in util.items()})
    assert over == {"ICESTORM_LC": (6002, 5280)}
    assert parse_utilisation("no such block") == {}


def test_fmax_from_report_then_log():
    assert parse_fmax(REPORT_JSON) == {"clk$SB_IO_IN_$glb_clk": pytest.approx(20.7719, abs=1e-4)}
    # without a report the log's last value per clock wins (post-route)
    assert parse_fmax(None, TIMING_LOG) == {"clk$SB_IO_IN_$glb_clk": 20.77}


def test_cross_domain_paths_through_constant_clocked_dsp():
    cross = parse_cross_domain(TIMING_LOG)
    # only the post-route block is kept
    assert ("$PACKER_GND_NET_$glb_clk", "clk$SB_IO_IN_$glb_clk", 37.76) in cross
    assert all(ns != 30.0 for _, _, ns in cross)
    period = constant_clock_period_ns(cross, "clk$SB_IO_IN_$glb_clk")
    assert period == pytest.approx(37.76 + 16.83)
    assert constant_clock_period_ns(cross, "other") == 0.0


def test_group_cells_names_memories_and_dsps():
    netlist = json.dumps({"modules": {"top": {"cells": {
        "core.layer0.weights.0.1": {"type": "SB_RAM40_4K"},
        "core.layer0.weights.0.10": {"type": "SB_RAM40_4K"},
        "core.layer1.membrane.0.0": {"type": "SB_RAM40_4K"},
        "core.layer0.$3_SB_MAC16_O": {"type": "SB_MAC16"},
        "x": {"type": "SB_LUT4"},
    }}}})
    assert group_cells(netlist, "top", ("SB_RAM40_4K",)) == {"core.layer0.weights": 2, "core.layer1.membrane": 1}
    assert group_cells(netlist, "top", ("SB_MAC16",)) == {"core.layer0": 1}
    with pytest.raises(ToolError):
        group_cells(netlist, "missing", ("SB_MAC16",))


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 10_000)),
       st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(0, 10_000)))
def test_overflow_is_exactly_the_exceeded_resources(used, avail):
    over = resource_overflow(used, avail)
    for k in used:
        assert (k in over) == (k in avail and used[k] > avail[k])
        if k in over:
            assert over[k] == (used[k], avail[k])


def _manifest(base: Manifest, trace: bool = False, **graph) -> Manifest:
    """The manifest of a core shaped like W-digits' interface (64 intensities of 8 bits, 10 outputs,
    T = 25): built from a compiled core's manifest with the graph sizes replaced, and re-validated."""
    d = base.to_dict()
    d["streams"]["i_data"]["payload"]["width"] = 8
    d["streams"]["i_data"]["payload"]["fields"][0]["width"] = 8
    d["streams"]["i_data"]["beats_per_sample"] = graph.get("n_inputs", 64)
    d["graph"].update(input_bits=8, n_inputs=graph.get("n_inputs", 64))
    d["layers"][0]["n_in"] = graph.get("n_inputs", 64)
    for p in d["ports"]:
        if p["name"] == "i_data__payload":
            p["width"] = 8
    if not trace:
        d["streams"].pop("trace")
        d["ports"] = [p for p in d["ports"] if not p["name"].startswith("trace")]
        d["options"]["trace"] = False
    return Manifest.from_dict(d)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Manifest:
    """The manifest of one compiled 4-3-2 trace core (T = 4), which the wrapper tests reshape."""
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.rtl import compile_graph
    from scnc.snn.network import Network

    g = quantize(from_network(Network.dense([4, 3, 2], seed=0, timesteps=4)),
                 QuantOptions(stream_length=8, parallel_inputs=2, parallel_neurons=1))
    return compile_graph(g, tmp_path_factory.mktemp("fpga_reports") / "tiny")


def test_core_params_from_manifest(tiny):
    man = _manifest(tiny)
    p = core_params(man)
    out_w = man.o_data.payload.width
    assert p == {"IN_W": 8, "OUT_W": out_w, "IR_HASH": f"64'h{man.ir_hash[:16]}", "SHAPE": "32'h00400005"}
    # the same numbers the HIL host and the simulated board give the UART bridge
    b = bridge_shape(man)
    assert (b.in_w, b.out_w, f"32'h{b.shape:08x}", b.ir_hash) == (8, out_w, p["SHAPE"], int(man.ir_hash[:16], 16))
    with pytest.raises(ConfigError, match="65535"):
        core_params(_manifest(tiny, n_inputs=70000))


def test_wrappers(tiny):
    ooc = wrapper_for("ooc", _manifest(tiny))
    out_w = _manifest(tiny).o_data.payload.width
    assert ooc.top == "scnc_ooc_shell" and ooc.constraints is None and ooc.params == {"IN_W": "8", "OUT_W": str(out_w)}
    assert "module scnc_ooc_shell" in OOC_SHELL and "scnc_core core" in OOC_SHELL
    board = wrapper_for("board", _manifest(tiny))
    assert board.top == "scnc_icebreaker_top" and board.clock_mhz == 12.0
    names = [n for n, _ in board.sources]
    assert names == ["scnc_uart_bridge.v", "scnc_icebreaker_top.v"]
    pcf = board.constraints[1]
    for sig, pin in (("CLK", 35), ("RX", 6), ("TX", 9), ("LEDR_N", 11), ("LEDG_N", 37), ("BTN_N", 10)):
        assert any(ln.split()[-2:] == [sig, str(pin)] for ln in pcf.splitlines() if ln.startswith("set_io")), sig
    # a trace build (scnc compile's default) is wrapped with its trace stream tied off
    traced = wrapper_for("ooc", _manifest(tiny, trace=True))
    assert [n for n, _ in traced.sources] == ["scnc_ooc_shell.v", "scnc_core_trace_shim.v"]
    shim = dict(traced.sources)["scnc_core_trace_shim.v"]
    assert "module scnc_core (" in shim and "scnc_core_traced core" in shim and ".trace__ready(1'b1)" in shim
    assert trace_shim(_manifest(tiny)) is None
    with pytest.raises(ConfigError, match="wrapper"):
        wrapper_for("shell", _manifest(tiny))


def test_devices():
    assert DEVICES["ice40-up5k"].resources["ICESTORM_LC"] == 5280
    assert DEVICES["ice40-up5k"].resources["ICESTORM_RAM"] == 30
    assert not DEVICES["generic"].place_and_route
    with pytest.raises(ConfigError, match="target"):
        get_device("ice40-hx8k")


@pytest.mark.parametrize("cmd", ["synth", "build-bitstream"])
def test_cli_help(capsys, cmd):
    from scnc.cli import main

    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage: scnc " + cmd in out and "--json" in out

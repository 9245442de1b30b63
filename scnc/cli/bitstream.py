"""``scnc build-bitstream BUILD``: the board bitstream (core + UART bridge) of a compiled core."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._args import integer, number
from ._common import EXIT_CHECK_FAILED, Out
from ._vocab import BOARDS, TOOL_FLAVOURS


def register(sub) -> None:
    p = sub.add_parser("build-bitstream", help="synthesize, place, route and pack a core for a board",
                       description="Build the iCEBreaker design of a build folder (a trace build's trace port is tied off): "
                                   "the board top, the UART bridge and the core, through yosys, nextpnr-ice40 "
                                   "and icepack, into BUILD/synth/<top>_icebreaker.bin, and print how to program "
                                   "it. Exit 1 when the design does not fit or misses the 12 MHz clock.")
    p.add_argument("build", type=Path, help="build folder (manifest.json, <top>.v)")
    p.add_argument("--board", choices=BOARDS, metavar="BOARD", default="icebreaker",
                   help="board: %(choices)s (default icebreaker)")
    p.add_argument("--tools", dest="yosys", choices=TOOL_FLAVOURS, metavar="TOOLS", default="yowasp",
                   help="%(choices)s: YoWASP wheels (default) or yosys/nextpnr/icepack on PATH")
    p.add_argument("--seed", type=integer(0), default=0, help="nextpnr placement seed (default 0)")
    p.add_argument("--timeout", type=number(0, lo_open=True), default=None,
                   help="wall-clock limit per tool run (seconds, > 0)")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..fpga import DoesNotFit, TimingNotMet, build_bitstream

    summary = {"command": "build-bitstream", "build": str(args.build), "board": args.board}
    try:
        res = build_bitstream(args.build, board=args.board, yosys=args.yosys, seed=args.seed,
                              timeout_s=args.timeout)
    except (DoesNotFit, TimingNotMet) as e:
        out.say(e.report.table())
        out.say(f"{'DOES NOT FIT' if isinstance(e, DoesNotFit) else 'TIMING NOT MET'}: {e}")
        summary.update(e.report.summary())
        summary["bitstream"] = None
        out.result(summary)
        return EXIT_CHECK_FAILED
    out.say(res.report.table())
    out.say(f"bitstream     {res.bitstream} ({res.size_bytes} bytes, sha256 {res.sha256[:16]}...)")
    out.say("program it with one of:")
    for cmd in res.program:
        out.say(f"    {cmd}")
    summary.update(res.report.summary())
    summary.update({"bitstream": str(res.bitstream), "sha256": res.sha256, "size_bytes": res.size_bytes,
                    "program": list(res.program)})
    out.result(summary)
    return 0

"""``scnc synth BUILD``: synthesis and place and route of a compiled core, with its resource report."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._args import integer, number
from ._common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, Out
from ._vocab import TARGETS, TOOL_FLAVOURS, WRAPPERS


def register(sub) -> None:
    p = sub.add_parser("synth", help="synthesize + place and route a compiled core (yosys, nextpnr)",
                       description="Run yosys and nextpnr on a build folder (checked: manifest fields, file hashes, "
                                   "ports, IR hash; a trace build's trace port is tied off) and report LUTs, flip-flops, BRAMs, DSPs, Fmax, whether it "
                                   "fits, and latency at Fmax. Writes BUILD/synth/report.json and report.txt and "
                                   "keeps the tool logs there. Exit 1 when the design does not fit the device.")
    p.add_argument("build", type=Path, help="build folder (manifest.json, <top>.v)")
    p.add_argument("--target", choices=TARGETS, metavar="DEVICE", default="ice40-up5k",
                   help="device: %(choices)s (default ice40-up5k); generic: yosys only, the core alone, no place and route")
    p.add_argument("--wrapper", choices=WRAPPERS, metavar="WRAPPER", default=None,
                   help="%(choices)s: what is placed around the core: board (iCEBreaker top + UART bridge, the default on "
                        "ice40-up5k) or ooc (a shift-register shell with 4 pins, the default on ecp5)")
    p.add_argument("--tools", dest="yosys", choices=TOOL_FLAVOURS, metavar="TOOLS", default="yowasp",
                   help="%(choices)s: YoWASP wheels (default) or yosys/nextpnr on PATH")
    p.add_argument("--seed", type=integer(0), default=0, help="nextpnr placement seed (default 0)")
    p.add_argument("--freq", type=number(0, lo_open=True), default=None,
                   help="nextpnr timing target in MHz (default 12 ice40, 50 ecp5)")
    p.add_argument("--no-dsp", dest="dsp", action="store_false", help="map multipliers to LUTs, not DSP blocks")
    p.add_argument("--timeout", type=number(0, lo_open=True), default=None,
                   help="wall-clock limit per tool run (seconds, > 0)")
    p.add_argument("--force", action="store_true",
                   help="synthesize even when the capacity model (checked first, in a second) says the core does "
                        "not fit (docs/fpga.md, 'Capacity check')")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..fpga import DoesNotFit, synth
    from ..fpga.capacity import DoesNotFitEstimate
    from ..manifest import Manifest

    wrapper = args.wrapper or ("board" if args.target == "ice40-up5k" else "ooc")
    summary = {"command": "synth", "build": str(args.build), "target": args.target, "wrapper": wrapper}
    try:
        rep = synth(args.build, target=args.target, wrapper=wrapper, yosys=args.yosys, seed=args.seed,
                    freq_mhz=args.freq, dsp=args.dsp, timeout_s=args.timeout, check=not args.force)
    except DoesNotFitEstimate as e:
        # stopped before yosys: the model's table, what does not fit, and options that would
        for line in e.estimate.table():
            out.say(line)
        out.say(f"DOES NOT FIT (capacity model, no tool was run): {e}")
        summary.update({"fits": False, "stage": "capacity", "capacity": e.estimate.summary(),
                        "suggestions": list(e.suggestions)})
        out.result(summary)
        return EXIT_BAD_INPUT
    except DoesNotFit as e:
        out.say(e.report.table())
        out.say(f"DOES NOT FIT: {e}")
        summary.update(e.report.summary())
        summary["overflow"] = {k: list(v) for k, v in e.overflow.items()}
        out.result(summary)
        return EXIT_CHECK_FAILED
    out.say(rep.table())
    if Manifest.load(args.build, check_files=False).has_trace:
        out.say("trace build: the trace stream was tied off (ready high, outputs open) and optimised away; "
                "compile with --no-trace to leave it out altogether")
    out.say(f"report        {Path(args.build) / rep.files['report']}")
    summary.update(rep.summary())
    summary["report"] = str(Path(args.build) / rep.files["report"])
    out.result(summary)
    return 0

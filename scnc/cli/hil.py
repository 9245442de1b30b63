"""``scnc hil``: stream a data set through a board (serial port or simulated) and compare with scnc.ref."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import Out, fmt_pct
from ._vocab import DATASETS, SIMULATORS


def register(sub) -> None:
    p = sub.add_parser("hil", help="hardware in the loop: run samples on a board over UART, compare with scnc.ref",
                       description="Identify the board behind --port (it must run the core of BUILD: same IR "
                                   "hash), stream test samples through it one by one and compare the output "
                                   "spikes of every step and the spike counts with scnc.ref. --port sim "
                                   "simulates the board (core + UART bridge) in Verilator through cocotb. "
                                   "Exit 1 on any mismatch or when the board stops answering.")
    p.add_argument("build", type=Path, help="build folder written by scnc.rtl.compile_graph (trace=False)")
    p.add_argument("--port", required=True, help="serial port (e.g. /dev/ttyUSB1), or 'sim' for the simulated board")
    p.add_argument("--baud", type=int, default=115200, help="UART bits/s of the board (default 115200)")
    p.add_argument("--clk-hz", type=int, default=12_000_000, help="board clock (Hz), bounds the wait for a sample")
    p.add_argument("--samples", type=int, default=20, help="number of test samples (default 20)")
    p.add_argument("--dataset", choices=DATASETS, metavar="NAME", default="digits",
                   help="data set whose test split is streamed: %(choices)s (default digits)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder holding optdigits / mnist files")
    p.add_argument("--classes", default=None, help="class subset, e.g. '0-4'")
    p.add_argument("--seed", type=int, default=0, help="seed of random / Bernoulli inputs")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for a reply (default: 1 for a serial port, 20 for sim)")
    p.add_argument("--retries", type=int, default=3, help="extra attempts per command (default 3)")
    p.add_argument("--sim", choices=SIMULATORS, metavar="SIM", default="verilator",
                   help="simulator for --port sim: %(choices)s")
    p.add_argument("--cycles-per-bit", type=int, default=8, help="UART bit time of the simulated board (cycles)")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    import contextlib

    from ..data import parse_classes
    from ..hil import Board, SimBoard, board_inputs, load_build, open_serial, stream_samples

    manifest, graph = load_build(args.build)
    classes = parse_classes(args.classes) if args.classes else None
    x, labels, desc = board_inputs(graph, samples=args.samples, dataset=args.dataset, data_dir=args.data_dir,
                                   classes=classes, seed=args.seed)
    with contextlib.ExitStack() as stack:
        if args.port == "sim":
            sim = SimBoard(args.build, sim=args.sim, cycles_per_bit=args.cycles_per_bit, progress=out.say)
            transport = stack.enter_context(sim)
            where = f"simulated board ({args.sim}, {args.cycles_per_bit} cycles per UART bit)"
        else:
            transport = open_serial(args.port, args.baud)
            stack.callback(transport.close)
            where = f"{args.port} at {args.baud} baud"
        board = Board(transport, manifest, timeout_s=args.timeout, retries=args.retries, clk_hz=args.clk_hz)
        ident = board.identify()
        out.say(f"board on {where}: IR {ident.ir_hash}, protocol v{ident.version}, "
                f"{ident.in_beats} input / {ident.out_beats} output beats per sample")
        out.say(f"streaming {desc}")
        rep = stream_samples(board, graph, x, labels)
    summary = {"command": "hil", "build": str(args.build), "port": args.port, "inputs": desc,
               "ir_hash": manifest["ir_hash"], **rep.summary()}
    out.say(f"{rep.completed}/{rep.samples} samples, {rep.mismatches} mismatches, "
            f"{rep.samples_per_s:.2f} samples/s")
    if rep.accuracy is not None:
        out.say(f"board accuracy {fmt_pct(rep.accuracy)} (scnc.ref {fmt_pct(rep.ref_accuracy)}) over {rep.completed} samples")
    if rep.first_mismatch is not None:
        out.say(f"first mismatch: {rep.first_mismatch}")
    if rep.error is not None:
        out.say(f"board stopped answering: {rep.error}")
    if rep.board.get("retries"):
        out.say(f"link: {rep.board}")
    out.result(summary)
    return 0 if rep.ok else 1

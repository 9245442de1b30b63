"""``scnc hil``: stream a data set through a board (serial port or simulated) and compare with scnc.ref."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ._common import Out, fmt_pct
from ._vocab import DATASETS, SIMULATORS


def register(sub) -> None:
    p = sub.add_parser("hil", help="hardware in the loop: run samples on a board over UART, compare with scnc.ref",
                       description="Identify the board behind --port (it must run the core of BUILD: same IR "
                                   "hash), stream test samples through it one by one and compare the output "
                                   "spikes of every step and the spike counts with scnc.ref. --port sim "
                                   "simulates the board (core + UART bridge) in Verilator through cocotb. "
                                   "The completed samples are saved in BUILD/hil/ (results.json, results.npz), "
                                   "also when the run ends early. Exit 1 on any mismatch or when the board stops "
                                   "answering.")
    p.add_argument("build", type=Path, help="build folder written by scnc.rtl.compile_graph (trace=False)")
    p.add_argument("--port", required=True, help="serial port (e.g. /dev/ttyUSB1), or 'sim' for the simulated board")
    p.add_argument("--baud", type=int, default=115200, help="UART bits/s of the board (default 115200)")
    p.add_argument("--clk-hz", type=float, default=12_000_000,
                   help="board clock (Hz, > 0), bounds the wait for a sample (default 12e6)")
    p.add_argument("--samples", type=int, default=20, help="number of test samples (default 20)")
    p.add_argument("--dataset", choices=DATASETS, metavar="NAME", default="digits",
                   help="data set whose test split is streamed: %(choices)s (default digits)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder holding optdigits / mnist files")
    p.add_argument("--classes", default=None, help="class subset, e.g. '0-4'")
    p.add_argument("--seed", type=int, default=0, help="seed of random / Bernoulli inputs")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for a reply, finite and > 0 (default: 1 for a serial port, 20 for sim)")
    p.add_argument("--retries", type=int, default=3, help="extra attempts per command (default 3)")
    p.add_argument("--sim", choices=SIMULATORS, metavar="SIM", default="verilator",
                   help="simulator for --port sim: %(choices)s")
    p.add_argument("--cycles-per-bit", type=int, default=8, help="UART bit time of the simulated board (cycles)")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    """Refuse out-of-range link options before anything is loaded or a simulator started."""
    from ..errors import ConfigError

    if not (math.isfinite(args.clk_hz) and args.clk_hz > 0):
        raise ConfigError(f"--clk-hz must be a finite number of Hz > 0, got {args.clk_hz!r}")
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ConfigError(f"--timeout must be a finite number of seconds > 0, got {args.timeout!r}")
    if args.retries < 0:
        raise ConfigError(f"--retries must be >= 0, got {args.retries}")
    if args.baud <= 0:
        raise ConfigError(f"--baud must be > 0 (bits/s), got {args.baud}")
    if args.samples < 1:
        raise ConfigError(f"--samples must be >= 1, got {args.samples}")


def _save(folder: Path, summary: dict, rep, inputs) -> tuple[Path, Path]:
    """Write the run's summary and the completed samples (board trace and inputs), atomically."""
    from .._io import atomic_write_bytes, atomic_write_text, canonical_json, npz_bytes

    folder.mkdir(parents=True, exist_ok=True)
    arrays = rep.trace.arrays()
    arrays["inputs"] = inputs[: rep.completed]
    npz, js = folder / "results.npz", folder / "results.json"
    atomic_write_bytes(npz, npz_bytes(arrays))
    atomic_write_text(js, canonical_json(summary))
    return js, npz


def run(args: argparse.Namespace, out: Out) -> int:
    import contextlib

    from ..data import parse_classes
    from ..errors import ScncError
    from ..hil import Board, SimBoard, board_inputs, load_build, open_serial, stream_samples

    _check_args(args)
    manifest, graph = load_build(args.build)
    classes = parse_classes(args.classes) if args.classes else None
    x, labels, desc = board_inputs(graph, samples=args.samples, dataset=args.dataset, data_dir=args.data_dir,
                                   classes=classes, seed=args.seed)
    rep = saved = None
    closing_error = None
    try:
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
            # saved before the link is closed: closing a failed simulated board raises
            try:
                saved = _save(Path(args.build) / "hil", _summary(args, manifest, desc, rep), rep, x)
            except OSError as exc:  # a read-only build folder must not cost the report
                out.say(f"warning: the results could not be saved: {exc}")
    except ScncError as exc:
        if rep is None:
            raise
        closing_error = f"closing the board link failed: {exc}"
    summary = _summary(args, manifest, desc, rep)
    if closing_error is not None:
        summary["close_error"] = closing_error
    out.say(f"{rep.completed}/{rep.samples} samples, {rep.mismatches} mismatches, "
            f"{rep.samples_per_s:.2f} samples/s")
    if rep.accuracy is not None:
        out.say(f"board accuracy {fmt_pct(rep.accuracy)} (scnc.ref {fmt_pct(rep.ref_accuracy)}) over {rep.completed} samples")
    if rep.first_mismatch is not None:
        out.say(f"first mismatch: {rep.first_mismatch}")
    if rep.error is not None:
        out.say(f"the run ended early: {rep.error}")
    if closing_error is not None:
        out.say(closing_error)
    if rep.board.get("retries"):
        out.say(f"link: {rep.board}")
    if saved is not None:
        out.say(f"results of the {rep.completed} completed samples saved: {saved[0]}, {saved[1]}")
        summary["results_json"], summary["results_npz"] = str(saved[0]), str(saved[1])
    out.result(summary)
    return 0 if rep.ok and closing_error is None else 1


def _summary(args: argparse.Namespace, manifest: dict, desc: str, rep) -> dict:
    return {"command": "hil", "build": str(args.build), "port": args.port, "inputs": desc,
            "ir_hash": manifest.ir_hash, **rep.summary()}

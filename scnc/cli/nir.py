"""``scnc import`` / ``scnc export``: NIR graphs in and out (thin glue over :mod:`scnc.nir`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..kinds import ResetMode, choices
from ._args import checkpoint_output, file_output, integer, number
from ._common import Out
from ._vocab import ENCODERS


def register(sub) -> None:
    from ..kinds import Discretization, Producer

    p = sub.add_parser(
        "import", help="read a NIR graph (snnTorch, Norse, Sinabs, Rockpool...) into a checkpoint",
        description="Read a NIR file into a scnc checkpoint. NIR neurons are continuous-time: the time step, "
                    "the discretisation and the reset are explicit options, with each framework's conventions "
                    "as presets (--producer). Prints, per layer, beta, the input gain, the threshold, the reset "
                    "and what was assumed (docs/nir.md).")
    p.add_argument("model", type=Path, help="the .nir file (HDF5)")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True,
                   help="checkpoint to write (.npz + .json sidecar)")
    p.add_argument("--producer", choices=choices(Producer), default="auto",
                   help="whose conventions the file follows (default: auto: scnc's and snnTorch's files are "
                        "recognised, others must be named)")
    p.add_argument("--dt", type=number(0, lo_open=True), default=None,
                   help="time step of one scnc step, in the file's time unit (default: the producer's)")
    p.add_argument("--discretization", choices=choices(Discretization), default=None,
                   help="euler: beta = 1 - dt/tau; exact: beta = exp(-dt/tau) (default: the producer's)")
    p.add_argument("--reset", choices=choices(ResetMode), default=None,
                   help="reset of every layer (default: the producer's; a warning says when the file cannot tell)")
    p.add_argument("--timesteps", type=integer(1), default=25, help="time steps per example (NIR does not store it; default 25)")
    p.add_argument("--encoder", choices=ENCODERS, metavar="KIND", default="rate",
                   help="float input encoding of the imported network: %(choices)s (default: rate)")
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    p.set_defaults(func=run_import)

    e = sub.add_parser(
        "export", help="write a checkpoint or IR as a NIR graph",
        description="Write a checkpoint (or a float or quantized IR folder) as a NIR file in snnTorch's "
                    "conventions (dt = 1e-4, r = tau/dt), readable by nir.read, snnTorch's importer and "
                    "scnc import. A quantized IR exports the hardware's parameter values.")
    e.add_argument("source", type=Path, help="checkpoint (.npz with its .json sidecar) or IR folder")
    e.add_argument("-o", "--output", type=file_output, required=True, help="the .nir file to write")
    e.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    e.set_defaults(func=run_export)


def _fmt(a) -> str:
    lo, hi = float(a.min()), float(a.max())
    return f"{lo:.6g}" if lo == hi else f"{lo:.4g}..{hi:.4g}"


def run_import(args: argparse.Namespace, out: Out) -> int:
    from ..nir import read_nir
    from ..snn.network import EncoderConfig
    from ..transfer import save_checkpoint

    res = read_nir(args.model, producer=args.producer, dt=args.dt, discretization=args.discretization,
                   reset=args.reset, timesteps=args.timesteps, encoder=EncoderConfig(kind=args.encoder))
    out.say(f"{args.model}: producer {res.producer}, dt {res.dt:g}, discretisation {res.discretization}")
    for note in res.notes:
        out.say(f"  {note}")
    out.say(f"  {'layer':<14}{'nodes':<22}{'shape':>10}  {'beta':>16}  {'gain':>10}  {'threshold':>16}  reset")
    for r in res.layers:
        out.say(f"  {r.name:<14}{','.join(r.nodes):<22}{f'{r.n_in}x{r.n_out}':>10}  {_fmt(r.beta):>16}  "
                f"{_fmt(r.gain):>10}  {_fmt(r.threshold):>16}  {r.reset}")
        for a in r.assumptions:
            out.say(f"      - {a}")
    for w in res.warnings:
        out.say(f"warning: {w}")
    path = save_checkpoint(res.checkpoint, args.output)
    out.say(f"wrote {path} ({res.checkpoint.content_hash[:16]})")
    summary = {"command": "import", "checkpoint": str(path), "content_hash": res.checkpoint.content_hash}
    summary.update(res.summary())
    out.result(summary)
    return 0


def run_export(args: argparse.Namespace, out: Out) -> int:
    from ..nir import write_nir

    src = args.source
    if src.is_dir() or src.name in ("ir.json", "ir.npz"):
        from ..ir import load_ir

        obj = load_ir(src if src.is_dir() else src.parent)
    else:
        from ..transfer import load_checkpoint

        obj = load_checkpoint(src)
    path = write_nir(obj, args.output)
    out.say(f"wrote {path}")
    out.result({"command": "export", "source": str(src), "nir": str(path)})
    return 0

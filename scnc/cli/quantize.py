"""``scnc quantize``: lower a checkpoint to the quantized IR (ir.json + ir.npz)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._args import folder_output
from ._common import Out
from ._quant import add_engine_option, add_quant_options, apply_engine, load_network, quant_options


def register(sub) -> None:
    p = sub.add_parser("quantize", help="lower a checkpoint to the quantized IR",
                       description="Lower a checkpoint through the IR passes and write the quantized "
                                   "graph (ir.json + ir.npz) into a folder.")
    p.add_argument("checkpoint", type=Path, help="checkpoint (.npz with its .json sidecar) or a .nir file")
    p.add_argument("-o", "--output", type=folder_output, required=True,
                   help="output folder for ir.json + ir.npz (created if needed; not an existing file)")
    add_quant_options(p)
    add_engine_option(p)
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..ir import from_checkpoint, ir_hash, quantize, save_ir, summary

    graph = apply_engine(quantize(from_checkpoint(load_network(args.checkpoint, out)), quant_options(args)), args)
    save_ir(graph, args.output)
    out.say(summary(graph))
    out.say(f"wrote {args.output}/ir.json and ir.npz")
    out.result({"command": "quantize", "ir": str(args.output), "ir_hash": ir_hash(graph)})
    return 0

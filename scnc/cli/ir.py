"""``scnc ir show``: print a readable summary of an IR (a folder, or a checkpoint quantized on the fly)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import Out
from ._quant import add_engine_option, add_quant_options, load_quantized


def register(sub) -> None:
    p = sub.add_parser("ir", help="inspect the IR", description="Inspect scnc's intermediate representation.")
    irsub = p.add_subparsers(dest="ir_command", metavar="IR_COMMAND")
    irsub.required = True
    show = irsub.add_parser("show", help="summarise a quantized IR",
                            description="Summarise an IR folder (ir.json + ir.npz) or a checkpoint "
                                        "quantized with the given options: layers, shapes, bits, streams, "
                                        "widths, estimated cycles per time step.")
    show.add_argument("path", type=Path, help="IR folder, or a checkpoint .npz")
    add_quant_options(show)
    add_engine_option(show)
    show.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    show.set_defaults(func=run_show, command="ir show")


def run_show(args: argparse.Namespace, out: Out) -> int:
    from ..ir import ir_hash, summary

    graph, _ = load_quantized(args.path, args)
    out.say(summary(graph))
    hw = graph.hardware
    out.result({"command": "ir show", "ir_hash": ir_hash(graph), "stream_length": hw.stream_length,
                "encoding": hw.encoding, "sng": hw.sng, "engine": hw.engine,
                "layers": [{"name": n.name, "n_in": n.n_in, "n_out": n.n_out,
                            "weight_bits": n.synapse.quant.weight_bits, "membrane_bits": n.neuron.quant.membrane_bits}
                           for n in graph.layers]})
    return 0

"""``scnc compile``: a checkpoint or quantized IR -> Verilog core, manifest, IR and integrator README."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ._args import verilog_identifier
from ._common import Out
from ._vocab import TARGETS
from ._quant import add_auto_length_options, add_engine_option, add_quant_options, load_quantized


def _output_path(text: str) -> Path:
    """``-o``: refuse an empty path here (``Path("")`` would silently mean the working folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder path is empty; name a folder, e.g. -o build/")
    return Path(text)


def register(sub) -> None:
    p = sub.add_parser("compile", help="generate the Verilog core of a checkpoint or IR",
                       description="Quantize a checkpoint (or take a quantized IR folder as is) and generate "
                                   "the Verilog network core: <top>.v, manifest.json (ports, widths, layouts, "
                                   "cycles, IR hash, versions), the quantized IR and a README for integrators. "
                                   "Identical inputs give byte-identical files.")
    p.add_argument("source", type=Path,
                   help="checkpoint .npz, a .nir file, or a quantized IR folder (ir.json + ir.npz)")
    p.add_argument("-o", "--output", type=_output_path, required=True,
                   help="output folder: a new or empty folder, or a previous scnc build (replaced atomically); "
                        "any other existing folder is refused and left untouched")
    p.add_argument("--top", type=verilog_identifier, default="scnc_core",
                   help="Verilog module name of the top: an identifier of at most 128 characters, not a "
                        "keyword (default: scnc_core)")
    p.add_argument("--no-trace", dest="trace", action="store_false",
                   help="leave out the membrane trace port (board builds; verification needs it; synth ties it off "
                        "when present)")
    add_quant_options(p)
    add_auto_length_options(p, data=True)
    add_engine_option(p)
    p.add_argument("--target", choices=TARGETS, metavar="DEVICE", default="ice40-up5k",
                   help="device whose capacity the core is estimated against (scnc.fpga.capacity; the wrapper "
                        "scnc synth would use: board on ice40-up5k, ooc otherwise; generic: no device, nothing to "
                        "fit): %(choices)s (default ice40-up5k)")
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..ir import summary
    from ..rtl import check_top_name, compile_graph
    from ..rtl.compile import check_out_dir

    t0 = time.perf_counter()
    # checked before the (slow) quantization: a bad -o or --top fails at once, and nothing is touched
    check_top_name(args.top, where="--top")
    check_out_dir(args.output)
    graph, _ = load_quantized(args.source, args, out)
    manifest = compile_graph(graph, args.output, top_name=args.top, trace=args.trace)
    seconds = time.perf_counter() - t0
    cycles = manifest.cycles
    out.say(summary(graph))
    out.say(f"wrote {args.output}/{manifest.files.verilog}, manifest.json, ir/, README.md in {seconds:.1f} s")
    bound = "at most " if graph.hardware.engine == "event" else ""  # event: data-dependent, scnc.ref.cycles
    out.say(f"cycles per time step {bound}{cycles.per_step.total}, per sample {bound}{cycles.per_sample} "
            f"(latency, no stall; engine {graph.hardware.engine})")
    from ..fpga.capacity import estimate

    est = estimate(graph, args.target, trace=manifest.has_trace)
    for line in est.table():
        out.say(line)
    if not est.fits:
        out.say(f"the model says this core does not fit {args.target}: scnc synth will stop before yosys "
                "(it names options that fit; --force synthesizes anyway)")
    if manifest.has_trace:
        out.say("trace build (membrane trace port, for scnc verify); scnc synth / build-bitstream tie the trace "
                "off; --no-trace leaves it out")
    out.result({"command": "compile", "output": str(args.output), "top": args.top,
                "ir_hash": manifest.ir_hash, "cycles_per_step": cycles.per_step.total,
                "cycles_per_sample": cycles.per_sample, "trace": manifest.has_trace,
                "engine": str(graph.hardware.engine), "stream_length": graph.hardware.stream_length,
                "capacity": est.summary(), "seconds": round(seconds, 3)})
    return 0

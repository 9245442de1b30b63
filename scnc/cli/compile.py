"""``scnc compile``: a checkpoint or quantized IR -> Verilog core, manifest, IR and integrator README."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ._args import verilog_identifier
from ._common import Out
from ._auto_hw import add_auto_hardware_options, choose, is_auto_engine, is_auto_parallel, plain_args
from ._quant import (
    AUTO,
    AUTO_FRACTION,
    add_auto_length_options,
    add_engine_option,
    add_quant_options,
    apply_engine,
    auto_options,
    load_network,
    load_quantized,
    quant_options,
)
from ._vocab import DATASETS, TARGETS


def _output_path(text: str) -> Path:
    """``-o``: refuse an empty path here (``Path("")`` would silently mean the working folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder path is empty; name a folder, e.g. -o build/")
    return Path(text)


def _is_ir(path: Path) -> bool:
    return path.is_dir() or path.name in ("ir.json", "ir.npz")


def _calibration_data(args: argparse.Namespace, ckpt, n_in: int, out):
    """``(x, y)`` of the calibration split for the ``auto`` choices, or ``None`` (said on ``out``).

    ``--stream-length auto`` given: ``--auto-dataset`` / ``--auto-split`` (as before). Otherwise the data set
    the checkpoint records in its provenance (``scnc train`` / ``scnc demo`` write it), if scnc can load it."""
    from ..data import load_dataset, select_classes
    from ..errors import ScncError
    from ..ref.stream_length import calibration_split

    classes = list(ckpt.class_labels) if ckpt.class_labels else None
    if args.stream_length == AUTO:
        name, split = args.auto_dataset, args.auto_split
    else:
        rec = (getattr(ckpt, "provenance", None) or {}).get("dataset")
        name = rec.get("name") if isinstance(rec, dict) else None
        split = args.auto_split
        if name not in DATASETS:
            out.say("no calibration data: the checkpoint records no data set scnc can load (provenance.dataset); "
                    "--stream-length keeps its default 64 and the event engine is ranked by its bound "
                    "(--stream-length auto --auto-dataset NAME measures)")
            return None
    try:
        full = load_dataset(name, split=split, data_dir=args.data_dir)  # read once: _untrained_index needs it too
        ds = full if classes is None else select_classes(full, classes)
    except ScncError as e:
        if args.stream_length == AUTO:
            raise
        out.say(f"no calibration data ({e}); --stream-length keeps its default 64")
        return None
    cal = _untrained_index(full, ds, (getattr(ckpt, "provenance", None) or {}).get("dataset"), out)
    if cal is None:
        _, cal = calibration_split(ds.y, AUTO_FRACTION, seed=0)
    x = _local_features(args, ckpt, ds.x[cal], out)  # only the calibration samples go through an encoder
    if x.shape[1] != n_in and args.stream_length != AUTO:  # (given auto: the accuracy run names it, as before)
        out.say(f"no calibration data: {name} has {x.shape[1]} features, the checkpoint {n_in} inputs; "
                "--stream-length keeps its default 64")
        return None
    return x, ds.y[cal]


def _untrained_index(full, ds, record, out):
    """Indices into ``ds`` (``full``, the whole split, or a class selection of it) of the examples a
    checkpoint trained on a few-shot sample of this very split did not see, or ``None`` (not such a
    checkpoint, or its sample cannot be drawn again identically).

    ``record`` is the checkpoint's ``provenance["dataset"]`` (:meth:`scnc.data.Dataset.identity`): a
    ``shots`` / ``seed`` pair there means training saw ``few_shot(classes, total=shots, seed=seed)`` of
    the split; it is drawn again and checked against the recorded SHA-256. Every other example is
    held out, several times the 20 % split's samples (a 100-example classifier of 5 optdigits classes:
    1,802 instead of 379, which makes the ``auto`` choices' accuracy comparison that much less noisy).
    """
    from ..data import few_shot_index, select_classes
    from ..errors import ScncError

    split = full.split
    if not (isinstance(record, dict) and record.get("name") == full.name and record.get("split") == split
            and isinstance(record.get("shots"), int) and isinstance(record.get("seed"), int)
            and isinstance(record.get("classes"), list)):
        return None
    try:
        source = select_classes(full, record["classes"])
        trained = few_shot_index(source, total=record["shots"], seed=record["seed"])
    except ScncError:
        return None
    if source.subset(trained).sha256 != record.get("sha256"):
        out.say(f"the checkpoint's few-shot sample of {full.name}/{split} does not draw again identically (the data "
                "changed?): calibrating on the usual 20 % split, which may hold examples it was trained on")
        return None
    labels = np.asarray(full.classes, dtype=np.int64)[full.y]
    seen = np.flatnonzero(np.isin(labels, record["classes"]))[trained]  # positions in the whole split
    keep = np.flatnonzero(~np.isin(np.flatnonzero(np.isin(labels, ds.classes)), seen))
    if keep.size == 0:
        return None
    out.say(f"calibration data: the {keep.size} examples of {full.name}/{split} outside the {record['shots']}-example "
            "sample the checkpoint was trained on")
    return keep


def _local_features(args: argparse.Namespace, ckpt, x, out):
    """``x`` as the checkpoint's inputs: a local-learning classifier's rate-coded encoder features
    (``--encoder``), else unchanged."""
    from ..local import LOCAL_MARK
    from .local_train import local_inputs

    if args.encoder is None and LOCAL_MARK in ckpt.metadata:
        out.say(f"{args.source} is a local-learning classifier: give --encoder (the encoder it was trained on) to "
                "calibrate on its real features")
        return x
    return local_inputs(ckpt, args.encoder, x, str(args.source))


def _quantized(args: argparse.Namespace, out):
    """The graph to compile: an IR folder as is (``--engine`` applied when given), or the checkpoint
    quantized with the options, ``auto`` ones chosen (stream length by accuracy on the calibration data,
    engine and parallelism by the capacity and cycle models for ``--target``)."""
    from ..ir import from_checkpoint, quantize
    from ..snn import accuracy

    path = Path(args.source)
    plain = plain_args(args)
    if _is_ir(path):
        if is_auto_engine(args) or is_auto_parallel(args):
            out.say("quantized IR: its engine and parallelism are used as decided (give --engine to change the engine)")
        return load_quantized(path, plain, out)[0]
    ckpt = load_network(path, out)
    float_graph = from_checkpoint(ckpt)
    data = _calibration_data(args, ckpt, float_graph.input.size, out)
    if args.stream_length is None and data is not None:
        plain.stream_length = AUTO  # the default where calibration data exists
    if plain.stream_length == AUTO:
        x, y = data
        float_acc = float(accuracy(ckpt.to_network(), x, y))
        opts, _ = auto_options(plain, float_graph, x, y, float_acc, out)
    else:
        opts = quant_options(plain)
    graph = apply_engine(quantize(float_graph, opts), plain)
    return choose(graph, args, data[0] if data is not None else None, out)


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
    p.add_argument("--encoder", type=Path, default=None,
                   help="a local-learning classifier (`scnc local-train`) takes encoder features, not pixels: the "
                        "encoder it was trained on, so the calibration data (--stream-length auto, the engine's "
                        "cycles) are its real features")
    p.add_argument("--no-trace", dest="trace", action="store_false",
                   help="leave out the membrane trace port (board builds; verification needs it; synth ties it off "
                        "when present)")
    add_quant_options(p)
    add_auto_length_options(p, data=True)
    add_engine_option(p)
    add_auto_hardware_options(p)
    for action in p._actions:  # compile's default differs from the shared help: say which
        if "--stream-length" in action.option_strings:
            action.help = action.help.replace("(default: 64)", "(default: auto when the checkpoint records a data "
                                              "set scnc can load as its provenance, else 64)")
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
    graph = _quantized(args, out)
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

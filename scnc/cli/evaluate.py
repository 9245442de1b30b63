"""``scnc evaluate``: accuracy of a checkpoint in float, and of its hardware (via scnc.ref) with --hw."""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from ._args import integer, number
from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data
from ._limits import check_memory, float_inference_bytes, hardware_inference_bytes
from ._quant import add_quant_options, load_network, quant_options


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="accuracy of a checkpoint (float, and hardware with --hw)",
                       description="Report the accuracy of a checkpoint on a data split. With --hw the "
                                   "checkpoint is quantized and run through scnc.ref, the bit-exact model "
                                   "of the generated hardware, and both accuracies are reported.")
    p.add_argument("checkpoint", type=Path, help="checkpoint (.npz with its .json sidecar) or a .nir file")
    p.add_argument("--hw", action="store_true", help="also evaluate the quantized hardware (scnc.ref)")
    p.add_argument("--limit", type=integer(1), default=None, help="evaluate only the first N samples (N >= 1)")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the accuracy (the hardware's with --hw) is below this fraction")
    add_data_options(p, split_default="test",
                     classes_help="class subset (default: the checkpoint's output classes)")
    p.add_argument("--encoder", type=Path, default=None,
                   help="a classifier from `scnc local-train` takes encoder features: the frozen encoder it was "
                        "trained on (its rate-coded features are the network's input)")
    add_quant_options(p)
    add_output_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..snn import accuracy

    ckpt = load_network(args.checkpoint, out)
    dataset = args.dataset or ckpt.provenance.get("dataset", {}).get("name") or "digits"
    classes = None if args.classes else (list(ckpt.class_labels) if ckpt.class_labels else None)
    ds = load_data(args, dataset=dataset, classes=classes)
    x, y = ds.x, ds.y
    if args.limit is not None:
        x, y = x[: args.limit], y[: args.limit]
    from .local_train import local_inputs

    x = local_inputs(ckpt, args.encoder, x, str(args.checkpoint))
    net = ckpt.to_network()
    if net.n_outputs != len(ds.classes):
        from ..errors import ConfigError

        raise ConfigError(f"{args.checkpoint}: the network has {net.n_outputs} outputs but {len(ds.classes)} "
                          f"classes {list(ds.classes)} were selected")
    sizes = [net.n_inputs, *(layer.n_out for layer in net.layers)]
    opts = quant_options(args) if args.hw else None
    _check_memory(args, sizes, net.timesteps, len(y), opts)
    t0 = time.perf_counter()
    float_acc = accuracy(net, x, y)
    summary = {"command": "evaluate", "checkpoint": str(args.checkpoint), "dataset": ds.name,
               "split": ds.split, "samples": int(len(y)), "classes": list(ds.classes),
               "float_accuracy": float_acc}
    out.say(f"{ds.name}/{ds.split}, {len(y)} samples, classes {list(ds.classes)}")
    out.say(f"float accuracy     {fmt_pct(float_acc)}")
    reported = float_acc
    if args.hw:
        from .. import ref
        from ..ir import from_checkpoint, quantize

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            graph = quantize(from_checkpoint(ckpt), opts)
            hw = ref.run(graph, x, trace=False)
            ref.check_activity(graph, x)
        hw_acc = float((hw.winners == y).mean()) if len(y) else 0.0  # y indexes ds.classes, like winners
        hwp = graph.hardware
        out.say(f"hardware accuracy  {fmt_pct(hw_acc)}  (scnc.ref; encoding={hwp.encoding}, L={hwp.stream_length}, "
                f"sng={hwp.sng}, weight bits={graph.layers[0].synapse.quant.weight_bits}, leak={graph.layers[0].neuron.quant.leak.kind})")
        sats = {layer.name: int(s.sum()) for layer, s in zip(graph.layers, hw.saturations)}
        if any(sats.values()):
            out.say(f"membrane saturations: {sats}")
        for w in caught:
            out.say(f"warning: {w.message}")
        summary.update({"accuracy": hw_acc, "encoding": hwp.encoding, "stream_length": hwp.stream_length,
                        "sng": hwp.sng, "weight_bits": graph.layers[0].synapse.quant.weight_bits,
                        "saturations": sats, "warnings": [str(w.message) for w in caught],
                        "options": _opts_dict(opts)})
        reported = hw_acc
    else:
        summary["accuracy"] = float_acc
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    out.result(summary)
    check_min_accuracy(out, reported, args.min_accuracy, "hardware accuracy" if args.hw else "accuracy")
    return 0


def _check_memory(args: argparse.Namespace, sizes: list[int], timesteps: int, samples: int, opts) -> None:
    """Refuse, before anything runs, an evaluation whose arrays exceed ``--max-memory``."""
    run = f"evaluating {' -> '.join(map(str, sizes))} with T={timesteps} on {samples} samples"
    advice = "evaluate fewer samples (--limit) or a checkpoint with fewer time steps"
    check_memory(run, float_inference_bytes(sizes, timesteps, samples), args.max_memory, advice)
    if opts is not None:
        need = hardware_inference_bytes(sizes, timesteps, samples, stream_length=opts.stream_length,
                                        parallel_inputs=opts.parallel_inputs)
        check_memory(f"{run} in scnc.ref (--hw, L={opts.stream_length})", need, args.max_memory, advice)


def _opts_dict(opts) -> dict:
    import dataclasses

    return dataclasses.asdict(opts)

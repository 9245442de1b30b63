"""``scnc demo``: the whole pipeline on the bundled digits in one command.

train (float) -> checkpoint -> quantize (IR) -> hardware accuracy (scnc.ref) -> Verilog core ->
bit-exact co-simulation of a sample subset in Verilator (cocotb) against scnc.ref.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ._args import folder_output, integer, number
from ._common import CheckFailed, Out, add_output_options, check_min_accuracy, fmt_pct
from ._limits import check_memory, training_bytes
from ._quant import AUTO, AUTO_FRACTION, add_auto_length_options, add_engine_option, add_quant_options, apply_engine, auto_options, quant_options
from ._auto_hw import add_auto_hardware_options, choose, plain_args
from ._vocab import SIMULATORS, TARGETS


def register(sub) -> None:
    p = sub.add_parser("demo", help="the whole pipeline on the bundled digits: train, quantize, compile, co-simulate",
                       description="The whole scnc pipeline on the bundled digits (no download): train a "
                                   "64 -> 128 -> 10 LIF network, save the checkpoint, quantize it to SC "
                                   "hardware, compare hardware accuracy (bit-exact model) with float "
                                   "accuracy, and generate the Verilog core.")
    p.add_argument("-o", "--output", type=folder_output, default="scnc-demo", help="output folder (default: scnc-demo)")
    p.add_argument("--hidden", type=integer(1), default=128, help="hidden neurons (default: 128)")
    p.add_argument("--timesteps", type=integer(1), default=25, help="time steps per sample (default: 25)")
    p.add_argument("--epochs", type=integer(1), default=None, help="training epochs (default: TrainConfig's)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of training and encoding")
    p.add_argument("--verify-samples", type=integer(0), default=10,
                   help="test samples to co-simulate in Verilator, bit for bit (default 10; 0 skips)")
    p.add_argument("--sim", choices=SIMULATORS, metavar="SIM", default="verilator",
                   help="simulator of the co-simulation: %(choices)s (default verilator)")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the hardware accuracy is below this fraction")
    add_quant_options(p)
    add_auto_length_options(p, data=False, default_auto=True)
    add_engine_option(p)
    add_auto_hardware_options(p)
    p.add_argument("--target", choices=TARGETS, metavar="DEVICE", default="ice40-up5k",
                   help="device --engine auto / --parallel auto choose for (capacity model): %(choices)s "
                        "(default ice40-up5k)")
    add_output_options(p)
    p.set_defaults(func=run)


def where_outputs_went(classes, y, float_pred, hw_pred) -> list[str]:
    """Per class: samples, float and hardware accuracy, and which classes the hardware chose."""
    lines = [f"  {'class':>5} {'n':>4} {'float':>7} {'hw':>7}  hardware predictions"]
    for i, label in enumerate(classes):
        sel = y == i
        n = int(sel.sum())
        if n == 0:
            continue
        chosen = np.bincount(hw_pred[sel], minlength=len(classes))
        spread = ", ".join(f"{classes[k]}:{c}" for k, c in enumerate(chosen) if c)
        lines.append(f"  {label:>5} {n:>4} {fmt_pct((float_pred[sel] == i).mean()):>7} "
                     f"{fmt_pct((hw_pred[sel] == i).mean()):>7}  {spread}")
    return lines


def run(args: argparse.Namespace, out: Out) -> int:
    from .. import ref
    from ..data import load_dataset
    from ..ir import from_checkpoint, ir_hash, quantize, summary
    from ..rtl import compile_graph
    from ..snn import EncoderConfig, Network, TrainConfig, predict, train
    from ..transfer import SNNCheckpoint, save_checkpoint

    t_start = time.perf_counter()
    plain = plain_args(args)  # engine / parallelism 'auto' are chosen after quantization
    outdir: Path = args.output
    train_ds = load_dataset("digits", split="train")
    test_ds = load_dataset("digits", split="test")
    auto = args.stream_length == AUTO
    cal_ds = None
    if auto:  # hold the calibration split of --stream-length auto out of training
        from ..ref.stream_length import calibration_split

        fit, cal = calibration_split(train_ds.y, AUTO_FRACTION, seed=0)
        train_ds, cal_ds = train_ds.subset(fit), train_ds.subset(cal)
    cfg = TrainConfig(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))
    sizes = [train_ds.n_features, args.hidden, train_ds.n_classes]
    check_memory(f"training {' -> '.join(map(str, sizes))} with T={args.timesteps}, batch {cfg.batch_size}",
                 training_bytes(sizes, args.timesteps, cfg.batch_size), args.max_memory,
                 "use fewer --hidden neurons or fewer --timesteps")
    net = Network.dense([train_ds.n_features, args.hidden, train_ds.n_classes], seed=args.seed,
                        timesteps=args.timesteps, encoder=EncoderConfig(seed=args.seed))
    out.say(f"[1/5] training 64 -> {args.hidden} -> 10 LIF on digits ({train_ds.n} samples, "
            f"T={args.timesteps}, {cfg.epochs} epochs)")
    net = train(net, train_ds.x, train_ds.y, cfg, progress=args.progress).network
    float_pred = predict(net, test_ds.x)
    float_acc = float((float_pred == test_ds.y).mean())
    ckpt = SNNCheckpoint.from_network(net, class_labels=list(train_ds.classes),
                                      metadata={"task": "digits", "accuracy": round(float_acc, 6)},
                                      provenance={"dataset": train_ds.identity()})
    ckpt_path = save_checkpoint(ckpt, outdir / "digits.npz")
    out.say(f"      float accuracy {fmt_pct(float_acc)} on {test_ds.n} test samples; wrote {ckpt_path}")

    out.say("[2/5] quantizing to the hardware IR")
    if auto:
        t_auto = time.perf_counter()
        cal_float = float((predict(net, cal_ds.x) == cal_ds.y).mean())
        opts, _ = auto_options(plain, from_checkpoint(ckpt), cal_ds.x, cal_ds.y, cal_float, out)
        out.say(f"      (held out of training: {cal_ds.n} samples of the train split; chosen in "
                f"{time.perf_counter() - t_auto:.1f} s)")
    else:
        opts = quant_options(plain)
    graph = apply_engine(quantize(from_checkpoint(ckpt), opts), plain)
    # engine and parallelism: fewest cycles that fit --target; the event engine's cycles are measured on
    # the calibration split (or the training split when L was given: never the test split)
    graph = choose(graph, args, cal_ds.x if cal_ds is not None else train_ds.x, out)
    out.say(summary(graph))

    out.say("[3/5] running the bit-exact hardware model (scnc.ref) on the test split")
    hw = ref.run(graph, test_ds.x, trace=False)
    hw_acc = float((hw.winners == test_ds.y).mean())
    agree = float((hw.winners == float_pred).mean())
    out.say(f"      hardware accuracy {fmt_pct(hw_acc)} vs float {fmt_pct(float_acc)}; "
            f"the two agree on {fmt_pct(agree)} of the samples")
    for line in where_outputs_went(list(test_ds.classes), test_ds.y, float_pred, hw.winners):
        out.say(line)

    out.say("[4/5] generating the Verilog core")
    manifest = compile_graph(graph, outdir / "build")
    mean_cycles = float(ref.cycles(graph, hw).mean())  # exact per sample (scnc.ref.cycles), no trace port
    q0 = graph.layers[0].synapse.quant
    per_layer = ",".join(f"{l.synapse.quant.parallel_inputs}x{l.synapse.quant.parallel_neurons}" for l in graph.layers)
    out.say(f"      wrote {outdir / 'build'} ({manifest.files.verilog}, manifest.json); engine {graph.hardware.engine}, "
            f"P {per_layer} (per layer), L = {graph.hardware.stream_length}: "
            f"{manifest.cycles.per_sample} cycles per sample at most, {mean_cycles:.0f} on average over the test "
            f"split (--no-trace core)")
    from ..fpga.capacity import estimate

    cap = estimate(graph, args.target, trace=True)
    for line in cap.table():
        out.say("      " + line)
    verified = None
    if args.verify_samples > 0:
        from ..verify import verify_build

        out.say(f"[5/5] co-simulating {args.verify_samples} test samples in {args.sim} (cocotb) against scnc.ref")
        rep = verify_build(outdir / "build", sim=args.sim, samples=args.verify_samples, dataset="digits",
                           progress=out.say if args.progress else None)
        out.say(f"      {rep.simulator}: {rep.values_compared} values compared (every spike and membrane), "
                f"{rep.mismatches} mismatches; build {rep.build_s:.1f} s, {rep.samples_per_s:.2f} samples/s")
        if rep.first_divergence:
            d = rep.first_divergence
            out.say(f"      FIRST DIVERGENCE: sample {d['sample']}, step {d['step']}, layer {d['layer']}, "
                    f"neuron {d['neuron']}: {d['field']} expected {d['expected']}, actual {d['actual']}")
        verified = rep.summary()
    seconds = time.perf_counter() - t_start
    out.say(f"done in {seconds:.1f} s")
    out.result({"command": "demo", "accuracy": hw_acc, "float_accuracy": float_acc, "agreement": agree,
                "checkpoint": str(ckpt_path), "build": str(outdir / "build"), "ir_hash": ir_hash(graph),
                "cycles_per_sample": manifest.cycles.per_sample, "mean_cycles_per_sample": round(mean_cycles, 1),
                "engine": str(graph.hardware.engine), "stream_length": graph.hardware.stream_length,
                "parallel": [q0.parallel_inputs, q0.parallel_neurons],
                "parallel_per_layer": [[l.synapse.quant.parallel_inputs, l.synapse.quant.parallel_neurons]
                                       for l in graph.layers], "capacity": cap.summary(),
                "seconds": round(seconds, 3),
                "verify": verified})
    if verified is not None and not verified["ok"]:
        raise CheckFailed(f"the core differs from scnc.ref ({verified['mismatches']} mismatches)")
    check_min_accuracy(out, hw_acc, args.min_accuracy, "hardware accuracy")
    return 0

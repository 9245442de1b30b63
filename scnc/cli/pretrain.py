"""``scnc pretrain``: pipe-S's ANN stage; writes a checkpoint that ``scnc train --init-from`` fine-tunes."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="pretrain an ANN of the SNN's topology (pipe-S), for train --init-from",
                       description="Train the one-step ANN view of a dense LIF network (clipped-linear activation "
                                   "sharpening toward the SNN's firing step, surrogate backward) and save it as a "
                                   "checkpoint marked stage 'ann'. Then: scnc train --init-from ann.npz. "
                                   "See docs/pretrain.md.")
    p.add_argument("-o", "--output", type=Path, required=True, help="ANN checkpoint path (e.g. ann.npz)")
    p.add_argument("--hidden", default="128", help="hidden layer sizes, comma separated (default: 128)")
    p.add_argument("--timesteps", type=int, default=25, help="the SNN's time steps (the loss's count scale; default 25)")
    p.add_argument("--epochs", type=int, default=None, help="ANN epochs (default: PretrainConfig's, 10)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: PretrainConfig's)")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: PretrainConfig's)")
    p.add_argument("--beta", type=float, default=0.9, help="the SNN's initial membrane decay (stored, not used by the ANN)")
    p.add_argument("--threshold", type=float, default=1.0, help="the SNN's firing threshold: the window's centre")
    p.add_argument("--reset", choices=("subtract", "zero"), default="subtract", help="the SNN's reset mechanism")
    p.add_argument("--bias", action="store_true", help="give layers a bias")
    p.add_argument("--surrogate", choices=("fast_sigmoid", "arctan"), default=None, help="surrogate of the backward")
    p.add_argument("--slope", type=float, default=None, help="surrogate slope")
    p.add_argument("--final-width", type=float, default=None,
                   help="last epoch's window width as a fraction of the threshold (default 0.02, the seed's)")
    p.add_argument("--encoder", choices=("rate", "latency", "direct"), default="rate", help="the SNN's input encoding")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation and shuffling")
    p.add_argument("--min-accuracy", type=float, default=None,
                   help="exit 1 if the ANN's test-split accuracy is below this fraction")
    add_data_options(p, split_default="train")
    add_output_options(p)
    p.set_defaults(func=run)


def _pretrain_config(args: argparse.Namespace):
    from ..snn.pretrain import PretrainConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "surrogate", "slope", "final_width")
                 if getattr(args, k) is not None}
    return PretrainConfig(seed=args.seed, **overrides)


def run(args: argparse.Namespace, out: Out) -> int:
    import dataclasses

    from ..snn import EncoderConfig, Network, accuracy
    from ..snn.pretrain import ANN_STAGE, ann_accuracy, pretrain
    from ..transfer import SNNCheckpoint, save_checkpoint
    from .train import parse_sizes

    cfg = _pretrain_config(args)
    hidden = parse_sizes(args.hidden)
    train_ds = load_data(args, seed=args.seed)
    test_ds = load_data(args, split="test", shots=None, seed=args.seed)
    n_classes = len(train_ds.classes)
    net = Network.dense(
        [train_ds.x.shape[1], *hidden, n_classes],
        seed=args.seed, beta=args.beta, threshold=args.threshold, reset=args.reset, bias=args.bias,
        timesteps=args.timesteps, encoder=EncoderConfig(kind=args.encoder, seed=args.seed),
    )
    out.say(f"pretraining the ANN of {' -> '.join(str(s) for s in [net.n_inputs, *hidden, n_classes])} on "
            f"{train_ds.name}/{train_ds.split} ({len(train_ds.y)} samples), {cfg.epochs} epochs, window sharpening "
            f"to [{1 - cfg.final_width:g}, 1] x threshold {args.threshold:g}")
    t0 = time.perf_counter()
    result = pretrain(net, train_ds.x, train_ds.y, cfg, progress=args.progress)
    seconds = time.perf_counter() - t0
    ann_acc = ann_accuracy(net, test_ds.x, test_ds.y)
    snn_acc = accuracy(net, test_ds.x, test_ds.y)
    ckpt = SNNCheckpoint.from_network(
        net,
        class_labels=list(train_ds.classes),
        metadata={"stage": ANN_STAGE, "task": train_ds.name, "ann_accuracy": round(ann_acc, 6),
                  "snn_accuracy": round(snn_acc, 6), "timesteps": net.timesteps},
        provenance={"pretrain": {"config": dataclasses.asdict(cfg), "seconds": round(seconds, 3),
                                 "history": result.history},
                    "dataset": train_ds.identity(),
                    "evaluation": {"split": "test", "ann_accuracy": ann_acc, "snn_accuracy": snn_acc,
                                   "dataset": test_ds.identity()}},
    )
    path = save_checkpoint(ckpt, args.output)
    out.say(f"ANN test accuracy {fmt_pct(ann_acc)}; as an SNN right after transfer (T={net.timesteps}, "
            f"{args.encoder} input) {fmt_pct(snn_acc)}; {seconds:.1f} s")
    out.say(f"wrote {path}  (next: scnc train --init-from {path} -o snn.npz)")
    out.result({"command": "pretrain", "checkpoint": str(path), "ann_accuracy": ann_acc, "accuracy": ann_acc,
                "snn_accuracy": snn_acc, "seconds": round(seconds, 3), "epochs": cfg.epochs,
                "train_samples": int(len(train_ds.y)), "test_samples": int(len(test_ds.y)),
                "dataset": train_ds.name, "classes": list(train_ds.classes)})
    check_min_accuracy(out, ann_acc, args.min_accuracy, "ANN accuracy")
    return 0

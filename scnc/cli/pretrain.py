"""``scnc pretrain``: pipe-S's ANN stage; writes a checkpoint that ``scnc train --init-from`` fine-tunes."""

from __future__ import annotations

import argparse
import time

from ..kinds import ResetMode, choices
from ._args import checkpoint_output, hidden_sizes, integer, number
from ._common import (
    Out,
    add_data_options,
    add_output_options,
    check_min_accuracy,
    fmt_pct,
    load_data,
    require_classes,
)
from ._limits import check_memory, training_bytes
from ._vocab import ENCODERS, SURROGATES


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="pretrain an ANN of the SNN's topology (pipe-S), for train --init-from",
                       description="Train the one-step ANN view of a dense LIF network (clipped-linear activation "
                                   "sharpening toward the SNN's firing step, surrogate backward) and save it as a "
                                   "checkpoint marked stage 'ann'. Then: scnc train --init-from ann.npz. "
                                   "See docs/pretrain.md.")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True, help="ANN checkpoint path (e.g. ann.npz)")
    p.add_argument("--hidden", type=hidden_sizes, default=(128,),
                   help="hidden layer sizes, comma separated (default: 128; '' for none)")
    p.add_argument("--timesteps", type=integer(1), default=25,
                   help="the SNN's time steps (the loss's count scale; default 25)")
    p.add_argument("--epochs", type=integer(1), default=None, help="ANN epochs (default: PretrainConfig's, 10)")
    p.add_argument("--batch-size", type=integer(1), default=None, help="mini-batch size (default: PretrainConfig's)")
    p.add_argument("--lr", type=number(0, lo_open=True), default=None, help="Adam learning rate (default: PretrainConfig's)")
    p.add_argument("--beta", type=number(0, 1), default=0.9,
                   help="the SNN's initial membrane decay (stored, not used by the ANN)")
    p.add_argument("--threshold", type=number(0, lo_open=True), default=1.0,
                   help="the SNN's firing threshold: the window's centre")
    p.add_argument("--reset", choices=choices(ResetMode), default="subtract", help="the SNN's reset mechanism")
    p.add_argument("--bias", action="store_true", help="give layers a bias")
    p.add_argument("--surrogate", choices=SURROGATES, metavar="NAME", default=None,
                   help="surrogate of the backward: %(choices)s")
    p.add_argument("--slope", type=number(0, lo_open=True), default=None, help="surrogate slope (> 0)")
    p.add_argument("--final-width", type=number(0, 1, lo_open=True), default=None,
                   help="last epoch's window width as a fraction of the threshold (default 0.02, the seed's)")
    p.add_argument("--encoder", choices=ENCODERS, metavar="KIND", default="rate",
                   help="the SNN's input encoding: %(choices)s")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of initialisation and shuffling")
    p.add_argument("--augment-affine", type=integer(0), default=0, metavar="COPIES",
                   help="add COPIES randomly distorted copies (small rotation, shear, scale, shift; seeded by "
                        "--seed) of every training image: features that serve new classes better, e.g. as a "
                        "local-train encoder (docs/local_learning.md); default 0")
    p.add_argument("--min-accuracy", type=number(), default=None,
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

    cfg = _pretrain_config(args)
    hidden = list(args.hidden)
    train_ds = load_data(args, seed=args.seed)
    require_classes(train_ds.classes, "scnc pretrain")
    if args.augment_affine:
        from ..data.augment import augment_affine

        check_memory(f"{args.augment_affine} affine copies of {len(train_ds.y)} samples",
                     4 * train_ds.x.size * (args.augment_affine + 1), args.max_memory, "use fewer --augment-affine copies")
        train_ds = augment_affine(train_ds, args.augment_affine, seed=args.seed)
    test_ds = load_data(args, split="test", shots=None, seed=args.seed)
    n_classes = len(train_ds.classes)
    sizes = [train_ds.x.shape[1], *hidden, n_classes]
    batch = min(cfg.batch_size, max(1, len(train_ds.y)))
    # the ANN stage needs less than BPTT (one step); the BPTT estimate of one step bounds it
    check_memory(f"pretraining {' -> '.join(map(str, sizes))}, batch {batch}", training_bytes(sizes, 1, batch),
                 args.max_memory, "use fewer or smaller --hidden layers or a smaller --batch-size")
    net = Network.dense(
        sizes,
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

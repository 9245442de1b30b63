"""``scnc train``: train a float LIF network from scratch and save a checkpoint."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..kinds import ResetMode, choices
from ._args import checkpoint_output, hidden_sizes, integer, number
from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data, require_classes
from ._limits import check_memory, training_bytes
from ._vocab import ENCODERS, LOSSES, SURROGATES


def register(sub) -> None:
    p = sub.add_parser("train", help="train a spiking network and save a checkpoint",
                       description="Train a dense LIF network with surrogate-gradient BPTT and save it "
                                   "as a checkpoint (.npz + .json). Works on the bundled digits by default.")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True, help="checkpoint path (e.g. pre.npz)")
    p.add_argument("--hidden", type=hidden_sizes, default="128",
                   help="hidden layer sizes, comma separated (default: 128; '' for none); the whole network "
                        "must fit in --max-memory while training")
    p.add_argument("--timesteps", type=integer(1), default=25, help="time steps per sample (default: 25)")
    p.add_argument("--epochs", type=integer(1), default=None, help="training epochs (default: TrainConfig's)")
    p.add_argument("--batch-size", type=integer(1), default=None, help="mini-batch size (default: TrainConfig's)")
    p.add_argument("--lr", type=number(0, lo_open=True), default=None, help="Adam learning rate (default: TrainConfig's)")
    p.add_argument("--beta", type=number(0, 1), default=0.9, help="initial membrane decay per step, in [0, 1]")
    p.add_argument("--threshold", type=number(0, lo_open=True), default=1.0, help="firing threshold (finite, > 0)")
    p.add_argument("--reset", choices=choices(ResetMode), default="subtract", help="reset mechanism")
    p.add_argument("--per-neuron-beta", action="store_true", help="learn one beta per neuron instead of per layer")
    p.add_argument("--fixed-beta", action="store_true", help="do not learn beta")
    p.add_argument("--bias", action="store_true", help="give layers a bias (the hardware adds it every step)")
    p.add_argument("--loss", choices=LOSSES, metavar="LOSS", default=None,
                   help="loss function: %(choices)s (default: TrainConfig's; see scnc.snn.losses)")
    p.add_argument("--surrogate", choices=SURROGATES, metavar="NAME", default=None,
                   help="surrogate gradient: %(choices)s")
    p.add_argument("--slope", type=number(0, lo_open=True), default=None, help="surrogate slope (> 0)")
    p.add_argument("--encoder", choices=ENCODERS, metavar="KIND", default="rate",
                   help="input encoding: %(choices)s (default: rate)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of initialisation, shuffling and encoding")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the test-split accuracy is below this fraction (e.g. 0.9)")
    add_data_options(p, split_default="train")
    add_output_options(p)
    p.set_defaults(func=run)


def _train_config(args: argparse.Namespace):
    from ..snn import TrainConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "loss", "surrogate", "slope")
                 if getattr(args, k) is not None}
    return TrainConfig(seed=args.seed, **overrides)


def run(args: argparse.Namespace, out: Out) -> int:
    import numpy as np

    from ..snn import EncoderConfig, Network, accuracy, train
    from ..transfer import SNNCheckpoint, save_checkpoint

    cfg = _train_config(args)
    hidden = list(args.hidden)
    train_ds = load_data(args, seed=args.seed)
    require_classes(train_ds.classes, "scnc train")
    test_ds = load_data(args, split="test", shots=None, seed=args.seed)
    n_classes = len(train_ds.classes)
    sizes = [train_ds.x.shape[1], *hidden, n_classes]
    batch = min(cfg.batch_size, max(1, len(train_ds.y)))
    check_memory(f"training {' -> '.join(map(str, sizes))} with T={args.timesteps}, batch {batch}",
                 training_bytes(sizes, args.timesteps, batch), args.max_memory,
                 "use fewer or smaller --hidden layers, fewer --timesteps or a smaller --batch-size")
    net = Network.dense(
        sizes,
        seed=args.seed, beta=args.beta, threshold=args.threshold, reset=args.reset, bias=args.bias,
        timesteps=args.timesteps, encoder=EncoderConfig(kind=args.encoder, seed=args.seed),
    )
    for layer in net.layers:
        layer.learn_beta = not args.fixed_beta
        if args.per_neuron_beta:
            layer.beta = np.full(layer.n_out, layer.beta[0], np.float32)
    out.say(f"training {' -> '.join(str(s) for s in [net.n_inputs, *hidden, n_classes])} LIF on "
            f"{train_ds.name}/{train_ds.split} ({len(train_ds.y)} samples, classes {list(train_ds.classes)}), "
            f"T={net.timesteps}, {cfg.epochs} epochs")
    t0 = time.perf_counter()
    result = train(net, train_ds.x, train_ds.y, cfg, progress=args.progress)
    seconds = time.perf_counter() - t0
    net = result.network
    train_acc = accuracy(net, train_ds.x, train_ds.y)
    test_acc = accuracy(net, test_ds.x, test_ds.y)
    ckpt = SNNCheckpoint.from_network(
        net,
        class_labels=list(train_ds.classes),
        metadata={"task": train_ds.name, "accuracy": round(test_acc, 6), "timesteps": net.timesteps},
        provenance={"training": {"config": _config_dict(cfg), "seconds": round(seconds, 3),
                                 "history": result.history},
                    "dataset": train_ds.identity(),
                    "evaluation": {"split": "test", "accuracy": test_acc, "dataset": test_ds.identity()}},
    )
    path = save_checkpoint(ckpt, args.output)
    out.say(f"train accuracy {fmt_pct(train_acc)}, test accuracy {fmt_pct(test_acc)} "
            f"({len(test_ds.y)} test samples), {seconds:.1f} s")
    out.say(f"wrote {path}")
    out.result({"command": "train", "checkpoint": str(path), "accuracy": test_acc,
                "train_accuracy": train_acc, "seconds": round(seconds, 3), "epochs": cfg.epochs,
                "train_samples": int(len(train_ds.y)), "test_samples": int(len(test_ds.y)),
                "dataset": train_ds.name, "classes": list(train_ds.classes)})
    check_min_accuracy(out, test_acc, args.min_accuracy)
    return 0


def _config_dict(cfg) -> dict:
    import dataclasses

    return dataclasses.asdict(cfg)

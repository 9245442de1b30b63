"""``scnc train``: train a float LIF network from scratch and save a checkpoint."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..kinds import ResetMode, choices
from ._args import checkpoint_output, hidden_sizes, integer, number
from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data, require_classes
from ._limits import check_memory, training_bytes
from ._vocab import DELAY_MODES, ENCODERS, LOSSES, SURROGATES


_MAX_DELAY = 1024  # scnc.snn.network.MAX_DELAY (kept literal: building the parser must not import Numba)


def register(sub) -> None:
    p = sub.add_parser("train", help="train a spiking network and save a checkpoint",
                       description="Train a dense LIF network with surrogate-gradient BPTT and save it "
                                   "as a checkpoint (.npz + .json). Works on the bundled digits by default.")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True, help="checkpoint path (e.g. pre.npz)")
    p.add_argument("--init-from", type=Path, default=None, metavar="ANN.npz",
                   help="start from a pretrained ANN checkpoint written by 'scnc pretrain' (pipe-S, "
                        "docs/pretrain.md): its topology, thresholds, beta, reset, encoder and time steps; "
                        "network options given here must agree with it")
    p.add_argument("--hidden", type=hidden_sizes, default=None,
                   help="hidden layer sizes, comma separated (default: 128; '' for none); the whole network "
                        "must fit in --max-memory while training")
    p.add_argument("--timesteps", type=integer(1), default=None, help="time steps per sample (default: 25)")
    p.add_argument("--epochs", type=integer(1), default=None, help="training epochs (default: TrainConfig's)")
    p.add_argument("--batch-size", type=integer(1), default=None, help="mini-batch size (default: TrainConfig's)")
    p.add_argument("--lr", type=number(0, lo_open=True), default=None, help="Adam learning rate (default: TrainConfig's)")
    p.add_argument("--beta", type=number(0, 1), default=None,
                   help="initial membrane decay per step, in [0, 1] (default: 0.9)")
    p.add_argument("--threshold", type=number(0, lo_open=True), default=None,
                   help="firing threshold (finite, > 0; default: 1.0)")
    p.add_argument("--reset", choices=choices(ResetMode), default=None, help="reset mechanism (default: subtract)")
    p.add_argument("--per-neuron-beta", action="store_true", help="learn one beta per neuron instead of per layer")
    p.add_argument("--fixed-beta", action="store_true", help="do not learn beta")
    p.add_argument("--bias", action="store_true", help="give layers a bias (the hardware adds it every step)")
    p.add_argument("--loss", choices=LOSSES, metavar="LOSS", default=None,
                   help="loss function: %(choices)s (default: TrainConfig's; see scnc.snn.losses)")
    p.add_argument("--surrogate", choices=SURROGATES, metavar="NAME", default=None,
                   help="surrogate gradient: %(choices)s")
    p.add_argument("--slope", type=number(0, lo_open=True), default=None, help="surrogate slope (> 0)")
    p.add_argument("--encoder", choices=ENCODERS, metavar="KIND", default=None,
                   help="input encoding: %(choices)s (default: rate)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of initialisation, shuffling and encoding")
    p.add_argument("--delays", choices=DELAY_MODES, metavar="MODE", default="none",
                   help="synaptic delays (docs/delays.md): %(choices)s (default: none; random: fixed, uniform in "
                        "[0, --max-delay]; learned: DCLS, then rounded, frozen and the weights fine-tuned)")
    p.add_argument("--max-delay", type=integer(1, _MAX_DELAY), default=None, metavar="D",
                   help=f"longest synaptic delay in time steps, 1..{_MAX_DELAY} (default: 8; needs --delays)")
    p.add_argument("--delay-fine-tune-epochs", type=integer(0), default=None, metavar="N",
                   help="--delays learned: weight-only epochs after the delays are rounded and frozen (default: 2)")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the test-split accuracy is below this fraction (e.g. 0.9)")
    add_data_options(p, split_default="train")
    add_output_options(p)
    p.set_defaults(func=run)


def _delay_config(args: argparse.Namespace):
    """The :class:`~scnc.snn.dcls.DelayConfig` of ``--delays``/``--max-delay``/``--delay-fine-tune-epochs``,
    or ``None`` for ``--delays none``; refuses conflicting options before anything is trained."""
    from ..errors import ConfigError

    if args.delays == "none":
        for opt, value in (("--max-delay", args.max_delay), ("--delay-fine-tune-epochs", args.delay_fine_tune_epochs)):
            if value is not None:
                raise ConfigError(f"{opt} needs --delays random or --delays learned (got --delays none)")
        return None
    if args.delay_fine_tune_epochs is not None and args.delays != "learned":
        raise ConfigError(f"--delay-fine-tune-epochs needs --delays learned (got --delays {args.delays})")
    from ..snn.dcls import DelayConfig

    kw = {"mode": args.delays}
    if args.max_delay is not None:
        kw["max_delay"] = args.max_delay
    if args.delay_fine_tune_epochs is not None:
        kw["fine_tune_epochs"] = args.delay_fine_tune_epochs
    return DelayConfig(**kw)


def _delay_bytes(sizes: list[int], timesteps: int, batch: int, dcfg) -> int:
    """Upper bound of what delays add to training (bytes): the layer-by-layer records (input as
    float32, current, v_pre, v, dv_pre, threshold term, spikes: 25 bytes per neuron, sample and step)
    and, for DCLS, per synapse and tap the kernel (float32), its taps g and dg/dp (float64) and its
    gradient (float32, float64 copy): 32 bytes."""
    records = 25 * timesteps * batch * (sizes[0] + sum(sizes[1:]))
    synapses = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return records + (32 * dcfg.taps * synapses if dcfg.mode == "learned" else 2 * synapses)


def _train_config(args: argparse.Namespace):
    from ..snn import TrainConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "loss", "surrogate", "slope")
                 if getattr(args, k) is not None}
    return TrainConfig(seed=args.seed, **overrides)


#: Network options' defaults when no --init-from gives them (None on the command line means "not given").
_NET_DEFAULTS = {"hidden": (128,), "timesteps": 25, "beta": 0.9, "threshold": 1.0, "reset": "subtract",
                 "encoder": "rate"}


def _init_from(args: argparse.Namespace, n_features: int, classes: list[int]):
    """The network stored by ``scnc pretrain`` in ``args.init_from``, checked against the options and data."""
    import numpy as np

    from ..errors import CheckpointError
    from ..snn.pretrain import ANN_STAGE
    from ..transfer import checkpoint_paths, load_checkpoint

    ckpt = load_checkpoint(args.init_from)
    npz, js = checkpoint_paths(args.init_from)
    stage = (ckpt.metadata or {}).get("stage")
    if stage != ANN_STAGE:
        raise CheckpointError(js, "metadata.stage", f"expected {ANN_STAGE!r} (a checkpoint written by 'scnc pretrain'), "
                                                    f"got {stage!r}")
    net = ckpt.to_network()
    hidden = [s[1] for s in ckpt.layer_sizes[:-1]]
    stored = {"hidden": hidden, "timesteps": net.timesteps, "reset": net.layers[0].reset,
              "encoder": net.encoder.kind}
    given = {"hidden": None if args.hidden is None else list(args.hidden), "timesteps": args.timesteps,
             "reset": args.reset, "encoder": args.encoder}
    for name, value in given.items():
        if value is not None and value != stored[name]:
            raise CheckpointError(js, {"hidden": "layer_sizes"}.get(name, name),
                                  f"--{name} {value} disagrees with the pretrained network's {stored[name]}")
    for name, field in (("beta", "betas"), ("threshold", "thresholds")):
        value = getattr(args, name)
        if value is not None and any(not np.all(getattr(layer, name) == np.float32(value)) for layer in net.layers):
            raise CheckpointError(npz, field, f"--{name} {value} disagrees with the pretrained network's values")
    if net.n_inputs != n_features:
        raise CheckpointError(js, "layer_sizes", f"the pretrained network takes {net.n_inputs} inputs, "
                                                 f"the data has {n_features} features")
    if list(ckpt.class_labels) != list(classes):
        raise CheckpointError(js, "class_labels", f"the pretrained network's classes {list(ckpt.class_labels)} "
                                                  f"differ from the data's {list(classes)}")
    return net, hidden, ckpt


def run(args: argparse.Namespace, out: Out) -> int:
    import numpy as np

    from ..snn import EncoderConfig, Network, accuracy, train
    from ..transfer import SNNCheckpoint, save_checkpoint

    cfg = _train_config(args)
    dcfg = _delay_config(args)
    classes = None
    if args.init_from is not None:  # defaults: the data and classes the ANN was pretrained on
        from ..transfer import load_checkpoint

        stored = load_checkpoint(args.init_from)
        args.dataset = args.dataset or stored.provenance.get("dataset", {}).get("name")
        classes = None if args.classes else list(stored.class_labels)
    train_ds = load_data(args, seed=args.seed, classes=classes)
    require_classes(train_ds.classes, "scnc train")
    test_ds = load_data(args, split="test", shots=None, seed=args.seed, classes=classes)
    n_classes = len(train_ds.classes)
    batch = min(cfg.batch_size, max(1, len(train_ds.y)))
    pretrained = None
    if args.init_from is not None:
        if args.per_neuron_beta or args.fixed_beta or args.bias:
            from ..errors import ConfigError

            raise ConfigError("--per-neuron-beta, --fixed-beta and --bias shape a new network; "
                              "with --init-from the network comes from the file (give them to scnc pretrain)")
        net, hidden, pretrained = _init_from(args, train_ds.x.shape[1], list(train_ds.classes))
        sizes = [net.n_inputs, *hidden, n_classes]
        check_memory(f"training {' -> '.join(map(str, sizes))} with T={net.timesteps}, batch {batch}",
                     training_bytes(sizes, net.timesteps, batch), args.max_memory,
                     "use a smaller --batch-size")
    else:
        opts = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in _NET_DEFAULTS.items()}
        hidden = list(opts["hidden"])
        sizes = [train_ds.x.shape[1], *hidden, n_classes]
        check_memory(f"training {' -> '.join(map(str, sizes))} with T={opts['timesteps']}, batch {batch}",
                     training_bytes(sizes, opts["timesteps"], batch), args.max_memory,
                     "use fewer or smaller --hidden layers, fewer --timesteps or a smaller --batch-size")
        net = Network.dense(
            sizes,
            seed=args.seed, beta=opts["beta"], threshold=opts["threshold"], reset=opts["reset"], bias=args.bias,
            timesteps=opts["timesteps"], encoder=EncoderConfig(kind=opts["encoder"], seed=args.seed),
        )
        for layer in net.layers:
            layer.learn_beta = not args.fixed_beta
            if args.per_neuron_beta:
                layer.beta = np.full(layer.n_out, layer.beta[0], np.float32)
    if dcfg is not None:
        check_memory(f"delays ({dcfg.mode}, max delay {dcfg.max_delay}) on {' -> '.join(map(str, sizes))} with "
                     f"T={net.timesteps}, batch {batch}",
                     training_bytes(sizes, net.timesteps, batch) + _delay_bytes(sizes, net.timesteps, batch, dcfg),
                     args.max_memory, "use a smaller --max-delay, fewer --timesteps or a smaller --batch-size")
    if pretrained is not None:
        out.say(f"starting from the pretrained ANN {args.init_from} (content hash {pretrained.content_hash[:12]}): "
                f"test accuracy as an SNN before any SNN epoch {fmt_pct(accuracy(net, test_ds.x, test_ds.y))}")
    out.say(f"training {' -> '.join(str(s) for s in [net.n_inputs, *hidden, n_classes])} LIF on "
            f"{train_ds.name}/{train_ds.split} ({len(train_ds.y)} samples, classes {list(train_ds.classes)}), "
            f"T={net.timesteps}, {cfg.epochs} epochs")
    t0 = time.perf_counter()
    if dcfg is None:
        result = train(net, train_ds.x, train_ds.y, cfg, progress=args.progress)
    else:
        from ..snn.dcls import train_delays

        result = train_delays(net, train_ds.x, train_ds.y, cfg, dcfg, progress=args.progress)
    seconds = time.perf_counter() - t0
    net = result.network
    train_acc = accuracy(net, train_ds.x, train_ds.y)
    test_acc = accuracy(net, test_ds.x, test_ds.y)
    ckpt = SNNCheckpoint.from_network(
        net,
        class_labels=list(train_ds.classes),
        metadata={"task": train_ds.name, "accuracy": round(test_acc, 6), "timesteps": net.timesteps},
        provenance={"training": {"config": _config_dict(cfg), "seconds": round(seconds, 3),
                                 "history": result.history,
                                 **({} if dcfg is None else {"delays": _config_dict(dcfg)})},
                    **({} if pretrained is None else {"pretrain": {
                        "init_from": str(args.init_from), "content_hash": pretrained.content_hash,
                        **pretrained.provenance.get("pretrain", {})}}),
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

"""``scnc local-train``: a CoLaNET-style classifier on a frozen encoder, trained by a local rule.

Also the one place the other commands ask how to feed a local classifier: :func:`local_inputs`
turns pixels into the classifier's rate-coded encoder features when the checkpoint is one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ._args import checkpoint_output, feature_window, integer, number
from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data, require_classes
from ._limits import check_memory


def register(sub) -> None:
    p = sub.add_parser(
        "local-train", help="train a spiking classifier by local plasticity on a frozen encoder (no gradients)",
        description="Rate-code the features of a frozen encoder (a checkpoint from `scnc pretrain` or "
                    "`scnc train`: its first layer) and train CoLaNET-style class columns on them with the "
                    "local anti-Hebbian + dopamine rule, one sample at a time (docs/local_learning.md). The "
                    "result is an ordinary checkpoint: `scnc evaluate --encoder ENC`, `compile` and `verify` take "
                    "it. With --init-from, classes not yet known get new columns (few-shot: --classes, --shots).")
    p.add_argument("--encoder", type=Path, required=True, help="frozen encoder checkpoint (.npz with its .json)")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True, help="classifier checkpoint path")
    p.add_argument("--init-from", type=Path, default=None,
                   help="continue a classifier written by local-train (same encoder); new --classes get new columns")
    p.add_argument("--rehearse", type=integer(1), default=None, metavar="N",
                   help="with --init-from: replay N examples (in total, balanced) of the classes the classifier "
                        "already knows, drawn from the same data set and split, beside the new classes' examples, "
                        "so that the old columns learn to stay silent on the new classes (docs/local_learning.md)")
    p.add_argument("--epochs", type=integer(1), default=None, help="passes over the training set (default: 3)")
    p.add_argument("--neurons-per-column", type=integer(1), default=None, help="neurons per class column (default: 10)")
    p.add_argument("--timesteps", type=integer(1), default=None, help="time steps per training sample (default: 10)")
    p.add_argument("--inference-timesteps", type=integer(1), default=None,
                   help="time steps of the frozen network, i.e. of evaluate / compile / the hardware (default: 40; "
                        "more steps average out more of the rate coding's noise)")
    p.add_argument("--threshold", type=number(0, lo_open=True), default=None,
                   help="static threshold theta0 (default: LocalConfig's)")
    p.add_argument("--window", type=feature_window, default=None, metavar="LO,HI",
                   help="the encoder's feature window, fractions of its hidden threshold (default: the encoder's, "
                        "(0.7, 1.3)); for classes the encoder never saw, 0,1 keeps more features alive "
                        "(docs/local_learning.md). Recorded in the classifier; not with --init-from")
    p.add_argument("--include-input", action="store_true",
                   help="features = the encoder's hidden activations followed by its input (the pixels): keeps "
                        "what the source task taught the encoder to ignore; the transfer recipe for classes the "
                        "encoder never saw (docs/local_learning.md). Recorded in the classifier; not with --init-from")
    p.add_argument("--seed", type=integer(0), default=0,
                   help="seed of the initial resources, sample orders, rate coding and the few-shot sample")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the test-split accuracy is below this fraction")
    add_data_options(p, split_default="train")
    add_output_options(p)
    p.set_defaults(func=run)


def _config(args: argparse.Namespace, base):
    import dataclasses

    changes = {name: getattr(args, name) for name in ("epochs", "neurons_per_column", "timesteps", "inference_timesteps",
                                                      "threshold")
               if getattr(args, name) is not None}
    if args.init_from is None:
        changes["seed"] = args.seed
    elif "neurons_per_column" in changes and changes["neurons_per_column"] != base.neurons_per_column:
        raise ConfigError(f"--neurons-per-column {changes['neurons_per_column']}: {args.init_from} has "
                          f"{base.neurons_per_column} per column; it cannot change when continuing")
    return dataclasses.replace(base, **changes)


def run(args: argparse.Namespace, out: Out) -> int:
    import dataclasses

    from ..local import LocalClassifier, LocalConfig, RateCoding, as_feature_fn, load_encoder, train_local
    from ..transfer import load_checkpoint, save_checkpoint

    encoder = load_encoder(args.encoder)
    if args.window is not None:
        if args.init_from is not None:
            raise ConfigError(f"--window: --init-from {args.init_from} keeps the window it was trained with")
        encoder = dataclasses.replace(encoder, window=args.window)
    if args.include_input:
        if args.init_from is not None:
            raise ConfigError(f"--include-input: --init-from {args.init_from} keeps the features it was trained on")
        encoder = dataclasses.replace(encoder, include_input=True)
    clf = None
    if args.init_from is not None:
        clf = LocalClassifier.from_checkpoint(load_checkpoint(args.init_from), str(args.init_from))
        if clf.encoder_hash != encoder.content_hash:
            raise ConfigError(f"--init-from {args.init_from} was trained on encoder {clf.encoder_hash[:12] or '?'}, "
                              f"--encoder {args.encoder} is {encoder.content_hash[:12]}")
        clf.config = _config(args, clf.config)
        encoder = _same_features(encoder, clf)
    elif args.rehearse is not None:
        raise ConfigError("--rehearse replays the classes a classifier already knows: it needs --init-from")
    features = as_feature_fn(encoder, str(args.encoder))
    train_ds = load_data(args, seed=args.seed)
    if train_ds.n_features != encoder.n_in:
        raise ConfigError(f"--encoder {args.encoder} takes {encoder.n_in} inputs, the data set has "
                          f"{train_ds.n_features} features")
    labels = [int(c) for c in train_ds.classes]
    rehearsal = _rehearsal(args, clf, train_ds, labels)
    config = clf.config if clf is not None else _config(args, LocalConfig())
    n = len(train_ds.y) + (0 if rehearsal is None else len(rehearsal.y))
    d, steps = encoder.n_features, config.timesteps
    # per epoch: the rate encoder's float32 draws (T, n, d), their uint8 copy, and the features (float64)
    check_memory(f"local-train on {n} samples of {d} features, T={steps}", n * d * (steps * 6 + 24),
                 args.max_memory, "train on fewer samples (--shots) or with fewer --timesteps")
    y_train = np.asarray(train_ds.classes)[train_ds.y]
    if clf is not None:
        new = [c for c in labels if c not in clf.class_labels]
        if new:
            clf = clf.add_classes(new)
    else:
        require_classes(labels, "local-train")
        clf = LocalClassifier.new(config, labels, RateCoding.fit(features(train_ds.x)),
                                  encoder_hash=encoder.content_hash, encoder_window=encoder.window,
                                  encoder_include_input=encoder.include_input)
    f_train = features(train_ds.x)
    out.say(f"{train_ds.name}/{train_ds.split}: {len(y_train)} samples, classes {labels}; encoder {args.encoder} "
            f"({encoder.n_in} -> {encoder.n_features} features); columns {len(clf.class_labels)} x "
            f"{clf.config.neurons_per_column}")
    if rehearsal is not None:
        f_train = np.concatenate([f_train, features(rehearsal.x)])
        y_train = np.concatenate([y_train, np.asarray(rehearsal.classes)[rehearsal.y]])
        out.say(f"rehearsal: {len(rehearsal.y)} samples of the known classes {list(rehearsal.classes)}")
    t0 = time.perf_counter()
    history = train_local(clf, f_train, y_train, progress=args.progress)
    seconds = time.perf_counter() - t0
    test_ds = load_data(args, dataset=train_ds.name, classes=clf.class_labels, split="test", shots=None)
    test_acc = clf.accuracy(features(test_ds.x), test_ds.y, seed=clf.config.seed)
    ckpt = clf.to_checkpoint()
    ckpt = ckpt.replace(provenance={
        "local_training": {"history": history.epochs, "seconds": round(seconds, 3), "encoder": str(args.encoder)},
        "dataset": train_ds.identity(),
        **({} if rehearsal is None else {"rehearsal": rehearsal.identity()}),
        "evaluation": {"split": "test", "accuracy": test_acc, "dataset": test_ds.identity()}})
    path = save_checkpoint(ckpt, args.output)
    out.say(f"trained in {seconds:.2f} s ({len(history.epochs)} epochs); test accuracy {fmt_pct(test_acc)} "
            f"on {len(test_ds.y)} samples of classes {clf.class_labels}")
    out.say(f"wrote {path}")
    out.result({"command": "local-train", "output": str(path), "classes": clf.class_labels,
                "train_samples": int(len(y_train)),
                "rehearsal_samples": 0 if rehearsal is None else int(len(rehearsal.y)),
                "seconds": round(seconds, 3), "test_accuracy": test_acc,
                "history": history.epochs, "content_hash": ckpt.content_hash})
    check_min_accuracy(out, test_acc, args.min_accuracy, "test accuracy")
    return 0


def _rehearsal(args: argparse.Namespace, clf, train_ds, labels: list[int]):
    """``--rehearse N``: N examples (balanced, seeded by ``--seed``) of the classes ``clf`` knows and
    ``--classes`` does not name, from the training data's data set and split; ``None`` without it.

    Continuing a classifier on new classes alone leaves its old columns firing on them: they never
    see a new class as a negative (docs/local_learning.md: 71 % on ten classes of optdigits without
    rehearsal, 85 % with 5 examples per old class, over five draws).
    """
    if args.rehearse is None:
        return None
    old = [c for c in clf.class_labels if c not in labels]
    if not old:
        raise ConfigError(f"--rehearse: every class {args.init_from} knows ({clf.class_labels}) is among the training "
                          f"classes {labels}; there is nothing to replay")
    if args.rehearse < len(old):
        raise ConfigError(f"--rehearse {args.rehearse} is fewer than the {len(old)} known classes {old}: every one "
                          f"needs at least one example; give --rehearse {len(old)} or more")
    return load_data(args, dataset=train_ds.name, classes=old, split=train_ds.split, shots=args.rehearse,
                     seed=args.seed)


def local_inputs(ckpt, encoder_path: Path | None, x: np.ndarray, where: str) -> np.ndarray:
    """The network's inputs for pixels ``x``: unchanged, or a local classifier's rate-coded features.

    A checkpoint written by ``local-train`` takes encoder features; ``encoder_path`` must then be
    the encoder it was trained on (its content hash is checked). Other checkpoints refuse an encoder.
    """
    from ..local import LOCAL_MARK, LocalClassifier, load_encoder

    if LOCAL_MARK not in ckpt.metadata:
        if encoder_path is not None:
            raise ConfigError(f"--encoder: {where} is not a local-learning classifier; it takes pixels, not features")
        return x
    if encoder_path is None:
        raise ConfigError(f"{where} is a local-learning classifier: give --encoder, the encoder it was trained on")
    clf = LocalClassifier.from_checkpoint(ckpt, where)
    encoder = _same_features(load_encoder(encoder_path), clf)
    if clf.encoder_hash and clf.encoder_hash != encoder.content_hash:
        raise ConfigError(f"--encoder {encoder_path} (content hash {encoder.content_hash[:12]}) is not the encoder "
                          f"{where} was trained on ({clf.encoder_hash[:12]})")
    if x.shape[1] != encoder.n_in:
        raise ConfigError(f"--encoder {encoder_path} takes {encoder.n_in} inputs, the data set has {x.shape[1]}")
    return clf.intensities(encoder(x))


def _same_features(encoder, clf):
    """``encoder`` giving the features ``clf`` was trained on: its recorded window and input pass-through."""
    import dataclasses

    window = encoder.window if clf.encoder_window is None else tuple(clf.encoder_window)
    if window == tuple(encoder.window) and clf.encoder_include_input == encoder.include_input:
        return encoder
    return dataclasses.replace(encoder, window=window, include_input=clf.encoder_include_input)

"""``scnc finetune``: transfer a checkpoint to new classes / few examples, with frozen layers."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from ..errors import ConfigError
from ._args import checkpoint_output, integer, number
from ._common import Out, add_data_options, add_output_options, check_min_accuracy, fmt_pct, load_data, require_classes
from ._limits import check_memory, training_bytes
from ._vocab import HEAD_INITS


def register(sub) -> None:
    p = sub.add_parser(
        "finetune", help="fine-tune a checkpoint (freeze layers, replace the head, gradual unfreezing)",
        description="Load a checkpoint, replace the output layer when the classes change and fine-tune on "
                    "(few) examples. By default every layer is fine-tuned from the pretrained weights (the best "
                    "transfer recipe measured; ahead of training from scratch with 10-20 examples per class, "
                    "not with 2-5: docs/transfer.md); --freeze-until freezes layers, which "
                    "then stay bit-identical.")
    p.add_argument("checkpoint", type=Path, help="pretrained checkpoint (.npz with its .json sidecar)")
    p.add_argument("-o", "--output", type=checkpoint_output, required=True, help="fine-tuned checkpoint path")
    p.add_argument("--freeze-until", default="-1",
                   help="freeze layers 0..N (index or layer name); -1 freezes nothing (default: -1, the measured "
                        "default: fine-tune every layer; 0 is the tutorial's frozen hidden layer)")
    p.add_argument("--lr-head", type=number(0), default=3e-3, help="learning rate of the output layer (default: 3e-3)")
    p.add_argument("--lr-frozen", type=number(0), default=3e-3,
                   help="learning rate of the non-head layers that are not frozen (default: 3e-3; 0 keeps them "
                        "still without flagging them frozen)")
    p.add_argument("--epochs", type=integer(1), default=100, help="epochs of the single phase (default: 100)")
    p.add_argument("--phases", default=None,
                   help="gradual unfreezing: comma-separated phases FREEZE_UNTIL:EPOCHS[:LR_HEAD[:LR_FROZEN]], "
                        "e.g. '0:60,-1:40:3e-3:3e-4' (overrides --freeze-until/--epochs)")
    p.add_argument("--head-init", choices=HEAD_INITS, metavar="INIT", default="random",
                   help="new head's weights when the classes change: %(choices)s -- random, or class prototypes of the hidden "
                        "spike rates on the fine-tuning examples (default: random)")
    p.add_argument("--batch-size", type=integer(1), default=10,
                   help="mini-batch size (default: 10, suited to few-shot sets of 10-100 examples)")
    p.add_argument("--seed", type=integer(0), default=0, help="seed of the new head, the few-shot sample and training")
    p.add_argument("--min-accuracy", type=number(), default=None,
                   help="exit 1 if the test-split accuracy is below this fraction")
    add_data_options(p, split_default="train")
    add_output_options(p)
    p.set_defaults(func=run)


def _freeze(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def parse_phases(text: str, *, lr_head: float, lr_frozen: float):
    """Parse ``--phases`` into ``[(TransferConfig, epochs), ...]``."""
    from ..transfer import TransferConfig

    phases = []
    for i, part in enumerate(p for p in text.split(",") if p.strip()):
        fields = part.strip().split(":")
        if not 2 <= len(fields) <= 4:
            raise ConfigError(f"--phases: phase {i + 1} {part!r}: expected FREEZE_UNTIL:EPOCHS[:LR_HEAD[:LR_FROZEN]]")
        try:
            epochs = int(fields[1])
            head = float(fields[2]) if len(fields) > 2 else lr_head
            body = float(fields[3]) if len(fields) > 3 else lr_frozen
        except ValueError:
            raise ConfigError(f"--phases: phase {i + 1} {part!r}: EPOCHS must be an integer and rates numbers") from None
        if epochs < 1:
            raise ConfigError(f"--phases: phase {i + 1} {part!r}: EPOCHS must be >= 1")
        if not all(math.isfinite(r) and r >= 0 for r in (head, body)):
            raise ConfigError(f"--phases: phase {i + 1} {part!r}: learning rates must be finite and >= 0")
        phases.append((TransferConfig(freeze_until=_freeze(fields[0]), lr_head=head, lr_frozen=body), epochs))
    if not phases:
        raise ConfigError("--phases: no phase given")
    return phases


def run(args: argparse.Namespace, out: Out) -> int:
    import dataclasses

    from ..snn import TrainConfig, accuracy
    from ..transfer import TransferConfig, fine_tune, load_checkpoint, prototype_head, replace_head, save_checkpoint

    ckpt = load_checkpoint(args.checkpoint)
    dataset = args.dataset or ckpt.provenance.get("dataset", {}).get("name") or "digits"
    train_ds = load_data(args, dataset=dataset, seed=args.seed)
    test_ds = load_data(args, dataset=dataset, split="test", shots=None, seed=args.seed)
    labels = list(train_ds.classes)
    require_classes(labels, "scnc finetune")
    if list(ckpt.class_labels or []) != labels:
        out.say(f"replacing the head: {ckpt.layer_sizes[-1][1]} outputs {list(ckpt.class_labels or [])} "
                f"-> {len(labels)} outputs {labels} ({args.head_init} init)")
        ckpt = replace_head(ckpt, len(labels), seed=args.seed, class_labels=labels)
        if args.head_init == "prototype":
            ckpt = prototype_head(ckpt, train_ds.x, train_ds.y)
    elif args.head_init == "prototype":
        raise ConfigError("--head-init prototype needs new classes (a replaced head); the checkpoint already has "
                          f"the classes {labels}")
    if args.phases:
        phases = parse_phases(args.phases, lr_head=args.lr_head, lr_frozen=args.lr_frozen)
    else:
        if args.epochs < 1:
            raise ConfigError(f"--epochs must be >= 1, got {args.epochs}")
        phases = [(TransferConfig(freeze_until=_freeze(args.freeze_until), lr_head=args.lr_head,
                                  lr_frozen=args.lr_frozen), args.epochs)]
    train_cfg = TrainConfig(seed=args.seed, batch_size=args.batch_size)
    sizes = [ckpt.layer_sizes[0][0], *(n_out for _, n_out in ckpt.layer_sizes[:-1]), len(labels)]
    timesteps = ckpt.to_network().timesteps
    batch = min(args.batch_size, max(1, len(train_ds.y)))
    check_memory(f"fine-tuning {' -> '.join(map(str, sizes))} with T={timesteps}, batch {batch}",
                 training_bytes(sizes, timesteps, batch), args.max_memory, "use a smaller --batch-size")
    out.say(f"fine-tuning on {train_ds.name}/{train_ds.split}: {len(train_ds.y)} samples, classes {labels}, "
            f"{len(phases)} phase(s)")
    t0 = time.perf_counter()
    ckpt, history = fine_tune(ckpt, train_ds.x, train_ds.y, phases, train_cfg, progress=args.progress)
    seconds = time.perf_counter() - t0
    net = ckpt.to_network()
    test_acc = accuracy(net, test_ds.x, test_ds.y)
    ckpt = dataclasses.replace(
        ckpt,
        metadata={**ckpt.metadata, "task": f"{train_ds.name} classes {labels}", "accuracy": round(test_acc, 6)},
        provenance={**ckpt.provenance, "dataset": train_ds.identity(),
                    "evaluation": {"split": "test", "accuracy": test_acc, "dataset": test_ds.identity()}},
    )
    path = save_checkpoint(ckpt, args.output)
    out.say(f"test accuracy {fmt_pct(test_acc)} on {len(test_ds.y)} samples, {seconds:.1f} s; wrote {path}")
    out.result({"command": "finetune", "checkpoint": str(path), "accuracy": test_acc,
                "train_samples": int(len(train_ds.y)), "test_samples": int(len(test_ds.y)),
                "phases": len(phases), "classes": labels, "head_init": args.head_init,
                "seconds": round(seconds, 3)})
    check_min_accuracy(out, test_acc, args.min_accuracy)
    return 0

"""Does transfer learning pay? Pretrained vs from-scratch spiking networks on few examples.

For every class split ``SOURCE -> TARGET`` (optdigits: train on ``optdigits.tra``, test on
``optdigits.tes``, writers never overlap):

1. Pretrain a ``64 -> hidden -> |SOURCE|`` LIF network on every training example of SOURCE. The
   pretraining data holds no example of a TARGET class (checked).
2. For ``shots`` in 2/5/10/20 examples per TARGET class and seeds 0..S-1 (the seed picks the
   examples, the new head and the shuffles), fine-tune or train:

   ``scratch``   a fresh network of the same shape, trained on the few examples only;
   ``frozen``    the tutorial: new random head, hidden layer frozen, head trained;
   ``gradual``   gradual unfreezing: the frozen phase, then the hidden layer at a 10x smaller rate;
   ``proto``     new head from class prototypes of the frozen hidden spike rates
                 (:func:`scnc.transfer.prototype_head`), hidden frozen, head trained;
   ``transfer``  scnc's default recipe (:data:`scnc.transfer.recipe.DEFAULT_PHASES`): new random
                 head, every layer fine-tuned from the pretrained weights.

3. Test accuracy on every test example of TARGET. Mean and spread (population standard deviation
   over seeds) per split, shots and method; a table, a PNG (accuracy vs shots, one panel per split)
   and a final JSON line.

Defaults of the recipe were tuned on the split 1,2,3,7,8 -> 0,4,5,6,9, which is not reported here.

Usage::

    python benchmarks/transfer.py --data-dir ../shared/data/optdigits --out build/transfer-bench
    python benchmarks/transfer.py --data-dir ../shared/data/optdigits --quick        # smoke run

``--hw`` also runs every ``transfer`` network through the bit-exact hardware model (``scnc.ref``,
stream length 64, the CLI's default quantization) and reports hardware - float accuracy.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from scnc.data import load_dataset, parse_classes
from scnc.snn import Network, TrainConfig, accuracy, train
from scnc.transfer import (
    SNNCheckpoint,
    TransferConfig,
    fine_tune,
    load_checkpoint,
    prototype_head,
    replace_head,
    save_checkpoint,
)
from scnc.transfer.recipe import DEFAULT_BATCH_SIZE, DEFAULT_PHASES

#: The reported splits (SOURCE, TARGET). The recipe was tuned on TUNING_SPLIT, which is not among them.
SPLITS: list[tuple[str, str]] = [("0-4", "5-9"), ("5-9", "0-4"), ("0,2,4,6,8", "1,3,5,7,9")]
TUNING_SPLIT = ("1,2,3,7,8", "0,4,5,6,9")
SHOTS = [2, 5, 10, 20]
METHODS = ["scratch", "frozen", "gradual", "proto", "transfer"]

HIDDEN = 256
TIMESTEPS = 25
PRETRAIN = {"epochs": 20, "batch_size": 32, "lr": 5e-3}  # TrainConfig defaults otherwise (slope 5, cosine)
SCRATCH = {"epochs": 100, "lr": 1e-2}
FROZEN_EPOCHS = 60
LR_HEAD = 3e-3


def _phases(method: str) -> list[tuple[TransferConfig, int]]:
    if method in ("frozen", "proto"):
        return [(TransferConfig(freeze_until=0, lr_head=LR_HEAD, lr_frozen=0.0), FROZEN_EPOCHS)]
    if method == "gradual":
        return [(TransferConfig(freeze_until=0, lr_head=LR_HEAD, lr_frozen=0.0), FROZEN_EPOCHS),
                (TransferConfig(freeze_until=-1, lr_head=LR_HEAD, lr_frozen=LR_HEAD / 10), 40)]
    if method == "transfer":
        return list(DEFAULT_PHASES)
    raise ValueError(method)


def _load(data_dir: str, split: str, classes: str, shots: int | None = None, seed: int = 0):
    return load_dataset("optdigits", split=split, data_dir=data_dir, classes=classes, shots=shots, seed=seed)


def pretrain(data_dir: str, source: str, target: str) -> tuple[SNNCheckpoint, dict[str, Any]]:
    """Pretrain on every training example of ``source``; refuse data that holds a target class."""
    ds = _load(data_dir, "train", source)
    leak = set(ds.classes) & set(parse_classes(target))
    if leak:
        raise SystemExit(f"split {source} -> {target}: pretraining classes overlap the new ones: {sorted(leak)}")
    assert not np.isin(np.asarray(ds.classes)[ds.y], parse_classes(target)).any()
    net = Network.dense([ds.n_features, HIDDEN, ds.n_classes], seed=0, timesteps=TIMESTEPS)
    t0 = time.perf_counter()
    train(net, ds.x, ds.y, TrainConfig(seed=0, **PRETRAIN))
    seconds = time.perf_counter() - t0
    test = _load(data_dir, "test", source)
    acc = accuracy(net, test.x, test.y)
    ckpt = SNNCheckpoint.from_network(net, class_labels=list(ds.classes), provenance={"dataset": ds.identity()})
    return ckpt, {"accuracy": acc, "seconds": seconds, "n": ds.n}


def run_cell(job: tuple) -> dict[str, Any]:
    """One (split, shots, seed): every method. Deterministic for its arguments."""
    data_dir, split_name, target, pre_path, shots, seed, methods, hw = job
    pre = load_checkpoint(pre_path)
    test = _load(data_dir, "test", target)
    k = test.n_classes
    few = _load(data_dir, "train", target, shots=shots * k, seed=seed)
    bs = min(DEFAULT_BATCH_SIZE, few.n)
    out: dict[str, Any] = {"split": split_name, "shots": shots, "seed": seed, "acc": {}, "seconds": {}}
    for method in methods:
        t0 = time.perf_counter()
        if method == "scratch":
            net = Network.dense([few.n_features, HIDDEN, k], seed=seed + 2, timesteps=TIMESTEPS)
            train(net, few.x, few.y, TrainConfig(epochs=SCRATCH["epochs"], batch_size=bs, lr=SCRATCH["lr"], seed=seed))
        else:
            start = replace_head(pre, k, seed=seed + 1, class_labels=list(few.classes))
            if method == "proto":
                start = prototype_head(start, few.x, few.y)
            tuned, _ = fine_tune(start, few.x, few.y, _phases(method), TrainConfig(batch_size=bs, seed=seed))
            net = tuned.to_network()
        out["seconds"][method] = time.perf_counter() - t0
        out["acc"][method] = accuracy(net, test.x, test.y)
        if hw and method == "transfer":
            from scnc import ir, ref

            graph = ir.quantize(ir.from_checkpoint(tuned), ir.QuantOptions(stream_length=64))
            out["hw_transfer"] = ref.accuracy(graph, test.x, test.y)
    return out


def summarize(cells: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    """Mean and population std (over seeds) per split / shots / method, in percent."""
    table: dict[str, Any] = {}
    for c in cells:
        for m, a in c["acc"].items():
            table.setdefault(c["split"], {}).setdefault(str(c["shots"]), {}).setdefault(m, []).append(a)
    summary: dict[str, Any] = {}
    for split, by_shots in table.items():
        for shots, by_m in by_shots.items():
            summary.setdefault(split, {})[shots] = {
                m: {"mean": round(100 * float(np.mean(v)), 2), "std": round(100 * float(np.std(v)), 2), "n": len(v)}
                for m, v in by_m.items() if m in methods
            }
    return summary


def verdict(summary: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, per split: 20 shots >= 95% and >= scratch + 2; 2 and 5 shots ahead by > spread."""
    out = {}
    for split, by_shots in summary.items():
        v = {}
        if "20" in by_shots:
            t, s = by_shots["20"]["transfer"], by_shots["20"]["scratch"]
            v["20_ge_95"] = t["mean"] >= 95.0
            v["20_ge_scratch_plus_2"] = t["mean"] >= s["mean"] + 2.0
        for shots in ("2", "5"):
            if shots in by_shots:
                t, s = by_shots[shots]["transfer"], by_shots[shots]["scratch"]
                v[f"{shots}_ahead_by_more_than_spread"] = t["mean"] - s["mean"] > max(t["std"], s["std"])
        out[split] = v
    return out


def plot(summary: dict[str, Any], methods: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = list(summary)
    fig, axes = plt.subplots(1, len(splits), figsize=(4.2 * len(splits), 3.6), squeeze=False, sharey=True)
    for ax, split in zip(axes[0], splits):
        shots = sorted(summary[split], key=int)
        xs = [int(s) for s in shots]
        for m in methods:
            mean = [summary[split][s][m]["mean"] for s in shots]
            std = [summary[split][s][m]["std"] for s in shots]
            ax.errorbar(xs, mean, yerr=std, marker="o", capsize=3, label=m)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.set_title(split)
        ax.set_xlabel("examples per new class")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (%)")
    axes[0][-1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110, metadata={"Software": None})
    plt.close(fig)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"),
                   help="folder holding optdigits.tra / optdigits.tes (default: ../shared/data/optdigits)")
    p.add_argument("--quick", action="store_true", help="smoke run: one split, 2 and 20 shots, 2 seeds")
    p.add_argument("--seeds", type=int, default=5, help="seeds per cell (default: 5)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--hw", action="store_true", help="also measure the transfer networks on scnc.ref (L = 64)")
    p.add_argument("--out", type=Path, default=None, help="write transfer.png and transfer.json here")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.jobs < 1:
        p.error("--seeds and --jobs must be >= 1")
    if not (Path(args.data_dir) / "optdigits.tra").is_file():
        p.error(f"--data-dir {args.data_dir}: no optdigits.tra there")
    splits, shots_list, seeds = SPLITS, SHOTS, args.seeds
    if args.quick:
        splits, shots_list, seeds = SPLITS[:1], [2, 20], min(seeds, 2)

    from tqdm.auto import tqdm

    t_all = time.perf_counter()
    pre_info: dict[str, Any] = {}
    jobs = []
    # Pretrained checkpoints go to disk (the workers load them); kept under --out/pretrained.
    tmp = None
    if args.out is not None:
        pre_dir = args.out / "pretrained"
        pre_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="scnc-transfer-bench-")
        pre_dir = Path(tmp.name)
    for source, target in splits:
        name = f"{source} -> {target}"
        ckpt, info = pretrain(args.data_dir, source, target)
        pre_path = save_checkpoint(ckpt, pre_dir / f"pre_{source.replace(',', '')}")
        pre_info[name] = info
        print(f"pretrained {name}: {info['n']} examples, test accuracy on {source} "
              f"{100 * info['accuracy']:.2f}%, {info['seconds']:.1f} s", flush=True)
        for shots in shots_list:
            for seed in range(seeds):
                jobs.append((args.data_dir, name, target, str(pre_path), shots, seed, METHODS, args.hw))
    cells: list[dict[str, Any]] = []
    bar = tqdm(total=len(jobs), desc="fine-tune cells", disable=not args.progress)
    if args.jobs == 1:
        for job in jobs:
            cells.append(run_cell(job))
            bar.update(1)
    else:
        # spawn, not fork: Numba's OpenMP runtime refuses to run in a forked child
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for cell in pool.map(run_cell, jobs):
                cells.append(cell)
                bar.update(1)
    bar.close()
    if tmp is not None:
        tmp.cleanup()
    cells.sort(key=lambda c: (c["split"], c["shots"], c["seed"]))
    summary = summarize(cells, METHODS)

    print(f"\ntest accuracy, mean +- std over {seeds} seeds (%), optdigits .tra -> .tes, hidden {HIDDEN}, T {TIMESTEPS}")
    head = f"{'split':22s} {'shots':>5s} " + " ".join(f"{m:>14s}" for m in METHODS) + f" {'transfer-scratch':>17s}"
    print(head)
    print("-" * len(head))
    for split, by_shots in summary.items():
        for shots in sorted(by_shots, key=int):
            row = by_shots[shots]
            cols = " ".join(f"{row[m]['mean']:7.2f} +-{row[m]['std']:5.2f}" for m in METHODS)
            gain = row["transfer"]["mean"] - row["scratch"]["mean"]
            print(f"{split:22s} {shots:>5s} {cols} {gain:+17.2f}")
    median_s = {m: round(float(np.median([c["seconds"][m] for c in cells if c["shots"] == max(shots_list)])), 2)
                for m in METHODS}
    print(f"\nmedian wall time per run at {max(shots_list)} shots (s): "
          + ", ".join(f"{m} {s}" for m, s in median_s.items())
          + "; pretraining (s): " + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in pre_info.items()))
    result: dict[str, Any] = {
        "benchmark": "transfer",
        "dataset": "optdigits .tra -> .tes",
        "hidden": HIDDEN,
        "timesteps": TIMESTEPS,
        "seeds": seeds,
        "shots_per_class": shots_list,
        "tuning_split": " -> ".join(TUNING_SPLIT),
        "pretrain": {k: {"accuracy": round(v["accuracy"], 4), "seconds": round(v["seconds"], 1)}
                     for k, v in pre_info.items()},
        "summary": summary,
        "verdict": verdict(summary),
        "median_seconds_at_max_shots": median_s,
        "seconds_total": round(time.perf_counter() - t_all, 1),
    }
    if args.hw:
        diffs = [100 * (c["hw_transfer"] - c["acc"]["transfer"]) for c in cells]
        result["hw_minus_float_transfer_points"] = {
            "min": round(min(diffs), 2), "max": round(max(diffs), 2), "mean": round(float(np.mean(diffs)), 2)}
        print(f"hardware (scnc.ref, L=64) - float accuracy of the transfer networks, points: "
              f"{result['hw_minus_float_transfer_points']}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        plot(summary, METHODS, args.out / "transfer.png")
        tmp = args.out / "transfer.json.tmp"
        tmp.write_text(json.dumps({**result, "cells": cells}, sort_keys=True, indent=1) + "\n")
        os.replace(tmp, args.out / "transfer.json")
        print(f"wrote {args.out / 'transfer.png'} and {args.out / 'transfer.json'}")
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)

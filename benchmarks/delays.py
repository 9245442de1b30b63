"""Synaptic delays on scnc's temporal digit tasks: none vs fixed random vs learned (DCLS).

Tasks (scnc's own, built from optdigits; not a published benchmark; ``scnc.data.temporal``):
``rows`` and ``columns`` (8 inputs, one image row/column per block of steps) and ``latency``
(64 inputs, one spike per pixel, brighter earlier). Network ``n_in -> hidden -> 10`` LIF at equal
neuron count for every mode; per seed the same initial weights.

Budget: ``none`` and ``random`` train ``epochs + fine_tune`` epochs; ``learned`` trains ``epochs``
DCLS epochs (positions learned) then ``fine_tune`` epochs with the rounded, frozen delays, so all
modes see the same number of epochs. Test accuracy on optdigits ``.tes`` (1797 samples) of the
final network (integer delays: exactly what the hardware realises).

Prints a table (mean, spread = max - min over seeds, per seed), writes a PNG of accuracy vs
max_delay (``--png``) and, last, one JSON line.

    NUMBA_NUM_THREADS=1 python benchmarks/delays.py [--quick] [--seeds 3] [--max-delays 2,4,8]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from scnc.data import load_dataset
from scnc.data.temporal import render
from scnc.snn import Network, TrainConfig
from scnc.snn.dcls import DelayConfig, evaluate, train_delays

TASKS = {"rows": 16, "columns": 16, "latency": 16}  # task -> time steps


def _run(task: str, mode: str, max_delay: int, seed: int, data, args) -> tuple[float, float]:
    (xtr, ytr), (xte, yte) = data
    T = TASKS[task]
    net = Network.dense([xtr.shape[2], args.hidden, 10], seed=seed, timesteps=T)
    fine = args.fine_tune if mode == "learned" else 0
    cfg = TrainConfig(epochs=args.epochs + args.fine_tune - fine, batch_size=args.batch_size, seed=seed, lr=args.lr)
    dcfg = DelayConfig(mode=mode, max_delay=max_delay, fine_tune_epochs=fine)
    t0 = time.perf_counter()
    train_delays(net, xtr, ytr, cfg, dcfg)
    return evaluate(net, xte, yte), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="/work/shared/data")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=8, help="main epochs (DCLS phase of 'learned')")
    ap.add_argument("--fine-tune", type=int, default=2, help="'learned': weight-only epochs after rounding")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--max-delays", default="2,4,8", help="comma-separated max_delay values (time steps)")
    ap.add_argument("--train-samples", type=int, default=1500, help="first N of optdigits .tra")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--png", default="delays.png")
    ap.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, 300 samples (a smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.fine_tune, args.train_samples, args.max_delays = 1, 2, 1, 300, "4"
    max_delays = [int(v) for v in args.max_delays.split(",")]
    tasks = args.tasks.split(",")
    tr = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    te = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    n = min(args.train_samples, len(tr.y))

    rows = []
    for task in tasks:
        T = TASKS[task]
        data = ((render(tr.x[:n], task, T), tr.y[:n]), (render(te.x, task, T), te.y))
        for mode in ("none", "random", "learned"):
            for md in ([0] if mode == "none" else max_delays):
                for seed in range(args.seeds):
                    acc, sec = _run(task, mode, max(md, 1), seed, data, args)
                    rows.append({"task": task, "mode": mode, "max_delay": md, "seed": seed, "accuracy": acc,
                                 "seconds": round(sec, 2)})
                    print(f"  {task:8} {mode:8} D={md:<3} seed {seed}: {100 * acc:.2f}%  ({sec:.0f} s)", flush=True)

    print(f"\nsynaptic delays on scnc's temporal optdigits tasks (not a published benchmark): "
          f"n_in-{args.hidden}-10 LIF, {args.epochs}+{args.fine_tune} epochs, {n} train / {len(te.y)} test samples, "
          f"{args.seeds} seeds; cpu_count={os.cpu_count()}, "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    print(f"{'task':9}{'mode':9}{'D':>4}  {'mean %':>7} {'spread':>7}   per seed")
    summary = []
    for task in tasks:
        for mode in ("none", "random", "learned"):
            for md in ([0] if mode == "none" else max_delays):
                accs = [r["accuracy"] for r in rows if (r["task"], r["mode"], r["max_delay"]) == (task, mode, md)]
                mean, spread = float(np.mean(accs)), float(np.max(accs) - np.min(accs))
                summary.append({"task": task, "mode": mode, "max_delay": md, "mean": mean, "spread": spread,
                                "per_seed": accs})
                print(f"{task:9}{mode:9}{md:>4}  {100 * mean:7.2f} {100 * spread:7.2f}   "
                      + " ".join(f"{100 * a:.2f}" for a in accs))
    verdicts = {}
    for task in tasks:
        none = next(s for s in summary if s["task"] == task and s["mode"] == "none")
        best = max((s for s in summary if s["task"] == task and s["mode"] == "learned"), key=lambda s: s["mean"])
        margin = best["mean"] - none["mean"]
        spread = max(best["spread"], none["spread"])
        verdicts[task] = {"learned_max_delay": best["max_delay"], "learned_minus_none": margin,
                          "spread": spread, "beats_spread": bool(margin > spread)}
        print(f"{task}: learned (D={best['max_delay']}) - none = {100 * margin:+.2f} points, seed spread "
              f"{100 * spread:.2f}: {'beats' if margin > spread else 'does NOT beat'} the spread")
    if args.png:
        _plot(summary, tasks, max_delays, args.png)
        print(f"wrote {args.png}")
    result = {"benchmark": "delays", "hidden": args.hidden, "epochs": args.epochs, "fine_tune": args.fine_tune,
              "train_samples": n, "seeds": args.seeds, "summary": summary, "verdicts": verdicts}
    print(json.dumps(result, sort_keys=True))
    return result


def _plot(summary, tasks, max_delays, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        none = next(s for s in summary if s["task"] == task and s["mode"] == "none")
        ax.axhspan(100 * min(none["per_seed"]), 100 * max(none["per_seed"]), color="grey", alpha=0.25)
        ax.axhline(100 * none["mean"], color="grey", label="no delays")
        for mode, colour in (("random", "tab:orange"), ("learned", "tab:blue")):
            ss = [next(s for s in summary if (s["task"], s["mode"], s["max_delay"]) == (task, mode, d))
                  for d in max_delays]
            means = [100 * s["mean"] for s in ss]
            err = [[100 * (s["mean"] - min(s["per_seed"])) for s in ss],
                   [100 * (max(s["per_seed"]) - s["mean"]) for s in ss]]
            ax.errorbar(max_delays, means, yerr=err, marker="o", capsize=3, color=colour, label=f"{mode} delays")
        ax.set_title(f"optdigits '{task}' (scnc task)")
        ax.set_xlabel("max_delay (time steps)")
        ax.set_ylabel("test accuracy %")
        ax.set_xticks(max_delays)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()

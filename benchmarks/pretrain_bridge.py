"""pipe-S vs from-scratch BPTT: accuracy against cumulative wall time and against epochs.

Workload: optdigits (train on ``optdigits.tra``, test on ``optdigits.tes``), dense LIF
64-128-10 and 64-256-10, T = 25, rate-coded input, beta 0.9, threshold 1, subtract reset; the
SNN epochs of both routes use the same :class:`scnc.snn.TrainConfig` (defaults: Adam 5e-3, cosine,
batch 128, fast-sigmoid slope 5).

* scratch: ``train`` for ``--scratch-epochs`` epochs;
* pipe-S: ``pretrain`` (the ANN, ``--ann-epochs``) then ``train`` for ``--ft-epochs`` epochs on the
  very same parameters.

Timing: Numba compile is excluded by a warm-up of every kernel before the first timed run. Each
curve point is the cumulative *training* time (ANN + SNN) after an epoch. ``train`` scores the
test set inside each epoch's ``seconds``; that evaluation is not training, so this script times
the same evaluation three times per run and subtracts its median from every SNN epoch. ANN epochs
are timed without their evaluation.

Reported per size: the target (mean over seeds of the scratch runs' best test accuracy); per run
the accuracy right after transfer (before any SNN epoch), the best accuracy, and the time-to-target
(cumulative training time at the first epoch reaching the target, ``None`` if never); the ratio
pipe-S / scratch of the median time-to-target; a PNG of the curves (``--out``); and, last, one
JSON line.

    python benchmarks/pretrain_bridge.py [--quick] [--out DIR] [--seeds 5] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from scnc.data import load_dataset
from scnc.snn import Network, TrainConfig, accuracy, train
from scnc.snn.pretrain import PretrainConfig, ann_accuracy, pretrain

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"
T = 25


def _eval_seconds(net: Network, x: np.ndarray, y: np.ndarray) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        accuracy(net, x, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_scratch(h: int, seed: int, epochs: int, tr, te) -> dict:
    net = Network.dense([64, h, 10], seed=seed, timesteps=T)
    res = train(net, tr.x, tr.y, TrainConfig(epochs=epochs, seed=seed), x_val=te.x, y_val=te.y)
    ev = _eval_seconds(net, te.x, te.y)
    t, times, accs = 0.0, [], []
    for e in res.history:
        t += max(e["seconds"] - ev, 0.0)
        times.append(t)
        accs.append(e["val_accuracy"])
    return {"route": "scratch", "hidden": h, "seed": seed, "times": times, "accs": accs,
            "snn_epochs": list(range(1, epochs + 1)), "eval_seconds": ev}


def run_pipe_s(h: int, seed: int, ann_cfg: PretrainConfig, ft_epochs: int, tr, te) -> dict:
    net = Network.dense([64, h, 10], seed=seed, timesteps=T)
    pre = pretrain(net, tr.x, tr.y, ann_cfg)
    ann_seconds = sum(e["seconds"] for e in pre.history)
    ann_acc = ann_accuracy(net, te.x, te.y)
    after = accuracy(net, te.x, te.y)
    res = train(net, tr.x, tr.y, TrainConfig(epochs=ft_epochs, seed=seed), x_val=te.x, y_val=te.y)
    ev = _eval_seconds(net, te.x, te.y)
    t, times, accs = ann_seconds, [ann_seconds], [after]
    for e in res.history:
        t += max(e["seconds"] - ev, 0.0)
        times.append(t)
        accs.append(e["val_accuracy"])
    return {"route": "pipe-s", "hidden": h, "seed": seed, "times": times, "accs": accs,
            "snn_epochs": list(range(0, ft_epochs + 1)), "ann_seconds": ann_seconds,
            "ann_epochs": ann_cfg.epochs, "ann_accuracy": ann_acc, "after_transfer": after,
            "eval_seconds": ev}


def time_to(run: dict, target: float) -> float | None:
    for t, a in zip(run["times"], run["accs"]):
        if a >= target - 1e-12:
            return t
    return None


def _warm_up(tr, te) -> None:
    net = Network.dense([64, 16, 10], seed=0, timesteps=T)
    pretrain(net, tr.x[:64], tr.y[:64], PretrainConfig(epochs=1, batch_size=32))
    ann_accuracy(net, te.x[:64], te.y[:64])
    train(net, tr.x[:64], tr.y[:64], TrainConfig(epochs=1, batch_size=32), x_val=te.x[:64], y_val=te.y[:64])


def plot(runs: list[dict], targets: dict[int, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(targets)
    fig, axes = plt.subplots(2, len(sizes), figsize=(6 * len(sizes), 8), squeeze=False)
    colors = {"scratch": "tab:blue", "pipe-s": "tab:red"}
    for c, h in enumerate(sizes):
        for r in runs:
            if r["hidden"] != h:
                continue
            label = r["route"] if r["seed"] == 0 else None
            axes[0, c].plot(r["times"], 100 * np.array(r["accs"]), color=colors[r["route"]], alpha=0.6, label=label)
            axes[1, c].plot(r["snn_epochs"], 100 * np.array(r["accs"]), color=colors[r["route"]], alpha=0.6, label=label)
        for ax, xl in ((axes[0, c], "cumulative training wall time [s] (ANN + SNN)"),
                       (axes[1, c], "SNN epochs (pipe-S: 0 = right after transfer)")):
            ax.axhline(100 * targets[h], color="k", ls=":", lw=1, label="target (scratch best, mean)")
            ax.set_xlabel(xl)
            ax.set_ylabel("test accuracy [%] (optdigits.tes)")
            ax.set_ylim(85, 100)
            ax.set_title(f"64-{h}-10")
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def epochs_to(run: dict, target: float) -> float | None:
    """SNN-epoch equivalents until ``target``: SNN epochs, plus (pipe-S) the ANN's cost in SNN epochs.

    The ANN's cost is its time over the median SNN epoch time *of the same run*, so the measure is
    robust to a machine whose load changes between runs (wall times alone are not).
    """
    ann = 0.0
    if run["route"] == "pipe-s":
        ann = run["ann_seconds"] / statistics.median(b - a for a, b in zip(run["times"], run["times"][1:]))
    for e, a in zip(run["snn_epochs"], run["accs"]):
        if a >= target - 1e-12:
            return e + ann
    return None


def _med(xs):
    xs = [v for v in xs if v is not None]
    return statistics.median(xs) if xs else None


def summarize(runs: list[dict], header: str) -> tuple[dict[str, dict], dict[int, float]]:
    """Print the tables and return the summary per hidden size and the targets."""
    targets: dict[int, float] = {}
    summary: dict[str, dict] = {}
    print(header)
    for h in sorted({r["hidden"] for r in runs}):
        sc = [r for r in runs if r["hidden"] == h and r["route"] == "scratch"]
        ps = [r for r in runs if r["hidden"] == h and r["route"] == "pipe-s"]
        seeds = len(sc)
        target = float(np.mean([max(r["accs"]) for r in sc]))
        targets[h] = target
        print(f"\n64-{h}-10: target = mean scratch best = {100 * target:.2f}%")
        print(f"{'route':8} {'seed':>4} {'after-xfer':>10} {'best':>7} {'total s':>8} {'t->target s':>11} {'ep->target':>10}")
        for r in sc + ps:
            r["best"] = max(r["accs"])
            r["time_to_target"] = time_to(r, target)
            r["epochs_to_target"] = epochs_to(r, target)
            ax = f"{100 * r['after_transfer']:.2f}" if "after_transfer" in r else "-"
            ttt = "never" if r["time_to_target"] is None else f"{r['time_to_target']:.2f}"
            ett = "never" if r["epochs_to_target"] is None else f"{r['epochs_to_target']:.1f}"
            print(f"{r['route']:8} {r['seed']:>4} {ax:>10} {100 * r['best']:7.2f} {r['times'][-1]:8.2f} {ttt:>11} {ett:>10}")
        sc_ttt = _med([r["time_to_target"] for r in sc])
        ps_ttt = _med([r["time_to_target"] for r in ps])
        sc_ett = _med([r["epochs_to_target"] for r in sc])
        ps_ett = _med([r["epochs_to_target"] for r in ps])
        sc_total = statistics.median([r["times"][-1] for r in sc])
        ratio = None if (sc_ttt is None or ps_ttt is None) else ps_ttt / sc_ttt
        ann_cost = statistics.median(
            r["ann_seconds"] / statistics.median(b - a for a, b in zip(r["times"], r["times"][1:])) for r in ps)
        s = {
            "target": target,
            "scratch_best_mean": target,
            "pipe_s_best_mean": float(np.mean([r["best"] for r in ps])),
            "after_transfer_mean": float(np.mean([r["after_transfer"] for r in ps])),
            "ann_accuracy_mean": float(np.mean([r["ann_accuracy"] for r in ps])),
            "ann_seconds_median": statistics.median([r["ann_seconds"] for r in ps]),
            "ann_cost_in_snn_epochs_median": ann_cost,
            "scratch_reached": sum(r["time_to_target"] is not None for r in sc),
            "pipe_s_reached": sum(r["time_to_target"] is not None for r in ps),
            "scratch_time_to_target_median": sc_ttt,
            "pipe_s_time_to_target_median": ps_ttt,
            "scratch_epochs_to_target_median": sc_ett,
            "pipe_s_epochs_to_target_median": ps_ett,
            "scratch_total_seconds_median": sc_total,
            "pipe_s_total_seconds_median": statistics.median([r["times"][-1] for r in ps]),
            "ratio_time_to_target": ratio,
            "ratio_epochs_to_target": None if (sc_ett is None or ps_ett is None) else ps_ett / sc_ett,
            "ratio_vs_scratch_total": None if ps_ttt is None else ps_ttt / sc_total,
            "eval_seconds_median": statistics.median([r["eval_seconds"] for r in sc + ps]),
        }
        summary[str(h)] = s
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"scratch best {100 * target:.2f}% | pipe-S best {100 * s['pipe_s_best_mean']:.2f}% | "
              f"after transfer {100 * s['after_transfer_mean']:.2f}% (ANN {100 * s['ann_accuracy_mean']:.2f}%, "
              f"ANN cost {ann_cost:.2f} SNN epochs) | reached target: scratch {s['scratch_reached']}/{seeds}, "
              f"pipe-S {s['pipe_s_reached']}/{seeds}")
        print(f"median time-to-target: scratch {fmt(sc_ttt)} s, pipe-S {fmt(ps_ttt)} s -> ratio {fmt(ratio)}; "
              f"in SNN-epoch equivalents: scratch {fmt(sc_ett)}, pipe-S {fmt(ps_ett)} -> ratio "
              f"{fmt(s['ratio_epochs_to_target'])}; pipe-S time-to-target / scratch total {fmt(s['ratio_vs_scratch_total'])}")
    return summary, targets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 64-32-10, few epochs, 600 samples")
    ap.add_argument("--out", type=Path, default=Path("pretrain-bridge"), help="folder for the PNG and results.json")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sizes", default="128,256", help="hidden sizes, comma separated")
    ap.add_argument("--scratch-epochs", type=int, default=30)
    ap.add_argument("--ann-epochs", type=int, default=PretrainConfig().epochs)
    ap.add_argument("--ft-epochs", type=int, default=15)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--no-progress", dest="progress", action="store_false")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="re-summarise the runs of an earlier results.json (or runs-partial.json); no training")
    args = ap.parse_args()
    if args.from_json is not None:
        doc = json.loads(args.from_json.read_text())
        runs = doc["runs"] if isinstance(doc, dict) else doc
        summary, targets = summarize(runs, f"re-summarised from {args.from_json}")
        print(json.dumps({"benchmark": "pretrain_bridge", "from_json": str(args.from_json), "summary": summary},
                         sort_keys=True))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    seeds = args.seeds
    scratch_epochs, ft_epochs, ann_epochs = args.scratch_epochs, args.ft_epochs, args.ann_epochs
    tr = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    te = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    if args.quick:
        sizes, seeds, scratch_epochs, ft_epochs, ann_epochs = [32], 1, 3, 2, 2
        tr, te = tr.subset(np.arange(600)), te.subset(np.arange(300))
    args.out.mkdir(parents=True, exist_ok=True)
    _warm_up(tr, te)

    from tqdm.auto import tqdm

    runs: list[dict] = []
    bar = tqdm(total=len(sizes) * seeds * 2, unit="run", desc="pretrain_bridge", disable=not args.progress)
    for h in sizes:
        for seed in range(seeds):
            bar.set_postfix(hidden=h, seed=seed, route="scratch")
            runs.append(run_scratch(h, seed, scratch_epochs, tr, te))
            bar.update(1)
            bar.set_postfix(hidden=h, seed=seed, route="pipe-s")
            ann_cfg = PretrainConfig(epochs=ann_epochs, seed=seed)
            runs.append(run_pipe_s(h, seed, ann_cfg, ft_epochs, tr, te))
            bar.update(1)
            (args.out / "runs-partial.json").write_text(json.dumps(runs))  # survives an interrupted run
    bar.close()

    summary, targets = summarize(runs, f"\noptdigits .tra -> .tes, T={T}, {seeds} seeds; scratch {scratch_epochs} SNN "
                                        f"epochs; pipe-S {ann_epochs} ANN + {ft_epochs} SNN epochs; cpu_count="
                                        f"{os.cpu_count()}, NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    png = args.out / "pretrain_bridge.png"
    plot(runs, targets, png)
    (args.out / "results.json").write_text(json.dumps({"runs": runs, "summary": summary}, indent=1))
    print(f"\nwrote {png} and {args.out / 'results.json'}")
    print(json.dumps({"benchmark": "pretrain_bridge", "dataset": "optdigits", "timesteps": T, "seeds": seeds,
                      "scratch_epochs": scratch_epochs, "ann_epochs": ann_epochs, "ft_epochs": ft_epochs,
                      "quick": args.quick, "machine": platform.machine(), "cpu_count": os.cpu_count(),
                      "summary": summary}, sort_keys=True))


if __name__ == "__main__":
    main()

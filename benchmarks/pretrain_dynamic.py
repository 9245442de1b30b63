"""pipe-D: a network pretrained on static digits, transferred to latency-coded (temporal) digits.

The temporal task is scnc's own (``scnc.data.temporal``, kind ``"latency"``): every pixel of an
optdigits image spikes once, earlier for brighter, over T = 25 steps; spike counts only say which
pixels are non-blank, intensity is in the timing. Train on ``optdigits.tra``, test on ``.tes``.

Per seed:

* source (static): pipe-S on rate-coded static digits (``pretrain`` ``--ann-epochs`` ANN epochs,
  then ``--src-epochs`` SNN epochs), 64-128-10;
* transfer: the source checkpoint with its encoder switched to latency coding, fine-tuned with
  ``scnc.transfer.fine_tune`` for ``--epochs`` epochs, either every layer (``freeze_until=-1``) or
  the head only (``freeze_until=0``, hidden layer frozen bit for bit);
* scratch: the same network freshly initialised, trained on the temporal task for ``--epochs`` and
  for ``3 * --epochs`` epochs.

Reported: test accuracy of the source right after the switch (no temporal epoch), after transfer,
and from scratch; wall time of each temporal training (Numba compile excluded by a warm-up) and
of the static source. Prints a table and, last, one JSON line.

    python benchmarks/pretrain_dynamic.py [--quick] [--seeds 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from scnc.data import load_dataset
from scnc.snn import EncoderConfig, Network, TrainConfig, accuracy, train
from scnc.snn.pretrain import PretrainConfig, pretrain
from scnc.transfer import SNNCheckpoint, TransferConfig, fine_tune

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"
T = 25
LR = TrainConfig().lr


def latency(seed: int) -> EncoderConfig:
    return EncoderConfig(kind="latency", seed=seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 64-32-10, 600 samples, 2 epochs")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--ann-epochs", type=int, default=PretrainConfig().epochs)
    ap.add_argument("--src-epochs", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=5, help="temporal epochs of transfer (scratch: this and 3x)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    tr = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    te = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    seeds, h, epochs, src_epochs, ann_epochs = args.seeds, args.hidden, args.epochs, args.src_epochs, args.ann_epochs
    if args.quick:
        seeds, h, epochs, src_epochs, ann_epochs = 1, 32, 2, 2, 2
        tr, te = tr.subset(np.arange(600)), te.subset(np.arange(300))

    # warm-up: compile every kernel once (not timed)
    w = Network.dense([64, 8, 10], seed=0, timesteps=T, encoder=latency(0))
    pretrain(w, tr.x[:64], tr.y[:64], PretrainConfig(epochs=1))
    train(w, tr.x[:64], tr.y[:64], TrainConfig(epochs=1, batch_size=32))
    accuracy(w, te.x[:64], te.y[:64])

    from tqdm.auto import tqdm

    rows = []
    for seed in tqdm(range(seeds), desc="pretrain_dynamic", unit="seed"):
        tc = TrainConfig(seed=seed)
        # static source: pipe-S on rate-coded digits
        net = Network.dense([64, h, 10], seed=seed, timesteps=T)
        t0 = time.perf_counter()
        pretrain(net, tr.x, tr.y, PretrainConfig(epochs=ann_epochs, seed=seed))
        train(net, tr.x, tr.y, TrainConfig(epochs=src_epochs, seed=seed))
        src_seconds = time.perf_counter() - t0
        src_static = accuracy(net, te.x, te.y)
        src = SNNCheckpoint.from_network(net, metadata={"task": "optdigits (static, rate)"})
        src_t = src.replace(encoder=latency(seed))
        src_temporal = accuracy(src_t.to_network(), te.x, te.y)
        row = {"seed": seed, "source_seconds": src_seconds, "source_static": src_static,
               "source_on_temporal": src_temporal}
        for name, freeze in (("transfer_all", -1), ("transfer_head", 0)):
            t0 = time.perf_counter()
            ft, _ = fine_tune(src_t, tr.x, tr.y, [(TransferConfig(freeze, lr_head=LR, lr_frozen=LR), epochs)], tc)
            row[name + "_seconds"] = time.perf_counter() - t0
            row[name] = accuracy(ft.to_network(), te.x, te.y)
        for name, ep in (("scratch", epochs), ("scratch_3x", 3 * epochs)):
            snet = Network.dense([64, h, 10], seed=seed, timesteps=T, encoder=latency(seed))
            t0 = time.perf_counter()
            train(snet, tr.x, tr.y, dataclass_replace(tc, epochs=ep))
            row[name + "_seconds"] = time.perf_counter() - t0
            row[name] = accuracy(snet, te.x, te.y)
        rows.append(row)

    keys = ["source_on_temporal", "transfer_all", "transfer_head", "scratch", "scratch_3x"]
    print(f"\npipe-D: optdigits static (rate) -> latency-coded (scnc's own temporal task), 64-{h}-10, T={T}, "
          f"{seeds} seeds; temporal epochs: transfer {epochs}, scratch {epochs} and {3 * epochs}; "
          f"cpu_count={os.cpu_count()}, NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'default')}")
    print(f"{'':22} {'test acc % (mean, per seed)':40} {'wall s (median)':>15}")
    summary = {}
    for k in keys:
        accs = [r[k] for r in rows]
        secs = [r[k + "_seconds"] for r in rows] if k + "_seconds" in rows[0] else None
        summary[k] = {"accuracy_mean": float(np.mean(accs)), "accuracies": accs,
                      "seconds_median": None if secs is None else statistics.median(secs)}
        per = ", ".join(f"{100 * a:.2f}" for a in accs)
        s = "-" if secs is None else f"{statistics.median(secs):.2f}"
        print(f"{k:22} {100 * np.mean(accs):6.2f}  ({per}){'':5} {s:>15}")
    summary["source_seconds_median"] = statistics.median(r["source_seconds"] for r in rows)
    summary["source_static_mean"] = float(np.mean([r["source_static"] for r in rows]))
    print(f"static source (pipe-S {ann_epochs} ANN + {src_epochs} SNN epochs): "
          f"{100 * summary['source_static_mean']:.2f}% on static test, {summary['source_seconds_median']:.2f} s")
    print(json.dumps({"benchmark": "pretrain_dynamic", "task": "optdigits-latency", "hidden": h, "timesteps": T,
                      "seeds": seeds, "epochs": epochs, "quick": args.quick, "summary": summary}, sort_keys=True))


def dataclass_replace(cfg: TrainConfig, **kw) -> TrainConfig:
    import dataclasses

    return dataclasses.replace(cfg, **kw)


if __name__ == "__main__":
    main()

"""Local learning on a frozen encoder vs a BPTT readout vs the encoder's ANN head (optdigits .tra -> .tes).

Measures, with every seed explicit:

1. *full*: an ANN encoder (64 -> 128 -> 10, pipe-S pretraining) on all of optdigits.tra; on its
   frozen, rate-coded hidden features: the local-rule classifier (:mod:`scnc.local`), a BPTT-trained
   dense SNN readout (128 -> 10, :func:`scnc.snn.train`), and the encoder's own ANN head; test on
   optdigits.tes; training wall time of the local rule and of BPTT. The local classifier's
   hardware accuracy (:func:`scnc.ref.accuracy`, SC L=64 and fixed point) next to its float accuracy.
2. *transfer*: an encoder pretrained on classes 0-4 only; the local classifier learns 5-9 from 100
   examples (``few_shot`` seeds 0..N-1) and is tested on optdigits.tes 5-9; three recipes: part 1's
   (plain), the affine encoder (3 affine copies of every source image, 256 hidden, window (0, 1)),
   and the transfer recipe (the affine encoder passing its input through, threshold 2); hardware
   accuracy (scnc.ref, SC L=64) of seed 0's classifier.
3. *ten-shot*: the same encoders (0-4); all ten classes from 10 examples per class.
4. *adding classes later*: the transfer recipe's 5-9 classifiers continued on 0-4 (10 examples each),
   without and with 25 examples of 5-9 replayed (``scnc local-train --init-from --rehearse``).

Prints a table and one JSON line. Run: ``NUMBA_NUM_THREADS=1 python benchmarks/local_learning.py
--data-dir /work/shared/data`` (about a minute on one core). ``--verify-samples 50 --build DIR`` also
compiles the full-task classifier (SC, L=64, 4-bit weights, event engine, P 1x2: it fits the iCE40UP5K) into ``DIR`` and verifies
it bit for bit in Verilator on that many optdigits test samples (their real encoder features;
several minutes). Synthesis: ``scnc synth DIR --target ice40-up5k``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from scnc import ir, ref
from scnc.data import few_shot, load_dataset
from scnc.data.augment import augment_affine
from scnc.local import LocalClassifier, LocalConfig, RateCoding, pretrain_encoder, train_local
from scnc.snn import Network, TrainConfig, accuracy, train


#: Recipes of the transfer parts: (hidden neurons, affine copies of every source image, feature window,
#: include_input, classifier threshold). "plain" is part 1's recipe; "affine" the encoder chosen by
#: ``--sweep``; "skip" (the transfer recipe of docs/local_learning.md) adds the input pass-through
#: and the threshold chosen by ``--sweep-features``.
TRANSFER_RECIPES = {"plain": (128, 0, (0.7, 1.3), False, 1.0), "affine": (256, 3, (0.0, 1.0), False, 1.0),
                     "skip": (256, 3, (0.0, 1.0), True, 2.0)}


#: Part 4, adding classes later: the transfer recipe's 5-9 classifier continued on 10 examples of each
#: of 0-4 (``scnc local-train --init-from``), with this many examples of 5-9 replayed (``--rehearse``).
REHEARSAL_RECIPE = "skip"
REHEARSAL = (0, 25)


def _add_classes(clf59: LocalClassifier, enc, src, new_all, rehearse: int, seed: int, f_test: np.ndarray,
                 y_test: np.ndarray) -> float:
    """Ten-class test accuracy of ``clf59`` continued on 0-4 (10 each) plus ``rehearse`` examples of 5-9,
    the samples ``scnc local-train --init-from ... --shots 50 --rehearse N --seed S`` draws."""
    clf = clf59.add_classes(list(src.classes))
    add = few_shot(src, total=50, seed=seed)
    x, y = add.x, np.asarray(add.classes)[add.y]
    if rehearse:
        old = few_shot(new_all, total=rehearse, seed=seed)
        x, y = np.concatenate([x, old.x]), np.concatenate([y, np.asarray(old.classes)[old.y]])
    train_local(clf, enc(x), y)
    return clf.accuracy(f_test, y_test, seed=seed)


#: The split the transfer recipe was chosen on (never the reported 0-4 -> 5-9), and the grid (``--sweep``).
TUNING_SPLIT = ("1,2,3,7,8", "0,4,5,6,9")
SWEEP = {"hidden": (128, 256, 512), "affine_copies": (0, 3, 6), "window": ((0.7, 1.3), (0.0, 1.0), (0.0, 2.0)),
         "neurons_per_column": (10, 20)}
#: The second grid (``--sweep-features``), on the encoder the first one chose (256 hidden, 3 copies,
#: window (0, 1)): input pass-through, threshold, and the inference window (the same trained classifier
#: evaluated over each number of steps).
SWEEP_FEATURES = {"include_input": (False, True), "threshold": (1.0, 1.5, 2.0, 2.5, 3.0),
                  "inference_timesteps": (10, 20, 40, 80)}


def sweep_features(data_dir: str, seeds: int = 3) -> list[dict]:
    """:data:`SWEEP_FEATURES` on :data:`TUNING_SPLIT`: 100 examples of the new classes, ``seeds`` draws."""
    source, target = TUNING_SPLIT
    src = load_dataset("optdigits", split="train", data_dir=data_dir, classes=source)
    new_all = load_dataset("optdigits", split="train", data_dir=data_dir, classes=target)
    new_te = load_dataset("optdigits", split="test", data_dir=data_dir, classes=target)
    hidden, copies, window = TRANSFER_RECIPES["affine"][:3]
    src_v = augment_affine(src, copies, seed=0)
    base = pretrain_encoder(src_v.x, src_v.y, class_labels=list(src.classes), hidden=hidden, epochs=10, seed=0,
                            window=window)
    rows = []
    for include in SWEEP_FEATURES["include_input"]:
        enc = dataclasses.replace(base, include_input=include)
        f_te = enc(new_te.x)
        for threshold in SWEEP_FEATURES["threshold"]:
            accs: dict[int, list[float]] = {t: [] for t in SWEEP_FEATURES["inference_timesteps"]}
            for s in range(seeds):
                few = few_shot(new_all, total=100, seed=s)
                f = enc(few.x)
                clf = LocalClassifier.new(LocalConfig(threshold=threshold, seed=s), list(few.classes), RateCoding.fit(f))
                train_local(clf, f, np.asarray(few.classes)[few.y])
                for t in accs:
                    clf.config = dataclasses.replace(clf.config, inference_timesteps=t)
                    accs[t].append(clf.accuracy(f_te, new_te.y, seed=s))
            for t, a in accs.items():
                rows.append({"include_input": include, "threshold": threshold, "inference_timesteps": t,
                             "mean": float(np.mean(a)), "std": float(np.std(a))})
            print(f"tuning {source} -> {target}: include_input {include!s:5s}, threshold {threshold}: "
                  + "  ".join(f"T {t} {100 * np.mean(a):.2f} +- {100 * np.std(a):.2f}" for t, a in accs.items()),
                  flush=True)
    return rows


def sweep(data_dir: str, seeds: int = 3) -> list[dict]:
    """The transfer recipe's grid on :data:`TUNING_SPLIT`: 100 examples of the new classes, ``seeds`` draws."""
    source, target = TUNING_SPLIT
    src = load_dataset("optdigits", split="train", data_dir=data_dir, classes=source)
    new_all = load_dataset("optdigits", split="train", data_dir=data_dir, classes=target)
    new_te = load_dataset("optdigits", split="test", data_dir=data_dir, classes=target)
    rows = []
    for hidden in SWEEP["hidden"]:
        for copies in SWEEP["affine_copies"]:
            src_v = augment_affine(src, copies, seed=0)
            enc = pretrain_encoder(src_v.x, src_v.y, class_labels=list(src.classes), hidden=hidden, epochs=10, seed=0)
            for window in SWEEP["window"]:
                e = dataclasses.replace(enc, window=window)
                f_te = e(new_te.x)
                for k in SWEEP["neurons_per_column"]:
                    accs = []
                    for s in range(seeds):
                        few = few_shot(new_all, total=100, seed=s)
                        f = e(few.x)
                        clf = LocalClassifier.new(LocalConfig(neurons_per_column=k, seed=s), list(few.classes),
                                                  RateCoding.fit(f))
                        train_local(clf, f, np.asarray(few.classes)[few.y])
                        accs.append(clf.accuracy(f_te, new_te.y, seed=s))
                    rows.append({"hidden": hidden, "affine_copies": copies, "window": list(window),
                                 "neurons_per_column": k, "mean": float(np.mean(accs)), "std": float(np.std(accs))})
                    print(f"tuning {source} -> {target}: hidden {hidden:3d}, {copies} copies, window {window}, K {k:2d}: "
                          f"{100 * rows[-1]['mean']:.2f} +- {100 * rows[-1]['std']:.2f} %", flush=True)
    return rows


def _local(features, labels, classes, cfg):
    clf = LocalClassifier.new(cfg, classes, RateCoding.fit(features))
    train_local(clf, features, labels)  # warm the Numba cache, then time a fresh run
    clf = LocalClassifier.new(cfg, classes, RateCoding.fit(features))
    t0 = time.perf_counter()
    train_local(clf, features, labels)
    return clf, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", required=True, help="folder holding optdigits.tra / optdigits.tes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bptt-epochs", type=int, default=20)
    ap.add_argument("--transfer-seeds", type=int, default=5,
                    help="few-shot draws (and classifier seeds) of the transfer parts, 0..N-1")
    ap.add_argument("--verify-samples", type=int, default=0,
                    help="verify the compiled classifier in Verilator on this many test samples (0: skip)")
    ap.add_argument("--build", default=None, help="build folder for --verify-samples (written)")
    ap.add_argument("--sweep", action="store_true",
                    help="only the transfer encoder's grid on the tuning split (about 4 minutes), then exit")
    ap.add_argument("--sweep-features", action="store_true",
                    help="only the transfer recipe's second grid (input pass-through, threshold, inference steps) "
                         "on the tuning split (about a minute), then exit")
    args = ap.parse_args()
    if args.sweep or args.sweep_features:
        rows = sweep(args.data_dir) if args.sweep else sweep_features(args.data_dir)
        best = max(rows, key=lambda r: r["mean"])
        name = "local_learning_sweep" if args.sweep else "local_learning_sweep_features"
        print(json.dumps({"benchmark": name, "split": list(TUNING_SPLIT), "best": best, "rows": rows}, sort_keys=True))
        return
    if args.verify_samples and not args.build:
        ap.error("--verify-samples needs --build DIR")
    seed = args.seed
    tr = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    te = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    cfg = LocalConfig(seed=seed)
    out: dict = {"seed": seed, "local_config": cfg.__dict__}

    # 1. full task
    enc = pretrain_encoder(tr.x, tr.y, class_labels=list(tr.classes), epochs=10, seed=seed)
    ftr, fte = enc(tr.x), enc(te.x)
    labels = np.asarray(tr.classes)[tr.y]
    clf, t_local = _local(ftr, labels, list(tr.classes), cfg)
    acc_local = clf.accuracy(fte, te.y, seed=seed)
    xtr, xte = clf.intensities(ftr), clf.intensities(fte)
    net = Network.dense([xtr.shape[1], len(tr.classes)], seed=seed, timesteps=cfg.timesteps)
    train(net.copy(), xtr[:256], tr.y[:256], TrainConfig(epochs=1, seed=seed))  # warm Numba
    t0 = time.perf_counter()
    net = train(net, xtr, tr.y, TrainConfig(epochs=args.bptt_epochs, seed=seed)).network
    t_bptt = time.perf_counter() - t0
    acc_bptt_t = accuracy(net, xte, te.y, seed=seed)
    # the local classifier infers over cfg.inference_timesteps; the readout gets the same window too,
    # and the comparison takes whichever of its two windows is better
    long_net = net.copy()
    long_net.timesteps = cfg.inference_timesteps
    acc_bptt_long = accuracy(long_net, xte, te.y, seed=seed)
    acc_bptt = max(acc_bptt_t, acc_bptt_long)
    acc_head = enc.head_accuracy(te.x, te.y)
    ckpt = clf.to_checkpoint()
    hw = {}
    for name, opts in (("sc_L64", ir.QuantOptions(stream_length=64, seed=seed)),
                       ("fixed", ir.QuantOptions(encoding="fixed", seed=seed))):
        hw[name] = ref.accuracy(ir.quantize(ir.from_checkpoint(ckpt), opts), xte, te.y)
    if args.verify_samples:
        from scnc.rtl import compile_graph
        from scnc.verify.verify import verify_build

        # what `scnc compile clf.npz --weight-bits 4` chooses for the iCE40UP5K: the event engine at P 1x2
        # (30 of 30 block RAMs estimated, 25 placed; 5- and 6-bit weights need 31 and 35)
        graph = ir.set_engine(ir.quantize(ir.from_checkpoint(ckpt), ir.QuantOptions(
            stream_length=64, weight_bits=4, parallel_inputs=1, parallel_neurons=2, seed=seed)), "event")
        compile_graph(graph, args.build)
        xin = ref.quantize_features(graph, xte[:args.verify_samples]).astype(np.int64)
        rep = verify_build(args.build, sim="verilator", inputs={"intensities": xin}, dataset=None, seed=seed)
        hw["verilator"] = {"ok": rep.ok, "samples": rep.samples, "values_compared": rep.values_compared,
                           "mismatches": rep.mismatches, "cycles_per_sample_no_stall": int(rep.results.get(
                               "manifest_latency_cycles", 0))}
    out["full"] = {"local": acc_local, "bptt_readout": acc_bptt, "bptt_readout_by_timesteps": {
                       cfg.timesteps: acc_bptt_t, cfg.inference_timesteps: acc_bptt_long}, "ann_head": acc_head,
                   "local_seconds": t_local, "bptt_seconds": t_bptt, "bptt_epochs": args.bptt_epochs,
                   "local_epochs": cfg.epochs, "hardware": hw}

    # 2. transfer: encoder on 0-4, classifier learns 5-9 from 100 examples; 3. ten classes x 10 shots on
    # the same encoder. Two encoders: the plain one of part 1's recipe, and the transfer recipe
    # (docs/local_learning.md): affine copies of the source images, a wider hidden layer, window (0, 1).
    src = load_dataset("optdigits", split="train", data_dir=args.data_dir, classes="0-4")
    new_all = load_dataset("optdigits", split="train", data_dir=args.data_dir, classes="5-9")
    new_te = load_dataset("optdigits", split="test", data_dir=args.data_dir, classes="5-9")
    for variant, (hidden, copies, window, include, threshold) in TRANSFER_RECIPES.items():
        src_v = augment_affine(src, copies, seed=seed)
        t0 = time.perf_counter()
        enc04 = pretrain_encoder(src_v.x, src_v.y, class_labels=list(src.classes), hidden=hidden, epochs=10, seed=seed)
        t_enc = time.perf_counter() - t0
        enc04 = dataclasses.replace(enc04, window=window, include_input=include)
        f_te59, f_te = enc04(new_te.x), enc04(te.x)
        acc59, acc10, secs = [], [], []
        inc: dict[int, list[float]] = {n: [] for n in REHEARSAL}
        for s in range(args.transfer_seeds):
            new_tr = few_shot(new_all, total=100, seed=s)
            c = dataclasses.replace(cfg, seed=s, threshold=threshold)
            clf59, t59 = _local(enc04(new_tr.x), np.asarray(new_tr.classes)[new_tr.y], list(new_tr.classes), c)
            acc59.append(clf59.accuracy(f_te59, new_te.y, seed=s))
            secs.append(t59)
            ten = few_shot(tr, per_class=10, seed=s)
            clf10, _ = _local(enc04(ten.x), np.asarray(ten.classes)[ten.y], list(ten.classes), c)
            acc10.append(clf10.accuracy(f_te, te.y, seed=s))
            if variant == REHEARSAL_RECIPE:
                for n_old in REHEARSAL:
                    inc[n_old].append(_add_classes(clf59, enc04, src, new_all, n_old, s, f_te, te.y))
            if s == 0:
                g = ir.quantize(ir.from_checkpoint(clf59.to_checkpoint()), ir.QuantOptions(stream_length=64, seed=seed))
                hw59 = ref.accuracy(g, clf59.intensities(f_te59), new_te.y)
        out[f"transfer_5_9_{variant}"] = {
            "accuracy": float(np.mean(acc59)), "std": float(np.std(acc59)), "per_seed": acc59, "shots": 100,
            "seconds": float(np.median(secs)), "encoder_seconds": t_enc, "hidden": hidden, "affine_copies": copies,
            "window": list(window), "include_input": include, "threshold": threshold,
            "seed0_float": acc59[0], "seed0_hardware_sc_L64": hw59}
        out[f"ten_shot_{variant}"] = {"accuracy": float(np.mean(acc10)), "std": float(np.std(acc10)),
                                      "per_seed": acc10, "shots_per_class": 10}
        if variant == REHEARSAL_RECIPE:
            out["add_0_4_rehearsal"] = {str(n): {"accuracy": float(np.mean(a)), "std": float(np.std(a)), "per_seed": a}
                                        for n, a in inc.items()}

    f = out["full"]
    print(f"{'optdigits .tra -> .tes':44s} {'accuracy':>9s} {'train s':>8s}")
    print(f"{'local rule on frozen encoder (float, T ' + str(cfg.inference_timesteps) + ')':44s} {f['local']:9.4f} {f['local_seconds']:8.2f}")
    print(f"{'  same, hardware SC L=64 (scnc.ref)':44s} {hw['sc_L64']:9.4f}")
    print(f"{'  same, hardware fixed point (scnc.ref)':44s} {hw['fixed']:9.4f}")
    if "verilator" in hw:
        v = hw["verilator"]
        print(f"{'  Verilator vs scnc.ref, test samples':44s} {v['samples']:9d}  {v['mismatches']} mismatches "
              f"of {v['values_compared']} values")
    print(f"{'BPTT dense SNN readout, same features':44s} {f['bptt_readout']:9.4f} {f['bptt_seconds']:8.2f}  ("
          + ", ".join(f"T {t}: {a:.4f}" for t, a in f["bptt_readout_by_timesteps"].items()) + ")")
    print(f"{'encoder ANN head':44s} {f['ann_head']:9.4f}")
    for variant in TRANSFER_RECIPES:
        t, ten = out[f"transfer_5_9_{variant}"], out[f"ten_shot_{variant}"]
        print(f"{'transfer (' + variant + '): enc 0-4, local 5-9, 100 shots':44s} {t['accuracy']:9.4f} {t['seconds']:8.2f}"
              f"  +- {t['std']:.4f} over {args.transfer_seeds} seeds; seed 0 float {t['seed0_float']:.4f}, "
              f"hardware {t['seed0_hardware_sc_L64']:.4f}")
        print(f"{'  enc 0-4, local 0-9, 10 shots per class':44s} {ten['accuracy']:9.4f} {'':8s}  +- {ten['std']:.4f}")
    for n, r in out["add_0_4_rehearsal"].items():
        print(f"{'  5-9 classifier + 0-4 (10 each), rehearse ' + n:44s} {r['accuracy']:9.4f} {'':8s}  +- {r['std']:.4f}")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

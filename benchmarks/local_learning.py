"""Local learning on a frozen encoder vs a BPTT readout vs the encoder's ANN head (optdigits .tra -> .tes).

Measures, with every seed explicit:

1. *full*: an ANN encoder (64 -> 128 -> 10, pipe-S pretraining) on all of optdigits.tra; on its
   frozen, rate-coded hidden features: the local-rule classifier (:mod:`scnc.local`), a BPTT-trained
   dense SNN readout (128 -> 10, :func:`scnc.snn.train`), and the encoder's own ANN head; test on
   optdigits.tes; training wall time of the local rule and of BPTT. The local classifier's
   hardware accuracy (:func:`scnc.ref.accuracy`, SC L=64 and fixed point) next to its float accuracy.
2. *transfer*: an encoder pretrained on classes 0-4 only; the local classifier learns 5-9 from 100
   examples (20 per class, ``few_shot`` seed 0) and is tested on optdigits.tes 5-9.
3. *ten-shot*: the same encoder (0-4); all ten classes from 10 examples per class.

Prints a table and one JSON line. Run: ``NUMBA_NUM_THREADS=1 python benchmarks/local_learning.py
--data-dir /work/shared/data`` (about a minute on one core). ``--verify-samples 50 --build DIR`` also
compiles the full-task classifier (SC, L=64, 5-bit weights, parallel 8x2: it fits the iCE40UP5K) into ``DIR`` and verifies
it bit for bit in Verilator on that many optdigits test samples (their real encoder features;
several minutes). Synthesis: ``scnc synth DIR --target ice40-up5k``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from scnc import ir, ref
from scnc.data import few_shot, load_dataset
from scnc.local import LocalClassifier, LocalConfig, RateCoding, pretrain_encoder, train_local
from scnc.snn import Network, TrainConfig, accuracy, train


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
    ap.add_argument("--verify-samples", type=int, default=0,
                    help="verify the compiled classifier in Verilator on this many test samples (0: skip)")
    ap.add_argument("--build", default=None, help="build folder for --verify-samples (written)")
    args = ap.parse_args()
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
    acc_bptt = accuracy(net, xte, te.y, seed=seed)
    acc_head = enc.head_accuracy(te.x, te.y)
    ckpt = clf.to_checkpoint()
    hw = {}
    for name, opts in (("sc_L64", ir.QuantOptions(stream_length=64, seed=seed)),
                       ("fixed", ir.QuantOptions(encoding="fixed", seed=seed))):
        hw[name] = ref.accuracy(ir.quantize(ir.from_checkpoint(ckpt), opts), xte, te.y)
    if args.verify_samples:
        from scnc.rtl import compile_graph
        from scnc.verify.verify import verify_build

        # the configuration that fits the iCE40UP5K (26 of 30 block RAMs; 6-bit weights at 16x4 need 35)
        graph = ir.quantize(ir.from_checkpoint(ckpt), ir.QuantOptions(stream_length=64, weight_bits=5, parallel_inputs=8,
                                                                      parallel_neurons=2, seed=seed))
        compile_graph(graph, args.build)
        xin = ref.quantize_features(graph, xte[:args.verify_samples]).astype(np.int64)
        rep = verify_build(args.build, sim="verilator", inputs={"intensities": xin}, dataset=None, seed=seed)
        hw["verilator"] = {"ok": rep.ok, "samples": rep.samples, "values_compared": rep.values_compared,
                           "mismatches": rep.mismatches, "cycles_per_sample_no_stall": int(rep.results.get(
                               "manifest_latency_cycles", 0))}
    out["full"] = {"local": acc_local, "bptt_readout": acc_bptt, "ann_head": acc_head,
                   "local_seconds": t_local, "bptt_seconds": t_bptt, "bptt_epochs": args.bptt_epochs,
                   "local_epochs": cfg.epochs, "hardware": hw}

    # 2. transfer: encoder on 0-4, classifier learns 5-9 from 100 examples
    src = load_dataset("optdigits", split="train", data_dir=args.data_dir, classes="0-4")
    enc04 = pretrain_encoder(src.x, src.y, class_labels=list(src.classes), epochs=10, seed=seed)
    new_tr = few_shot(load_dataset("optdigits", split="train", data_dir=args.data_dir, classes="5-9"), total=100, seed=seed)
    new_te = load_dataset("optdigits", split="test", data_dir=args.data_dir, classes="5-9")
    f_new = enc04(new_tr.x)
    clf59, t59 = _local(f_new, np.asarray(new_tr.classes)[new_tr.y], list(new_tr.classes), cfg)
    out["transfer_5_9"] = {"accuracy": clf59.accuracy(enc04(new_te.x), new_te.y, seed=seed), "shots": 100,
                           "seconds": t59}

    # 3. ten classes, 10 shots each, on the 0-4 encoder
    ten = few_shot(tr, per_class=10, seed=seed)
    f10 = enc04(ten.x)
    clf10, t10 = _local(f10, np.asarray(ten.classes)[ten.y], list(ten.classes), cfg)
    out["ten_shot"] = {"accuracy": clf10.accuracy(enc04(te.x), te.y, seed=seed), "shots_per_class": 10,
                       "seconds": t10}

    f = out["full"]
    print(f"{'optdigits .tra -> .tes':44s} {'accuracy':>9s} {'train s':>8s}")
    print(f"{'local rule on frozen encoder (float)':44s} {f['local']:9.4f} {f['local_seconds']:8.2f}")
    print(f"{'  same, hardware SC L=64 (scnc.ref)':44s} {hw['sc_L64']:9.4f}")
    print(f"{'  same, hardware fixed point (scnc.ref)':44s} {hw['fixed']:9.4f}")
    if "verilator" in hw:
        v = hw["verilator"]
        print(f"{'  Verilator vs scnc.ref, test samples':44s} {v['samples']:9d}  {v['mismatches']} mismatches "
              f"of {v['values_compared']} values")
    print(f"{'BPTT dense SNN readout, same features':44s} {f['bptt_readout']:9.4f} {f['bptt_seconds']:8.2f}")
    print(f"{'encoder ANN head':44s} {f['ann_head']:9.4f}")
    print(f"{'transfer: enc 0-4, local 5-9, 100 shots':44s} {out['transfer_5_9']['accuracy']:9.4f} {t59:8.2f}")
    print(f"{'enc 0-4, local 0-9, 10 shots per class':44s} {out['ten_shot']['accuracy']:9.4f} {t10:8.2f}")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

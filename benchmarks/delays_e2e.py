"""A learned-delay network from training to verified hardware, on scnc's row-by-row optdigits task.

Trains ``8 -> hidden -> 10`` LIF networks on optdigits.tra presented one image row per time step
(``scnc.data.temporal.render(x, "rows", T)``; scnc's own task, not a published benchmark) with no
delays and with DCLS-learned delays, then for the learned-delay network:

1. lowers it to the IR with spike input coding (the core receives the rendered spikes),
2. quantizes it at several stream lengths / encodings and compares ``scnc.ref`` accuracy on all of
   optdigits.tes with the float network's accuracy (the same spikes),
3. compiles the chosen configuration and verifies it bit for bit in Verilator on the first
   ``--verify-samples`` test samples (their real spikes).

Prints a table and one JSON line::

    NUMBA_NUM_THREADS=1 python benchmarks/delays_e2e.py --data-dir ../shared/data --out /tmp/scnc-delays-e2e
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

from scnc import ref
from scnc.data import load_dataset
from scnc.data.temporal import render
from scnc.ir import QuantOptions, from_network, quantize
from scnc.kinds import Encoding, InputCoding
from scnc.rtl import compile_graph
from scnc.snn import Network, TrainConfig
from scnc.snn.dcls import DelayConfig, evaluate, train_delays
from scnc.verify import verify_build


def _train(mode: str, xtr, ytr, args) -> tuple[Network, float]:
    net = Network.dense([xtr.shape[2], args.hidden, 10], seed=args.seed, timesteps=args.timesteps)
    fine = args.fine_tune if mode == "learned" else 0
    cfg = TrainConfig(epochs=args.epochs + args.fine_tune - fine, batch_size=64, seed=args.seed, lr=5e-3)
    t0 = time.perf_counter()
    train_delays(net, xtr, ytr, cfg, DelayConfig(mode=mode, max_delay=max(args.max_delay, 1), fine_tune_epochs=fine))
    return net, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="../shared/data")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-delays-e2e"))
    ap.add_argument("--hidden", type=int, default=48)
    ap.add_argument("--timesteps", type=int, default=16)
    ap.add_argument("--max-delay", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--fine-tune", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verify-samples", type=int, default=50)
    ap.add_argument("--tolerance", type=float, default=0.5, help="points below float the chosen SC stream may lose")
    args = ap.parse_args(argv)

    tr = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    te = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    xtr, xte = render(tr.x, "rows", args.timesteps), render(te.x, "rows", args.timesteps)  # (T, n, n_in)
    spikes_te = np.ascontiguousarray(xte.transpose(1, 0, 2)).astype(np.uint8)  # (n, T, n_in) for the ref

    nets, row = {}, {"task": "rows", "timesteps": args.timesteps, "hidden": args.hidden,
                     "max_delay": args.max_delay, "seed": args.seed}
    for mode in ("none", "learned"):
        net, sec = _train(mode, xtr, tr.y, args)
        nets[mode] = net
        row[f"float_{mode}"] = evaluate(net, xte, te.y)
        row[f"train_s_{mode}"] = round(sec, 1)
        print(f"{mode:8} float accuracy {100 * row[f'float_{mode}']:.2f}%  (trained in {sec:.0f} s)", flush=True)

    net = nets["learned"]
    print(f"learned delays per layer (max): {[int(layer.delays.max()) for layer in net.layers]}")
    print(f"\n{'encoding':9}{'L':>4}{'w':>3}  {'hw %':>7}  {'float %':>7}  {'hw - float':>10}")
    configs = []
    for encoding in (Encoding.SC, Encoding.FIXED):
        for L in (16, 32, 64, 128):
            w = L.bit_length() - 1  # the finest weight the window resolves: log2(L) bits
            opts = QuantOptions(stream_length=L, weight_bits=w, encoding=encoding, input_coding=InputCoding.SPIKES)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                graph = quantize(from_network(net), opts)
            hw = float(ref.accuracy(graph, None, te.y, spikes=spikes_te))
            configs.append({"encoding": str(encoding), "stream_length": L, "weight_bits": w, "hw": hw, "graph": graph})
            print(f"{encoding!s:9}{L:>4}{w:>3}  {100 * hw:7.2f}  {100 * row['float_learned']:7.2f}  "
                  f"{100 * (hw - row['float_learned']):+10.2f}", flush=True)
    # the shortest SC stream within --tolerance points of float (else the longest tried)
    sc = [c for c in configs if c["encoding"] == "sc"]
    chosen = next((c for c in sc if 100 * (row["float_learned"] - c["hw"]) <= args.tolerance), sc[-1])
    row["hw_configs"] = [{k: v for k, v in c.items() if k != "graph"} for c in configs]
    row["chosen"] = {"encoding": "sc", "stream_length": chosen["stream_length"], "weight_bits": chosen["weight_bits"],
                     "hw_minus_float_points": round(100 * (chosen["hw"] - row["float_learned"]), 2)}
    print(f"chosen: SC, L={chosen['stream_length']}, {chosen['weight_bits']}-bit weights "
          f"({row['chosen']['hw_minus_float_points']:+.2f} points vs float)")

    build = args.out / "build"
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    compile_graph(chosen["graph"], build)
    n = args.verify_samples
    report = verify_build(build, sim="verilator", inputs={"spikes": spikes_te[:n]}, build_root=args.out / "sim")
    row.update(verify_samples=n, verify_ok=bool(report.ok), values_compared=int(report.values_compared),
               mismatches=int(report.mismatches), verify_s=round(time.perf_counter() - t0, 1))
    print(f"\nVerilator, {n} test samples (SC, L={chosen['stream_length']}): {report.values_compared} values compared, "
          f"{report.mismatches} mismatches ({row['verify_s']} s)")
    row["cpu_count"] = os.cpu_count()
    print(json.dumps(row))
    return row


if __name__ == "__main__":
    main()

"""Speed of the reference model (scnc.ref) on the reference workloads.

Reports samples/s and synaptic bit-operations/s. One synaptic bit-operation is one synapse bit
``[R < m]`` the hardware evaluates: a layer does ``n_in * n_out * L * T`` of them per sample (the
dense SC work, whatever the input sparsity), summed over layers.

Workloads (random weights; W-digits 64 -> 128 -> 10, W-mnist 784 -> 256 -> 10; T = 25, L = 64),
quantized through :func:`scnc.ir.quantize` under several hardware options. Prints a table, then one
JSON line with every number.

Usage::

    python benchmarks/ref_speed.py [--batch 1024] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numba
import numpy as np

from scnc import ref
from scnc.ir import QuantOptions, from_network, quantize
from scnc.snn.network import Network

WORKLOADS = {"W-digits": [64, 128, 10], "W-mnist": [784, 256, 10]}
VARIANTS = {
    "sc/vdc": dict(sng="vdc", input_sng="vdc", leak="sc"),
    "sc/lfsr": dict(sng="lfsr", input_sng="lfsr", leak="sc"),
    "fixed/shift": dict(encoding="fixed", leak="shift"),
}


def _features(n_in: int, batch: int, density: float, seed: int) -> np.ndarray:
    """Random features in [0, 1] whose mean (= mean input spike rate) is ``density``."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.random((batch, n_in)) * 2 * density, 0.0, 1.0)


def bench(sizes: list, variant: dict, batch: int, repeat: int, T: int, L: int) -> dict:
    net = Network.dense(sizes, seed=0, timesteps=T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = quantize(from_network(net), QuantOptions(stream_length=L, **variant))
    density = 0.2
    x = _features(sizes[0], batch, density, seed=1)
    t = time.perf_counter()
    ref.run(graph, x[:2], trace=False)  # compile (cached) + plan (count tables, validation)
    setup = time.perf_counter() - t
    best = {}
    for trace in (False, True):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            res = ref.run(graph, x, trace=trace)
            times.append(time.perf_counter() - t)
        best[trace] = min(times)
    ops = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * L * T
    return {
        "batch": batch,
        "setup_s": setup,
        "seconds": best[False],
        "samples_per_s": batch / best[False],
        "samples_per_s_trace": batch / best[True],
        "bitops_per_sample": ops,
        "bitops_per_s": ops * batch / best[False],
        "input_rate": float(res.input_spikes.mean()),
        "layer_rates": [float(s.mean()) for s in res.spikes],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1024, help="samples per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is reported)")
    ap.add_argument("--timesteps", type=int, default=25)
    ap.add_argument("--stream-length", type=int, default=64)
    args = ap.parse_args()
    rows = []
    print(f"scnc.ref speed: T={args.timesteps}, L={args.stream_length}, batch={args.batch}, "
          f"{numba.get_num_threads()} threads, {os.cpu_count()} cpus")
    print(f"{'workload':10} {'variant':12} {'samples/s':>11} {'(trace)':>11} {'bit-ops/s':>11} "
          f"{'in rate':>8} {'layer rates':>16} {'setup s':>8}")
    for wname, sizes in WORKLOADS.items():
        for vname, variant in VARIANTS.items():
            r = bench(sizes, variant, args.batch, args.repeat, args.timesteps, args.stream_length)
            rows.append({"workload": wname, "variant": vname, "sizes": sizes, **r})
            rates = "/".join(f"{v:.2f}" for v in r["layer_rates"])
            print(f"{wname:10} {vname:12} {r['samples_per_s']:11.0f} {r['samples_per_s_trace']:11.0f} "
                  f"{r['bitops_per_s']:11.3e} {r['input_rate']:8.2f} {rates:>16} {r['setup_s']:8.2f}")
    print(json.dumps({
        "benchmark": "ref_speed",
        "timesteps": args.timesteps,
        "stream_length": args.stream_length,
        "threads": numba.get_num_threads(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "results": rows,
    }, sort_keys=True))


if __name__ == "__main__":
    main()

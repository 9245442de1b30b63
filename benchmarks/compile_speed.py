"""Compile time and cycle counts of the reference workloads (W-digits, W-mnist).

Random float weights (``Network.dense``, fixed seed) are quantized with ``scnc.ir.quantize`` (default
options: L = 64) and compiled with ``scnc.rtl.compile_graph`` into a temporary folder. Prints a table
and one JSON line (``{"benchmark": "compile_speed", ...}``) with the compile times and the exact
cycles per time step and per sample (T = 25) at default parallelism and at a few other settings.

    python benchmarks/compile_speed.py [--repeat N] [--no-compile]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from scnc.ir import QuantOptions, from_network, quantize
from scnc.rtl import compile_graph, sample_cycles, step_cycles
from scnc.snn.network import Network

WORKLOADS = {"W-digits": [64, 128, 10], "W-mnist": [784, 256, 10]}
PARALLELISM = [(1, 1), (8, 2), (16, 4), (32, 8), (64, 16)]  # (P_i, P_n); (8, 2) is QuantOptions' default
TIMESTEPS = 25


def graph_for(sizes: list, p_in: int | None = None, p_out: int | None = None):
    net = Network.dense(sizes, seed=0, timesteps=TIMESTEPS)
    kw = {} if p_in is None else {"parallel_inputs": p_in, "parallel_neurons": p_out}
    return quantize(from_network(net), QuantOptions(**kw))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="compiles per workload (the best time is reported)")
    ap.add_argument("--no-compile", action="store_true", help="only print cycle counts")
    args = ap.parse_args()
    result = {"benchmark": "compile_speed", "stream_length": QuantOptions().stream_length, "timesteps": TIMESTEPS,
              "workloads": {}}
    print(f"{'workload':10} {'quantize s':>10} {'compile s':>10} {'verilog KiB':>11} {'cyc/step':>9} {'cyc/sample':>11}")
    for name, sizes in WORKLOADS.items():
        t0 = time.perf_counter()
        g = graph_for(sizes)
        tq = time.perf_counter() - t0
        entry = {"sizes": sizes, "quantize_s": round(tq, 3)}
        best, size = None, 0
        if not args.no_compile:
            for _ in range(max(1, args.repeat)):
                with tempfile.TemporaryDirectory() as d:
                    t0 = time.perf_counter()
                    man = compile_graph(g, Path(d) / "core", trace=True)
                    dt = time.perf_counter() - t0
                    size = man.verilog_path(Path(d) / "core").stat().st_size
                best = dt if best is None else min(best, dt)
            entry.update({"compile_s": round(best, 3), "verilog_bytes": size})
        sc = step_cycles(g)
        entry["default"] = {"parallel_inputs": g.layers[0].synapse.quant.parallel_inputs,
                            "parallel_neurons": g.layers[0].synapse.quant.parallel_neurons,
                            "cycles_per_step": sc, "cycles_per_sample": sample_cycles(g)["total"]}
        sweep = []
        for p_in, p_out in PARALLELISM:
            gp = graph_for(sizes, p_in, p_out)
            sweep.append({"parallel_inputs": p_in, "parallel_neurons": p_out,
                          "cycles_per_step": step_cycles(gp)["total"],
                          "cycles_per_sample": sample_cycles(gp)["total"]})
        entry["parallelism"] = sweep
        result["workloads"][name] = entry
        cs = f"{best:10.2f}" if best is not None else f"{'-':>10}"
        kib = f"{size / 1024:11.0f}" if best is not None else f"{'-':>11}"
        print(f"{name:10} {tq:10.2f} {cs} {kib} {sc['total']:9d} {entry['default']['cycles_per_sample']:11d}")
    print()
    print(f"{'workload':10} {'P_i':>4} {'P_n':>4} {'cyc/step':>9} {'cyc/sample':>11} {'us/sample@100MHz':>17}")
    for name, entry in result["workloads"].items():
        for s in entry["parallelism"]:
            print(f"{name:10} {s['parallel_inputs']:4d} {s['parallel_neurons']:4d} {s['cycles_per_step']:9d} "
                  f"{s['cycles_per_sample']:11d} {s['cycles_per_sample'] / 100:17.1f}")
    print(json.dumps(result, sort_keys=True, separators=(",", ":")))


if __name__ == "__main__":
    main()

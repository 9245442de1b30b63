"""Verification speed on W-digits (64 -> 128 -> 10, random weights, scnc.ir.quantize defaults).

Compiles the core, verifies N digits test samples in Verilator (and optionally Icarus) through the
cocotb bench, and times scnc.ref on the same samples. Prints a table and one JSON line.

    python benchmarks/verify_speed.py [--samples 20] [--icarus-samples 2] [--out /tmp/scnc-verify-speed]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


from scnc import ref
from scnc.ir import QuantOptions, from_network, quantize
from scnc.rtl import compile_graph
from scnc.snn.network import Network
from scnc.verify import choose_inputs, verify_build


def w_digits(seed: int = 0):
    net = Network.dense([64, 128, 10], seed=seed, timesteps=25)
    return quantize(from_network(net), QuantOptions())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--icarus-samples", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-verify-speed"))
    args = ap.parse_args()

    graph = w_digits()
    t0 = time.perf_counter()
    man = compile_graph(graph, args.out / "core")
    compile_s = time.perf_counter() - t0
    cycles = man.cycles.per_sample

    inputs, _ = choose_inputs(graph, samples=args.samples)
    ref.run(graph, **inputs, trace=True)  # warm the plan and Numba kernels
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        ref.run(graph, **inputs, trace=True)
    ref_sps = reps * args.samples / (time.perf_counter() - t0)

    rows = []
    out = {"workload": "W-digits 64-128-10", "cycles_per_sample": cycles, "compile_s": round(compile_s, 3),
           "ref_samples_per_s": round(ref_sps, 1)}
    for sim, n in (("verilator", args.samples), ("icarus", args.icarus_samples)):
        if n <= 0:
            continue
        rep = verify_build(args.out / "core", sim=sim, samples=n, build_root=args.out / "builds")
        rows.append((sim, rep))
        out[sim] = {"ok": rep.ok, "samples": rep.samples, "values_compared": rep.values_compared,
                    "mismatches": rep.mismatches, "build_s": round(rep.build_s, 2), "build_cached": rep.build_cached,
                    "sim_s": round(rep.sim_s, 2), "samples_per_s": round(rep.samples_per_s, 3),
                    "cycles_per_s": round(rep.samples_per_s * cycles), "simulator": rep.simulator}

    print(f"W-digits 64-128-10: {cycles} cycles/sample, compile {compile_s:.1f} s")
    print(f"{'engine':<22}{'samples':>8}{'build s':>10}{'run s':>9}{'samples/s':>11}{'cycles/s':>12}  bit-exact")
    print(f"{'scnc.ref (Numba)':<22}{args.samples:>8}{'-':>10}{args.samples / ref_sps:>9.3f}{ref_sps:>11.1f}"
          f"{ref_sps * cycles:>12.3g}  (oracle)")
    for sim, rep in rows:
        print(f"{rep.simulator:<22}{rep.samples:>8}{rep.build_s:>10.1f}{rep.sim_s:>9.1f}{rep.samples_per_s:>11.3f}"
              f"{rep.samples_per_s * cycles:>12.3g}  {rep.ok} ({rep.values_compared} values)")
    if rows:
        out["ref_over_verilator"] = round(ref_sps / max(out.get("verilator", {}).get("samples_per_s", 1e-9), 1e-9), 1)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

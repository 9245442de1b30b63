"""Long randomized-equivalence campaign: N seeded random configurations, batched builds, a count.

Draws configurations with :func:`scnc.verify.configs.draw_spec`, verifies them in batches (one
simulator build per batch, :func:`scnc.verify.verify_batch`) and reports how many passed. Failing
configurations are written to ``<out>/failures.json``.

    python benchmarks/verify_campaign.py --configs 200 --batch 25 --seed 1 [--sim verilator]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from scnc.verify import verify_batch
from scnc.verify.configs import build_config, draw_spec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sim", choices=("verilator", "icarus"), default="verilator")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-verify-campaign"))
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    passed = failed = 0
    failures = []
    t_start = time.perf_counter()
    done = 0
    batch_no = 0
    while done < args.configs:
        specs, built = [], []
        while len(specs) < min(args.batch, args.configs - done):
            spec = draw_spec(rng, delays=True)
            graph, inputs = build_config(spec)
            specs.append(spec)
            built.append((graph, inputs))
        if not specs:
            continue
        t0 = time.perf_counter()
        res = verify_batch([g for g, _ in built], args.out / f"batch{batch_no}", inputs=[i for _, i in built],
                           sim=args.sim, build_root=args.out / "builds", seed=args.seed, timeout_s=3600)
        for spec, r in zip(specs, res.results):
            if r.get("ok"):
                passed += 1
            else:
                failed += 1
                failures.append({"spec": spec.to_dict(), "first_divergence": r.get("first_divergence"),
                                 "protocol": r.get("protocol")})
        done += len(specs)
        print(f"batch {batch_no}: {len(specs)} configs, build {res.run.build_s:.1f} s, sim {res.run.test_s:.1f} s, "
              f"total {time.perf_counter() - t0:.1f} s; so far passed {passed}, failed {failed}",
              flush=True)
        batch_no += 1
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "failures.json").write_text(json.dumps(failures, indent=1))
    print(json.dumps({"configs": done, "passed": passed, "failed": failed,
                      "sim": args.sim, "seed": args.seed, "seconds": round(time.perf_counter() - t_start, 1)}))


if __name__ == "__main__":
    main()

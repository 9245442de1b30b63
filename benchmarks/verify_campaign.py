"""Long randomized-equivalence campaign: N seeded random configurations, batched builds, a count.

Draws configurations with :func:`scnc.verify.configs.draw_spec`, verifies them in batches (one
simulator build per batch, :func:`scnc.verify.verify_batch`) and reports how many passed. Failing
configurations are written to ``<out>/failures.json``.

    python benchmarks/verify_campaign.py --configs 200 --batch 25 --seed 1 [--sim verilator] \
        [--scheduler tcp://host:8786]

With ``--scheduler`` the batches run on a Dask cluster (:func:`scnc.verify.batch.run_campaign`).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from scnc.kinds import Engine, choices
from scnc.verify.batch import run_campaign
from scnc.verify.configs import draw_spec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sim", choices=("verilator", "icarus"), default="verilator")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run the batches on a Dask cluster (tcp://host:8786; needs pip install 'scnc[cluster]')")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-verify-campaign"))
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    specs = [draw_spec(rng, delays=True, engines=choices(Engine)) for _ in range(args.configs)]
    t_start = time.perf_counter()

    def report(k: int, res: dict) -> None:
        ok = sum(r["ok"] for r in res["results"])
        print(f"batch {k}: {len(res['results'])} configs, build {res['build_s']:.1f} s, sim {res['test_s']:.1f} s, "
              f"total {res['seconds']:.1f} s; passed {ok}", flush=True)

    batches = run_campaign(specs, args.out, batch=args.batch, sim=args.sim, build_root=args.out / "builds",
                           seed=args.seed, timeout_s=3600, scheduler=args.scheduler, progress=report)
    results = [r for b in batches for r in b["results"]]
    passed = sum(r["ok"] for r in results)
    failures = [{"spec": r["spec"], "first_divergence": r["first_divergence"], "protocol": r["protocol"]}
                for r in results if not r["ok"]]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "failures.json").write_text(json.dumps(failures, indent=1))
    print(json.dumps({"configs": len(results), "passed": passed, "failed": len(results) - passed,
                      "values_compared": sum(r["values_compared"] for r in results), "batches": len(batches),
                      "scheduler": args.scheduler, "sim": args.sim, "seed": args.seed,
                      "seconds": round(time.perf_counter() - t_start, 1)}))


if __name__ == "__main__":
    main()

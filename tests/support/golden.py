"""Golden outputs of the reference model and the cycle model, saved before the node-kind refactor.

``python -m tests.support.golden --write`` (from the repository root) records, for a fixed list of
random configurations (``scnc.verify.configs.draw_spec`` with seeds ``0..N-1``), a SHA-256 of every
spike, membrane, saturation count and output count ``scnc.ref.run`` computes, and the exact cycles
per step and per sample of the generated core. ``tests/test_golden.py`` recomputes them: the
architecture may change, the arithmetic and the schedule may not. The file was written from main at
commit c08451c (the last commit with the fused ``DenseLIFNode``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

GOLDEN_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "golden_ref_cycles.json"
N_CONFIGS = 60


def trace_digest(res) -> str:
    """SHA-256 over every array a reference run produced (spikes, membranes, saturations, counts)."""
    h = hashlib.sha256()
    arrays = [res.input_spikes, *res.spikes, *res.membranes, *res.saturations, res.counts]
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.int64))
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def record(seed: int) -> dict:
    """Digest and cycle counts of random configuration ``seed``."""
    from scnc import ref
    from scnc.verify.configs import build_config, draw_spec

    spec = draw_spec(np.random.default_rng(seed))
    graph, inputs = build_config(spec)
    res = ref.run(graph, **inputs)
    return {"seed": seed, "trace": trace_digest(res), "cycles": cycles_of(graph)}


def cycles_of(graph) -> dict:
    """Cycles per step (per stage) and per sample, as the manifest states them."""
    from scnc.ir.schedule import sample_cycles, step_cycles

    step = step_cycles(graph)
    return {"step": {k: step[k] for k in ("input", "layers", "output", "total")},
            "sample": sample_cycles(graph)["total"]}


def main(argv: list[str]) -> int:
    recs = [record(s) for s in range(N_CONFIGS)]
    if "--write" in argv:
        GOLDEN_FILE.write_text(json.dumps(recs, indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN_FILE} ({len(recs)} configurations)")
    else:
        print(json.dumps(recs[:2], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

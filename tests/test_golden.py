"""The arithmetic and the schedule are unchanged by refactors: outputs saved from an earlier main.

``tests/fixtures/golden_ref_cycles.json`` holds, for 60 random configurations, a digest of every
spike / membrane / saturation / count ``scnc.ref.run`` computed and the cycles the core takes, as
main computed them before the node-kind split (see ``tests/support/golden.py``).
"""

from __future__ import annotations

import json

import pytest

from support.golden import GOLDEN_FILE, record

GOLDEN = json.loads(GOLDEN_FILE.read_text())


@pytest.mark.parametrize("want", GOLDEN, ids=[f"seed{g['seed']}" for g in GOLDEN])
def test_reference_and_cycles_match_saved_outputs(want):
    assert record(want["seed"]) == want


def test_golden_digest_detects_a_planted_change():
    got = record(GOLDEN[0]["seed"])
    assert got["trace"] == GOLDEN[0]["trace"]
    from support import golden
    import numpy as np
    from scnc import ref
    from scnc.verify.configs import build_config, draw_spec

    graph, inputs = build_config(draw_spec(np.random.default_rng(GOLDEN[0]["seed"])))
    res = ref.run(graph, **inputs)
    res.membranes[0][0, 0, 0] += 1  # one membrane value off by one
    assert golden.trace_digest(res) != GOLDEN[0]["trace"]

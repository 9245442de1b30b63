"""benchmarks/delays.py: a tiny run on optdigits prints the table and a JSON line, writes the PNG, and repeats."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "delays.py"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.needs_shared
def test_tiny_run_writes_table_png_and_json(tmp_path: Path, capsys) -> None:
    if not (SHARED_DATA / "optdigits" / "optdigits.tra").is_file():
        pytest.skip("needs ../shared/data/optdigits")
    spec = importlib.util.spec_from_file_location("scnc_bench_delays", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    png = tmp_path / "delays.png"
    argv = ["--data-dir", str(SHARED_DATA), "--quick", "--tasks", "columns", "--train-samples", "200", "--png", str(png)]
    result = bench.main(argv)
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1]) == json.loads(json.dumps(result))
    modes = [(s["mode"], s["max_delay"]) for s in result["summary"]]
    assert modes == [("none", 0), ("random", 4), ("learned", 4)]
    assert set(result["verdicts"]) == {"columns"} and "seed spread" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert bench.main(argv)["summary"] == result["summary"]  # deterministic

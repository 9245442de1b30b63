"""Sharded verification: a run's samples split over several simulator processes, results merged.

:func:`run_sharded` cuts a case into contiguous shards (:func:`shard_bounds`), makes sure the one
simulator build exists before any shard starts (every shard's sources hash to the same cache key),
runs one bench per shard in ``<verify>/shards/<k>/`` -- on local worker processes, or on a Dask
cluster (``scheduler="tcp://host:8786"``, the optional ``distributed`` package) -- and merges:

* counts (values compared, mismatches, per field) are summed; the divergence examples are moved to
  run-wide sample numbers and sorted in :mod:`scnc.trace`'s order, so the first divergence is the
  run's first whatever the number of shards; protocol lines name their shard;
* cocotb's JUnit XML files become one (one test case per shard, named by its sample range).

A shard is described by a JSON-able dict of paths and options (:func:`run_shard` runs one), so it
travels to a Dask worker as it is; workers must see the same file system (the build folder, the
case files and the build cache) -- on one machine they do, on a cluster use a shared mount.
Local workers are child processes (``python -m scnc.verify.shard SPEC.json RESULT.json``, one per
shard, at most ``jobs`` at a time), not threads: the cocotb runner takes its settings from
``os.environ``, which is per process; and not a ``multiprocessing`` pool, which would re-import the
caller's main module in every worker. Spec and result travel as JSON files.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from scnc._io import atomic_write_text
from scnc.errors import ConfigError, ToolError
from scnc.trace import MAX_EXAMPLES, Divergence
from scnc.verify.runner import CaseResult, RunResult

__all__ = ["shard_bounds", "run_shard", "run_sharded", "merge_results", "merge_junit", "map_shards",
           "dask_map", "CLUSTER_EXTRA"]

#: How to install the optional cluster support (named in errors).
CLUSTER_EXTRA = "pip install 'scnc[cluster]'"


def shard_bounds(samples: int, shards: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]``: ``samples`` split into ``min(shards, samples)`` contiguous, nearly equal parts."""
    if not (isinstance(samples, int) and samples >= 1):
        raise ConfigError(f"samples must be an integer >= 1, got {samples!r}")
    if not (isinstance(shards, int) and shards >= 1):
        raise ConfigError(f"jobs must be an integer >= 1, got {shards!r}")
    n = min(shards, samples)
    cuts = [samples * k // n for k in range(n + 1)]
    return [(cuts[k], cuts[k + 1]) for k in range(n)]


def run_shard(spec: dict) -> dict:
    """Run the bench on one shard (a worker's entry point); returns ``{"results", "run"}`` (JSON-able).

    ``spec``: ``sim``, ``build_dir``, ``case``, ``out_dir``, ``build_root``, ``seed``, ``timeout_s``,
    ``flow``, ``trace_path``, ``offset`` (the shard's first sample in the run).
    """
    from scnc.manifest import Manifest
    from scnc.verify.verify import _run_bench

    build_dir = Path(spec["build_dir"])
    manifest = Manifest.load(build_dir, check_files=False)  # the host checked the build before sharding
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    rr, res = _run_bench(sim=spec["sim"], verilog=manifest.verilog_path(build_dir), manifest=manifest,
                         man_path=build_dir / "manifest.json", case_path=Path(spec["case"]), out_dir=out_dir,
                         build_root=Path(spec["build_root"]), waves=False, seed=int(spec["seed"]),
                         timeout_s=spec["timeout_s"], flow=spec["flow"], trace_path=spec["trace_path"],
                         sample_offset=int(spec["offset"]))
    run = {"sim": rr.sim, "sim_version": rr.sim_version, "sim_source": rr.sim_source, "passed": rr.passed,
           "failed": rr.failed, "skipped": rr.skipped, "build_cached": rr.build_cached, "build_s": rr.build_s,
           "test_s": rr.test_s, "build_dir": str(rr.build_dir), "results_xml": str(rr.results_xml),
           "test_log": str(rr.test_log), "build_log": str(rr.build_log), "timed_out": rr.timed_out,
           "cases": [[c.name, c.status, c.message, c.sim_time_ns] for c in rr.cases]}
    return {"results": res, "run": run}


def map_shards(specs: list[dict], *, jobs: int, scheduler: str | None = None) -> list[dict]:
    """Run :func:`run_shard` on every spec, in order of the specs: on ``jobs`` local processes, or on
    the Dask cluster at ``scheduler`` (``jobs`` ignored: the cluster's workers decide)."""
    if scheduler is not None:
        return dask_map(run_shard, specs, scheduler)
    if jobs == 1 or len(specs) == 1:
        return [run_shard(s) for s in specs]
    # threads only wait for their child process; the children do the work
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, len(specs))) as pool:
        return list(pool.map(_run_child, specs))


def dask_map(fn, items: list, scheduler: str) -> list:
    """``[fn(item) for item in items]`` on the Dask cluster at ``scheduler``, results in order.

    ``fn`` must be importable on the workers (a function of an installed module) and ``items`` and
    results plain data. Raises :class:`ConfigError` without the ``distributed`` package (naming
    the extra to install), :class:`ToolError` when the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(f"--scheduler {scheduler} needs the optional package 'distributed': "
                          f"{CLUSTER_EXTRA}") from None
    try:
        client = Client(scheduler, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise ToolError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with client:
        futures = client.map(fn, items, pure=False)
        return client.gather(futures)


def _run_child(spec: dict) -> dict:
    """:func:`run_shard` in a child process; spec and result as JSON files in the shard's folder."""
    sdir = Path(spec["out_dir"])
    sdir.mkdir(parents=True, exist_ok=True)
    spec_path, result_path = sdir / "shard.json", sdir / "shard-result.json"
    atomic_write_text(spec_path, json.dumps(spec, indent=1, sort_keys=True) + "\n")
    result_path.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-m", "scnc.verify.shard", str(spec_path), str(result_path)],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not result_path.is_file():
        tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-20:])
        raise ToolError(f"shard of samples from {spec['offset']} (folder {sdir}) failed with exit code "
                        f"{proc.returncode}:\n{tail}")
    return json.loads(result_path.read_text())


def _main(argv: list[str]) -> int:
    """``python -m scnc.verify.shard SPEC.json RESULT.json``: run one shard (see :func:`run_shard`)."""
    if len(argv) != 2:
        print("usage: python -m scnc.verify.shard SPEC.json RESULT.json", file=sys.stderr)
        return 2
    from scnc.errors import ScncError

    try:
        result = run_shard(json.loads(Path(argv[0]).read_text()))
    except ScncError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    atomic_write_text(Path(argv[1]), json.dumps(result, sort_keys=True) + "\n")
    return 0


def _shift(d: dict | None, offset: int) -> dict | None:
    return None if d is None else {**d, "sample": int(d["sample"]) + offset}


def merge_results(parts: list[dict], bounds: list[tuple[int, int]]) -> dict:
    """One results dict (the bench's format) from the shards' results, samples numbered run-wide."""
    examples: list[Divergence] = []
    per_field: dict = {}
    protocol: list[str] = []
    latency: list = []
    for (start, stop), res in zip(bounds, parts):
        for e in res.get("examples", []):
            examples.append(Divergence(**_shift(e, start)))
        for name, k in res.get("per_field", {}).items():
            per_field[name] = per_field.get(name, 0) + int(k)
        protocol += [f"samples {start}..{stop - 1}: {line}" for line in res.get("protocol", [])]
        latency += list(res.get("latency_cycles", []))
    examples.sort(key=Divergence.key)
    examples = examples[:MAX_EXAMPLES]
    first = examples[0].to_dict() if examples else None
    if first is None:  # a shard may report a first divergence without examples (older benches)
        firsts = [_shift(r.get("first_divergence"), s) for (s, _), r in zip(bounds, parts) if r.get("first_divergence")]
        first = firsts[0] if firsts else None
    merged = {
        "ok": all(bool(r.get("ok")) for r in parts),
        "values_compared": sum(int(r.get("values_compared", 0)) for r in parts),
        "mismatches": sum(int(r.get("mismatches", 0)) for r in parts),
        "first_divergence": first,
        "examples": [e.to_dict() for e in examples],
        "per_field": per_field,
        "protocol": protocol,
        "samples": sum(int(r.get("samples", 0)) for r in parts),
        "samples_completed": sum(int(r.get("samples_completed", 0)) for r in parts),
        "latency_cycles": latency,
        "shards": [{"samples": [s, e], "ok": bool(r.get("ok")), "sim_wall_s": r.get("sim_wall_s"),
                    "flow_stats": r.get("flow_stats", {})} for (s, e), r in zip(bounds, parts)],
    }
    stats: dict = {}
    for res in parts:  # counters add up, lists (stalled samples: run-wide numbers already) concatenate
        for k, v in res.get("flow_stats", {}).items():
            stats[k] = stats.get(k, [] if isinstance(v, list) else 0) + v
    merged["flow_stats"] = stats
    for key in ("timesteps", "manifest_latency_cycles", "flow", "flow_seed", "simulator", "ir_hash",
                "manifest_ir_hash", "trace_path"):
        if parts and key in parts[0]:
            merged[key] = parts[0][key]
    return merged


def merge_junit(runs: list[dict], bounds: list[tuple[int, int]], path: Path) -> Path:
    """Write one JUnit XML with each shard's test cases renamed ``<name>[samples a..b]``."""
    suite = ET.Element("testsuite", name="scnc verify (sharded)")
    tests = failures = skipped = 0
    for (start, stop), run in zip(bounds, runs):
        for name, status, message, sim_time in run["cases"]:
            cls, _, fn = name.rpartition(".")
            case = ET.SubElement(suite, "testcase", classname=cls, name=f"{fn}[samples {start}..{stop - 1}]")
            if sim_time is not None:
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="sim_time_duration", value=str(sim_time))
            tests += 1
            if status == "failed":
                failures += 1
                ET.SubElement(case, "failure", message=message)
            elif status == "skipped":
                skipped += 1
                ET.SubElement(case, "skipped", message=message)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite)
    atomic_write_text(path, ET.tostring(root, encoding="unicode") + "\n")
    return path


def run_sharded(*, sim: str, build_dir: Path, case, out_dir: Path, build_root: Path, seed: int,
                timeout_s: float | None, flow: str, trace_path: str, jobs: int,
                scheduler: str | None = None) -> tuple[RunResult, dict]:
    """Verify ``case`` in shards; returns a :class:`RunResult` of the whole and the merged results dict.

    The build is made (or found in the cache) once, here, before the shards start; the result's
    ``build_s`` is that step, ``test_s`` the wall time of all shards.
    """
    from scnc.manifest import Manifest
    from scnc.verify.cases import save_case
    from scnc.verify.verify import prebuild

    manifest = Manifest.load(build_dir, check_files=False)
    shards_dir = out_dir / "shards"
    shards_dir.mkdir(parents=True, exist_ok=True)
    build_path, cached, build_s = prebuild(sim=sim, verilog=manifest.verilog_path(build_dir), manifest=manifest,
                                           out_dir=shards_dir, build_root=build_root, trace_path=trace_path)
    n = jobs
    if scheduler is not None and jobs <= 1:
        n = max(2, os.cpu_count() or 2)
    bounds = shard_bounds(case.samples, n)
    specs = []
    for k, (start, stop) in enumerate(bounds):
        sdir = shards_dir / f"{k:03d}"
        sdir.mkdir(parents=True, exist_ok=True)
        case_path = save_case(case.subset(list(range(start, stop))), sdir / "case.npz")
        specs.append({"sim": sim, "build_dir": str(build_dir), "case": str(case_path), "out_dir": str(sdir),
                      "build_root": str(build_root), "seed": int(seed), "timeout_s": timeout_s, "flow": flow,
                      "trace_path": trace_path, "offset": start})
    t0 = time.perf_counter()
    parts = map_shards(specs, jobs=jobs, scheduler=scheduler)
    test_s = time.perf_counter() - t0
    merged = merge_results([p["results"] for p in parts], bounds)
    runs = [p["run"] for p in parts]
    merged["jobs"] = len(bounds) if scheduler is None else None
    merged["scheduler"] = scheduler
    merged["sim_wall_s"] = round(test_s, 4)
    atomic_write_text(out_dir / "results.json", json.dumps(merged, indent=1, sort_keys=True) + "\n")
    xml = merge_junit(runs, bounds, out_dir / "results.xml")
    cases = tuple(CaseResult(name=f"{c[0]}[samples {s}..{e - 1}]", status=c[1], message=c[2], sim_time_ns=c[3])
                  for (s, e), r in zip(bounds, runs) for c in r["cases"])
    first = runs[0]
    rr = RunResult(sim=first["sim"], sim_version=first["sim_version"], sim_source=first["sim_source"],
                   passed=sum(r["passed"] for r in runs), failed=sum(r["failed"] for r in runs),
                   skipped=sum(r["skipped"] for r in runs), cases=cases, build_cached=cached, build_s=build_s,
                   test_s=test_s, build_dir=build_path, results_xml=xml, test_log=Path(first["test_log"]),
                   build_log=build_path / "build.log", timed_out=any(r["timed_out"] for r in runs),
                   waves_file=None)
    return rr, merged


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

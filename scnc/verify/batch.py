"""Verify many small cores in one simulator build: a wrapper instantiates them side by side.

A Verilator build costs 5-40 s, nearly all of it compiling Verilator's runtime, whatever the design.
Randomized equivalence needs many configurations, so :func:`verify_batch` compiles every graph with
its own top name (``c0``, ``c1``, ...; Amaranth prefixes every sub-module name with the top name, so
the Verilog files never clash), writes a wrapper module ``scnc_batch`` that exposes each core's ports
as ``c<i>__<port>`` on one shared clock and reset, and runs the same cocotb bench
(``sim/scnc_bench.py``), which checks every core concurrently. One build, one simulator run.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from scnc._io import atomic_write_text
from scnc.errors import ConfigError
from scnc.manifest import Manifest
from scnc.verify.cases import make_case, save_case
from scnc.verify.runner import RunResult

__all__ = ["BatchResult", "verify_batch", "batch_wrapper", "campaign_batch", "run_campaign"]

BATCH_TOP = "scnc_batch"
#: Verilator arguments of a quick build: the generated C++ compiled at -O0.
VERILATOR_QUICK_ARGS = ("-CFLAGS", "-O0")


@dataclass(frozen=True)
class BatchResult:
    """Outcome of :func:`verify_batch`: one results dict per graph (as the bench wrote it), the run."""

    results: list
    run: RunResult
    compile_s: float
    ref_s: float

    @property
    def ok(self) -> bool:
        return all(r.get("ok") for r in self.results) and self.run.ok

    def failures(self) -> list[tuple[int, dict]]:
        return [(i, r) for i, r in enumerate(self.results) if not r.get("ok")]


def batch_wrapper(manifests: list[Manifest]) -> str:
    """Verilog of the wrapper: core ``i`` (module ``manifests[i].top``) with ports ``c<i>__<port>``."""
    lines = [f"// scnc batch wrapper: {len(manifests)} cores on one clock and reset", ""]
    ports = ["clk", "rst"]
    decls = ["  input clk;", "  input rst;"]
    insts = []
    for i, man in enumerate(manifests):
        conns = [".clk(clk)", ".rst(rst)"]
        for p in man.ports:
            if p.name in ("clk", "rst"):
                continue
            outer = f"c{i}__{p.name}"
            rng = f"[{p.width - 1}:0] " if p.width > 1 else ""
            ports.append(outer)
            decls.append(f"  {p.direction} {rng}{outer};")
            conns.append(f".{p.name}({outer})")
        insts.append(f"  {man.top} u{i} (\n    " + ",\n    ".join(conns) + "\n  );")
    lines.append(f"module {BATCH_TOP}({', '.join(ports)});")
    lines += decls + insts + ["endmodule", ""]
    return "\n".join(lines)


def verify_batch(
    graphs: list,
    out_dir: str | os.PathLike,
    *,
    inputs: list[dict],
    sim: str = "verilator",
    build_root: str | os.PathLike | None = None,
    seed: int = 0,
    timeout_s: float | None = None,
    quick_build: bool = True,
    flow: str = "random",
) -> BatchResult:
    """Compile ``graphs`` into one wrapper and verify each against :mod:`scnc.ref` in one run.

    Parameters
    ----------
    graphs:
        Quantized graphs.
    out_dir:
        Work folder: ``c<i>/`` (each core's build), ``scnc_batch.v``, ``batch.json``, results.
    inputs:
        Per graph, ``{"intensities": ...}`` or ``{"spikes": ...}`` (see :func:`scnc.verify.choose_inputs`).
    sim, build_root, seed, timeout_s, flow:
        As in :func:`scnc.verify.verify_build` (``build_root`` default ``out_dir/builds``; each core
        gets its own seeded flow pattern).
    quick_build:
        Verilator: compile the model's C++ without optimisation (:data:`VERILATOR_QUICK_ARGS`); small
        cores simulate fast anyway, and the compile of many cores is what a batch costs.
    """
    from scnc.rtl import compile_graph
    from scnc.verify.verify import _run_with_env, bench_dir, flow_env

    env = flow_env(flow, seed)
    if not graphs or len(graphs) != len(inputs):
        raise ConfigError(f"verify_batch needs one inputs dict per graph, got {len(graphs)} graphs, {len(inputs)} inputs")
    out = Path(out_dir).resolve()  # the runner works in other folders: no relative paths
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    manifests, sources = [], []
    for i, g in enumerate(graphs):
        man = compile_graph(g, out / f"c{i}", top_name=f"c{i}", trace=True)
        manifests.append(man)
        sources.append(man.verilog_path(out / f"c{i}"))
    wrapper = out / f"{BATCH_TOP}.v"
    atomic_write_text(wrapper, batch_wrapper(manifests))
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    jobs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (g, inp) in enumerate(zip(graphs, inputs)):
            case_path = save_case(make_case(g, **inp), out / f"c{i}" / "case.npz")
            res = out / f"c{i}" / "results.json"
            res.unlink(missing_ok=True)
            jobs.append({"prefix": f"c{i}__", "manifest": str(out / f"c{i}" / "manifest.json"),
                         "case": str(case_path), "results": str(res)})
    ref_s = time.perf_counter() - t0
    batch_json = out / "batch.json"
    atomic_write_text(batch_json, json.dumps(jobs, indent=1))

    rr = _run_with_env(sim=sim, sources=[*sources, wrapper], toplevel=BATCH_TOP, module_dirs=[bench_dir()],
                       test_dir=out, build_root=Path(build_root) if build_root else out / "builds",
                       results_xml=out / "results.xml", extra_env={"SCNC_BATCH": str(batch_json), **env},
                       waves=False, seed=seed, timeout_s=timeout_s,
                       extra_build_args=VERILATOR_QUICK_ARGS if quick_build else ())
    results = []
    for job in jobs:
        p = Path(job["results"])
        results.append(json.loads(p.read_text()) if p.is_file() else {"ok": False, "protocol": ["no results written"]})
    return BatchResult(results=results, run=rr, compile_s=compile_s, ref_s=ref_s)


# ---- randomized campaigns: batches of ConfigSpecs, locally or on a Dask cluster ---------------------

def campaign_batch(job: dict) -> dict:
    """Verify one batch of random configurations; a Dask worker's entry point (plain data in and out).

    ``job``: ``specs`` (:meth:`scnc.verify.configs.ConfigSpec.to_dict` each), ``out_dir``, ``sim``,
    ``build_root``, ``seed``, ``timeout_s``, ``flow``. Returns ``{"results": [{"spec", "ok",
    "first_divergence", "protocol", "values_compared"}, ...], "build_s", "test_s", "seconds"}``.
    """
    from scnc.verify.configs import ConfigSpec, build_config

    t0 = time.perf_counter()
    specs = [ConfigSpec(**{**d, "sizes": tuple(d["sizes"])}) for d in job["specs"]]
    built = [build_config(spec) for spec in specs]
    res = verify_batch([g for g, _ in built], job["out_dir"], inputs=[i for _, i in built], sim=job["sim"],
                       build_root=job["build_root"], seed=int(job["seed"]), timeout_s=job.get("timeout_s"),
                       flow=job.get("flow", "random"))
    out = [{"spec": spec.to_dict(), "ok": bool(r.get("ok")), "first_divergence": r.get("first_divergence"),
            "protocol": r.get("protocol"), "values_compared": int(r.get("values_compared", 0))}
           for spec, r in zip(specs, res.results)]
    if not res.run.ok:  # a bench that failed without a per-core verdict fails every core of the batch
        for r in out:
            r["ok"] = False
    return {"results": out, "build_s": res.run.build_s, "test_s": res.run.test_s,
            "seconds": time.perf_counter() - t0}


def run_campaign(specs: list, out_dir: str | os.PathLike, *, batch: int = 25, sim: str = "verilator",
                 build_root: str | os.PathLike | None = None, seed: int = 0, timeout_s: float | None = 3600,
                 flow: str = "random", scheduler: str | None = None, progress=None) -> list[dict]:
    """Verify ``specs`` (:class:`scnc.verify.configs.ConfigSpec`) in batches of ``batch``.

    Batch ``k`` works in ``out_dir/batch<k>``; batches run one after the other here, or all at once
    on the Dask cluster at ``scheduler`` (``"tcp://host:8786"``; workers must see ``out_dir``).
    Returns one :func:`campaign_batch` result per batch, in order.
    """
    if not (isinstance(batch, int) and batch >= 1):
        raise ConfigError(f"batch must be an integer >= 1, got {batch!r}")
    out = Path(out_dir).resolve()
    broot = Path(build_root).resolve() if build_root is not None else out / "builds"
    jobs = [{"specs": [s.to_dict() for s in specs[k:k + batch]], "out_dir": str(out / f"batch{k // batch}"),
             "sim": sim, "build_root": str(broot), "seed": int(seed), "timeout_s": timeout_s, "flow": flow}
            for k in range(0, len(specs), batch)]
    if scheduler is not None:
        from scnc.verify.shard import dask_map

        return dask_map(campaign_batch, jobs, scheduler)
    results = []
    for k, job in enumerate(jobs):
        results.append(campaign_batch(job))
        if progress is not None:
            progress(k, results[-1])
    return results

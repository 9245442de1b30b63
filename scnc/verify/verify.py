"""``verify_build``: run a compiled core in an HDL simulator through the cocotb bench, against scnc.ref.

The host loads the build folder's ``manifest.json`` and IR (``ir/``), chooses the samples (the first
``N`` test samples of a data set, or seeded random inputs when the network's input does not match
it), computes the expectations with :mod:`scnc.ref` into a case file, and runs ``sim/scnc_bench.py``
on ``<top>.v`` with :func:`scnc.verify.runner.run_cocotb` (builds cached by content hash). Output,
all under ``<build>/verify/``:

* ``case.npz`` -- inputs and expectations; ``results.json`` -- what the bench found;
* ``results.xml`` -- cocotb's JUnit XML; ``sim.log`` -- the simulator's output;
* ``waves/`` -- on a mismatch, a waveform (VCD) of a re-run of the first diverging sample;
* ``builds/`` -- the cached simulator builds (default ``build_root``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from scnc._io import atomic_write_text
from scnc._resources import sim_dir
from scnc.errors import ConfigError, DataError, ToolError
from scnc.manifest import Manifest
from scnc.verify.cases import Case, make_case, save_case
from scnc.verify.recorder import MAX_PATH_CHARS, PLUSARG, RECORDER_TOP, recorder_wrapper
from scnc.verify.runner import (VERILATOR_MAIN, RunResult, build_environ, ensure_build, run_cocotb, sim_build_args,
                                verilator_clock_args)

__all__ = ["VerifyReport", "verify_build", "choose_inputs", "bench_dir", "FLOWS", "flow_env"]

_BENCH_MODULE = "scnc_bench"
#: Flow-control patterns of the bench: ``"always"`` (input beats back to back, sinks always ready)
#: and ``"random"`` (seeded idle cycles between input beats, back-pressure on ``o_data``/``trace``).
FLOWS = ("always", "random")
#: How trace beats reach the checker: ``"bulk"`` (the recorder wrapper writes them to a file, read once;
#: :mod:`scnc.verify.recorder`) or ``"monitor"`` (a cocotb monitor wakes Python for every beat).
TRACE_PATHS = ("bulk", "monitor")
#: Clock period of the bench (ns); ``sim/scnc_bench.py`` uses the same.
BENCH_PERIOD_NS = 10
#: Verilator arguments of a bulk-path build, after :func:`~scnc.verify.runner.sim_build_args` and the
#: clock's (:func:`~scnc.verify.runner.verilator_clock_args`): the model and Verilator's runtime
#: (VPI included) compiled at ``-O2`` instead of ``verilated.mk``'s ``-Os``, 1.5x faster per cycle on
#: W-digits. Verilator's own ``-O3``, ``--x-assign fast`` and ``--x-initial fast`` generate the same
#: C++ for scnc's cores, so they are not given. See docs/verify.md ("Measured").
VERILATOR_BENCH_ARGS: tuple[str, ...] = ("-CFLAGS", "-O2")
#: Environment of the bench's simulator process: numpy's OpenBLAS would start a thread per core at
#: import (they spin for a while, costing CPU); the bench's numpy work is a few small arrays.
BENCH_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def flow_env(flow: str, seed: int) -> dict:
    """The bench's environment for a flow pattern (``SCNC_FLOW``, ``SCNC_FLOW_SEED``); checks ``flow``."""
    if flow not in FLOWS:
        raise ConfigError(f"flow must be one of {', '.join(repr(f) for f in FLOWS)}, got {flow!r}")
    if not isinstance(seed, int):
        raise ConfigError(f"seed must be an integer, got {seed!r}")
    return {"SCNC_FLOW": flow, "SCNC_FLOW_SEED": str(seed)}


def bench_dir() -> Path:
    """The folder holding the cocotb bench modules (``sim/`` of the scnc source tree, or its installed copy)."""
    return sim_dir()


@dataclass
class VerifyReport:
    """What :func:`verify_build` did and found.

    Members
    -------
    ok:
        ``True`` when every value matched and no stream misbehaved.
    samples, timesteps:
        Samples verified and time steps each.
    values_compared, mismatches:
        Scalars compared with ``==`` and how many differed.
    first_divergence:
        ``{"sample", "step", "layer", "neuron", "field", "expected", "actual"}`` or ``None``.
    protocol:
        Stream-level problems (beat counts, order, latency, hangs).
    simulator:
        ``"<name> <version> (<source>)"`` of the simulator used.
    inputs:
        Where the samples came from (data set and split, or seeded random inputs, and why).
    build_s, sim_s, ref_s:
        Seconds: simulator build (look-up when cached), simulation run, reference model.
    build_cached:
        The simulator build was reused.
    samples_per_s:
        Verified samples per second of simulation run time.
    latency_cycles:
        Measured cycles per sample (first input beat to counts beat); with ``flow="random"`` stalls
        included, so at least the manifest's no-stall figure.
    results_json, junit_xml, waves_file:
        Paths of the bench's results, cocotb's JUnit XML and the waveform (``None`` unless kept).
    results:
        The bench's results JSON as a dict.
    flow:
        The bench's flow-control pattern (``"always"`` or ``"random"``).
    """

    ok: bool
    samples: int
    timesteps: int
    values_compared: int
    mismatches: int
    first_divergence: dict | None
    protocol: list
    simulator: str
    inputs: str
    build_s: float
    sim_s: float
    ref_s: float
    build_cached: bool
    samples_per_s: float
    latency_cycles: list
    results_json: Path
    junit_xml: Path
    waves_file: Path | None = None
    results: dict = field(default_factory=dict)
    flow: str = "random"

    def summary(self) -> dict:
        """JSON-ready summary (what ``scnc verify --json`` prints)."""
        return {
            "ok": self.ok,
            "samples": self.samples,
            "timesteps": self.timesteps,
            "values_compared": self.values_compared,
            "mismatches": self.mismatches,
            "first_divergence": self.first_divergence,
            "protocol": self.protocol,
            "simulator": self.simulator,
            "inputs": self.inputs,
            "flow": self.flow,
            "build_s": round(self.build_s, 3),
            "build_cached": self.build_cached,
            "sim_s": round(self.sim_s, 3),
            "ref_s": round(self.ref_s, 3),
            "seconds": round(self.build_s + self.sim_s + self.ref_s, 3),
            "samples_per_s": round(self.samples_per_s, 3),
            "results_json": str(self.results_json),
            "junit_xml": str(self.junit_xml),
            "waves_file": str(self.waves_file) if self.waves_file else None,
        }


def choose_inputs(graph, *, samples: int | str, dataset: str | None = "digits", data_dir=None, classes=None,
                  seed: int = 0, features: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[dict, str]:
    """The inputs to verify: ``({"intensities": ...} or {"spikes": ...}, description)``.

    The first ``samples`` test samples of ``dataset`` (``samples="all"``: the whole test split) when
    its feature count equals the network's input size (rate coding: :func:`scnc.ref.quantize_features`; spike coding: Bernoulli spikes
    with the features as probabilities, seeded). Otherwise (or with ``dataset=None``) seeded random
    inputs, and the description says so. ``features`` maps the samples first (e.g. a local
    classifier's frozen encoder and rate coding): its result must have the network's input size.
    """
    from scnc import ref

    every = samples == "all"
    if not every and not (isinstance(samples, int) and samples >= 1):
        raise ConfigError(f"samples must be an integer >= 1 or 'all', got {samples!r}")
    if every and dataset is None:
        raise ConfigError("samples='all' means the whole test split of a data set; dataset=None has none")
    q = graph.input.quant
    n_in, T = graph.input.size, graph.timesteps
    rng = np.random.default_rng(seed)
    feats = None
    why = ""
    if dataset is not None:
        from scnc.data import load_dataset

        ds = load_dataset(dataset, split="test", data_dir=data_dir, classes=classes)
        x_test = ds.x if features is None else _mapped(ds.x, features, n_in, samples, dataset)
        if x_test.shape[1] == n_in:
            if every:
                samples = len(x_test)
            if len(x_test) < samples:
                raise DataError(f"{dataset}/test has {len(x_test)} samples, {samples} were asked for")
            feats = np.asarray(x_test[:samples], np.float64)
            desc = f"first {samples} samples of {dataset}/test" + ("" if features is None else ", mapped by features")
        else:
            why = f" ({dataset} has {x_test.shape[1]} features, the network {n_in} inputs)"
            if every:
                raise ConfigError(f"samples='all': {dataset} has {x_test.shape[1]} features but the network "
                                  f"{n_in} inputs, so its test split cannot be verified")
    if q.coding == "rate":
        if feats is not None:
            return {"intensities": ref.quantize_features(graph, feats).astype(np.int64)}, desc
        x = rng.integers(0, 1 << q.input_bits, size=(samples, n_in), dtype=np.int64)
        return {"intensities": x}, f"{samples} random intensity vectors (seed {seed}){why}"
    if feats is not None:
        s = (rng.random((samples, T, n_in)) < feats[:, None, :]).astype(np.uint8)
        return {"spikes": s}, desc + f", Bernoulli spikes (seed {seed})"
    s = (rng.random((samples, T, n_in)) < 0.3).astype(np.uint8)
    return {"spikes": s}, f"{samples} random spike trains, density 0.3 (seed {seed}){why}"


def _mapped(x: np.ndarray, features: Callable[[np.ndarray], np.ndarray], n_in: int, samples: int | str,
            dataset: str) -> np.ndarray:
    """The (first ``samples``) rows of ``x`` through ``features``; refused unless they are the network's inputs."""
    x = x if samples == "all" else x[:samples]
    f = np.asarray(features(x), np.float64)
    if f.shape != (len(x), n_in):
        raise ConfigError(f"features of {dataset}/test have shape {f.shape}, the network takes ({len(x)}, {n_in})")
    if f.size and not (np.all(np.isfinite(f)) and f.min() >= 0 and f.max() <= 1):
        raise ConfigError(f"features of {dataset}/test must be intensities in [0, 1], got [{np.nanmin(f):.4g}, "
                          f"{np.nanmax(f):.4g}]")
    return f


def _run_with_env(*, sim: str, sources, toplevel: str, module_dirs, test_dir: Path, build_root: Path,
                  results_xml: Path, extra_env: dict, waves: bool, seed: int, timeout_s: float | None,
                  extra_build_args: tuple = (), plusargs: tuple = (), verilator_main: Path | None = None,
                  ) -> RunResult:
    """:func:`run_cocotb` of the bench module with scnc's build arguments and build environment."""
    from scnc.rtl import WAIVERS

    build_args = sim_build_args(sim, WAIVERS)
    if sim == "verilator":
        build_args += list(extra_build_args)
    else:
        verilator_main = None
    icarus_vcd = None
    if waves and sim == "icarus":
        # cocotb's Icarus dump module is SystemVerilog, which -g2005 rejects: use a Verilog-2005 one
        icarus_vcd = Path(test_dir).resolve() / f"{toplevel}.vcd"
        dump = Path(test_dir) / "scnc_waves.v"
        atomic_write_text(dump, _ICARUS_DUMP.format(path=icarus_vcd, top=toplevel))
        sources = [*sources, dump]
        build_args += ["-s", "scnc_waves"]
        waves = False
        # without waves cocotb runs vvp with -none (no dumping); a later -vcd wins
        extra_env = {**extra_env, "SIM_CMD_SUFFIX": "-vcd"}
    with build_environ():
        rr = run_cocotb(
            sim=sim,
            sources=list(sources),
            toplevel=toplevel,
            test_module=_BENCH_MODULE,
            module_dirs=list(module_dirs),
            test_dir=test_dir,
            build_root=build_root,
            results_xml=results_xml,
            extra_env=extra_env,
            build_args=build_args,
            waves=waves,
            seed=seed,
            timeout_s=timeout_s,
            plusargs=plusargs,
            verilator_main=verilator_main,
        )
    if icarus_vcd is not None:
        rr = dataclasses.replace(rr, waves_file=icarus_vcd)
    return rr


_ICARUS_DUMP = """// scnc: waveform dump for Icarus (Verilog-2005)
module scnc_waves;
  initial begin
    $dumpfile("{path}");
    $dumpvars(0, {top});
  end
endmodule
"""


@dataclass(frozen=True)
class _BenchTop:
    """What one bench run simulates: sources, top level, and how it is built and run."""

    sources: list
    top: str
    env: dict
    plusargs: list
    trace_file: Path | None
    build_args: tuple = ()            # Verilator only, after scnc's usual ones
    verilator_main: Path | None = None


def _bench_top(*, sim: str, verilog: Path, manifest: Manifest, out_dir: Path, trace_path: str) -> _BenchTop:
    """Sources, top level, bench environment, plusargs, trace file and Verilator build options of a run.

    ``trace_path="bulk"`` on a core with a trace stream: the recorder wrapper
    (:mod:`scnc.verify.recorder`) is the top level, its file ``out_dir/trace.hex``, and the simulator
    generates the clock (``SCNC_SIM_CLOCK=1``: no cocotb clock). Verilator: scnc's main
    (:data:`~scnc.verify.runner.VERILATOR_MAIN`) toggles the wrapper's ``clk`` input in C++
    (:func:`~scnc.verify.runner.verilator_clock_args`); Icarus: the wrapper's HDL clock
    (``always #5``). Both with rising edges at multiples of :data:`BENCH_PERIOD_NS`.
    Otherwise the core itself, every beat through Python, clocked by cocotb.
    """
    if trace_path not in TRACE_PATHS:
        raise ConfigError(f"trace_path must be one of {', '.join(map(repr, TRACE_PATHS))}, got {trace_path!r}")
    if trace_path != "bulk" or not manifest.has_trace:
        return _BenchTop([verilog], manifest.top, {}, [], None)
    cxx_clock = sim == "verilator"
    wrapper = out_dir / f"{RECORDER_TOP}.v"
    atomic_write_text(wrapper, recorder_wrapper(manifest, hdl_clock=not cxx_clock, period_ns=BENCH_PERIOD_NS))
    trace_file = out_dir / "trace.hex"
    if len(str(trace_file)) > MAX_PATH_CHARS:
        raise ConfigError(f"the trace file path {trace_file} is longer than {MAX_PATH_CHARS} characters "
                          f"(the recorder wrapper's limit); use a shorter build folder path")
    with contextlib.suppress(FileNotFoundError):
        trace_file.unlink()
    env = {"SCNC_TRACE_FILE": str(trace_file), "SCNC_SIM_CLOCK": "1"}
    if cxx_clock:
        return _BenchTop([verilog, wrapper], RECORDER_TOP, env, [f"+{PLUSARG}={trace_file}"], trace_file,
                         (*verilator_clock_args("clk", BENCH_PERIOD_NS), *VERILATOR_BENCH_ARGS), VERILATOR_MAIN)
    return _BenchTop([verilog, wrapper], RECORDER_TOP, env, [f"+{PLUSARG}={trace_file}"], trace_file)


def prebuild(*, sim: str, verilog: Path, manifest: Manifest, out_dir: Path, build_root: Path,
             trace_path: str = "bulk") -> tuple[Path, bool, float]:
    """Make (or find) the simulator build a bench run in ``out_dir`` would use: ``(folder, cached?, s)``."""
    from scnc.rtl import WAIVERS

    bt = _bench_top(sim=sim, verilog=verilog, manifest=manifest, out_dir=out_dir, trace_path=trace_path)
    build_args = sim_build_args(sim, WAIVERS) + (list(bt.build_args) if sim == "verilator" else [])
    with build_environ():
        return ensure_build(sim=sim, sources=bt.sources, toplevel=bt.top, build_root=build_root,
                            build_args=build_args, verilator_main=bt.verilator_main)


def _run_bench(*, sim: str, verilog: Path, manifest: Manifest, man_path: Path, case_path: Path, out_dir: Path,
               build_root: Path, waves: bool, seed: int, timeout_s: float | None,
               flow: str = "always", trace_path: str = "bulk", sample_offset: int = 0) -> tuple[RunResult, dict]:
    results = out_dir / "results.json"
    with contextlib.suppress(FileNotFoundError):
        results.unlink()
    bt = _bench_top(sim=sim, verilog=verilog, manifest=manifest, out_dir=out_dir, trace_path=trace_path)
    trace_file = bt.trace_file
    rr = _run_with_env(
        sim=sim, sources=bt.sources, toplevel=bt.top, module_dirs=[bench_dir()], test_dir=out_dir,
        build_root=build_root, results_xml=out_dir / "results.xml",
        extra_env={**{k: v for k, v in BENCH_THREAD_ENV.items() if k not in os.environ},
                   "SCNC_MANIFEST": str(man_path), "SCNC_CASE": str(case_path), "SCNC_RESULTS": str(results),
                   "SCNC_SAMPLE_OFFSET": str(int(sample_offset)), **bt.env, **flow_env(flow, seed)},
        waves=waves, seed=seed, timeout_s=timeout_s, plusargs=tuple(bt.plusargs), extra_build_args=bt.build_args,
        verilator_main=bt.verilator_main,
    )
    if not results.is_file():
        msg = rr.failures()[0].message if rr.failures() else "no failure reported"
        raise ToolError(f"the bench wrote no results ({msg}); simulator log {rr.test_log}")
    res = json.loads(results.read_text())
    if trace_file is not None and res.get("ok"):
        trace_file.unlink(missing_ok=True)  # all checked: tens of MB not worth keeping (kept on a failure)
    return rr, res


def verify_build(
    build_dir: str | os.PathLike,
    *,
    sim: str = "verilator",
    samples: int = 20,
    dataset: str | None = "digits",
    data_dir: str | os.PathLike | None = None,
    classes=None,
    waves: bool = False,
    seed: int = 0,
    flow: str = "random",
    inputs: dict | None = None,
    reference=None,
    build_root: str | os.PathLike | None = None,
    timeout_s: float | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    trace_path: str = "bulk",
    features: Callable[[np.ndarray], np.ndarray] | None = None,
) -> VerifyReport:
    """Verify a compiled core bit for bit against :mod:`scnc.ref` in an HDL simulator.

    Parameters
    ----------
    build_dir:
        A folder written by :func:`scnc.rtl.compile_graph` (``manifest.json``, ``<top>.v``, ``ir/``).
    sim:
        ``"verilator"`` or ``"icarus"``.
    samples:
        Number of samples, or ``"all"``: the whole test split of ``dataset`` (ignored when ``inputs``
        is given).
    dataset, data_dir, classes:
        Where the samples come from (:func:`choose_inputs`); ``dataset=None``: seeded random inputs.
    waves:
        Record a waveform of the whole run. Without it, a mismatch triggers a re-run of the first
        diverging sample with waves, so a waveform is always kept for a failure.
    seed:
        Seed of random inputs, of cocotb and of the ``random`` flow pattern.
    flow:
        ``"random"`` (default): seeded idle cycles between input beats and random back-pressure
        (ready low, random hold times) on both outputs; the values must match bit for bit and each
        latency be at least the no-stall figure. ``"always"``: input beats back to back, ``o_data``/``trace`` always ready; each sample's
        latency must equal ``manifest.cycles.per_sample`` (cycle-exact schedule check).
    inputs:
        Explicit inputs, ``{"intensities": (B, n_in)}`` or ``{"spikes": (B, T, n_in)}``.
    reference:
        A quantized graph to compute the expectations from instead of the build's own IR (tests use
        it to plant a difference between the reference and the hardware).
    build_root:
        Folder of cached simulator builds (default ``<build_dir>/verify/builds``).
    timeout_s:
        Wall-clock limit of one simulator run (seconds).
    progress:
        Called with one line of text per stage.
    jobs:
        Simulator processes: the samples are split into ``jobs`` contiguous shards run in parallel
        on one shared build (:mod:`scnc.verify.shard`); the report is the same for any ``jobs``
        (counts, mismatches, first divergence with run-wide sample numbers).
    scheduler:
        Address of a Dask scheduler (``"tcp://host:8786"``; needs the ``cluster`` extra): the shards
        run on its workers (``jobs`` shards, or one per local CPU when ``jobs`` is 1).
    trace_path:
        ``"bulk"`` (default): trace beats recorded by a simulation-only wrapper into a file the bench
        reads once (:mod:`scnc.verify.recorder`); ``"monitor"``: a cocotb monitor takes every beat.
    features:
        Maps the data set's samples to the network's inputs in [0, 1] before they are quantized, e.g.
        a local-learning classifier's frozen encoder and rate coding (``scnc verify --classifier
        --encoder``); ignored with ``inputs``.

    Returns
    -------
    VerifyReport

    Raises
    ------
    ConfigError
        A bad option.
    BuildError
        ``build_dir`` is not a build folder, or its manifest or a file it names fails a check.
    IRError
        The build's IR does not match its manifest.
    ToolError
        No usable simulator, the build failed, or the simulator died.
    """
    say = progress or (lambda _s: None)
    build_dir = Path(build_dir).resolve()  # the runner works in other folders: no relative paths
    if sim not in ("verilator", "icarus"):
        raise ConfigError(f"sim must be 'verilator' or 'icarus', got {sim!r}")
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ConfigError(f"jobs must be an integer >= 1, got {jobs!r}")
    if trace_path not in TRACE_PATHS:
        raise ConfigError(f"trace_path must be one of {', '.join(map(repr, TRACE_PATHS))}, got {trace_path!r}")
    flow_env(flow, seed)
    from scnc.rtl import load_build

    manifest, graph = load_build(build_dir)  # every field, file hash, port and the IR hash checked
    verilog = manifest.verilog_path(build_dir)
    ref_graph = graph if reference is None else reference
    out_dir = build_dir / "verify"
    out_dir.mkdir(parents=True, exist_ok=True)
    broot = Path(build_root) if build_root is not None else out_dir / "builds"

    t0 = time.perf_counter()
    if inputs is None:
        inputs, desc = choose_inputs(graph, samples=samples, dataset=dataset, data_dir=data_dir,
                                     classes=classes, seed=seed, features=features)
    else:
        desc = "inputs given by the caller"
    case = make_case(ref_graph, **inputs)
    ref_s = time.perf_counter() - t0
    case_path = save_case(case, out_dir / "case.npz")
    say(f"reference: {case.samples} samples ({desc}), scnc.ref {ref_s:.2f} s")

    sharded = jobs > 1 or scheduler is not None
    if sharded and waves:
        raise ConfigError("waves=True records one waveform of one run: use jobs=1 and no scheduler")
    if sharded:
        from scnc.verify.shard import run_sharded

        where = f"Dask scheduler {scheduler}" if scheduler else f"{jobs} processes"
        say(f"simulating on {sim} (flow {flow}, {where}) ...")
        rr, res = run_sharded(sim=sim, build_dir=build_dir, case=case, out_dir=out_dir, build_root=broot.resolve(),
                              seed=seed, timeout_s=timeout_s, flow=flow, trace_path=trace_path, jobs=jobs,
                              scheduler=scheduler)
    else:
        say(f"simulating on {sim} (flow {flow}) ...")
        rr, res = _run_bench(sim=sim, verilog=verilog, manifest=manifest, man_path=build_dir / "manifest.json",
                             case_path=case_path, out_dir=out_dir, build_root=broot, waves=waves, seed=seed,
                             timeout_s=timeout_s, flow=flow, trace_path=trace_path)
    waves_file = rr.waves_file if waves and rr.waves_file and rr.waves_file.is_file() else None
    if not res["ok"] and not waves:
        waves_file = _waves_of_first_divergence(sim=sim, verilog=verilog, manifest=manifest, build_dir=build_dir,
                                                case=case, res=res, broot=broot, seed=seed, timeout_s=timeout_s,
                                                say=say, flow=flow, trace_path=trace_path)
    elif waves_file is not None:
        keep = out_dir / "waves" / waves_file.name
        keep.parent.mkdir(exist_ok=True)
        os.replace(waves_file, keep)
        waves_file = keep
    sim_s = float(rr.test_s)
    return VerifyReport(
        ok=bool(res["ok"]) and rr.ok,
        samples=case.samples,
        timesteps=case.timesteps,
        values_compared=int(res["values_compared"]),
        mismatches=int(res["mismatches"]),
        first_divergence=res["first_divergence"],
        protocol=list(res["protocol"]),
        simulator=f"{rr.sim} {rr.sim_version} ({rr.sim_source})",
        inputs=desc,
        build_s=float(rr.build_s),
        sim_s=sim_s,
        ref_s=ref_s,
        build_cached=rr.build_cached,
        samples_per_s=case.samples / sim_s if sim_s > 0 else 0.0,
        latency_cycles=list(res.get("latency_cycles", [])),
        results_json=out_dir / "results.json",
        junit_xml=rr.results_xml,
        waves_file=waves_file,
        results=res,
        flow=flow,
    )


def _waves_of_first_divergence(*, sim, verilog, manifest, build_dir, case: Case, res, broot, seed, timeout_s,
                               say, flow: str = "always", trace_path: str = "bulk") -> Path | None:
    """Re-run only the sample of the first divergence with waves; keep the file in verify/waves/."""
    first = res.get("first_divergence")
    b = int(first["sample"]) if first else 0
    b = min(max(b, 0), case.samples - 1)
    wdir = build_dir / "verify" / "waves"
    wdir.mkdir(parents=True, exist_ok=True)
    sub_path = save_case(case.subset([b]), wdir / "case.npz")
    say(f"mismatch: re-running sample {b} with waves ...")
    try:
        rr, _ = _run_bench(sim=sim, verilog=verilog, manifest=manifest, man_path=build_dir / "manifest.json",
                           case_path=sub_path, out_dir=wdir, build_root=broot, waves=True, seed=seed,
                           timeout_s=timeout_s, flow=flow, trace_path=trace_path, sample_offset=b)
    except ToolError as exc:
        say(f"warning: the waveform re-run failed: {exc}")
        return None
    return rr.waves_file if rr.waves_file and rr.waves_file.is_file() else None

"""Verification speed on W-digits (64 -> 128 -> 10, random weights, scnc.ir.quantize defaults).

Compiles the core, then measures on the same generated Verilog:

* the **bare Verilator loop** -- a C++ ``main`` (no Python, no VPI) that drives the same input beats
  into ``i_data`` back to back and drains ``o_data`` and ``trace`` with ``ready`` tied high, built with
  the same C++ optimisation as the bench (:data:`scnc.verify.verify.VERILATOR_BENCH_ARGS`): the
  physical limit of the simulator on this design;
* ``scnc verify`` (:func:`scnc.verify.verify_build`, cocotb bench, ``--flow always``) on Verilator and
  optionally Icarus, with ``--jobs`` simulator processes each;
* :mod:`scnc.ref` (Numba) on the same samples.

``--repeats R`` alternates the bare loop and the one-job cocotb run R times and reports medians; the
harness overhead (bare samples per CPU second / cocotb samples per CPU second, and the same for wall
time) is taken per repeat, from runs made back to back, so a shared machine's load changes both.

``--variants`` adds the harness variants docs/verify.md compares (each its own cached build, one
job): ``hdl-Os`` (the previous harness: clock in HDL, ``--timing``, C++ at ``-Os``), ``hdl`` (the same
at ``-O2``), ``gpi`` (cocotb's C++ ``Clock(impl="gpi")``, no ``--timing``, ``-O2``), and the bare loop
``bare-Os`` (C++ at ``-Os``) and ``bare-hdl`` (the recorder wrapper's HDL clock, ``--timing``).

    python benchmarks/verify_speed.py [--samples 16] [--bare-samples 16] [--repeats 3] [--jobs 1 2] \
        [--icarus-samples 0] [--bare-icarus-samples 0] [--variants hdl-Os hdl gpi bare-Os bare-hdl] \
        [--out /tmp/scnc-verify-speed]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path


from scnc import ref
from scnc.ir import QuantOptions, from_network, quantize
from scnc.manifest import Manifest
from scnc.rtl import WAIVERS, compile_graph
from scnc.snn.network import Network
from scnc.verify import choose_inputs, verify_build
from scnc.verify.cases import input_beats, make_case
from scnc.verify import verify as vv
from scnc.verify.recorder import RECORDER_TOP, recorder_wrapper
from scnc.verify.runner import build_environ
from scnc.verify.tools import find_simulator
from scnc.verify.verify import VERILATOR_BENCH_ARGS, prebuild


def w_digits(seed: int = 0):
    net = Network.dense([64, 128, 10], seed=seed, timesteps=25)
    return quantize(from_network(net), QuantOptions())


# ---- the bare Verilator loop ----------------------------------------------------------------------
# Both loops read the input beats (argv[1]: "<beats>\n" then one hex beat per line, samples back to back)
# and the expected beat counts and cycle limit (argv[2..4]), and print the same JSON line.
_BARE_PRELUDE = r"""#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <vector>
#include <chrono>
#include "verilated.h"
#include "V{top}.h"

static uint64_t fold(uint64_t h, uint64_t v) {{ return (h ^ v) * 0x100000001b3ULL; }}

int main(int argc, char** argv) {{
    FILE* f = std::fopen(argv[1], "r");
    if (!f) {{ std::fprintf(stderr, "cannot open %s\n", argv[1]); return 2; }}
    unsigned long long n = 0, v = 0;
    if (std::fscanf(f, "%llu", &n) != 1) return 2;
    std::vector<uint64_t> beats(n);
    for (unsigned long long i = 0; i < n; ++i) {{ if (std::fscanf(f, "%llx", &v) != 1) return 2; beats[i] = v; }}
    std::fclose(f);
    const uint64_t want_out = std::strtoull(argv[2], nullptr, 10), want_trace = std::strtoull(argv[3], nullptr, 10);
    const uint64_t max_cycles = std::strtoull(argv[4], nullptr, 10);
"""
_BARE_EPILOGUE = r"""    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{{\"cycles\": %llu, \"seconds\": %.6f, \"o_data_beats\": %llu, \"trace_beats\": %llu, "
                "\"inputs_accepted\": %llu, \"checksum\": \"%016llx\"}}\n",
                (unsigned long long)cycles, s, (unsigned long long)outs, (unsigned long long)traces,
                (unsigned long long)k, (unsigned long long)h);
    return (outs == want_out && traces == want_trace) ? 0 : 1;
}}
"""
_BARE_MAIN = r"""// scnc benchmark: bare Verilator loop (no Python, no VPI) on the generated core
{prelude}    VerilatedContext ctx;
    V{top} top{{&ctx}};
    top.clk = 0; top.rst = 1; top.i_data__valid = 0; top.o_data__ready = 1; {trace_ready}
    top.eval();
    for (int i = 0; i < 3; ++i) {{ top.clk = 1; top.eval(); top.clk = 0; top.eval(); }}
    top.rst = 0; top.clk = 1; top.eval();  // one idle edge with rst low, as the cocotb bench does
    uint64_t k = 0, outs = 0, traces = 0, cycles = 0, h = 1469598103934665603ULL;
    auto t0 = std::chrono::steady_clock::now();
    while ((outs < want_out || traces < want_trace) && cycles < max_cycles) {{
        // falling edge: drive the inputs for the coming rising edge, settle
        top.clk = 0;
        top.i_data__valid = k < n;
        if (k < n) top.i_data__payload = beats[k];
        top.eval();
        // what moves at the rising edge (sinks tied ready)
        if (top.i_data__valid && top.i_data__ready) ++k;
        if (top.o_data__valid) {{ h = fold(h, top.o_data__payload); ++outs; }}
        {trace_take}
        top.clk = 1;
        top.eval();
        ++cycles;
    }}
{epilogue}"""


# The same loop on the recorder wrapper with its HDL clock (``always #5``, Verilator ``--timing``): the
# clock edges come from Verilator's timing scheduler; the loop only advances time, drives the inputs
# at falling edges and counts the beats at rising edges. Separates the scheduler's cost from cocotb's.
_BARE_HDL_MAIN = r"""// scnc benchmark: bare Verilator loop on the recorder wrapper, HDL clock (--timing)
{prelude}    VerilatedContext ctx;
    ctx.commandArgs(argc, argv);
    V{top} top{{&ctx}};
    top.rst = 1; top.i_data__valid = 0; top.o_data__ready = 1; top.trace__ready = 1; top.scnc_rec_flush = 0;
    top.eval();
    const uint64_t period = {period_ticks};
    uint64_t k = 0, outs = 0, traces = 0, cycles = 0, rising = 0, h = 1469598103934665603ULL;
    auto t0 = std::chrono::steady_clock::now();
    while ((outs < want_out || traces < want_trace) && cycles < max_cycles && top.eventsPending()) {{
        const uint64_t t = top.nextTimeSlot();
        ctx.time(t);
        if (t % period == 0) {{  // rising edge: what moves now is what settled since the falling edge
            if (++rising > 4) {{
                if (top.i_data__valid && top.i_data__ready) ++k;
                if (top.o_data__valid) {{ h = fold(h, top.o_data__payload); ++outs; }}
                if (top.trace__valid) {{ h = fold(h, top.trace__payload); ++traces; }}
                ++cycles;
            }}
        }} else {{  // falling edge: reset for 3 rising edges, one idle edge, then drive (as the bench)
            if (rising == 3) top.rst = 0;
            if (rising >= 4) {{ top.i_data__valid = k < n; if (k < n) top.i_data__payload = beats[k]; }}
        }}
        top.eval();
    }}
{epilogue}"""


def bare_main_cpp(man: Manifest, *, hdl_clock: bool = False) -> str:
    """C++ of the bare loop for a core (payloads up to 64 bits: W-digits' widths); ``hdl_clock``: the
    loop on the recorder wrapper (:data:`RECORDER_TOP`) with its HDL clock."""
    for st in man.streams:
        if st.payload.width > 64:
            raise ValueError(f"bare loop: stream {st.name} is {st.payload.width} bits wide; only <= 64 supported")
    if hdl_clock:
        if not man.has_trace:
            raise ValueError("bare loop with the HDL clock: the recorder wrapper needs a trace stream")
        # 1ns/1ps: a period of vv.BENCH_PERIOD_NS ns is 1000x as many time-precision units
        cpp = _BARE_HDL_MAIN.format(prelude=_BARE_PRELUDE.format(top=RECORDER_TOP), epilogue=_BARE_EPILOGUE.format(), top=RECORDER_TOP,
                                    period_ticks=vv.BENCH_PERIOD_NS * 1000)
    else:
        if man.has_trace:
            trace_ready = "top.trace__ready = 1;"
            trace_take = "if (top.trace__valid) { h = fold(h, top.trace__payload); ++traces; }"
        else:
            trace_ready, trace_take = "", ""
        cpp = _BARE_MAIN.format(prelude=_BARE_PRELUDE.format(top=man.top), epilogue=_BARE_EPILOGUE.format(), top=man.top,
                                trace_ready=trace_ready, trace_take=trace_take)
    # Verilator escapes "__" in port names as "___05F" in the C++ class members
    return re.sub(r"\btop\.(\w+?)__(\w+)", r"top.\1___05F\2", cpp)


def build_bare(core_dir: Path, man: Manifest, out: Path, *, cflags: tuple[str, ...] = VERILATOR_BENCH_ARGS,
               hdl_clock: bool = False, main_cpp: str | None = None) -> tuple[Path, float]:
    """Build the bare loop with the same Verilator the cocotb runs use; returns (executable, seconds).

    ``cflags``: Verilator arguments for the C++ optimisation (default: the bench's own, so the
    reference is as fast as the bench's model); ``hdl_clock``: the loop on the recorder wrapper with
    its HDL clock, built with ``--timing``; ``main_cpp``: the C++ main to build (default:
    :func:`bare_main_cpp` of ``man``; ``benchmarks/energy.py`` passes one that also writes coverage).
    """
    tool = find_simulator("verilator")
    out.mkdir(parents=True, exist_ok=True)
    main = out / "bare_main.cpp"
    main.write_text(main_cpp if main_cpp is not None else bare_main_cpp(man, hdl_clock=hdl_clock))
    exe = out / "obj" / "bare"
    t0 = time.perf_counter()
    sources = [str(man.verilog_path(core_dir))]
    top = man.top
    extra: list[str] = []
    if hdl_clock:
        wrapper = out / f"{RECORDER_TOP}.v"
        wrapper.write_text(recorder_wrapper(man, hdl_clock=True, period_ns=vv.BENCH_PERIOD_NS))
        sources.append(str(wrapper))
        top = RECORDER_TOP
        extra = ["--timing", "--timescale", "1ns/1ps"]
    cmd = [tool.executable, "--cc", "--exe", "--build", "-j", "1", "--top-module", top,
           *[f"-Wno-{w}" for w in sorted(set(WAIVERS))], *extra, *cflags, "-Mdir", str(out / "obj"), "-o", "bare",
           *sources, str(main)]
    with build_environ():
        env = tool.environ(dict(os.environ))
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"bare Verilator build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return exe, time.perf_counter() - t0


_BARE_ICARUS_TB = """// scnc benchmark: bare Icarus testbench (no cocotb, no VPI) around the recorder wrapper
module scnc_bare_tb;
  reg rst = 1'b1;
  reg [{iw}:0] beats [0:{n_last}];
  reg [{iw}:0] payload = 0;
  reg valid = 1'b0;
  integer k = 0, outs = 0;
  wire ready, o_valid;
  {top} dut (.rst(rst), .i_data__payload(payload), .i_data__valid(valid), .i_data__ready(ready),
             .o_data__valid(o_valid), .o_data__ready(1'b1), .trace__ready(1'b1), .scnc_rec_flush(1'b0){rest});
  initial begin
    $readmemh("{beats}", beats);
    repeat (3) @(posedge dut.clk);
    @(negedge dut.clk) rst = 1'b0;
    @(posedge dut.clk);
  end
  // drive at the falling edge, count at the rising edge (as the cocotb bench does)
  always @(negedge dut.clk) if (!rst) begin
    valid <= k < {n};
    if (k < {n}) payload <= beats[k];
  end
  always @(posedge dut.clk) if (!rst) begin
    if (valid && ready) k <= k + 1;
    if (o_valid) begin
      outs = outs + 1;
      if (outs == {want_out}) begin
        $display("cycles %0d trace_beats %0d", $time / 10, dut.scnc_rec_beats);
        $finish;
      end
    end
  end
endmodule
"""


def run_bare_icarus(core_dir: Path, man: Manifest, case, work: Path) -> dict:
    """A pure-Verilog testbench (``$readmemh`` inputs, sinks tied ready) on the recorder wrapper with
    its HDL clock, compiled by the same Icarus the bench uses: Icarus' own speed on this design."""
    from scnc.verify.recorder import RECORDER_TOP, recorder_wrapper
    from scnc.verify.runner import ICARUS_ARGS

    work.mkdir(parents=True, exist_ok=True)
    beats = [b for sample in input_beats(case) for b in sample]
    (work / "beats.hex").write_text("\n".join(f"{b:x}" for b in beats) + "\n")
    (work / "wrapper.v").write_text(recorder_wrapper(man, hdl_clock=True))
    tied = {"rst", "i_data__payload", "i_data__valid", "i_data__ready", "o_data__valid", "o_data__ready",
            "trace__ready", "clk"}
    rest = "".join(f", .{p.name}()" for p in man.ports if p.name not in tied)
    iw = man.i_data.payload.width - 1
    tb = _BARE_ICARUS_TB.format(top=RECORDER_TOP, iw=iw, n=len(beats), n_last=len(beats) - 1,
                                beats=work / "beats.hex", want_out=case.samples * (case.timesteps + 1), rest=rest)
    (work / "tb.v").write_text(tb)
    vvp = work / "bare.vvp"
    subprocess.run(["iverilog", *ICARUS_ARGS, "-s", "scnc_bare_tb", "-o", str(vvp), str(man.verilog_path(core_dir)),
                    str(work / "wrapper.v"), str(work / "tb.v")], check=True, capture_output=True, text=True)
    cpu0 = children_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.run(["vvp", "-n", str(vvp), "-none"], capture_output=True, text=True, cwd=work)
    seconds, cpu = time.perf_counter() - t0, children_cpu_s() - cpu0
    if proc.returncode != 0 or "cycles" not in proc.stdout:
        raise RuntimeError(f"bare Icarus run failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    fields = proc.stdout.split()
    B = case.samples
    return {"samples": B, "seconds": seconds, "cpu_s": cpu, "samples_per_s": B / seconds,
            "samples_per_cpu_s": B / cpu, "cycles": int(fields[fields.index("cycles") + 1])}


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's finished children so far.

    The machine may be shared: wall time then measures the neighbours too, CPU time of the
    simulator processes does not. Both are reported.
    """
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_bare(exe: Path, man: Manifest, case, work: Path) -> dict:
    """Run the bare loop on ``case``'s input beats; returns its JSON (cycles, seconds, beats)."""
    beats = [b for sample in input_beats(case) for b in sample]
    path = work / "bare_inputs.txt"
    path.write_text(f"{len(beats)}\n" + "\n".join(f"{b:x}" for b in beats) + "\n")
    B = case.samples
    want_out = B * (case.timesteps + 1)
    want_trace = B * man.trace.beats_per_sample if man.has_trace else 0
    cpu0 = children_cpu_s()
    proc = subprocess.run([str(exe), str(path), str(want_out), str(want_trace),
                           str(4 * B * man.cycles.per_sample + 10_000)], capture_output=True, text=True)
    cpu = children_cpu_s() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"bare loop failed ({proc.returncode}): {proc.stdout} {proc.stderr}")
    res = json.loads(proc.stdout)
    res["samples"] = B
    res["cpu_s"] = cpu
    res["samples_per_cpu_s"] = B / cpu
    res["samples_per_s"] = B / res["seconds"]
    res["cycles_per_s"] = res["cycles"] / res["seconds"]
    return res


#: Harness variants of ``--variants`` (one job, Verilator): how the clock is made and the C++ optimisation.
HARNESS_VARIANTS = {
    "hdl-Os": "previous harness: HDL clock (--timing), C++ -Os",
    "hdl": "HDL clock (--timing), C++ -O2",
    "gpi": "cocotb Clock(impl='gpi'), C++ -O2",
}
BARE_VARIANTS = {"bare-Os": "bare loop, C++ -Os", "bare-hdl": "bare loop, HDL clock (--timing), C++ -O2"}


@contextlib.contextmanager
def harness_variant(kind: str | None):
    """Make :func:`scnc.verify.verify_build` build and clock the Verilator bench as ``kind`` (one of
    :data:`HARNESS_VARIANTS`; ``None``: scnc's harness). Patches the module's bench-top function for
    the block, so only one-job runs (no shard processes) see it: an experiment, not an option."""
    if kind is None:
        yield
        return
    orig = vv._bench_top

    def variant(*, sim, verilog, manifest, out_dir, trace_path):
        bt = orig(sim=sim, verilog=verilog, manifest=manifest, out_dir=out_dir, trace_path=trace_path)
        if sim != "verilator" or bt.trace_file is None:
            return bt
        hdl = kind.startswith("hdl")
        vv.atomic_write_text(Path(bt.sources[1]), recorder_wrapper(manifest, hdl_clock=hdl,
                                                                   period_ns=vv.BENCH_PERIOD_NS))
        cflags = () if kind == "hdl-Os" else VERILATOR_BENCH_ARGS
        env = dict(bt.env) if hdl else {k: v for k, v in bt.env.items() if k != "SCNC_SIM_CLOCK"}
        return dataclasses.replace(bt, env=env, verilator_main=None,
                                   build_args=(("--timing",) if hdl else ()) + tuple(cflags))

    vv._bench_top = variant
    try:
        yield
    finally:
        vv._bench_top = orig


def measure(out: Path, man: Manifest, *, sim: str, samples: int, flow: str, trace_path: str, jobs: int,
            variant: str | None = None):
    """One timed ``verify_build`` on a cached simulator build: ``(report, children's CPU s, build s)``."""
    core = out / "core"
    with harness_variant(variant):
        t0 = time.perf_counter()
        prebuild(sim=sim, verilog=man.verilog_path(core), manifest=man, out_dir=core / "verify",
                 build_root=(out / "builds").resolve(), trace_path=trace_path)
        build_s = time.perf_counter() - t0
        cpu0 = children_cpu_s()
        rep = verify_build(core, sim=sim, samples=samples, build_root=out / "builds", flow=flow, jobs=jobs,
                           trace_path=trace_path)
    return rep, children_cpu_s() - cpu0, build_s


def _row(name: str, samples: int, build_s, run_s: float, sps: float, cps: float, note: str,
         cpu_s: float | None = None) -> str:
    b = "-" if build_s is None else f"{build_s:.1f}"
    c = "-" if cpu_s is None else f"{cpu_s:.1f}"
    spc = "-" if cpu_s is None else f"{samples / cpu_s:.3f}"
    return f"{name:<34}{samples:>8}{b:>10}{run_s:>9.1f}{sps:>11.3f}{cps:>12.3g}{c:>9}{spc:>12}  {note}"


def _med(xs):
    return statistics.median(xs) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=16, help="samples of each Verilator cocotb run")
    ap.add_argument("--bare-samples", type=int, default=16, help="samples of the bare C++ loop (0: skip)")
    ap.add_argument("--repeats", type=int, default=1, help="bare + cocotb (1 job) pairs; medians reported")
    ap.add_argument("--icarus-samples", type=int, default=0, help="samples of each Icarus run (0: skip)")
    ap.add_argument("--bare-icarus-samples", type=int, default=0,
                    help="samples of a pure-Verilog Icarus testbench (no cocotb; 0: skip)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1], help="simulator processes per run (e.g. 1 2)")
    ap.add_argument("--flow", choices=("always", "random"), default="always", help="bench flow (default always)")
    ap.add_argument("--trace-path", choices=("bulk", "monitor"), nargs="+", default=["bulk"],
                    help="trace paths to measure: bulk (recorder wrapper) and/or monitor (per-beat Python)")
    ap.add_argument("--variants", nargs="*", default=[], choices=[*HARNESS_VARIANTS, *BARE_VARIANTS],
                    help="harness and bare-loop variants to measure too (one job each, every repeat)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-verify-speed"))
    args = ap.parse_args()
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")

    graph = w_digits()
    t0 = time.perf_counter()
    man = compile_graph(graph, args.out / "core")
    compile_s = time.perf_counter() - t0
    cycles = man.cycles.per_sample

    inputs, _ = choose_inputs(graph, samples=max(args.samples, args.bare_samples, args.icarus_samples,
                                                 args.bare_icarus_samples, 1))
    head = {k: v[: args.samples] for k, v in inputs.items()}
    ref.run(graph, **head, trace=True)  # warm the plan and Numba kernels
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        ref.run(graph, **head, trace=True)
    ref_sps = reps * args.samples / (time.perf_counter() - t0)

    out: dict = {"workload": "W-digits 64-128-10", "cycles_per_sample": cycles, "compile_s": round(compile_s, 3),
                 "ref_samples_per_s": round(ref_sps, 1), "flow": args.flow, "cpus": os.cpu_count(),
                 "repeats": args.repeats, "bench_cflags": list(VERILATOR_BENCH_ARGS)}
    lines = []

    # the bare loops (reference and --variants), built once each
    bares: dict[str, tuple[Path, float]] = {}
    if args.bare_samples > 0:
        if shutil.which("make") is None:
            raise SystemExit("the bare loop needs make and a C++ compiler")
        bares["bare"] = build_bare(args.out / "core", man, args.out / "bare")
        if "bare-Os" in args.variants:
            bares["bare-Os"] = build_bare(args.out / "core", man, args.out / "bare-Os", cflags=())
        if "bare-hdl" in args.variants:
            bares["bare-hdl"] = build_bare(args.out / "core", man, args.out / "bare-hdl", hdl_clock=True)
        bare_case = make_case(graph, **{k: v[: args.bare_samples] for k, v in inputs.items()})
    harnesses = [None] + [v for v in args.variants if v in HARNESS_VARIANTS]
    runs: dict[str, list[dict]] = {}
    ratios: dict[str, list[float]] = {}
    ratios_wall: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        # back to back: every bare loop, then every one-job harness, so each ratio compares runs made
        # within a minute or two of each other
        for name, (exe, _) in bares.items():
            runs.setdefault(name, []).append(run_bare(exe, man, bare_case, args.out / "bare"))
        for tp in args.trace_path:
            for var in harnesses:
                if var is not None and tp != "bulk":
                    continue
                key = f"verilator_{tp}_jobs1" + (f"_{var}" if var else "")
                rep, cpu, build_s = measure(args.out, man, sim="verilator", samples=args.samples, flow=args.flow,
                                            trace_path=tp, jobs=1, variant=var)
                runs.setdefault(key, []).append({"rep": rep, "cpu_s": cpu, "build_s": build_s})
                if "bare" in runs:
                    b = runs["bare"][-1]
                    ratios.setdefault(key, []).append(b["samples_per_cpu_s"] / (rep.samples / cpu))
                    ratios_wall.setdefault(key, []).append(b["samples_per_s"] / rep.samples_per_s)
    for name in bares:
        rs = runs[name]
        med = {k: _med([r[k] for r in rs]) for k in ("seconds", "cpu_s", "samples_per_s", "samples_per_cpu_s",
                                                     "cycles_per_s")}
        out[name if name != "bare" else "bare_verilator"] = {
            "samples": rs[0]["samples"], "cycles": rs[0]["cycles"], "build_s": round(bares[name][1], 1),
            **{k: round(v, 3) for k, v in med.items()}, "cpu_s_each": [round(r["cpu_s"], 3) for r in rs]}
        note = {"bare": "(no check: physical limit)", **BARE_VARIANTS}.get(name, "")
        lines.append(_row(f"verilator {name}", rs[0]["samples"], bares[name][1], med["seconds"],
                          med["samples_per_s"], med["cycles_per_s"], note, med["cpu_s"]))

    for key, rs in runs.items():
        if not key.startswith("verilator_"):
            continue
        reps_ = [r["rep"] for r in rs]
        cpu = _med([r["cpu_s"] for r in rs])
        sim_s = _med([r.sim_s for r in reps_])
        sps = _med([r.samples_per_s for r in reps_])
        rep = reps_[0]
        out[key] = {"ok": all(r.ok for r in reps_), "samples": rep.samples, "values_compared": rep.values_compared,
                    "mismatches": max(r.mismatches for r in reps_), "cpu_s": round(cpu, 2),
                    "cpu_s_each": [round(r["cpu_s"], 2) for r in rs], "samples_per_cpu_s": round(rep.samples / cpu, 3),
                    "build_s": round(rs[0]["build_s"], 2), "sim_s": round(sim_s, 2), "samples_per_s": round(sps, 3),
                    "cycles_per_s": round(sps * cycles), "simulator": rep.simulator}
        if key in ratios:
            out[key]["overhead_each"] = [round(x, 2) for x in ratios[key]]
            out[key]["overhead"] = round(_med(ratios[key]), 2)
            out[key]["overhead_wall"] = round(_med(ratios_wall[key]), 2)
        var = key.split("_jobs1_")[1] if "_jobs1_" in key else None
        note = HARNESS_VARIANTS[var] if var else f"bit-exact={out[key]['ok']} ({rep.values_compared} values)"
        lines.append(_row(key.removeprefix("verilator_").replace("_", " "), rep.samples, rs[0]["build_s"], sim_s,
                          sps, sps * cycles, note, cpu))

    # more jobs, and Icarus: one run each
    for sim, n in (("verilator", args.samples), ("icarus", args.icarus_samples)):
        if n <= 0:
            continue
        for tp in args.trace_path:
            for jobs in args.jobs:
                if sim == "verilator" and jobs == 1:
                    continue  # measured above
                key = f"{sim}_{tp}_jobs{jobs}"
                rep, cpu, build_s = measure(args.out, man, sim=sim, samples=n, flow=args.flow, trace_path=tp,
                                            jobs=jobs)
                out[key] = {"ok": rep.ok, "samples": rep.samples, "values_compared": rep.values_compared,
                            "cpu_s": round(cpu, 2), "samples_per_cpu_s": round(rep.samples / cpu, 3),
                            "mismatches": rep.mismatches, "build_s": round(build_s, 2),
                            "sim_s": round(rep.sim_s, 2), "samples_per_s": round(rep.samples_per_s, 3),
                            "cycles_per_s": round(rep.samples_per_s * cycles), "simulator": rep.simulator}
                lines.append(_row(f"{sim} {tp} jobs{jobs}", rep.samples, build_s, rep.sim_s, rep.samples_per_s,
                                  rep.samples_per_s * cycles, f"bit-exact={rep.ok} ({rep.values_compared} values)",
                                  cpu))
    if args.bare_icarus_samples > 0:
        case = make_case(graph, **{k: v[: args.bare_icarus_samples] for k, v in inputs.items()})
        bi = run_bare_icarus(args.out / "core", man, case, args.out / "bare-icarus")
        out["bare_icarus"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in bi.items()}
        lines.append(_row("icarus bare Verilog tb", bi["samples"], None, bi["seconds"], bi["samples_per_s"],
                          bi["cycles"] / bi["seconds"], "(no check: Icarus' own speed)", bi["cpu_s"]))

    print(f"W-digits 64-128-10: {cycles} cycles/sample, compile {compile_s:.1f} s, flow {args.flow}, "
          f"bench C++ flags {' '.join(VERILATOR_BENCH_ARGS) or '(none)'}, medians of {args.repeats} repeat(s)")
    print(f"{'engine':<34}{'samples':>8}{'build s':>10}{'run s':>9}{'samples/s':>11}{'cycles/s':>12}"
          f"{'cpu s':>9}{'samples/cpu-s':>12}  check")
    print(_row("scnc.ref (Numba)", args.samples, None, args.samples / ref_sps, ref_sps, ref_sps * cycles,
               "(oracle)"))
    for line in lines:
        print(line)
    for key in ratios:
        print(f"harness overhead, {key.removeprefix('verilator_')} (bare / cocotb, per repeat, median): "
              f"{out[key]['overhead']:.2f}x per CPU second {out[key]['overhead_each']}, "
              f"{out[key]['overhead_wall']:.2f}x wall")
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()

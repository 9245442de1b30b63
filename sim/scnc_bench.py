"""cocotb bench of a generated scnc core: every spike, membrane, saturation and count vs scnc.ref.

Generic over any core compiled by :func:`scnc.rtl.compile_graph`: everything it needs comes from the
core's ``manifest.json`` and a case file written by the host (:mod:`scnc.verify.cases`: inputs and
the expectations :mod:`scnc.ref` computed for them). Paths arrive in the environment:

=================  ==============================================================
``SCNC_MANIFEST``  the core's ``manifest.json``
``SCNC_CASE``      the case ``.npz``
``SCNC_RESULTS``   where to write the results JSON (values compared, mismatches,
                   first divergence, latencies, timings)
``SCNC_FLOW``      ``always`` (default: inputs back to back, sinks always ready) or
                   ``random`` (seeded idle cycles between input beats, back-pressure
                   on ``o_data`` and ``trace``)
``SCNC_FLOW_SEED`` seed of the ``random`` flow pattern (default 0)
``SCNC_TRACE_FILE`` bulk trace path: the file the recorder wrapper
                   (:mod:`scnc.verify.recorder`, the top level then) writes
                   ``trace`` beats to; unset: a Python monitor takes every beat
``SCNC_SIM_CLOCK`` ``1``: the simulator generates ``clk`` (the bulk path:
                   scnc's Verilator main in C++, the wrapper's HDL clock on
                   Icarus); no cocotb clock
``SCNC_SAMPLE_OFFSET`` index of the case's first sample in the whole run (a shard's
                   place), which seeds the choice of back-pressured samples
=================  ==============================================================

Bulk trace path: the wrapper writes every trace beat to a file and counts complete samples; the
bench awaits that count (one wake-up per sample), reads the file once and hands the array to the
same :func:`~scnc.verify.scoreboard.compare`. With the ``random`` flow, ``i_data`` and ``o_data``
keep their seeded idle cycles and back-pressure throughout, and ``trace`` is back-pressured by
:class:`scnc_streams.StreamSink` on a seeded subset of the samples (:func:`trace_stall_samples`:
each with probability :data:`TRACE_STALL_P`, and always the case's first), ``ready`` tied high
otherwise.

Parts: the driver (:class:`scnc_streams.StreamDriver`) offers the samples and records what entered
the DUT; monitors (:class:`scnc_streams.StreamMonitor`, sinks tied ready) or back-pressuring sinks
(:class:`scnc_streams.StreamSink`) collect every ``o_data`` and ``trace`` beat; the model is the case
file; the checker is :func:`scnc.verify.scoreboard.compare`. After the last expected beat the bench
runs a few more cycles and checks that nothing is left: no further beat, no ``valid`` still high,
``busy`` low.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, Event, FallingEdge, ReadOnly

from scnc._io import atomic_write_text
from scnc.manifest import Manifest
from scnc.verify.cases import input_beats, load_case
from scnc.verify.scoreboard import compare
from scnc_streams import HandshakeTimeout, StreamDriver, StreamMonitor, StreamSink, TraceRecorder

PERIOD_NS = 10
FLOWS = ("always", "random")

# ``random`` flow pattern (cycles). Input: before each beat, with probability IDLE_P, valid stays low
# for 1..MAX_IDLE cycles. Sinks: ready high for 1..MAX_HIGH cycles (counted while beats are offered),
# then low for 1..SHORT_LOW cycles, or with probability LONG_P for LONG_LOW[0]..LONG_LOW[1] cycles.
IDLE_P, MAX_IDLE = 0.25, 8
MAX_HIGH, SHORT_LOW, LONG_P, LONG_LOW = 8, 4, 1 / 16, (16, 40)
MAX_LOW = LONG_LOW[1]
# cycles run after the last expected beat to catch leftovers (random flow: plus one full ready pattern)
DRAIN_CYCLES = 16
#: Bulk trace path, ``random`` flow: probability that a sample's trace beats are back-pressured.
TRACE_STALL_P = 1 / 8


def trace_stall_samples(seed: int, offset: int, samples: int) -> list[int]:
    """Samples (indices into the case) whose ``trace`` is back-pressured on the bulk path.

    Each with probability :data:`TRACE_STALL_P`, decided by the seed and the sample's index in the
    whole run (``offset + b``), so a sample is chosen the same way whatever shard it lands in; the
    case's first sample always, so every run stalls ``trace`` at least once.
    """
    chosen = [b for b in range(samples)
              if b == 0 or random.Random(f"scnc-trace-stall:{seed}:{offset + b}").random() < TRACE_STALL_P]
    return chosen


def _rng(seed: int, prefix: str, stream: str) -> random.Random:
    return random.Random(f"scnc-flow:{seed}:{prefix}:{stream}")


def idle_pattern(seed: int, prefix: str = ""):
    """``idle() -> cycles`` of the ``random`` flow for ``i_data`` (seeded, one stream per core)."""
    rng = _rng(seed, prefix, "i_data")
    return lambda: rng.randint(1, MAX_IDLE) if rng.random() < IDLE_P else 0


def ready_pattern(seed: int, prefix: str, stream: str):
    """``hold(level) -> cycles`` of the ``random`` flow for a sink's ``ready`` (seeded per stream)."""
    rng = _rng(seed, prefix, stream)

    def hold(level: bool) -> int:
        if level:
            return rng.randint(1, MAX_HIGH)
        return rng.randint(*LONG_LOW) if rng.random() < LONG_P else rng.randint(1, SHORT_LOW)

    return hold


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"the bench needs the environment variable {name}")
    return Path(value)


def _stream(dut, prefix: str, name: str):
    return tuple(getattr(dut, f"{prefix}{name}__{part}") for part in ("valid", "ready", "payload"))


async def start_clock_and_reset(dut, *, sim_clock: bool = False) -> None:
    """Start ``clk`` and hold ``rst`` for 3 edges, released at a falling edge, then one idle edge.

    One edge passes with rst low before the first beat so every combinational output is resolved.
    With ``sim_clock`` (the bulk trace path) the simulator's own clock runs (scnc's Verilator main
    or the wrapper's HDL clock on Icarus; rising edges at multiples of ``PERIOD_NS``, like
    cocotb's); otherwise Verilator runs cocotb's C++ clock (no Python per edge) and Icarus the
    Python clock.
    """
    if not sim_clock:
        impl = "gpi" if cocotb.SIM_NAME.lower().startswith("verilator") else "py"
        Clock(dut.clk, PERIOD_NS, unit="ns", impl=impl).start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 1)


def tie_sinks_ready(dut, manifest: Manifest, prefix: str = "") -> None:
    """Tie the ``ready`` of every output stream high (``random`` flow's sinks take over after reset)."""
    for st in manifest.streams:
        if st.direction == "output":
            getattr(dut, f"{prefix}{st.name}__ready").value = 1


async def check_core(dut, manifest: Manifest, case, results_path: Path, prefix: str = "", *,
                     flow: str = "always", seed: int = 0, trace_file: Path | None = None,
                     sample_offset: int = 0) -> dict:
    """Drive ``case`` into the core whose ports are ``<prefix><port>``, compare, write the results JSON.

    The clock must run and reset be done (:func:`start_clock_and_reset`). ``flow``: ``"always"``
    (back to back, sinks tied ready; each sample's latency must equal the manifest's) or
    ``"random"`` (seeded by ``seed``: idle input cycles and back-pressure; latency must be at least
    the manifest's). ``trace_file``: the bulk trace path (the DUT is the recorder wrapper, which
    writes this file); ``None``: a Python monitor or sink takes every trace beat.
    ``sample_offset``: the case's first sample's index in the whole run. Returns the results dict.
    """
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}, got {flow!r}")
    B, T = case.samples, case.timesteps
    has_trace = manifest.has_trace
    per_sample_cycles = manifest.cycles.per_sample
    n_trace = manifest.trace.beats_per_sample if has_trace else 0
    in_beats = input_beats(case)
    # the longest legal wait for any beat is one sample's latency (no-stall figure, plus the worst
    # stall of every output beat and the longest idle gap before every input beat); allow twice that
    bound = per_sample_cycles + n_trace  # + n_trace: an event-engine trace build spends a cycle per trace beat
    if flow == "random":
        bound += (n_trace + T + 1) * MAX_LOW + (len(in_beats[0]) if in_beats else 0) * MAX_IDLE
    timeout_ns = (2 * bound + 100) * PERIOD_NS

    rnd = flow == "random"
    driver = StreamDriver(dut.clk, *_stream(dut, prefix, "i_data"), timeout_ns=timeout_ns,
                          idle=idle_pattern(seed, prefix) if rnd else None)

    def sink(name: str):
        if rnd:
            return StreamSink(dut.clk, *_stream(dut, prefix, name), period_ns=PERIOD_NS,
                              hold=ready_pattern(seed, prefix, name))
        return StreamMonitor(dut.clk, *_stream(dut, prefix, name), period_ns=PERIOD_NS)

    o_mon = sink("o_data")
    rec = None
    if trace_file is not None and has_trace:
        rec = TraceRecorder(dut.clk, getattr(dut, f"{prefix}scnc_rec_beats"),
                            getattr(dut, f"{prefix}scnc_rec_samples"), getattr(dut, f"{prefix}scnc_rec_flush"),
                            path=trace_file, width=manifest.trace.payload.width, beats_per_sample=n_trace)
    t_mon = sink("trace") if has_trace and rec is None else None
    tasks = [cocotb.start_soon(o_mon.run())]
    if t_mon is not None:
        tasks.append(cocotb.start_soon(t_mon.run()))
    started = [Event() for _ in range(B)]
    stall_sinks: list = []
    stalled = trace_stall_samples(seed, sample_offset, B) if rnd and rec is not None else []
    if stalled:
        tasks.append(cocotb.start_soon(_stall_trace(dut, prefix, rec, stalled, started, stall_sinks, seed,
                                                    sample_offset, timeout_ns)))

    wall0 = time.perf_counter()
    hang = None
    accepted: list[list[int]] = []
    first_beat_ns: list[int] = []
    leftovers: list[str] = []
    try:
        for b, beats in enumerate(in_beats):
            started[b].set()
            n0 = len(driver.accepted)
            accepted.append(await driver.send(beats))
            first_beat_ns.append(driver.accepted[n0][1])
        await o_mon.wait_for(B * (T + 1), timeout_ns=timeout_ns, what="o_data")
        if t_mon is not None:
            await t_mon.wait_for(B * n_trace, timeout_ns=timeout_ns, what="trace")
        if rec is not None:
            await rec.wait_samples(B, timeout_ns=timeout_ns, what="trace")
        # drain: the sinks keep running (a random sink passes through a whole ready pattern), so an
        # extra beat is collected (and counted by compare); then nothing may still be offered
        await ClockCycles(dut.clk, DRAIN_CYCLES + (MAX_HIGH + MAX_LOW if rnd else 0))
        await ReadOnly()
        for name in ("o_data", "trace") if has_trace else ("o_data",):
            if str(getattr(dut, f"{prefix}{name}__valid").value) != "0":
                leftovers.append(f"{name}: valid still high after the last expected beat (a beat left unconsumed)")
        busy = getattr(dut, f"{prefix}busy", None) if manifest.port("busy") is not None else None
        if busy is not None and str(busy.value) != "0":
            leftovers.append("busy still high after the last counts beat")
    except HandshakeTimeout as exc:
        hang = str(exc)
    for task in tasks:
        task.cancel()
    rec_problems: list[str] = []
    observed = {"inputs": accepted, "o_data": o_mon.beats}
    if t_mon is not None:
        observed["trace"] = t_mon.beats
    if rec is not None:
        observed["trace"], rec_problems = await rec.collect()
    wall = time.perf_counter() - wall0
    latencies = []
    for b, t0 in enumerate(first_beat_ns):
        k = (b + 1) * (T + 1) - 1
        if k < len(o_mon.times):
            latencies.append((o_mon.times[k] - t0) // PERIOD_NS + 1)
    # the expected latency of each sample: the case's (scnc.ref.cycles: data-dependent for the event
    # engine), else the manifest's figure (cases written before cases carried cycles)
    want_cycles = case.expected.cycles
    if want_cycles is not None and not rnd:
        observed["latency_cycles"] = latencies  # exact with this flow: compared per sample, field "latency"
    want = [int(c) for c in want_cycles] if want_cycles is not None else [per_sample_cycles] * B
    cmp = compare(manifest, case, observed)
    cmp.protocol.extend(rec_problems)
    # stalls only add cycles: with random flow the no-stall figure is a lower bound
    bad_latency = [b for b, c in enumerate(latencies) if (c < want[b] if rnd else c != want[b])]
    if bad_latency and (rnd or want_cycles is None):
        b = bad_latency[0]
        cmp.protocol.append(f"latency: sample {b} took {latencies[b]} cycles, expected "
                            f"{'at least ' if rnd else ''}{want[b]}")
    cmp.protocol.extend(leftovers)
    if hang:
        cmp.protocol.append(f"hang: {hang}")
    summary = cmp.to_dict()
    summary.update({
        "ok": cmp.ok,
        "samples": B,
        "timesteps": T,
        "samples_completed": len(o_mon.beats) // (T + 1),
        "latency_cycles": latencies,
        "manifest_latency_cycles": per_sample_cycles,
        "flow": flow,
        "flow_seed": seed,
        "flow_stats": {
            "i_data_idle_cycles": driver.idle_cycles,
            **{f"{name}_{k}": getattr(mon, k) for name, mon in (("o_data", o_mon), ("trace", t_mon))
               if isinstance(mon, StreamSink) for k in ("ready_low_cycles", "stalls")},
            **({"trace_stalled_samples": [sample_offset + b for b in stalled],
                "trace_ready_low_cycles": sum(s.ready_low_cycles for s in stall_sinks),
                "trace_stalls": sum(s.stalls for s in stall_sinks)} if rec is not None and rnd else {}),
        },
        "trace_path": "bulk" if rec is not None else "monitor",
        "hang": hang,
        "sim_wall_s": round(wall, 4),
        "sim_cycles": int(get_sim_time("ns") // PERIOD_NS),
        "simulator": f"{cocotb.SIM_NAME} {cocotb.SIM_VERSION}",
        "ir_hash": case.ir_hash,
        "manifest_ir_hash": manifest.ir_hash,
    })
    atomic_write_text(results_path, json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


async def _stall_trace(dut, prefix: str, rec: TraceRecorder, stalled: list[int], started: list, sinks: list,
                       seed: int, offset: int, timeout_ns: int) -> None:
    """Back-pressure ``trace`` (a :class:`StreamSink`) from the start of each chosen sample until all its
    trace beats were recorded; ``ready`` tied high in between. The recorder takes the beats."""
    for b in stalled:
        await started[b].wait()
        valid, ready, payload = _stream(dut, prefix, "trace")
        sink = StreamSink(dut.clk, valid, ready, payload, period_ns=PERIOD_NS,
                          hold=ready_pattern(seed, prefix, f"trace:{offset + b}"))
        sinks.append(sink)
        task = cocotb.start_soon(sink.run())
        try:
            await rec.wait_samples(b + 1, timeout_ns=timeout_ns, what=f"trace of sample {b}")
        except HandshakeTimeout:
            return  # the main flow times out too and reports the hang
        finally:
            task.cancel()
        await FallingEdge(dut.clk)
        ready.value = 1


def _failure(summary: dict) -> str:
    first = summary["first_divergence"]
    where = ("sample {sample}, step {step}, layer {layer}, neuron {neuron}: {field} expected {expected}, "
             "actual {actual}".format(**first)) if first else "no value divergence"
    msg = f"{summary['mismatches']} of {summary['values_compared']} values differ; first divergence: {where}"
    return msg + (f"; protocol: {'; '.join(summary['protocol'])}" if summary["protocol"] else "")


@cocotb.test()
async def core_matches_reference(dut) -> None:
    """Drive the case's samples (flow control from ``SCNC_FLOW``) and compare everything the core emits.

    Without ``SCNC_MANIFEST`` but with ``SCNC_BATCH`` (a JSON file listing ``{"prefix", "manifest",
    "case", "results"}`` per core), every core of a batch wrapper is checked concurrently.
    """
    flow = os.environ.get("SCNC_FLOW") or "always"
    if flow not in FLOWS:
        raise RuntimeError(f"SCNC_FLOW must be one of {FLOWS}, got {flow!r}")
    seed = int(os.environ.get("SCNC_FLOW_SEED") or 0)
    if os.environ.get("SCNC_BATCH"):
        jobs = json.loads(_env_path("SCNC_BATCH").read_text())
    else:
        jobs = [{"prefix": "", "manifest": str(_env_path("SCNC_MANIFEST")), "case": str(_env_path("SCNC_CASE")),
                 "results": str(_env_path("SCNC_RESULTS"))}]
    # the host checked each build (files, hashes, ports) before starting the simulator: read the fields only
    loaded = [(job, Manifest.load(Path(job["manifest"]).parent, check_files=False), load_case(job["case"]))
              for job in jobs]
    trace_file = os.environ.get("SCNC_TRACE_FILE") or None
    if trace_file is not None and len(jobs) != 1:
        raise RuntimeError("SCNC_TRACE_FILE (the bulk trace path) records one core; a batch has several")
    offset = int(os.environ.get("SCNC_SAMPLE_OFFSET") or 0)
    for job, manifest, _ in loaded:
        tie_sinks_ready(dut, manifest, job["prefix"])
        getattr(dut, f"{job['prefix']}i_data__valid").value = 0
        if trace_file is not None:
            getattr(dut, f"{job['prefix']}scnc_rec_flush").value = 0
    await start_clock_and_reset(dut, sim_clock=os.environ.get("SCNC_SIM_CLOCK") == "1")
    tasks = [cocotb.start_soon(check_core(dut, manifest, case, Path(job["results"]), job["prefix"],
                                          flow=flow, seed=seed, sample_offset=offset,
                                          trace_file=Path(trace_file) if trace_file else None))
             for job, manifest, case in loaded]
    failures = []
    for (job, _, _), task in zip(loaded, tasks):
        summary = await task
        if not summary["ok"]:
            failures.append(f"{job['prefix'] or 'core'}: {_failure(summary)}")
    assert not failures, " | ".join(failures)

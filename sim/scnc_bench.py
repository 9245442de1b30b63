"""cocotb bench of a generated scnc core: every spike, membrane, saturation and count vs scnc.ref.

Generic over any core compiled by :func:`scnc.rtl.compile_graph`: everything it needs comes from the
core's ``manifest.json`` and a case file written by the host (:mod:`scnc.verify.cases`: inputs and
the expectations :mod:`scnc.ref` computed for them). Paths arrive in the environment:

=================  ==============================================================
``SCNC_MANIFEST``  the core's ``manifest.json``
``SCNC_CASE``      the case ``.npz``
``SCNC_RESULTS``   where to write the results JSON (values compared, mismatches,
                   first divergence, latencies, timings)
=================  ==============================================================

Parts: the driver (:class:`scnc_streams.StreamDriver`) offers the samples back to back and records
what entered the DUT; monitors (:class:`scnc_streams.StreamMonitor`) collect every ``o_data`` and
``trace`` beat; the model is the case file; the checker is :func:`scnc.verify.scoreboard.compare`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, FallingEdge

from scnc._io import atomic_write_text
from scnc.verify.cases import input_beats, load_case
from scnc.verify.scoreboard import compare
from scnc_streams import HandshakeTimeout, StreamDriver, StreamMonitor

PERIOD_NS = 10


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"the bench needs the environment variable {name}")
    return Path(value)


def _stream(dut, prefix: str, name: str):
    return tuple(getattr(dut, f"{prefix}{name}__{part}") for part in ("valid", "ready", "payload"))


async def start_clock_and_reset(dut) -> None:
    """Start ``clk`` and hold ``rst`` for 3 edges, released at a falling edge, then one idle edge.

    One edge passes with rst low before the first beat so every combinational output is resolved.
    Verilator runs cocotb's C++ clock (no Python per edge); Icarus the Python clock.
    """
    impl = "gpi" if cocotb.SIM_NAME.lower().startswith("verilator") else "py"
    Clock(dut.clk, PERIOD_NS, unit="ns", impl=impl).start()
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 1)


def tie_sinks_ready(dut, manifest: dict, prefix: str = "") -> None:
    """Tie the ``ready`` of every output stream high (the bench never back-pressures)."""
    for name, st in manifest["streams"].items():
        if st["direction"] == "output":
            getattr(dut, f"{prefix}{name}__ready").value = 1


async def check_core(dut, manifest: dict, case, results_path: Path, prefix: str = "") -> dict:
    """Drive ``case`` into the core whose ports are ``<prefix><port>``, compare, write the results JSON.

    The clock must run and reset be done (:func:`start_clock_and_reset`). Returns the results dict.
    """
    B, T = case.samples, case.timesteps
    has_trace = "trace" in manifest["streams"]
    per_sample_cycles = int(manifest["cycles"]["per_sample"])
    # the longest legal wait for any beat is one sample's latency; allow twice that
    timeout_ns = (2 * per_sample_cycles + 100) * PERIOD_NS

    driver = StreamDriver(dut.clk, *_stream(dut, prefix, "i_data"), timeout_ns=timeout_ns)
    o_mon = StreamMonitor(dut.clk, *_stream(dut, prefix, "o_data"), period_ns=PERIOD_NS)
    t_mon = StreamMonitor(dut.clk, *_stream(dut, prefix, "trace"), period_ns=PERIOD_NS) if has_trace else None
    tasks = [cocotb.start_soon(o_mon.run())]
    if t_mon is not None:
        tasks.append(cocotb.start_soon(t_mon.run()))

    wall0 = time.perf_counter()
    hang = None
    accepted: list[list[int]] = []
    first_beat_ns: list[int] = []
    try:
        for beats in input_beats(case):
            n0 = len(driver.accepted)
            accepted.append(await driver.send(beats))
            first_beat_ns.append(driver.accepted[n0][1])
        await o_mon.wait_for(B * (T + 1), timeout_ns=timeout_ns, what="o_data")
        if t_mon is not None:
            per = T * sum(int(ly["n_out"]) for ly in manifest["layers"])
            await t_mon.wait_for(B * per, timeout_ns=timeout_ns, what="trace")
    except HandshakeTimeout as exc:
        hang = str(exc)
    wall = time.perf_counter() - wall0
    for task in tasks:
        task.cancel()

    observed = {"inputs": accepted, "o_data": o_mon.beats}
    if t_mon is not None:
        observed["trace"] = t_mon.beats
    cmp = compare(manifest, case, observed)
    latencies = []
    for b, t0 in enumerate(first_beat_ns):
        k = (b + 1) * (T + 1) - 1
        if k < len(o_mon.times):
            latencies.append((o_mon.times[k] - t0) // PERIOD_NS + 1)
    bad_latency = [b for b, c in enumerate(latencies) if c != per_sample_cycles]
    if bad_latency:
        b = bad_latency[0]
        cmp.protocol.append(f"latency: sample {b} took {latencies[b]} cycles, manifest says {per_sample_cycles}")
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
        "hang": hang,
        "sim_wall_s": round(wall, 4),
        "sim_cycles": int(get_sim_time("ns") // PERIOD_NS),
        "simulator": f"{cocotb.SIM_NAME} {cocotb.SIM_VERSION}",
        "ir_hash": case.ir_hash,
        "manifest_ir_hash": manifest.get("ir_hash"),
    })
    atomic_write_text(results_path, json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


def _failure(summary: dict) -> str:
    first = summary["first_divergence"]
    where = ("sample {sample}, step {step}, layer {layer}, neuron {neuron}: {field} expected {expected}, "
             "actual {actual}".format(**first)) if first else "no value divergence"
    msg = f"{summary['mismatches']} of {summary['values_compared']} values differ; first divergence: {where}"
    return msg + (f"; protocol: {'; '.join(summary['protocol'])}" if summary["protocol"] else "")


@cocotb.test()
async def core_matches_reference(dut) -> None:
    """Drive the case's samples back to back and compare everything the core emits.

    Without ``SCNC_MANIFEST`` but with ``SCNC_BATCH`` (a JSON file listing ``{"prefix", "manifest",
    "case", "results"}`` per core), every core of a batch wrapper is checked concurrently.
    """
    if os.environ.get("SCNC_BATCH"):
        jobs = json.loads(_env_path("SCNC_BATCH").read_text())
    else:
        jobs = [{"prefix": "", "manifest": str(_env_path("SCNC_MANIFEST")), "case": str(_env_path("SCNC_CASE")),
                 "results": str(_env_path("SCNC_RESULTS"))}]
    loaded = [(job, json.loads(Path(job["manifest"]).read_text()), load_case(job["case"])) for job in jobs]
    for job, manifest, _ in loaded:
        tie_sinks_ready(dut, manifest, job["prefix"])
        getattr(dut, f"{job['prefix']}i_data__valid").value = 0
    await start_clock_and_reset(dut)
    tasks = [cocotb.start_soon(check_core(dut, manifest, case, Path(job["results"]), job["prefix"]))
             for job, manifest, case in loaded]
    failures = []
    for (job, _, _), task in zip(loaded, tasks):
        summary = await task
        if not summary["ok"]:
            failures.append(f"{job['prefix'] or 'core'}: {_failure(summary)}")
    assert not failures, " | ".join(failures)

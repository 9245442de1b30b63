"""The bulk trace path: a simulation-only wrapper that records ``trace`` beats to a file, read in numpy.

A W-digits sample emits 3,450 trace beats; a cocotb monitor that wakes Python for each of them made
the harness ~12x slower than the simulator itself. The wrapper :func:`recorder_wrapper` generates
(module :data:`RECORDER_TOP`, from the manifest) instantiates the core, passes every port through
unchanged (same names, so the bench drives and watches the real streams) and adds, for simulation
only:

* a recorder on ``trace``: at every rising edge where ``trace__valid & trace__ready``, it writes
  the payload as one hexadecimal line with ``$fwrite`` to the file named by the plusarg
  ``+scnc_trace=<path>`` (no file without it); no VPI, no DPI, no Python per beat;
* counters the bench awaits instead of beats: ``scnc_rec_beats`` (beats recorded) and
  ``scnc_rec_samples`` (complete samples: every ``beats_per_sample`` beats), so Python wakes once
  per sample;
* ``scnc_rec_flush`` (input): a rising edge with it high flushes the file, so the bench can read
  it while the simulator still runs;
* optionally (``hdl_clock=True``, what :func:`scnc.verify.verify_build` uses on Icarus; Verilator
  would need ``--timing``) the clock itself, ``clk`` toggled by the wrapper every half period
  instead of a cocotb clock calling into the simulator at every edge. On Verilator the wrapper
  keeps ``clk`` an input and scnc's Verilator main toggles it in C++
  (:data:`scnc.verify.runner.VERILATOR_MAIN`), which costs less than Verilator's timing scheduler.

``ready`` of ``trace`` stays a port the bench drives: tied high for the bulk of the samples, and
driven by the back-pressuring :class:`scnc_streams.StreamSink` on a seeded subset of them.
:func:`read_trace_file` parses the file into an array the scoreboard decodes in numpy.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from scnc.errors import DataError
from scnc.manifest import Manifest

__all__ = ["RECORDER_TOP", "PLUSARG", "PORT_BEATS", "PORT_SAMPLES", "PORT_FLUSH", "recorder_wrapper",
           "read_trace_file"]

#: Module name of the wrapper (the simulation's top level).
RECORDER_TOP = "scnc_bench_top"
#: Plusarg naming the trace file: ``+scnc_trace=<path>``.
PLUSARG = "scnc_trace"
#: Wrapper ports the bench reads / drives.
PORT_BEATS, PORT_SAMPLES, PORT_FLUSH = "scnc_rec_beats", "scnc_rec_samples", "scnc_rec_flush"
#: Width of the counters (bits): 2**32 beats is ~1.2 M W-digits samples, far beyond one run.
_COUNT_BITS = 32
#: Longest trace file path the wrapper holds (characters; a Verilog string register of 8 bits each).
MAX_PATH_CHARS = 1024


def recorder_wrapper(manifest: Manifest, *, hdl_clock: bool = False, period_ns: int = 10) -> str:
    """Verilog of the recorder wrapper around the core ``manifest.top`` (see the module docstring).

    Parameters
    ----------
    manifest:
        The core's manifest (ports, trace payload width, trace beats per sample).
    hdl_clock:
        Generate ``clk`` inside the wrapper (period ``period_ns``, rising edges at multiples of
        ``period_ns``; needs delay support: Icarus, Verilator with ``--timing``) instead of taking
        it as an input.
    period_ns:
        Clock period (ns) of ``hdl_clock``; must be even (two equal half periods).

    Raises
    ------
    DataError
        The core has no ``trace`` stream (nothing to record), or ``period_ns`` is not a positive even
        number.
    """
    if not manifest.has_trace:
        raise DataError(f"core {manifest.top!r} has no trace stream: the recorder wrapper needs one")
    if not (isinstance(period_ns, int) and period_ns > 0 and period_ns % 2 == 0):
        raise DataError(f"period_ns must be a positive even integer (ns), got {period_ns!r}")
    tr = manifest.trace
    width = tr.payload.width
    per = tr.beats_per_sample
    names, decls, conns = [], [], []
    for p in manifest.ports:
        rng = f"[{p.width - 1}:0] " if p.width > 1 else ""
        conns.append(f".{p.name}({p.name})")
        if p.name == "clk" and hdl_clock:
            # starts high: the first edge is a falling one at period/2, rising edges at k * period
            decls.append(f"  reg clk = 1'b1;\n  always #{period_ns // 2} clk = ~clk;")
            continue
        names.append(p.name)
        decls.append(f"  {p.direction} {rng}{p.name};")
    c = _COUNT_BITS
    names += [PORT_BEATS, PORT_SAMPLES, PORT_FLUSH]
    lines = [
        f"// scnc bench wrapper of {manifest.top}: ports passed through; simulation-only trace recorder",
        f"// ({width}-bit beats, {per} per sample, written as hex lines to +{PLUSARG}=<path>)",
        f"module {RECORDER_TOP}({', '.join(names)});",
        *decls,
        f"  output reg [{c - 1}:0] {PORT_BEATS};",
        f"  output reg [{c - 1}:0] {PORT_SAMPLES};",
        f"  input {PORT_FLUSH};",
        f"  reg [{c - 1}:0] scnc_rec_in_sample;",
        "  integer scnc_rec_fd;",
        f"  reg [{8 * MAX_PATH_CHARS - 1}:0] scnc_rec_path;",
        f"  {manifest.top} core (\n    " + ",\n    ".join(conns) + "\n  );",
        "  initial begin",
        f"    {PORT_BEATS} = 0;",
        f"    {PORT_SAMPLES} = 0;",
        "    scnc_rec_in_sample = 0;",
        "    scnc_rec_fd = 0;",
        f'    if ($value$plusargs("{PLUSARG}=%s", scnc_rec_path)) begin',
        '      scnc_rec_fd = $fopen(scnc_rec_path, "w");',
        "    end",
        "  end",
        "  // sampled at the rising edge, like the core sees the handshake (=== : X/Z never counts as a beat)",
        "  always @(posedge clk) begin",
        "    if (trace__valid === 1'b1 && trace__ready === 1'b1) begin",
        '      if (scnc_rec_fd != 0) $fwrite(scnc_rec_fd, "%h\\n", trace__payload);',
        f"      {PORT_BEATS} <= {PORT_BEATS} + 1;",
        f"      if (scnc_rec_in_sample == {per - 1}) begin",
        "        scnc_rec_in_sample <= 0;",
        f"        {PORT_SAMPLES} <= {PORT_SAMPLES} + 1;",
        "      end else begin",
        "        scnc_rec_in_sample <= scnc_rec_in_sample + 1;",
        "      end",
        "    end",
        f"    if ({PORT_FLUSH} === 1'b1 && scnc_rec_fd != 0) $fflush(scnc_rec_fd);",
        "  end",
        "endmodule",
        "",
    ]
    return "\n".join(lines)


def read_trace_file(path: str | os.PathLike, width: int) -> tuple[np.ndarray | list, list[str]]:
    """Parse a recorder file: ``(beats, problems)``.

    ``beats`` is an int64 array (a list of Python ints when ``width`` > 63 bits) in arrival order;
    a line that is not a hexadecimal number (X/Z bits print as ``x``/``z``) becomes ``-1`` and is
    named in ``problems`` (at most the first three), so the scoreboard reports it at its position.
    A missing file reads as no beats, with a problem saying so.
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        return np.zeros(0, np.int64), [f"trace: recorder file {p} unreadable: {exc}"]
    lines = text.split()
    problems = []
    if width <= 63 and lines:
        try:
            return np.array([int(s, 16) for s in lines], np.int64), problems
        except ValueError:
            pass  # fall through to the line-by-line parse that names the bad lines
    beats: list[int] = []
    bad = 0
    for k, s in enumerate(lines):
        try:
            beats.append(int(s, 16))
        except ValueError:
            beats.append(-1)
            bad += 1
            if bad <= 3:
                problems.append(f"trace: beat {k} has unknown bits ({s!r})")
    if bad > 3:
        problems.append(f"trace: {bad} beats with unknown bits in all")
    return (np.array(beats, np.int64) if width <= 63 else beats), problems

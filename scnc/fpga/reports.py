"""Parsing what yosys and nextpnr write: cell statistics, utilisation, Fmax, placement failures.

Pure functions over text / JSON (no tools run here), so they are unit-tested on recorded output.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from ..errors import ToolError
from .devices import Device

__all__ = [
    "CellCounts",
    "cell_counts",
    "parse_yosys_stat",
    "parse_utilisation",
    "parse_fmax",
    "parse_cross_domain",
    "group_cells",
    "resource_overflow",
]


@dataclass(frozen=True)
class CellCounts:
    """Mapped cells of a synthesized design (counts of yosys cells).

    Members
    -------
    luts, ffs, brams, dsps, sprams, carries:
        LUTs, flip-flops, block RAMs, DSP blocks, large single-port RAMs, carry cells.
    by_type:
        Every cell type -> count (``$scopeinfo`` left out).
    """

    luts: int
    ffs: int
    brams: int
    dsps: int
    sprams: int
    carries: int
    by_type: dict


def parse_yosys_stat(text: str, top: str | None = None) -> dict:
    """``{cell type: count}`` from the output of yosys ``stat -json``.

    Parameters
    ----------
    text:
        The JSON yosys wrote (``tee -o stat.json stat -json``).
    top:
        Module to read (default: the ``design`` totals, else the only module).

    Raises
    ------
    ToolError
        The text is not yosys ``stat -json`` output.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ToolError(f"yosys stat output is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ToolError("yosys stat output: expected a JSON object")
    if top is not None:
        mods = doc.get("modules", {})
        entry = mods.get(top) or mods.get("\\" + top)
    else:
        entry = doc.get("design")
        if entry is None and len(doc.get("modules", {})) == 1:
            entry = next(iter(doc["modules"].values()))
    if not isinstance(entry, dict) or not isinstance(entry.get("num_cells_by_type"), dict):
        raise ToolError(f"yosys stat output has no cell counts for {top or 'the design'!r}")
    return {k: int(v) for k, v in entry["num_cells_by_type"].items() if k != "$scopeinfo"}


def cell_counts(by_type: dict, device: Device) -> CellCounts:
    """Sort a ``{cell type: count}`` table into LUTs, FFs, BRAMs, DSPs for ``device``."""

    def total(pred) -> int:
        return sum(n for t, n in by_type.items() if pred(t))

    return CellCounts(
        luts=total(lambda t: t == device.lut_cell),
        ffs=total(lambda t: t.startswith(device.ff_prefixes)),
        brams=total(lambda t: t in device.bram_cells),
        dsps=total(lambda t: t in device.dsp_cells),
        sprams=total(lambda t: t in device.spram_cells),
        carries=total(lambda t: t in ("SB_CARRY", "CCU2C")),
        by_type=dict(sorted(by_type.items())),
    )


def group_cells(netlist_text: str, top: str, cell_types: tuple[str, ...]) -> dict:
    """Where cells of the given types come from: ``{instance path: count}`` from a yosys JSON netlist.

    Memory slices (``core.layer0.weights.0.3``) are grouped under their memory
    (``core.layer0.weights``); other cells under their hierarchical prefix (``core.layer0``).
    """
    doc = json.loads(netlist_text)
    mod = doc.get("modules", {}).get(top)
    if mod is None:
        raise ToolError(f"yosys netlist has no module {top!r}")
    groups: Counter = Counter()
    for name, cell in mod.get("cells", {}).items():
        if cell.get("type") not in cell_types:
            continue
        parts = name.split(".")
        while len(parts) > 1 and (parts[-1].isdigit() or "$" in parts[-1]):
            parts.pop()
        groups[".".join(parts)] += 1
    return dict(sorted(groups.items()))


_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)\s*/\s*(\d+)\s+\d+%\s*$")


def parse_utilisation(log_text: str) -> dict:
    """``{resource: (used, available)}`` from nextpnr's "Device utilisation" block (the last one).

    It is printed after packing, before placement, so it is there even when placement fails.
    """
    blocks: list[dict] = []
    current: dict | None = None
    for line in log_text.splitlines():
        if "Device utilisation" in line:
            current = {}
            blocks.append(current)
            continue
        if current is not None:
            m = _UTIL.match(line.strip("\r"))
            if m:
                current[m.group(1)] = (int(m.group(2)), int(m.group(3)))
            elif current:
                current = None
    return blocks[-1] if blocks else {}


def resource_overflow(used: dict, available: dict) -> dict:
    """``{resource: (used, available)}`` of every resource used beyond what is available."""
    return {k: (int(used[k]), int(available[k])) for k in sorted(used)
            if k in available and int(used[k]) > int(available[k])}


_FMAX = re.compile(r"Max frequency for clock\s+'([^']+)':\s+([\d.]+)\s+MHz")
_DELAY = re.compile(r"Max delay\s+(posedge|negedge|<async>)\s*([^\s]*)\s*->\s*(posedge|negedge|<async>)\s*([^\s:]*)\s*:\s*([\d.]+)\s*ns")


def parse_fmax(report: dict | None, log_text: str = "") -> dict:
    """``{clock net: achieved Fmax in MHz}`` from nextpnr's ``--report`` JSON, else from its log.

    The log is printed twice (after placement and after routing); the last value of each clock wins.
    """
    out: dict = {}
    if report and isinstance(report.get("fmax"), dict):
        for clk, v in report["fmax"].items():
            if isinstance(v, dict) and "achieved" in v:
                out[clk] = float(v["achieved"])
    if not out:
        for m in _FMAX.finditer(log_text):
            out[m.group(1)] = float(m.group(2))
    return out


def parse_cross_domain(log_text: str) -> list:
    """``[(from clock, to clock, ns)]``: nextpnr's "Max delay" lines between distinct clock domains.

    Only the lines after the last "Critical path report" heading that precedes them are kept (the
    post-route ones). A domain named after a constant net (``$PACKER_GND_NET``) is the clock pin of a
    combinational DSP tied low: nextpnr splits paths through such a DSP into two "domains".
    """
    lines = log_text.splitlines()
    last_route = max((i for i, ln in enumerate(lines) if "Routing complete" in ln or "Router2 time" in ln
                      or "Route time" in ln), default=0)
    found: list = []
    for ln in lines[last_route:]:
        m = _DELAY.search(ln)
        if m:
            found.append((m.group(2) or m.group(1), m.group(4) or m.group(3), float(m.group(5))))
    if not found:
        for ln in lines:
            m = _DELAY.search(ln)
            if m:
                found.append((m.group(2) or m.group(1), m.group(4) or m.group(3), float(m.group(5))))
    return found


def constant_clock_period_ns(cross: list, clock: str) -> float:
    """A conservative period (ns) for paths that run ``clock`` -> constant-clocked DSP -> ``clock``.

    nextpnr reports such a path as two cross-domain delays; their sum bounds the real path.
    0.0 when there is no such pair.
    """
    into: dict = {}
    outof: dict = {}
    for src, dst, ns in cross:
        if src == clock and "PACKER_" in dst:
            into[dst] = max(into.get(dst, 0.0), ns)
        elif dst == clock and "PACKER_" in src:
            outof[src] = max(outof.get(src, 0.0), ns)
    return max((into[k] + outof[k] for k in into if k in outof), default=0.0)

"""Argument types for the CLI: every value is checked when it is parsed, before anything is loaded,
trained or allocated, and a bad one is an argparse error (exit 2) that names the option and the value.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path
from typing import Callable

__all__ = [
    "integer",
    "number",
    "hidden_sizes",
    "checkpoint_output",
    "folder_output",
    "verilog_identifier",
    "MAX_TOP_LENGTH",
]

_Error = argparse.ArgumentTypeError


def _shown(text: str, limit: int = 40) -> str:
    """``repr(text)`` cut to ``limit`` characters (a pasted blob must not flood the message)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _shown_path(path: object, limit: int = 200) -> str:
    """A path for a message: whole up to ``limit`` characters, else its head and its tail."""
    text = str(path)
    return repr(text) if len(text) <= limit else f"'{text[:80]}...{text[-80:]}' ({len(text)} characters)"


def _bounds(lo: float | None, hi: float | None, lo_open: bool) -> str:
    """`` in [lo, hi]``, `` > lo``, ... (with its leading space), or ``""`` when unbounded."""
    if lo is not None and hi is not None:
        return f" in {'(' if lo_open else '['}{lo:g}, {hi:g}]"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo:g}"
    return f" <= {hi:g}" if hi is not None else ""


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An ``int`` type for argparse, within ``[lo, hi]`` (either bound may be ``None``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise _Error(f"expected an integer{_bounds(lo, hi, False)}, got {_shown(text)}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _Error(f"must be an integer{_bounds(lo, hi, False)}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Callable[[str], float]:
    """A finite ``float`` type for argparse, within ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``).

    NaN and infinities are always refused: no option of scnc means anything by them, and NaN
    passes every ``<`` comparison silently (``--min-accuracy nan`` used to check nothing).
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise _Error(f"expected a number{_bounds(lo, hi, lo_open)}, got {_shown(text)}") from None
        bad = not math.isfinite(value)
        bad = bad or (lo is not None and (value <= lo if lo_open else value < lo))
        bad = bad or (hi is not None and value > hi)
        if bad:
            raise _Error(f"must be a finite number{_bounds(lo, hi, lo_open)}, got {_shown(text)}")
        return value

    parse.__name__ = "number"
    return parse


def hidden_sizes(text: str) -> tuple[int, ...]:
    """``"256,128"`` -> ``(256, 128)``; ``""`` -> ``()`` (no hidden layer).

    Every item must be an integer >= 1: an empty item (``"10,,5"``) is refused, not skipped.
    The network's total size is bounded later, against the memory it needs (:mod:`._limits`).
    """
    if not text.strip():
        return ()
    sizes = []
    for i, item in enumerate(text.split(","), start=1):
        try:
            size = int(item)
        except ValueError:
            what = "is empty" if not item.strip() else f"is {_shown(item.strip())}"
            raise _Error(f"expected comma-separated integers like '128' or '256,128', but item {i} {what} "
                         f"in {_shown(text)}") from None
        if size < 1:
            raise _Error(f"layer sizes must be >= 1, but item {i} is {size} in {_shown(text)}")
        sizes.append(size)
    return tuple(sizes)


def _check_creatable(path: Path) -> None:
    """Refuse a path that cannot be created because an existing ancestor is a file, not a folder."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            if not parent.is_dir():
                raise _Error(f"cannot write {_shown_path(path)}: {_shown_path(parent)} is a file, not a folder")
            return


def _nonempty_path(text: str) -> Path:
    if not text.strip():
        raise _Error("the output path is empty; name a file or folder, e.g. -o out/")
    if "\0" in text:
        raise _Error(f"the output path {_shown_path(text)} contains a NUL character")
    return Path(text)


def checkpoint_output(text: str) -> Path:
    """``-o`` of a checkpoint (``<stem>.npz`` + ``<stem>.json``): a path both files can be written to."""
    from ..transfer.checkpoint import checkpoint_paths

    path = _nonempty_path(text)
    for file in checkpoint_paths(path):
        _check_creatable(file)
        if file.is_dir():
            raise _Error(f"{_shown_path(file)} is a folder; a checkpoint is written as two files "
                         "(<name>.npz + <name>.json), give a file name")
    return path


def folder_output(text: str) -> Path:
    """``-o`` of a command that writes a folder: not an existing file, and creatable."""
    path = _nonempty_path(text)
    _check_creatable(path)
    if path.exists() and not path.is_dir():
        raise _Error(f"{_shown_path(text)} exists and is a file; this command writes a folder, name a new one")
    return path


#: Longest ``--top`` accepted: it names ``<top>.v`` and temporary files beside it, and tool scripts.
MAX_TOP_LENGTH = 128

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Verilog-2005 and SystemVerilog-2017 reserved words: none may name the top module (Verilator and
#: yosys parse the core as SystemVerilog; yosys would escape the name, and tool scripts would break).
_VERILOG_KEYWORDS = frozenset("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before begin
bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class clocking cmos
config const constraint context continue cover covergroup coverpoint cross deassign default defparam design
disable dist do edge else end endcase endchecker endclass endclocking endconfig endfunction endgenerate
endgroup endinterface endmodule endpackage endprimitive endprogram endproperty endsequence endspecify
endtable endtask enum event eventually expect export extends extern final first_match for force foreach
forever fork forkjoin function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins
implements implies import incdir include initial inout input inside instance int integer interconnect
interface intersect join join_any join_none large let liblist library local localparam logic longint
macromodule matches medium modport module nand negedge nettype new nexttime nmos nor noshowcancelled not
notif0 notif1 null or output package packed parameter pmos posedge primitive priority program property
protected pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase
randsequence rcmos real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran
rtranif0 rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence shortint shortreal
showcancelled signed small soft solve specify specparam static string strong strong0 strong1 struct super
supply0 supply1 sync_accept_on sync_reject_on table tagged task this throughout time timeprecision timeunit
tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef union unique unique0 unsigned until
until_with untyped use uwire var vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard
wire with within wor xnor xor
""".split())


def verilog_identifier(text: str) -> str:
    """``--top``: a plain Verilog identifier of 1..:data:`MAX_TOP_LENGTH` characters, not a keyword.

    The name is pasted into the Verilog, file names and yosys scripts, so escaped identifiers and
    anything else are refused.
    """
    if not (0 < len(text) <= MAX_TOP_LENGTH and _IDENTIFIER.fullmatch(text)):
        raise _Error(f"must be a Verilog identifier ([A-Za-z_][A-Za-z0-9_]*) of 1..{MAX_TOP_LENGTH} characters, "
                     f"got {_shown(text)}")
    if text in _VERILOG_KEYWORDS:
        raise _Error(f"{text!r} is a Verilog keyword; choose another module name")
    return text

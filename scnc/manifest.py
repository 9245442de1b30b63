"""The typed manifest of a build folder, and the beat layouts of its streams (``docs/rtl.md``).

``scnc compile`` writes ``manifest.json`` beside ``<top>.v``; everything downstream (``scnc verify``,
the cocotb bench in ``sim/``, ``scnc synth`` / ``build-bitstream``, ``scnc hil``) reads it through
:meth:`Manifest.load`, which validates it field by field and refuses a build folder that could lie:

* every field has the type and range its readers rely on; unknown and missing fields are refused;
* the files it names are plain relative paths inside the build folder (no ``..``, no absolute path,
  no symlink leading out of the folder) and hash to the SHA-256 recorded at compile time, so a
  truncated, swapped or edited ``.v`` or IR file is refused before any tool sees it;
* ``top`` is a legal Verilog identifier and not a keyword (it is pasted into tool scripts);
* the ports equal the ports the Verilog module actually declares, and the streams, layers, graph
  sizes and cycle counts agree with each other.

Every problem raises :class:`scnc.errors.BuildError` naming the file, the field and what was
expected. :class:`BeatLayout` is the one encoder/decoder of ``i_data`` / ``o_data`` / ``trace`` beats.

A leaf: imports only the standard library, numpy, :mod:`scnc._io`, :mod:`scnc.errors` and
:mod:`scnc.kinds`, so verify, hil, fpga and the cocotb benches can read a build without Amaranth.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ._io import JSONLimitError, canonical_json, read_json
from .errors import BuildError, DataError
from .kinds import Encoding, Engine, InputCoding, LeakKind, ResetMode, SNGKind

__all__ = [
    "MANIFEST_FORMAT",
    "PREVIOUS_FORMATS",
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "MAX_VERILOG_BYTES",
    "VERILOG_KEYWORDS",
    "BeatField",
    "BeatLayout",
    "Stream",
    "Port",
    "Memory",
    "LayerInfo",
    "GraphInfo",
    "StepCycles",
    "Cycles",
    "Files",
    "Manifest",
    "ODataBeats",
    "check_top_name",
    "is_build_folder",
    "sha256_file",
]

#: Format tag written by this version. Version 2 added ``files.sha256`` (hashes of the Verilog and IR).
MANIFEST_FORMAT = "scnc-rtl-manifest/2"
#: Formats scnc wrote before: recognised as scnc builds (``scnc compile`` may replace them) but not read.
PREVIOUS_FORMATS = ("scnc-rtl-manifest/1",)
MANIFEST_NAME = "manifest.json"
#: Largest ``manifest.json`` read (bytes); a real one is a few kB per layer.
MAX_MANIFEST_BYTES = 4 << 20
#: Deepest nesting read; scnc's manifest nests 6 levels.
MAX_MANIFEST_DEPTH = 16
#: Largest ``<top>.v`` hashed and parsed (bytes); W-mnist's core (1.4 Mbit of weight ROM) is ~40 MB.
MAX_VERILOG_BYTES = 1 << 30

# Ranges: generous bounds that keep every reader's arithmetic and allocations sane.
_MAX_WIDTH = 1 << 20  # bits of one port or beat
_MAX_COUNT = 1 << 40  # beats, depths, cycles per step
_MAX_CYCLES = 1 << 62  # cycles per sample
_MAX_NEURONS = 1 << 24
_MAX_LAYERS = 4096
_MAX_TIMESTEPS = 1 << 24
_MAX_TEXT = 4096  # descriptive strings
_MAX_NAME = 128  # identifiers, file names

#: Verilog-2005 and SystemVerilog-2017 reserved words: none may name the top module (Verilator and
#: yosys parse the core as SystemVerilog).
VERILOG_KEYWORDS = frozenset("""
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

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FILE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_HEX64 = re.compile(r"[0-9a-f]{64}")

# The ports every core has (name -> direction); a trace build adds _TRACE_PORTS.
_CORE_PORTS = {"clk": "input", "rst": "input", "i_data__payload": "input", "i_data__valid": "input",
               "i_data__ready": "output", "o_data__payload": "output", "o_data__valid": "output",
               "o_data__ready": "input", "start": "output", "busy": "output", "done": "output"}
_TRACE_PORTS = {"trace__payload": "output", "trace__valid": "output", "trace__ready": "input"}
# The payload fields of each stream (the generator's layouts, docs/rtl.md).
_STREAM_FIELDS = {"i_data": ("value",), "o_data": ("data", "last"),
                  "trace": ("layer", "neuron", "step", "membrane", "spike", "saturated")}
_STREAM_DIRECTION = {"i_data": "input", "o_data": "output", "trace": "output"}


def check_top_name(top: object, *, where: object = "top_name", field: str | None = None) -> str:
    """Return ``top`` if it is a legal, unescaped Verilog identifier of at most 128 characters and
    not a Verilog/SystemVerilog keyword; raise :class:`BuildError` naming ``where``/``field`` otherwise.

    ``top`` is pasted into yosys scripts, wrappers and testbench tops, so nothing else is accepted.
    """
    if not isinstance(top, str):
        raise BuildError(where, field, f"must be a Verilog identifier (a string), got {type(top).__name__}")
    if not (0 < len(top) <= _MAX_NAME and _IDENT.fullmatch(top)):
        shown = top if len(top) <= 40 else top[:40] + "..."
        raise BuildError(where, field, f"must be a Verilog identifier of 1..{_MAX_NAME} characters "
                                       f"([A-Za-z_][A-Za-z0-9_]*), got {shown!r} ({len(top)} characters)")
    if top in VERILOG_KEYWORDS:
        raise BuildError(where, field, f"{top!r} is a Verilog keyword; choose another module name")
    return top


def sha256_file(path: Path, *, max_bytes: int | None = None) -> str:
    """SHA-256 (hex) of a file, read in 1 MiB chunks; ``max_bytes`` is checked from its size first."""
    if max_bytes is not None:
        size = path.stat().st_size
        if size > max_bytes:
            raise BuildError(path, None, f"is {size} bytes; scnc reads at most {max_bytes} bytes here")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- beat layouts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BeatField:
    """One field of a beat: ``width`` bits at bit ``offset`` (LSB first); ``signed``: two's complement."""

    name: str
    offset: int
    width: int
    signed: bool

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    def to_dict(self) -> dict:
        return {"name": self.name, "offset": self.offset, "width": self.width, "signed": self.signed}


@dataclass(frozen=True)
class BeatLayout:
    """The payload of one stream: ``width`` bits holding ``fields`` (disjoint bit ranges)::

        bit   width-1 ...  offset+width-1 ... offset ... 0
              [ unused ][       field            ][ ... ]

    The one encoder (:meth:`encode`) and decoder (:meth:`decode`, :meth:`decode_many`) of beats:
    testbenches, the HIL host and the scoreboard all go through it.
    """

    width: int
    fields: tuple[BeatField, ...]

    def field(self, name: str) -> BeatField:
        """The field ``name`` (``KeyError`` when the layout has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"beat layout has no field {name!r} (fields: {[f.name for f in self.fields]})")

    def encode(self, values: Mapping[str, int]) -> int:
        """Pack ``{field: value}`` into a beat (missing fields are 0; signed fields take negatives).

        Raises
        ------
        DataError
            An unknown field, or a value that does not fit its field.
        """
        names = {f.name for f in self.fields}
        unknown = sorted(set(values) - names)
        if unknown:
            raise DataError(f"beat fields {unknown} do not exist; the layout has {sorted(names)}")
        word = 0
        for f in self.fields:
            v = int(values.get(f.name, 0))
            lo, hi = (-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1) if f.signed else (0, f.mask)
            if not lo <= v <= hi:
                raise DataError(f"beat field {f.name!r} = {v} does not fit {f.width} "
                                f"{'signed' if f.signed else 'unsigned'} bits ({lo}..{hi})")
            word |= (v & f.mask) << f.offset
        return word

    def decode(self, word: int) -> dict[str, int]:
        """Unpack one beat into ``{field: value}`` (signed fields sign-extended).

        Raises
        ------
        DataError
            ``word`` is negative or has bits set at or above ``width``.
        """
        word = int(word)
        if word < 0 or word >> self.width:
            raise DataError(f"beat {word:#x} does not fit the {self.width}-bit payload")
        out = {}
        for f in self.fields:
            v = (word >> f.offset) & f.mask
            if f.signed and v >> (f.width - 1):
                v -= 1 << f.width
            out[f.name] = v
        return out

    def decode_many(self, words: Sequence[int], names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Unpack beats into one array per field (int64; ``object`` for fields wider than 63 bits).

        Bits above ``width`` are ignored here (a monitor samples exactly ``width`` bits); use
        :meth:`decode` to check one beat strictly.
        """
        chosen = self.fields if names is None else tuple(self.field(n) for n in names)
        out = {}
        if isinstance(words, np.ndarray) and words.dtype.kind in "iu" and self.width <= 63:
            # the bulk trace path hands over millions of beats as one array: decode vectorised
            w = words.astype(np.int64, copy=False)
            for f in chosen:
                v = (w >> f.offset) & f.mask
                if f.signed:
                    v = np.where(v >> (f.width - 1) != 0, v - (1 << f.width), v)
                out[f.name] = v
            return out
        for f in chosen:
            vals = [(int(w) >> f.offset) & f.mask for w in words]
            if f.signed:
                half = 1 << (f.width - 1)
                vals = [v - (1 << f.width) if v >= half else v for v in vals]
            out[f.name] = np.array(vals, dtype=np.int64 if f.width <= 63 else object)
        return out

    def to_dict(self) -> dict:
        return {"width": self.width, "fields": [f.to_dict() for f in self.fields]}


@dataclass(frozen=True)
class Stream:
    """A valid/ready stream of the core: direction, payload layout, beats per sample, beat meaning."""

    name: str
    direction: str
    payload: BeatLayout
    beats_per_sample: int
    beat: str

    def to_dict(self) -> dict:
        return {"direction": self.direction, "payload": self.payload.to_dict(),
                "beats_per_sample": self.beats_per_sample, "beat": self.beat}


@dataclass(frozen=True)
class Port:
    """A port of the top module: name, ``"input"``/``"output"``, width in bits."""

    name: str
    direction: str
    width: int

    def to_dict(self) -> dict:
        return {"name": self.name, "direction": self.direction, "width": self.width}


@dataclass(frozen=True)
class Memory:
    """A memory of a layer engine: ``depth`` words of ``width`` bits."""

    depth: int
    width: int

    def to_dict(self) -> dict:
        return {"depth": self.depth, "width": self.width}


@dataclass(frozen=True)
class LayerInfo:
    """One layer engine: sizes, parallelism, schedule (cycles), memories, widths (bits), variants."""

    index: int
    name: str
    n_in: int
    n_out: int
    parallel_inputs: int
    parallel_neurons: int
    input_groups: int
    neuron_groups: int
    blocks_per_step: int
    cycles_per_block: int
    cycles_per_step: int
    weight_rom: Memory
    membrane_ram: Memory
    weight_bits: int
    membrane_bits: int
    current_bits: int
    leak: LeakKind
    reset: ResetMode
    multipliers: int

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in _LAYER_INTS}
        d.update(name=self.name, weight_rom=self.weight_rom.to_dict(), membrane_ram=self.membrane_ram.to_dict(),
                 leak=str(self.leak), reset=str(self.reset))
        return d


_LAYER_INTS = ("index", "n_in", "n_out", "parallel_inputs", "parallel_neurons", "input_groups", "neuron_groups",
               "blocks_per_step", "cycles_per_block", "cycles_per_step", "weight_bits", "membrane_bits",
               "current_bits", "multipliers")


@dataclass(frozen=True)
class GraphInfo:
    """The network the core computes: ``timesteps`` T, stream length L, variants, sizes, labels."""

    timesteps: int
    stream_length: int
    encoding: Encoding
    sng: SNGKind
    input_sng: SNGKind
    input_coding: InputCoding
    input_bits: int | None
    n_inputs: int
    n_outputs: int
    count_bits: int
    class_labels: tuple
    #: The layer engine (``scnc.kinds.Engine``); stated in the file only when not ``"dense"`` (its default),
    #: so dense builds keep their manifest bytes.
    engine: Engine = Engine.DENSE

    def to_dict(self) -> dict:
        d = {"timesteps": self.timesteps, "stream_length": self.stream_length, "encoding": str(self.encoding),
             "sng": str(self.sng), "input_sng": str(self.input_sng), "input_coding": str(self.input_coding),
             "input_bits": self.input_bits, "n_inputs": self.n_inputs, "n_outputs": self.n_outputs,
             "count_bits": self.count_bits, "class_labels": list(self.class_labels)}
        if self.engine is not Engine.DENSE:
            d["engine"] = str(self.engine)
        return d


@dataclass(frozen=True)
class StepCycles:
    """Clock cycles of one time step (no stall): input stage, each layer, the output beat, total."""

    input: int
    layers: tuple[int, ...]
    output: int
    total: int

    def to_dict(self) -> dict:
        return {"input": self.input, "layers": list(self.layers), "output": self.output, "total": self.total}


@dataclass(frozen=True)
class Cycles:
    """Exact clock cycles with every stream ready: per step, per sample (= latency), and how counted."""

    per_step: StepCycles
    per_sample: int
    latency_per_sample: int
    note: str

    def to_dict(self) -> dict:
        return {"per_step": self.per_step.to_dict(), "per_sample": self.per_sample,
                "latency_per_sample": self.latency_per_sample, "note": self.note}


@dataclass(frozen=True)
class Files:
    """Files of the build (paths relative to the build folder) and the SHA-256 of the checked ones.

    ``sha256`` holds the Verilog and both IR files (the README is documentation, not checked).
    """

    verilog: str
    ir: tuple[str, ...]
    readme: str
    sha256: Mapping[str, str]

    def to_dict(self) -> dict:
        return {"verilog": self.verilog, "ir": list(self.ir), "readme": self.readme,
                "sha256": {k: self.sha256[k] for k in sorted(self.sha256)}}


@dataclass(frozen=True)
class ODataBeats:
    """``o_data`` beats decoded per sample: ``B = ceil(beats / (T + 1))`` samples.

    Members
    -------
    spikes:
        uint8 ``(B, T, n_out)``: output spike ``i`` at step ``t`` (0 where the beat is missing).
    counts:
        int64 ``(B, n_out)``: the counts beat (0 where missing).
    last:
        int64 ``(B, T + 1)``: the ``last`` flag of every beat (-1 where missing).
    spikes_present, counts_present:
        bool ``(B, T)`` / ``(B,)``: which beats arrived.
    """

    spikes: np.ndarray
    counts: np.ndarray
    last: np.ndarray
    spikes_present: np.ndarray
    counts_present: np.ndarray

    def bad_last(self) -> list[tuple[int, int]]:
        """``(sample, beat)`` of every arrived beat whose ``last`` flag is wrong (1 only on beat T)."""
        T = self.last.shape[1] - 1
        want = np.zeros(T + 1, np.int64)
        want[T] = 1
        bad = (self.last != want[None, :]) & (self.last >= 0)
        return [(int(b), int(t)) for b, t in np.argwhere(bad)]


# ---- the manifest -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    """Everything a testbench, driver or integrator needs to know about a generated core.

    Build one with :meth:`load` (a build folder, fully checked) or :meth:`from_dict` (fields only);
    write one with :meth:`to_json` (canonical JSON: identical manifests give identical bytes).
    Field meanings and units are listed in ``docs/rtl.md``.
    """

    format: str
    top: str
    files: Files
    clock: Mapping[str, str]
    reset: Mapping[str, str]
    ports: tuple[Port, ...]
    streams: tuple[Stream, ...]
    status: Mapping[str, str]
    handshake: str
    graph: GraphInfo
    layers: tuple[LayerInfo, ...]
    cycles: Cycles
    ir_hash: str
    versions: Mapping[str, str]
    options: Mapping[str, Any]
    lint: Mapping[str, Any]

    # -- views ----------------------------------------------------------------------------------
    def stream(self, name: str) -> Stream:
        """The stream ``name`` (``"i_data"``, ``"o_data"``, ``"trace"``); ``KeyError`` if absent."""
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"the core has no stream {name!r}")

    @property
    def i_data(self) -> Stream:
        return self.stream("i_data")

    @property
    def o_data(self) -> Stream:
        return self.stream("o_data")

    @property
    def has_trace(self) -> bool:
        """Whether the core has the ``trace`` stream (a verification build)."""
        return any(s.name == "trace" for s in self.streams)

    @property
    def trace(self) -> Stream | None:
        return self.stream("trace") if self.has_trace else None

    def port(self, name: str) -> Port | None:
        """The port ``name``, or ``None``."""
        for p in self.ports:
            if p.name == name:
                return p
        return None

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """``n_out`` of every layer, in order."""
        return tuple(ly.n_out for ly in self.layers)

    @property
    def ir_hash16(self) -> str:
        """The first 16 hex digits of the IR hash (what the UART bridge carries)."""
        return self.ir_hash[:16]

    def verilog_path(self, build_dir: str | os.PathLike) -> Path:
        """Path of the core's Verilog file in ``build_dir``."""
        return Path(build_dir) / self.files.verilog

    # -- o_data ---------------------------------------------------------------------------------
    def decode_o_data(self, words: Sequence[int], *, samples: int | None = None) -> ODataBeats:
        """Decode ``o_data`` beats in arrival order (``T`` step beats then a counts beat per sample).

        ``samples``: how many samples to lay out (beats past them are ignored; missing ones are
        marked absent); default ``ceil(len(words) / (T + 1))``.
        """
        T, n_out, cb = self.graph.timesteps, self.graph.n_outputs, self.graph.count_bits
        per = T + 1
        B = -(-len(words) // per) if samples is None else int(samples)
        words = words[: B * per]
        spikes = np.zeros((B, T, n_out), np.uint8)
        counts = np.zeros((B, n_out), np.int64)
        last = np.full((B, per), -1, np.int64)
        sp_present = np.zeros((B, T), bool)
        ct_present = np.zeros(B, bool)
        lay = self.o_data.payload
        fd, fl = lay.field("data"), lay.field("last")
        cmask = (1 << cb) - 1
        for k, w in enumerate(words):
            b, t = divmod(k, per)
            w = int(w)
            data = (w >> fd.offset) & fd.mask
            last[b, t] = (w >> fl.offset) & fl.mask
            if t < T:
                spikes[b, t] = [(data >> i) & 1 for i in range(n_out)]
                sp_present[b, t] = True
            else:
                counts[b] = [(data >> (i * cb)) & cmask for i in range(n_out)]
                ct_present[b] = True
        return ODataBeats(spikes, counts, last, sp_present, ct_present)

    def encode_o_data(self, spikes: np.ndarray, counts: np.ndarray) -> list[int]:
        """The ``T + 1`` ``o_data`` beats of one sample: spikes ``(T, n_out)`` 0/1, counts ``(n_out,)``."""
        T, n_out, cb = self.graph.timesteps, self.graph.n_outputs, self.graph.count_bits
        s = np.asarray(spikes)
        c = np.asarray(counts)
        if s.shape != (T, n_out) or c.shape != (n_out,):
            raise DataError(f"o_data of one sample needs spikes ({T}, {n_out}) and counts ({n_out},), "
                            f"got {s.shape} and {c.shape}")
        if c.size and (c.min() < 0 or c.max() >> cb):
            raise DataError(f"counts must be in 0..{(1 << cb) - 1} ({cb} bits)")
        lay = self.o_data.payload
        beats = [lay.encode({"data": sum(int(v) << i for i, v in enumerate(step)), "last": 0}) for step in s]
        beats.append(lay.encode({"data": sum(int(v) << (i * cb) for i, v in enumerate(c)), "last": 1}))
        return beats

    def encode_i_data(self, x: np.ndarray) -> list[int]:
        """The ``i_data`` beats of one sample: intensities ``(n_in,)`` (rate) or 0/1 spikes ``(T, n_in)``.

        Raises
        ------
        DataError
            Wrong shape or a value that does not fit.
        """
        g = self.graph
        a = np.asarray(x)
        lay = self.i_data.payload
        if g.input_coding is InputCoding.RATE:
            if a.shape != (g.n_inputs,):
                raise DataError(f"a rate-coded sample must be {g.n_inputs} intensities, got shape {a.shape}")
            if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >> g.input_bits):
                raise DataError(f"intensities must be integers in 0..{(1 << g.input_bits) - 1}")
            return [lay.encode({"value": int(v)}) for v in a]
        if a.shape != (g.timesteps, g.n_inputs):
            raise DataError(f"a spike-coded sample must have shape ({g.timesteps}, {g.n_inputs}), got {a.shape}")
        if a.size and not np.isin(a, (0, 1)).all():
            raise DataError("spikes must be 0 or 1")
        return [lay.encode({"value": sum(1 << int(j) for j in np.flatnonzero(step))}) for step in a]

    # -- (de)serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The manifest as the JSON-ready dict written to ``manifest.json``."""
        return {
            "format": self.format,
            "top": self.top,
            "files": self.files.to_dict(),
            "clock": dict(self.clock),
            "reset": dict(self.reset),
            "ports": [p.to_dict() for p in self.ports],
            "streams": {s.name: s.to_dict() for s in self.streams},
            "status": dict(self.status),
            "handshake": self.handshake,
            "graph": self.graph.to_dict(),
            "layers": [ly.to_dict() for ly in self.layers],
            "cycles": self.cycles.to_dict(),
            "ir_hash": self.ir_hash,
            "versions": dict(self.versions),
            "options": dict(self.options),
            "lint": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.lint.items()},
        }

    def to_json(self) -> str:
        """Canonical JSON text of :meth:`to_dict` (sorted keys: byte-identical for equal manifests)."""
        return canonical_json(self.to_dict())

    def with_hashes(self, sha256: Mapping[str, str]) -> "Manifest":
        """A copy with ``files.sha256`` replaced (the compiler fills it once the files are written)."""
        return replace(self, files=replace(self.files, sha256=dict(sha256)))

    @classmethod
    def from_dict(cls, d: object, *, path: object = MANIFEST_NAME) -> "Manifest":
        """Validate a parsed ``manifest.json`` field by field (no file access) and build the manifest.

        Raises
        ------
        BuildError
            The first problem found: names ``path``, the dotted field and what was expected.
        """
        return _Reader(path).manifest(d)

    @classmethod
    def load(cls, build_dir: str | os.PathLike, *, check_files: bool = True) -> "Manifest":
        """Read and check ``<build_dir>/manifest.json``.

        Checks every field (:meth:`from_dict`); with ``check_files`` also that each file it names is a
        regular file inside ``build_dir`` whose SHA-256 equals the recorded one, and that the ports
        equal those the top module of ``<top>.v`` declares.

        Raises
        ------
        BuildError
            No such folder, no manifest, a format scnc no longer reads (re-run ``scnc compile``), or
            any failed check; the message names the file, the field and what was expected.
        """
        d = Path(build_dir)
        if str(build_dir) == "":
            raise BuildError("''", None, "the build folder path is empty")
        if not d.is_dir():
            raise BuildError(d, None, "does not exist or is not a folder: expected a build folder written by "
                                      "scnc compile (manifest.json, <top>.v, ir/)")
        path = d / MANIFEST_NAME
        if path.is_symlink() or not path.is_file():
            raise BuildError(path, None, "not found (or not a regular file): this is not a build folder "
                                         "written by scnc compile")
        try:
            raw = read_json(path, max_bytes=MAX_MANIFEST_BYTES, max_depth=MAX_MANIFEST_DEPTH)
        except JSONLimitError as exc:
            raise BuildError(path, None, str(exc)) from None
        except OSError as exc:
            raise BuildError(path, None, f"cannot be read ({exc.strerror or exc})") from None
        man = _Reader(path).manifest(raw)
        if check_files:
            man._check_files(d, path)
        return man

    # -- file checks --------------------------------------------------------------------------------
    def _check_files(self, d: Path, man_path: Path) -> None:
        root = d.resolve()
        for rel in (self.files.verilog, *self.files.ir):
            f = d / rel
            fld = f"files.sha256.{rel}"
            try:
                real = f.resolve(strict=True)
            except (OSError, RuntimeError):
                raise BuildError(man_path, "files", f"names {rel!r}, which does not exist in {d}") from None
            if root != real and root not in real.parents:
                raise BuildError(man_path, "files", f"names {rel!r}, which leads out of the build folder "
                                                    f"(to {real}); files must stay inside {d}")
            if not real.is_file():
                raise BuildError(man_path, "files", f"names {rel!r}, which is not a regular file")
            digest = sha256_file(real, max_bytes=MAX_VERILOG_BYTES)
            if digest != self.files.sha256[rel]:
                raise BuildError(f, None, f"has SHA-256 {digest[:16]}..., the manifest ({fld}) records "
                                          f"{self.files.sha256[rel][:16]}...: the file was changed, truncated or "
                                          "replaced after scnc compile; re-run scnc compile")
        self._check_verilog_ports(d / self.files.verilog)

    def _check_verilog_ports(self, vpath: Path) -> None:
        text = vpath.read_text(encoding="utf-8", errors="replace")
        m = re.search(rf"^module {re.escape(self.top)}\s*\(([^)]*)\);(.*?)^endmodule", text, re.M | re.S)
        if m is None:
            raise BuildError(vpath, None, f"declares no module {self.top!r} (the manifest's top)")
        header = [p.strip() for p in m.group(1).split(",") if p.strip()]
        decl = {}
        for dm in re.finditer(r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?"
                              r"(?:\[(\d+):(\d+)\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*;", m.group(2), re.M):
            hi, lo = dm.group(2), dm.group(3)
            width = abs(int(hi) - int(lo)) + 1 if hi is not None else 1
            decl[dm.group(4)] = (dm.group(1), width)
        want = {p.name: (p.direction, p.width) for p in self.ports}
        if sorted(header) != sorted(want) or decl != want:
            extra = sorted(set(decl) - set(want))
            missing = sorted(set(want) - set(decl))
            differ = sorted(n for n in set(want) & set(decl) if want[n] != decl[n])
            raise BuildError(vpath, None, f"module {self.top} does not declare the manifest's ports: "
                                          f"missing {missing}, extra {extra}, different direction/width {differ}")


def is_build_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is recognisably a build folder scnc wrote (any manifest format scnc ever wrote).

    Used before replacing a folder: only the manifest's ``format`` tag is read (a damaged build may
    still be replaced by a fresh one; a folder that is not a build never is).
    """
    p = Path(path) / MANIFEST_NAME
    if p.is_symlink() or not p.is_file():
        return False
    try:
        raw = read_json(p, max_bytes=MAX_MANIFEST_BYTES, max_depth=MAX_MANIFEST_DEPTH)
    except (JSONLimitError, OSError):
        return False
    return isinstance(raw, dict) and raw.get("format") in (MANIFEST_FORMAT, *PREVIOUS_FORMATS)


# ---- the validating reader ------------------------------------------------------------------------
class _Reader:
    """Typed field access on parsed JSON; every failure is a BuildError naming file and dotted field."""

    def __init__(self, path: object) -> None:
        self.path = path

    def err(self, fld: str | None, msg: str) -> BuildError:
        return BuildError(self.path, fld, msg)

    @staticmethod
    def _show(v: object) -> str:
        s = repr(v)
        return s if len(s) <= 60 else s[:57] + "..."

    def obj(self, v: object, fld: str, keys: Sequence[str]) -> dict:
        where = fld or "(top level)"
        if not isinstance(v, dict):
            raise self.err(fld or None, f"must be a JSON object, got {type(v).__name__}")
        missing = [k for k in keys if k not in v]
        if missing:
            raise self.err(_join(fld, missing[0]), f"is missing (in {where})")
        extra = sorted(k for k in v if k not in keys)
        if extra:
            raise self.err(_join(fld, str(extra[0])), f"is not a manifest field (expected only {list(keys)})")
        return v

    def integer(self, v: object, fld: str, lo: int, hi: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.err(fld, f"must be an integer in {lo}..{hi}, got {self._show(v)}")
        if not lo <= v <= hi:
            raise self.err(fld, f"must be an integer in {lo}..{hi}, got {v}")
        return v

    def string(self, v: object, fld: str, *, max_len: int = _MAX_TEXT) -> str:
        if not isinstance(v, str):
            raise self.err(fld, f"must be a string, got {self._show(v)}")
        if len(v) > max_len:
            raise self.err(fld, f"must be at most {max_len} characters, got {len(v)}")
        return v

    def boolean(self, v: object, fld: str) -> bool:
        if not isinstance(v, bool):
            raise self.err(fld, f"must be true or false, got {self._show(v)}")
        return v

    def const(self, v: object, fld: str, allowed: Sequence[str]) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise self.err(fld, f"must be one of {list(allowed)}, got {self._show(v)}")
        return v

    def enum(self, v: object, fld: str, enum):
        return enum(self.const(v, fld, [m.value for m in enum]))

    def array(self, v: object, fld: str, lo: int, hi: int) -> list:
        if not isinstance(v, list):
            raise self.err(fld, f"must be a JSON array, got {type(v).__name__}")
        if not lo <= len(v) <= hi:
            raise self.err(fld, f"must have {lo}..{hi} entries, got {len(v)}")
        return v

    def ident(self, v: object, fld: str) -> str:
        s = self.string(v, fld, max_len=_MAX_NAME)
        if not _IDENT.fullmatch(s):
            raise self.err(fld, f"must be an identifier ([A-Za-z_][A-Za-z0-9_]*), got {self._show(s)}")
        return s

    def relpath(self, v: object, fld: str) -> str:
        """A plain relative path inside the build folder: no absolute path, no ``..``, no oddities."""
        s = self.string(v, fld, max_len=255)
        if s.startswith("/") or "\\" in s or ":" in s:
            raise self.err(fld, f"must be a relative path inside the build folder, got {self._show(s)}")
        parts = s.split("/")
        for part in parts:
            if part in ("", ".", "..") or not _FILE_PART.fullmatch(part):
                raise self.err(fld, f"must be a plain relative path inside the build folder (parts of "
                                    f"letters, digits, '_', '.', '-'; no '..'), got {self._show(s)}")
        return s

    # -- sections -------------------------------------------------------------------------------------
    def manifest(self, d: object) -> Manifest:
        if isinstance(d, dict) and d.get("format") in PREVIOUS_FORMATS:
            raise self.err("format", f"is {d['format']!r}, written by an older scnc; this scnc reads "
                                     f"{MANIFEST_FORMAT!r} (it records file hashes): re-run scnc compile")
        d = self.obj(d, "", _MANIFEST_KEYS)
        self.const(d["format"], "format", [MANIFEST_FORMAT])
        top = check_top_name(d["top"], where=self.path, field="top")
        ports = self.ports(d["ports"])
        streams = self.streams(d["streams"], ports)
        graph = self.graph(d["graph"])
        layers = self.layers(d["layers"])
        cycles = self.cycles(d["cycles"], len(layers))
        files = self.files(d["files"], top)
        options = self.obj(d["options"], "options", ("top_name", "trace"))
        self.string(options["top_name"], "options.top_name", max_len=_MAX_NAME)
        if options["top_name"] != top:
            raise self.err("options.top_name", f"must equal top {top!r}, got {self._show(options['top_name'])}")
        trace = self.boolean(options["trace"], "options.trace")
        names = [s.name for s in streams]
        if trace != ("trace" in names):
            raise self.err("options.trace", f"is {str(trace).lower()}, but the streams "
                                            f"{'lack' if trace else 'include'} 'trace'")
        man = Manifest(
            format=d["format"], top=top, files=files,
            clock=self.strmap(d["clock"], "clock", ("port", "edge", "domain")),
            reset=self.strmap(d["reset"], "reset", ("port", "kind", "active")),
            ports=ports, streams=streams,
            status=self.strmap(d["status"], "status", ("start", "busy", "done")),
            handshake=self.string(d["handshake"], "handshake"),
            graph=graph, layers=layers, cycles=cycles,
            ir_hash=self.hex64(d["ir_hash"], "ir_hash"),
            versions=self.strmap(d["versions"], "versions", ("scnc", "amaranth")),
            options={"top_name": top, "trace": trace},
            lint=self.lint(d["lint"]),
        )
        if man.clock["port"] != "clk" or man.reset["port"] != "rst":
            raise self.err("clock.port" if man.clock["port"] != "clk" else "reset.port",
                           "must be 'clk' / 'rst' (the ports the core is generated with)")
        self.consistency(man)
        return man

    def strmap(self, v: object, fld: str, keys: Sequence[str]) -> dict:
        o = self.obj(v, fld, keys)
        return {k: self.string(o[k], f"{fld}.{k}") for k in keys}

    def hex64(self, v: object, fld: str) -> str:
        s = self.string(v, fld, max_len=64)
        if not _HEX64.fullmatch(s):
            raise self.err(fld, f"must be 64 lowercase hex digits (a SHA-256), got {self._show(s)}")
        return s

    def lint(self, v: object) -> dict:
        o = self.obj(v, "lint", ("tool", "waived"))
        waived = self.array(o["waived"], "lint.waived", 0, 256)
        return {"tool": self.string(o["tool"], "lint.tool"),
                "waived": tuple(self.ident(w, f"lint.waived[{i}]") for i, w in enumerate(waived))}

    def files(self, v: object, top: str) -> Files:
        o = self.obj(v, "files", ("verilog", "ir", "readme", "sha256"))
        verilog = self.relpath(o["verilog"], "files.verilog")
        if verilog != f"{top}.v":
            raise self.err("files.verilog", f"must be '{top}.v' (the top module's file), got {self._show(verilog)}")
        ir = tuple(self.relpath(p, f"files.ir[{i}]") for i, p in enumerate(self.array(o["ir"], "files.ir", 2, 2)))
        if ir != ("ir/ir.json", "ir/ir.npz"):
            raise self.err("files.ir", f"must be ['ir/ir.json', 'ir/ir.npz'] (scnc.ir.save_ir's files), got {list(ir)}")
        readme = self.relpath(o["readme"], "files.readme")
        sha = o["sha256"]
        if not isinstance(sha, dict):
            raise self.err("files.sha256", f"must be a JSON object {{path: sha256}}, got {type(sha).__name__}")
        want = sorted((verilog, *ir))
        if sorted(sha) != want:
            raise self.err("files.sha256", f"must hold exactly the hashes of {want}, got {sorted(map(str, sha))[:8]}")
        hashes = {k: self.hex64(sha[k], f"files.sha256.{k}") for k in want}
        return Files(verilog=verilog, ir=ir, readme=readme, sha256=hashes)

    def ports(self, v: object) -> tuple[Port, ...]:
        ports = []
        for i, p in enumerate(self.array(v, "ports", 1, 256)):
            fld = f"ports[{i}]"
            o = self.obj(p, fld, ("name", "direction", "width"))
            ports.append(Port(self.ident(o["name"], f"{fld}.name"),
                              self.const(o["direction"], f"{fld}.direction", ("input", "output")),
                              self.integer(o["width"], f"{fld}.width", 1, _MAX_WIDTH)))
        names = [p.name for p in ports]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise self.err("ports", f"names {dup} appear more than once")
        have = {p.name: p for p in ports}
        trace = "trace__payload" in have or "trace__valid" in have or "trace__ready" in have
        need = {**_CORE_PORTS, **(_TRACE_PORTS if trace else {})}
        missing = sorted(set(need) - set(have))
        extra = sorted(set(have) - set(need))
        if missing or extra:
            raise self.err("ports", f"must be exactly the core's ports {sorted(need)}; missing {missing}, "
                                    f"unexpected {extra}")
        for n, direction in need.items():
            if have[n].direction != direction:
                raise self.err("ports", f"port {n!r} must be an {direction}, got {have[n].direction}")
            if not n.endswith("__payload") and have[n].width != 1:
                raise self.err("ports", f"port {n!r} must be 1 bit wide, got {have[n].width}")
        return tuple(ports)

    def layout(self, v: object, fld: str) -> BeatLayout:
        o = self.obj(v, fld, ("width", "fields"))
        width = self.integer(o["width"], f"{fld}.width", 1, _MAX_WIDTH)
        fields = []
        used = 0
        for i, f in enumerate(self.array(o["fields"], f"{fld}.fields", 1, 64)):
            ff = f"{fld}.fields[{i}]"
            fo = self.obj(f, ff, ("name", "offset", "width", "signed"))
            bf = BeatField(self.ident(fo["name"], f"{ff}.name"), self.integer(fo["offset"], f"{ff}.offset", 0, width - 1),
                           self.integer(fo["width"], f"{ff}.width", 1, width), self.boolean(fo["signed"], f"{ff}.signed"))
            if bf.offset + bf.width > width:
                raise self.err(ff, f"bits {bf.offset}..{bf.offset + bf.width - 1} exceed the {width}-bit payload")
            bits = bf.mask << bf.offset
            if used & bits:
                raise self.err(ff, f"overlaps another field of {fld}")
            used |= bits
            fields.append(bf)
        return BeatLayout(width, tuple(fields))

    def streams(self, v: object, ports: tuple[Port, ...]) -> tuple[Stream, ...]:
        if not isinstance(v, dict):
            raise self.err("streams", f"must be a JSON object, got {type(v).__name__}")
        have = {p.name: p for p in ports}
        want = ["i_data", "o_data"] + (["trace"] if "trace__payload" in have else [])
        if sorted(v) != sorted(want):
            raise self.err("streams", f"must be exactly {want} (as the ports say), got {sorted(map(str, v))}")
        out = []
        for name in want:
            fld = f"streams.{name}"
            o = self.obj(v[name], fld, ("direction", "payload", "beats_per_sample", "beat"))
            s = Stream(name, self.const(o["direction"], f"{fld}.direction", (_STREAM_DIRECTION[name],)),
                       self.layout(o["payload"], f"{fld}.payload"),
                       self.integer(o["beats_per_sample"], f"{fld}.beats_per_sample", 1, _MAX_COUNT),
                       self.string(o["beat"], f"{fld}.beat"))
            names = tuple(f.name for f in s.payload.fields)
            if names != _STREAM_FIELDS[name]:
                raise self.err(f"{fld}.payload.fields", f"must be {list(_STREAM_FIELDS[name])}, got {list(names)}")
            pw = have[f"{name}__payload"].width
            if s.payload.width != pw:
                raise self.err(f"{fld}.payload.width", f"is {s.payload.width}, but port {name}__payload is {pw} bits")
            out.append(s)
        return tuple(out)

    def graph(self, v: object) -> GraphInfo:
        # "engine" is optional (absent: "dense", the only engine of builds written before it existed)
        o = self.obj(v, "graph", _GRAPH_KEYS + (("engine",) if isinstance(v, dict) and "engine" in v else ()))
        coding = self.enum(o["input_coding"], "graph.input_coding", InputCoding)
        if coding is InputCoding.RATE:
            input_bits = self.integer(o["input_bits"], "graph.input_bits", 1, 64)
        elif o["input_bits"] is not None:
            raise self.err("graph.input_bits", f"must be null for spike coding, got {self._show(o['input_bits'])}")
        else:
            input_bits = None
        L = self.integer(o["stream_length"], "graph.stream_length", 1, 1 << 30)
        if L & (L - 1):
            raise self.err("graph.stream_length", f"must be a power of two, got {L}")
        labels = self.array(o["class_labels"], "graph.class_labels", 0, _MAX_NEURONS)
        for i, lab in enumerate(labels):
            if isinstance(lab, bool) or not isinstance(lab, (int, str)):
                raise self.err(f"graph.class_labels[{i}]", f"must be an integer or a string, got {self._show(lab)}")
        return GraphInfo(
            timesteps=self.integer(o["timesteps"], "graph.timesteps", 1, _MAX_TIMESTEPS),
            stream_length=L,
            encoding=self.enum(o["encoding"], "graph.encoding", Encoding),
            sng=self.enum(o["sng"], "graph.sng", SNGKind),
            input_sng=self.enum(o["input_sng"], "graph.input_sng", SNGKind),
            input_coding=coding,
            input_bits=input_bits,
            n_inputs=self.integer(o["n_inputs"], "graph.n_inputs", 1, _MAX_NEURONS),
            n_outputs=self.integer(o["n_outputs"], "graph.n_outputs", 1, _MAX_NEURONS),
            count_bits=self.integer(o["count_bits"], "graph.count_bits", 1, 63),
            class_labels=tuple(labels),
            engine=self.enum(o.get("engine", str(Engine.DENSE)), "graph.engine", Engine),
        )

    def memory(self, v: object, fld: str) -> Memory:
        o = self.obj(v, fld, ("depth", "width"))
        return Memory(self.integer(o["depth"], f"{fld}.depth", 1, _MAX_COUNT), self.integer(o["width"], f"{fld}.width", 1, _MAX_WIDTH))

    def layers(self, v: object) -> tuple[LayerInfo, ...]:
        out = []
        for i, ly in enumerate(self.array(v, "layers", 1, _MAX_LAYERS)):
            fld = f"layers[{i}]"
            o = self.obj(ly, fld, (*_LAYER_INTS, "name", "weight_rom", "membrane_ram", "leak", "reset"))
            hi = {"index": _MAX_LAYERS, "weight_bits": 64, "membrane_bits": 64, "current_bits": 64, "multipliers": 64}
            ints = {k: self.integer(o[k], f"{fld}.{k}", 0 if k in ("index", "multipliers") else 1,
                                hi.get(k, _MAX_NEURONS if k.startswith(("n_", "parallel")) else _MAX_COUNT))
                    for k in _LAYER_INTS}
            if ints["index"] != i:
                raise self.err(f"{fld}.index", f"must be {i} (layers in order), got {ints['index']}")
            out.append(LayerInfo(name=self.string(o["name"], f"{fld}.name", max_len=_MAX_TEXT),
                                 weight_rom=self.memory(o["weight_rom"], f"{fld}.weight_rom"),
                                 membrane_ram=self.memory(o["membrane_ram"], f"{fld}.membrane_ram"),
                                 leak=self.enum(o["leak"], f"{fld}.leak", LeakKind),
                                 reset=self.enum(o["reset"], f"{fld}.reset", ResetMode), **ints))
        return tuple(out)

    def cycles(self, v: object, n_layers: int) -> Cycles:
        o = self.obj(v, "cycles", ("per_step", "per_sample", "latency_per_sample", "note"))
        ps = self.obj(o["per_step"], "cycles.per_step", ("input", "layers", "output", "total"))
        layers = tuple(self.integer(c, f"cycles.per_step.layers[{i}]", 1, _MAX_COUNT)
                       for i, c in enumerate(self.array(ps["layers"], "cycles.per_step.layers", n_layers, n_layers)))
        step = StepCycles(self.integer(ps["input"], "cycles.per_step.input", 0, _MAX_COUNT), layers,
                          self.integer(ps["output"], "cycles.per_step.output", 0, _MAX_COUNT),
                          self.integer(ps["total"], "cycles.per_step.total", 1, _MAX_COUNT))
        if step.total != step.input + sum(layers) + step.output:
            raise self.err("cycles.per_step.total", f"must be input + sum(layers) + output = "
                                                    f"{step.input + sum(layers) + step.output}, got {step.total}")
        per_sample = self.integer(o["per_sample"], "cycles.per_sample", 1, _MAX_CYCLES)
        latency = self.integer(o["latency_per_sample"], "cycles.latency_per_sample", 1, _MAX_CYCLES)
        if latency != per_sample:
            raise self.err("cycles.latency_per_sample", f"must equal cycles.per_sample ({per_sample}), got {latency}")
        return Cycles(step, per_sample, latency, self.string(o["note"], "cycles.note"))

    def consistency(self, m: Manifest) -> None:
        """Cross-field rules: the sizes the streams, layers and graph state must agree."""
        g, T = m.graph, m.graph.timesteps
        prev = g.n_inputs
        for ly in m.layers:
            if ly.n_in != prev:
                raise self.err(f"layers[{ly.index}].n_in", f"must be {prev} (the previous layer's outputs), got {ly.n_in}")
            # dense: one membrane per word; event: the P_n membranes of a neuron group per word
            depth, what = (ly.n_out, "n_out") if g.engine is Engine.DENSE else (ly.neuron_groups, "neuron_groups")
            if ly.membrane_ram.depth != depth:
                raise self.err(f"layers[{ly.index}].membrane_ram.depth", f"must be {what} = {depth}, got {ly.membrane_ram.depth}")
            prev = ly.n_out
        if g.n_outputs != prev:
            raise self.err("graph.n_outputs", f"must be the last layer's n_out = {prev}, got {g.n_outputs}")
        for ly, c in zip(m.layers, m.cycles.per_step.layers):
            if c != ly.cycles_per_step:
                raise self.err(f"cycles.per_step.layers[{ly.index}]",
                               f"must equal layers[{ly.index}].cycles_per_step = {ly.cycles_per_step}, got {c}")
        if g.count_bits < T.bit_length():
            raise self.err("graph.count_bits", f"{g.count_bits} bits cannot count to T = {T}")
        i_beats = g.n_inputs if g.input_coding is InputCoding.RATE else T
        i_width = g.input_bits if g.input_coding is InputCoding.RATE else g.n_inputs
        checks = [("streams.i_data.beats_per_sample", m.i_data.beats_per_sample, i_beats),
                  ("streams.i_data.payload.width", m.i_data.payload.width, i_width),
                  ("streams.o_data.beats_per_sample", m.o_data.beats_per_sample, T + 1)]
        if m.trace is not None:
            checks.append(("streams.trace.beats_per_sample", m.trace.beats_per_sample, T * sum(m.layer_sizes)))
        for fld, got, want in checks:
            if got != want:
                raise self.err(fld, f"must be {want} (from graph and layers), got {got}")
        iv = m.i_data.payload.field("value")
        if (iv.offset, iv.width, iv.signed) != (0, i_width, False):
            raise self.err("streams.i_data.payload.fields[0]", f"must be unsigned bits 0..{i_width - 1}")
        od = m.o_data.payload
        data, last = od.field("data"), od.field("last")
        need = max(g.n_outputs, g.n_outputs * g.count_bits)
        if data.width < need or data.signed or last.width != 1 or last.signed:
            raise self.err("streams.o_data.payload.fields", f"need an unsigned 'data' of at least {need} bits "
                                                            "(n_outputs x count_bits) and a 1-bit 'last'")
        if m.trace is not None:
            tl = m.trace.payload
            for name, lim in (("layer", len(m.layers) - 1), ("neuron", max(m.layer_sizes) - 1), ("step", T - 1)):
                f = tl.field(name)
                if f.signed or f.width < max(1, lim.bit_length()):
                    raise self.err("streams.trace.payload.fields", f"'{name}' must be unsigned and hold {lim}")
            mem = tl.field("membrane")
            if not mem.signed or mem.width < max(ly.membrane_bits for ly in m.layers):
                raise self.err("streams.trace.payload.fields", "'membrane' must be signed and as wide as the widest "
                                                               "layer's membrane_bits")
            for name in ("spike", "saturated"):
                if tl.field(name).width != 1:
                    raise self.err("streams.trace.payload.fields", f"'{name}' must be 1 bit")


_MANIFEST_KEYS = ("format", "top", "files", "clock", "reset", "ports", "streams", "status", "handshake", "graph",
                  "layers", "cycles", "ir_hash", "versions", "options", "lint")
_GRAPH_KEYS = ("timesteps", "stream_length", "encoding", "sng", "input_sng", "input_coding", "input_bits",
               "n_inputs", "n_outputs", "count_bits", "class_labels")


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key

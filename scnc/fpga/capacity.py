"""Capacity model: what a compiled core costs on a device, estimated from the quantized IR before synthesis.

``scnc synth`` runs :func:`check_capacity` before yosys, so a design that cannot fit stops in a second
with what does not fit and options that would (``docs/fpga.md``, "Capacity check"); ``scnc compile``
prints :func:`estimate` for ``--target``; ``--parallel auto`` / ``--engine auto`` choose among the
options that fit.

The estimate has three parts:

- **Memories** (exact, not a fit): the memories of the core are read from the elaborated Amaranth
  design itself (:func:`core_memories`: every ``Memory`` the RTL instantiates, with its depth, width and
  whether it is written), the board wrapper's UART bridge buffers from its parameters
  (:func:`wrapper_memories`). Each is mapped the way yosys' ``memory_libmap`` maps it: the cheapest of
  block RAM (every aspect ratio of the device's block, ``cost`` per block), distributed RAM (ECP5, RAMs
  only) and soft logic (``1/16`` per bit for a ROM, ``1`` per bit for a RAM: libmap's defaults); the
  block costs and aspect ratios are those of yosys' ``ice40/brams.txt`` and ``lattice/brams_16kd.txt``
  / ``lutrams_trellis.txt``. This reproduces the block RAM count of every measured point exactly
  (``tests/test_fpga_capacity.py``).
- **Logic cells**: a linear model per engine in a few IR quantities (synapse-lane bits, neuron-lane
  bits, inputs), fitted by least squares to the measured syntheses in :data:`MEASURED`; its largest
  relative error on them is :data:`LC_ERROR` (the test pins it).
- **DSPs**: the multipliers of the elaborated design that yosys maps to a DSP block (both operands
  non-constant, within ``mul2dsp``'s widths); equal to yosys' count on every rebuilt measured point.
  ``scnc synth --no-dsp`` puts them in logic (``dsp=False``: none).

SPRAM (the UP5K's 4 x 256 kbit ``SB_SPRAM256KA``) is not used: it has no initial contents, so the
weights would need a boot loader from flash (``docs/fpga.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ScncError
from ..ir.schedule import overlaps_input_stage
from ..kinds import Encoding, Engine
from .devices import Device, get_device

__all__ = ["MemorySpec", "MemoryMap", "BlockKind", "BLOCKS", "CapacityEstimate", "DoesNotFitEstimate",
           "core_memories", "wrapper_memories", "map_memory", "estimate", "estimate_build", "check_capacity",
           "suggest", "certain_overflow", "MEASURED", "LC_MODEL", "LC_ERROR", "BRAM_TRAINED_BOUND", "BRAM_ECP5_OVER", "BOARD_LCS", "lc_features", "point_features", "model_logic_cells", "requantize"]


@dataclass(frozen=True)
class MemorySpec:
    """One memory of the design, as the RTL declares it.

    Members
    -------
    name:
        Hierarchical instance name (``layer0.weights.rom``, ``bridge.imem``).
    depth:
        Words.
    width:
        Bits per word.
    rom:
        No write port (a ROM; yosys maps ROMs to soft logic 16x cheaper than RAMs).
    block:
        The RTL asks for block RAM (``rom_style`` / ``ram_style`` ``"block"``): memory_libmap takes it
        whatever its cost.
    """

    name: str
    depth: int
    width: int
    rom: bool
    block: bool = False

    @property
    def bits(self) -> int:
        """Depth x width (bits)."""
        return self.depth * self.width


@dataclass(frozen=True)
class BlockKind:
    """A device's block RAM as ``memory_libmap`` sees it: aspect ratios ``(depth, width)`` and the cost of a
    block; ``lutram``: the distributed RAM primitive ``(depth, width, cost)`` (RAMs only), if any."""

    name: str
    shapes: tuple[tuple[int, int], ...]
    cost: float
    lutram: tuple[int, int, float] | None = None


#: Block RAM of each device family (yosys ``techlibs/ice40/brams.txt``, ``lattice/brams_16kd.txt``,
#: ``lattice/lutrams_trellis.txt``). ECP5's 512 x 36 is the PDPW16KD mode of the same DP16KD block.
BLOCKS: dict[str, BlockKind] = {
    "ice40": BlockKind("SB_RAM40_4K", ((256, 16), (512, 8), (1024, 4), (2048, 2)), 64.0),
    "ecp5": BlockKind("DP16KD", ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)), 128.0,
                      lutram=(16, 4, 4.0)),
}
#: memory_libmap's cost per bit of a memory left to soft logic (its defaults).
LOGIC_COST_ROM = 1.0 / 16.0
LOGIC_COST_RAM = 1.0


@dataclass(frozen=True)
class MemoryMap:
    """Where one memory goes: ``kind`` ``"bram"`` (``blocks`` blocks of ``shape``), ``"lutram"`` or ``"logic"``."""

    memory: MemorySpec
    kind: str
    blocks: int
    shape: tuple[int, int] | None


def map_memory(mem: MemorySpec, family: str) -> MemoryMap:
    """Map ``mem`` the way yosys' ``memory_libmap`` does on ``family``: the cheapest of block RAM (best aspect
    ratio), distributed RAM and soft logic. ``generic`` (no device) keeps every memory as a memory (``logic``)."""
    blk = BLOCKS.get(family)
    if blk is None:
        return MemoryMap(mem, "logic", 0, None)
    best_blocks, best_shape = min(((math.ceil(mem.depth / d) * math.ceil(mem.width / w), (d, w))
                                   for d, w in blk.shapes), key=lambda t: (t[0], -t[1][1]))
    if mem.block:
        return MemoryMap(mem, "bram", best_blocks, best_shape)
    options = [(best_blocks * blk.cost, "bram")]
    options.append((mem.bits * (LOGIC_COST_ROM if mem.rom else LOGIC_COST_RAM), "logic"))
    if blk.lutram is not None and not mem.rom:  # prune_rom: ROMs never go to distributed RAM
        d, w, c = blk.lutram
        options.append((math.ceil(mem.depth / d) * math.ceil(mem.width / w) * c, "lutram"))
    # on a tie soft logic wins (measured: a 4 x 352 RAM, 1408 bits = 22 blocks x 64, stays in flip-flops)
    cost, kind = min(options, key=lambda t: (t[0], t[1] != "logic"))
    if kind == "bram":
        return MemoryMap(mem, kind, best_blocks, best_shape)
    return MemoryMap(mem, kind, 0, None)


# --------------------------------------------------------------------------------------------------------
# What the design holds: memories and multipliers of the elaborated core, the wrapper's buffers


def _elaborate(graph, trace: bool):
    from amaranth.hdl import Fragment

    from ..rtl.network import NetworkCore

    return Fragment.get(NetworkCore(graph, trace=trace), None)


def _walk(frag, path=()):
    """``(path, fragment)`` of every fragment below ``frag`` (depth first)."""
    for sub, name, *_ in frag.subfragments:
        p = path + (str(name) if name is not None else "?",)
        yield p, sub
        yield from _walk(sub, p)


#: The memory_libmap attributes that name a memory's style (yosys accepts these 1364.1 / Synplify names).
_STYLE_ATTRS = ("rom_style", "ram_style", "romstyle", "ramstyle", "syn_romstyle", "syn_ramstyle")


def core_memories(graph, *, trace: bool = False, fragment=None) -> list[MemorySpec]:
    """Every memory the RTL of ``graph`` instantiates (weight and row ROMs, membrane RAMs, constant tables,
    delay ROMs, the encoder's intensity RAM and SNG constants, ...), read from the elaborated design so
    that no memory can be forgotten here."""
    from amaranth.hdl._mem import MemoryInstance

    frag = fragment if fragment is not None else _elaborate(graph, trace)
    mems = []
    for path, sub in _walk(frag):
        if isinstance(sub, MemoryInstance):
            data = sub._data
            style = {str(sub._attrs.get(k, "")).lower() for k in _STYLE_ATTRS}
            mems.append(MemorySpec(".".join(path), int(data.depth), int(data.shape.width), not sub._write_ports,
                                   block="block" in style))
    return mems


def _multipliers(frag) -> list[tuple[tuple[str, ...], tuple[int, int]]]:
    """``(fragment path, operand widths)`` of every ``a * b`` with two non-constant operands in the design."""
    from amaranth.hdl import Const
    from amaranth.hdl._ast import Operator, Statement, Value

    found, seen = [], set()

    def items(x):
        for v in vars(x).values():
            if isinstance(v, (list, tuple)):
                yield from v
            elif isinstance(v, dict):
                for e in v.values():
                    yield from (e if isinstance(e, (list, tuple)) else (e,))
            else:
                yield v

    def visit(x, where):
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, Operator) and x.operator == "*" and not any(isinstance(o, Const) for o in x.operands):
            found.append((where, tuple(len(o) for o in x.operands)))
        if hasattr(x, "__dict__"):
            for e in items(x):
                if isinstance(e, (Value, Statement)):
                    visit(e, where)

    for where, sub in [((), frag), *_walk(frag)]:
        for stmts in getattr(sub, "statements", {}).values():
            for s in stmts:
                visit(s, where)
    return found


#: DSP block operand limits (yosys ``mul2dsp`` parameters of ``synth_ice40 -dsp`` / ``synth_ecp5``):
#: (max A, max B, min A and B, min product width).
_DSP_RULE = {"ice40": (16, 16, 2, 11), "ecp5": (18, 18, 2, 0)}


def _shift_leak_layers(graph) -> set[str]:
    """Event layers whose leak factor is one power of two for every neuron (e.g. ``beta_q = L``): their group
    table is a constant (``GroupTable.shared``) and yosys turns the product into a shift, no DSP. A shared
    factor that is not a power of two still becomes a DSP per lane (measured: 16 SB_MAC16 for W-digits
    event P_n = 8 with ``beta_q = 7`` in both layers). The dense engine counts beta from its stream in a
    register: never constant."""
    if graph.hardware.engine is not Engine.EVENT:
        return set()
    out = set()
    for i, node in enumerate(graph.layers):
        beta = getattr(node.neuron.quant.leak, "beta_q", None)
        values = {int(b) for b in np.asarray(beta).reshape(-1)} if beta is not None else set()
        if len(values) == 1:
            v = next(iter(values))
            if v & (v - 1) == 0:  # 0 or a power of two: a shift
                out.add(f"layer{i}")
    return out


def _dsp_count(muls: list, family: str, constant: set[str] = frozenset()) -> int:
    rule = _DSP_RULE.get(family)
    muls = [w for path, w in muls if not (path and path[0] in constant)]
    if rule is None:
        return len(muls)
    amax, bmax, wmin, ymin = rule
    n = 0
    for a, b in muls:
        if min(a, b) < wmin or a + b < ymin:
            continue
        n += math.ceil(max(a, b) / amax) * math.ceil(min(a, b) / bmax)
    return n


def wrapper_memories(graph, wrapper: str) -> list[MemorySpec]:
    """The memories the wrapper adds: the board wrapper's UART bridge holds one sample's input bytes
    (``IN_BEATS * ceil(IN_W / 8)`` x 8) and its output beats (``OUT_BEATS x OUT_W``), see
    ``hdl/scnc_uart_bridge.v``; the out-of-context shell holds none."""
    if wrapper != "board":
        return []
    from amaranth.hdl import Shape

    from ..kinds import InputCoding
    from ..rtl.network import input_shape, output_layout

    in_w = Shape.cast(input_shape(graph)).width
    out_w = Shape.cast(output_layout(graph)).width
    in_beats = graph.input.size if graph.input.quant.coding is InputCoding.RATE else graph.timesteps
    return [MemorySpec("bridge.imem", max(1, in_beats * math.ceil(in_w / 8)), 8, False),
            MemorySpec("bridge.omem", graph.timesteps + 1, out_w, False)]


# --------------------------------------------------------------------------------------------------------
# Logic cells: a linear model per engine, fitted to measured syntheses


def lc_features(graph) -> dict[str, float]:
    """The IR quantities the logic-cell model is linear in (per design, summed over layers).

    ``dense_sc_lanes`` / ``dense_fixed_lanes``: synapse-lane bits ``P_i * P_n * (w + 1)`` of dense layers
    (an SC lane is a comparator and an AND gate per weight bit, a fixed lane an adder input);
    ``event_lanes``: neuron lanes ``P_n`` of event layers (accumulator, leak, LIF update per lane; their
    widths vary little between the measured points, their number a lot); ``event_bank_lanes``: the
    adder inputs the input banks add, ``(B - 1) * P_n * (w + 1)`` bits per event layer of ``B`` banks
    (each lane sums ``B`` signed weights per row token instead of one; each bank has its queue and
    address adder); ``event_inputs``: inputs of event layers (the spike register and the address
    queues' priority encoders); ``input_copy``: the inputs whose spikes the first layer reads from a
    copy while the encoder works a step ahead (:func:`scnc.ir.schedule.overlaps_input_stage`).
    """
    f = {"dense_sc_lanes": 0.0, "dense_fixed_lanes": 0.0, "event_lanes": 0.0, "event_bank_lanes": 0.0,
         "event_inputs": 0.0, "input_copy": 0.0}
    if overlaps_input_stage(graph):  # the first layer's copy of the step's spikes (n_in flip-flops)
        f["input_copy"] = float(graph.input.size)
    event = graph.hardware.engine is Engine.EVENT
    for node in graph.layers:
        q = node.synapse.quant
        p_in, p_n = min(q.parallel_inputs, node.n_in), min(q.parallel_neurons, node.n_out)
        if event:
            f["event_lanes"] += p_n
            f["event_bank_lanes"] += (p_in - 1) * p_n * (q.weight_bits + 1)
            f["event_inputs"] += node.n_in
        elif graph.hardware.encoding is Encoding.SC:
            f["dense_sc_lanes"] += p_in * p_n * (q.weight_bits + 1)
        else:
            f["dense_fixed_lanes"] += p_in * p_n * (q.weight_bits + 1)
    return f


#: Measured syntheses (YoWASP yosys 0.70 / nextpnr 0.11, seed 0) the model is checked against. ``sizes`` and
#: ``options`` (QuantOptions fields) and ``engine`` rebuild the graph; ``weights``: ``"random"`` (``Network.dense``
#: seed 0, T = 25: rebuilt exactly by the test) or ``"trained"`` (the W-digits checkpoint of docs/rtl.md: its
#: membrane widths follow the trained weights, so the random rebuild may differ by a few bits per lane).
#: ``held_out``: checked against the model but not part of its fit.
#: ``wrapper``: ``board`` (iCEBreaker top + UART bridge, placed: ``lcs`` = nextpnr's ICESTORM_LC) or ``ooc``
#: (on the UP5K: yosys ``synth_ice40 -dsp`` of the core alone, not placed, ``lcs`` None; on the ECP5: the
#: out-of-context shell placed by nextpnr-ecp5, ``lcs`` = TRELLIS_COMB). ``brams``, ``dsps``: mapped
#: block RAMs and DSPs (``dsps`` only where the synthesis is rebuilt exactly: the docs/rtl.md right-sized
#: points report 0 DSPs, which a rebuild with DSP mapping does not reproduce).
#: Sources: docs/fpga.md ("Measured"), docs/rtl.md (event engine tables) and the runs of this module's
#: calibration (docs/fpga.md, "Capacity check").
MEASURED: tuple[dict, ...] = (
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "board", "engine": "dense",
     "options": {"encoding": "sc"}, "lcs": 2910, "brams": 29, "dsps": 2},
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "board", "engine": "dense",
     "options": {"encoding": "fixed"}, "lcs": 3470, "brams": 29, "dsps": 2},
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "board", "engine": "dense",
     "options": {"encoding": "sc", "stream_length": 32}, "lcs": 2850, "brams": 26, "dsps": 2},
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "board", "engine": "dense",
     "options": {"encoding": "sc", "parallel_inputs": 16, "parallel_neurons": 4}, "lcs": None, "brams": 36, "dsps": 2},
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "ooc", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": None, "brams": 17, "dsps": 16},
    {"sizes": (64, 128, 10), "weights": "random", "target": "ice40-up5k", "wrapper": "ooc", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 16},
     "lcs": None, "brams": 23, "dsps": 26},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc"}, "lcs": 2943, "brams": 27},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 4},
     "lcs": 3466, "brams": 20},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": 4393, "brams": 23, "pipelined": True},  # docs/rtl.md (4,244 before the pipeline)
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": 4424, "brams": 23, "pipelined": True},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 16},
     "lcs": 5120, "brams": 30, "pipelined": True},  # packed to 5,120 cells, then no legal placement (5,007 before)
    # input banks (P_i = B; docs/rtl.md "Input banks"): the bank ROMs in block RAM (rom_style)
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 2, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": 4631, "brams": 25, "pipelined": True},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 4, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": 5276, "brams": 29, "pipelined": True},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"layer_parallel": ((4, 8), (1, 16)), "encoding": "fixed", "stream_length": 8, "weight_bits": 3},
     "lcs": 4696, "brams": 24, "pipelined": True},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "fixed", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 32},
     "lcs": 6358, "brams": 17},
    # held out of the fit: the default build of ``scnc demo`` (docs/fpga.md; 8 DSPs, 19.88 MHz)
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 8},
     "lcs": 3950, "brams": 22, "held_out": True},
    {"sizes": (784, 256, 10), "weights": "random", "target": "ecp5-25k", "wrapper": "ooc", "engine": "event", "serial_input": True,
     "options": {"parallel_inputs": 1, "encoding": "sc", "stream_length": 8, "weight_bits": 3, "parallel_neurons": 16},
     "lcs": 9575, "brams": 51, "dsps": 26},
    # the encoder a step ahead (docs/rtl.md "Cycles"): the default fixed and SC builds of the trained checkpoint
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event",
     "options": {"layer_parallel": ((4, 8), (1, 16)), "encoding": "fixed", "stream_length": 8, "weight_bits": 3},
     "lcs": 4841, "brams": 24, "pipelined": True},
    {"sizes": (64, 128, 10), "weights": "trained", "target": "ice40-up5k", "wrapper": "board", "engine": "event",
     "options": {"layer_parallel": ((4, 8), (1, 16)), "encoding": "sc", "stream_length": 8, "weight_bits": 3},
     "lcs": 4831, "brams": 24, "pipelined": True},
)

def lc_model_point(point: dict) -> bool:
    """Whether a :data:`MEASURED` point's logic cells belong to the logic-cell model: the dense engine's, and
    the event engine's measured since it was pipelined (``"pipelined"``); the event points before the
    pipeline keep their block RAMs and DSPs for those checks, but their logic cells are another design's."""
    return point["lcs"] is not None and (point["engine"] == "dense" or bool(point.get("pipelined")))


#: Block RAM error bound of the model on the ``"trained"`` points (blocks): exact on every ``"random"`` iCE40 one.
BRAM_TRAINED_BOUND = 2
#: On ECP5 the model over-estimates by up to this many blocks (W-mnist: 54 estimated, 51 mapped: yosys packs
#: the 12544 x 64 row ROM into 47 DP16KD, the model's best aspect ratio needs 50); never under.
BRAM_ECP5_OVER = 3

#: Logic cells = intercept + sum(coefficient * feature) (:func:`lc_features`) + the cells of memories left to
#: logic (``CapacityEstimate.memory_cells``) of a board build, per engine;
#: least squares on the placed points of :data:`MEASURED` that :func:`lc_model_point` admits
#: (``tests/test_fpga_capacity.py`` refits it). The dense fit has 3 points for 3 coefficients (exact on them,
#: not validated); the event fit 8 points of the pipelined engine (one bank at P_n 8, 8, 16; 2 and 4 banks at
#: P_n 8; 4 x 8 for layer 0 with 1 x 10 for layer 1, without and with the encoder overlap, fixed and SC),
#: 3 coefficients, within -4.0 .. +3.3 % (the per-layer points are over: a one-group layer keeps its
#: membranes in a register, cheaper than the model's lane; 4 x 8 for both layers is the -4.0 %);
#: the event points measured before the pipeline are 2-21 % below it (the pipeline's registers).
#: ``event_inputs`` cannot be fitted from W-digits alone (all have 192 event inputs): it comes
#: from the W-mnist ECP5 synthesis (:data:`LC_NOT_FITTED`; docs/rtl.md): set so that the model gave its
#: 9575 TRELLIS_COMB exactly before the refit (one point: how other input counts extrapolate is not measured).
#: ``input_copy`` is not fitted either: the encoder overlap came after the event points were measured, and
#: one pair of syntheses sets it -- fixed 4x8,1x16 on the trained W-digits, 4,696 cells without the overlap,
#: 4,841 with it: 145 cells for 64 inputs. The points measured before the overlap say so
#: (``"serial_input"``: their features count no copy, :func:`point_features`).
LC_MODEL: dict[str, dict[str, float]] = {
    "dense": {"intercept": 2460.0, "dense_sc_lanes": 1.59375, "dense_fixed_lanes": 4.366071},
    "event": {"intercept": 1997.5243, "event_lanes": 67.53252, "event_bank_lanes": 3.692581, "event_inputs": 6.4794,
              "input_copy": 2.265625},
}
#: Coefficients of :data:`LC_MODEL` that are not part of the least-squares fit (set from another measurement).
LC_NOT_FITTED = ("event_inputs", "input_copy")
#: Largest relative error of the logic-cell model on the placed points of :data:`MEASURED` (fraction).
LC_ERROR = 0.05
#: Logic cells of the board wrapper beyond the out-of-context shell: the UART bridge (~1000 LUTs, ~370 FFs,
#: docs/fpga.md) and the iCEBreaker top.
BOARD_LCS = 1000.0


# --------------------------------------------------------------------------------------------------------
# The estimate


@dataclass
class CapacityEstimate:
    """What a core (in a wrapper) is estimated to take on a device.

    Members
    -------
    target, wrapper:
        Device name and what surrounds the core (``board``, ``ooc``, ``core``).
    memories:
        :class:`MemoryMap` of every memory (core and wrapper).
    brams:
        Block RAMs (exact for the measured points).
    memory_bits:
        Bits of all memories.
    logic_cells:
        Estimated logic cells (``ICESTORM_LC`` / ``TRELLIS_COMB``), within :data:`LC_ERROR` on the measured points;
        includes ``memory_cells``.
    memory_cells:
        Logic cells of the memories mapped to soft logic or distributed RAM (part of ``logic_cells``).
    dsps:
        DSP blocks (0 with ``dsp=False``: multipliers in logic).
    sprams:
        Always 0 (SPRAM has no initial contents: not used).
    available:
        ``{"brams", "logic_cells", "dsps", "sprams"}`` of the device (0 when it has none / ``generic``).
    """

    target: str
    wrapper: str
    memories: list
    brams: int
    memory_bits: int
    logic_cells: int
    dsps: int
    sprams: int
    memory_cells: int = 0
    available: dict = field(default_factory=dict)

    @property
    def overflow(self) -> dict[str, tuple[int, int]]:
        """``{resource: (needed, available)}`` of every resource that does not fit."""
        over = {}
        for key, used in (("brams", self.brams), ("logic_cells", self.logic_cells), ("dsps", self.dsps),
                          ("sprams", self.sprams)):
            avail = self.available.get(key)
            if avail is not None and used > avail:
                over[key] = (used, avail)
        return over

    @property
    def fits(self) -> bool:
        """No resource overflows (``generic`` always fits: it has no device)."""
        return not self.overflow

    def summary(self) -> dict:
        """JSON-ready figures (``scnc compile --json``: ``capacity``)."""
        return {"target": self.target, "wrapper": self.wrapper, "fits": self.fits, "brams": self.brams,
                "logic_cells": self.logic_cells, "dsps": self.dsps, "sprams": self.sprams,
                "memory_bits": self.memory_bits, "available": dict(self.available),
                "overflow": {k: list(v) for k, v in self.overflow.items()}}

    def table(self) -> list[str]:
        """Readable lines: the resources, then the memories that take block RAM."""
        def row(name, used, key, note=""):
            avail = self.available.get(key)
            of = f" of {avail}" if avail else ""
            flag = "  DOES NOT FIT" if key in self.overflow else ""
            return f"  {name:<12} {used:>7}{of}{note}{flag}"

        lines = [f"capacity estimate on {self.target} ({self.wrapper} wrapper):",
                 row("block RAM", self.brams, "brams"),
                 row("logic cells", self.logic_cells, "logic_cells", f" (model, +-{100 * LC_ERROR:.0f}%)"),
                 row("DSP", self.dsps, "dsps"),
                 row("SPRAM", self.sprams, "sprams")]
        big = sorted((m for m in self.memories if m.kind == "bram"), key=lambda m: -m.blocks)
        if big:
            lines.append("  block RAM by memory: " + ", ".join(
                f"{m.memory.name} {m.memory.depth}x{m.memory.width} -> {m.blocks}" for m in big))
        return lines


def _available(dev: Device) -> dict:
    if not dev.place_and_route:
        return {}
    r = dev.resources
    return {"brams": r.get(dev.bram_resource, 0), "logic_cells": r.get(dev.lc_resource, 0),
            "dsps": r.get(dev.dsp_resource, 0), "sprams": r.get(dev.spram_resource, 0) if dev.spram_resource else 0}


def _soft_memory_cells(maps: list[MemoryMap], family: str) -> int:
    """Logic cells of the memories left to logic or distributed RAM: a ROM in LUT4s holds 16 bits per LUT
    (libmap's cost), a DPR16X4 takes two slices' LUTs. A RAM left to flip-flops is not counted: its bits
    pack into the logic cells of the LUTs around them (fitting them one cell per bit made the model worse
    on the measured points: -11..+10 % instead of -3..+4 %)."""
    cells = 0
    blk = BLOCKS.get(family)
    for m in maps:
        if m.kind == "logic" and m.memory.rom:
            cells += math.ceil(m.memory.bits * LOGIC_COST_ROM)
        elif m.kind == "lutram" and blk is not None and blk.lutram is not None:
            d, w, _ = blk.lutram
            cells += 2 * math.ceil(m.memory.depth / d) * math.ceil(m.memory.width / w)
    return cells


def point_features(point: dict, graph) -> dict[str, float]:
    """:func:`lc_features` of the design a :data:`MEASURED` point synthesized (``graph`` rebuilds it): one
    measured before the encoder overlap (``"serial_input"``) had no input copy."""
    f = lc_features(graph)
    if point.get("serial_input"):
        f["input_copy"] = 0.0
    return f


def model_logic_cells(graph, features: dict[str, float], wrapper: str, memory_cells: int) -> int:
    """Logic cells of :data:`LC_MODEL` for ``features`` of ``graph``'s engine (board wrapper included
    unless ``wrapper`` is another)."""
    model = LC_MODEL.get(str(graph.hardware.engine))
    if model is None:
        return 0
    lcs = model["intercept"] + sum(model.get(k, 0.0) * v for k, v in features.items())
    if wrapper != "board":
        lcs -= BOARD_LCS
    return max(0, int(round(lcs))) + memory_cells


def estimate(graph, target: str = "ice40-up5k", wrapper: str | None = None, *, trace: bool = False,
             dsp: bool = True) -> CapacityEstimate:
    """Estimate what the core of the quantized ``graph`` takes on ``target``.

    Parameters
    ----------
    graph:
        A quantized graph (the core :func:`scnc.rtl.compile_graph` would build).
    target:
        A device of :data:`scnc.fpga.DEVICES`.
    wrapper:
        ``"board"`` (iCEBreaker top + UART bridge), ``"ooc"``; default: ``board`` on ice40-up5k, ``ooc``
        otherwise, as ``scnc synth``.
    trace:
        The core has a trace port (synthesis ties it off; its memories are the same).
    dsp:
        Multipliers may go to DSP blocks (``scnc synth``'s default; ``--no-dsp``: ``False``).

    Returns
    -------
    CapacityEstimate
    """
    dev = get_device(target)
    wrapper = wrapper or ("board" if dev.name == "ice40-up5k" else "ooc")
    if not dev.place_and_route:
        wrapper = "core"
    frag = _elaborate(graph, trace)
    mems = core_memories(graph, fragment=frag) + wrapper_memories(graph, wrapper)
    maps = [map_memory(m, dev.family) for m in mems]
    mem_cells = _soft_memory_cells(maps, dev.family)
    return CapacityEstimate(
        target=dev.name, wrapper=wrapper, memories=maps, brams=sum(m.blocks for m in maps),
        memory_bits=sum(m.memory.bits for m in maps),
        logic_cells=model_logic_cells(graph, lc_features(graph), wrapper, mem_cells),
        memory_cells=mem_cells,
        dsps=_dsp_count(_multipliers(frag), dev.family, _shift_leak_layers(graph)) if dsp else 0, sprams=0, available=_available(dev))


def estimate_build(build_dir, target: str = "ice40-up5k", wrapper: str | None = None) -> CapacityEstimate:
    """:func:`estimate` of a build folder (checked like :func:`scnc.rtl.load_build` checks it)."""
    from ..rtl.compile import load_build

    manifest, graph = load_build(build_dir)
    return estimate(graph, target, wrapper, trace=manifest.has_trace)


# --------------------------------------------------------------------------------------------------------
# The check and its suggestions


def requantize(graph, *, engine=None, **changes):
    """``graph`` quantized again from its float weights with its recorded options (``provenance``) changed
    by ``changes`` (:class:`~scnc.ir.QuantOptions` fields) and ``engine`` set (default: its own). With no
    changes the result is ``graph`` again (same IR hash): quantization is deterministic and keeps the float
    weights, so the model can cost a variant of a build without its checkpoint."""
    from dataclasses import fields, replace

    from ..ir import QuantOptions, quantize, set_engine
    from ..ir.graph import Level

    def strip(node):
        names = {f.name for f in fields(node)}
        # the hardware form of each node kind: quantization, counter width, a delay line's plan
        return replace(node, **{k: v for k, v in (("quant", None), ("count_bits", 0), ("line", None)) if k in names})

    opts = {**graph.provenance.get("quant_options", {}), **changes}
    float_graph = replace(graph, nodes=tuple(strip(n) for n in graph.nodes), level=Level.FLOAT, hardware=None,
                          passes=())
    import warnings

    with warnings.catch_warnings():  # "a layer never fires" is the compile's business, not the estimate's
        warnings.simplefilter("ignore")
        g = quantize(float_graph, QuantOptions(**opts))
    return set_engine(g, engine if engine is not None else graph.hardware.engine)


class DoesNotFitEstimate(ScncError):
    """The capacity model says the design does not fit (raised before any tool runs).

    Members
    -------
    estimate:
        The :class:`CapacityEstimate`.
    suggestions:
        Options that would fit, computed from the model (may be empty).
    """

    def __init__(self, message: str, estimate: CapacityEstimate, suggestions: list[str]) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.suggestions = suggestions


_NAMES = {"brams": "block RAM", "logic_cells": "logic cells", "dsps": "DSP", "sprams": "SPRAM"}


def _variants(graph):
    """Candidate changes, cheapest to the user first: ``(option text, QuantOptions changes, engine)``.
    Within each kind the first one that fits is enough, so each kind yields its steps in order."""
    hw = graph.hardware
    q0 = graph.layers[0].synapse.quant
    p_i, p_n = q0.parallel_inputs, q0.parallel_neurons
    other = next(e for e in Engine if e is not hw.engine)
    halvings = []
    pi, pn = p_i, p_n
    uniform = {"layer_parallel": ()}  # a suggestion is one --parallel PIxPN for every layer
    while pn > 1 or pi > 1:  # both cost logic: the dense engine's P_i synapse lanes, the event engine's banks
        if pn > 1:
            pn //= 2
        elif pi > 1:
            pi //= 2
        halvings.append((f"--parallel {pi}x{pn}", {"parallel_inputs": pi, "parallel_neurons": pn, **uniform},
                         hw.engine))
    yield "parallel", halvings
    yield "engine", [(f"--engine {other} --parallel {p_i}x{p_n}", dict(uniform), other)] + [
        (f"--engine {other} --parallel {p_i}x{p_n // k}", {"parallel_neurons": p_n // k, **uniform}, other)
        for k in (2, 4) if p_n // k >= 1]
    L = hw.stream_length
    yield "weights", [(f"--weight-bits {w}" + (f" --stream-length {L}" if L else ""), {"weight_bits": w}, hw.engine)
                      for w in range(q0.weight_bits - 1, 0, -1)]


def suggest(graph, target: str, wrapper: str | None = None, *, dsp: bool = True) -> list[str]:
    """Options that make the core of ``graph`` fit ``target``, each checked with :func:`estimate` on the graph
    quantized again with that change (:func:`requantize`): the largest parallelism that fits, the other
    engine, fewer weight bits, and the smallest bigger target that fits as it is."""
    from ..errors import IRError
    from .devices import DEVICES

    found: list[str] = []
    if dsp and "dsps" in estimate(graph, target, wrapper).overflow:
        est = estimate(graph, target, wrapper, dsp=False)
        if est.fits:
            found.append(f"--no-dsp for scnc synth (multipliers in logic: ~{est.logic_cells} logic cells)")
    for _kind, steps in _variants(graph):
        for text, changes, eng in steps:
            try:
                est = estimate(requantize(graph, engine=eng, **changes), target, wrapper, dsp=dsp)
            except (IRError, ScncError):
                continue  # e.g. an engine this graph's streams cannot run on
            if est.fits:
                found.append(f"{text} ({est.brams} block RAM, ~{est.logic_cells} logic cells)")
                break
    dev = get_device(target)
    bigger = sorted((d for d in DEVICES.values() if d.place_and_route and d.name != dev.name
                     and d.resources.get(d.bram_resource, 0) > dev.resources.get(dev.bram_resource, 0)),
                    key=lambda d: d.resources.get(d.bram_resource, 0))
    for other in bigger:
        est = estimate(graph, other.name, dsp=dsp)
        if est.fits:
            found.append(f"--target {other.name} ({est.brams} of {est.available['brams']} block RAM, "
                         f"~{est.logic_cells} logic cells, {est.wrapper} wrapper)")
            break
    return found


def certain_overflow(est: CapacityEstimate) -> dict[str, tuple[int, int]]:
    """The overflows of ``est`` that the model's stated errors cannot explain away: logic cells beyond the
    device even at :data:`LC_ERROR` less, ECP5 block RAM beyond it even at :data:`BRAM_ECP5_OVER` fewer
    (iCE40 block RAM and DSPs are exact). What :func:`check_capacity` stops on: a design that might fit
    is left to the tools."""
    family = get_device(est.target).family
    out = {}
    for key, (used, avail) in est.overflow.items():
        if key == "logic_cells" and used * (1.0 - LC_ERROR) <= avail:
            continue
        if key == "brams" and family == "ecp5" and used - BRAM_ECP5_OVER <= avail:
            continue
        out[key] = (used, avail)
    return out


def check_capacity(graph, target: str, wrapper: str | None = None, *, trace: bool = False, dsp: bool = True,
                   where: str = "") -> CapacityEstimate:
    """:func:`estimate`, raising :class:`DoesNotFitEstimate` (with :func:`suggest`) when it certainly does not
    fit (:func:`certain_overflow`); a design over the device only within the model's error is let through."""
    est = estimate(graph, target, wrapper, trace=trace, dsp=dsp)
    over = certain_overflow(est)
    if not over:
        return est
    what = ", ".join(f"{_NAMES[k]} {u} of {a}" for k, (u, a) in over.items())
    hints = suggest(graph, target, wrapper, dsp=dsp)
    msg = (f"{where + ': ' if where else ''}the core does not fit {est.target} ({est.wrapper} wrapper) by the "
           f"capacity model: {what}")
    msg += ("; options that fit: " + "; ".join(hints)) if hints else "; no smaller option found by the model"
    msg += " (--force synthesizes anyway)"
    raise DoesNotFitEstimate(msg, est, hints)

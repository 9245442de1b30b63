"""scnc.fpga: synthesis, place and route and bitstreams of compiled cores (see ``docs/fpga.md``).

* :func:`synth` -- yosys + nextpnr on a build folder -> :class:`SynthReport` (``<build>/synth/report.json``):
  LUTs, flip-flops, BRAMs, DSPs, Fmax, fits, cycles, latency and samples/s at Fmax.
* :func:`build_bitstream` -- the iCEBreaker board design (core + UART bridge) packed into a ``.bin``.
* :data:`DEVICES` -- the targets (``ice40-up5k``, ``ecp5-25k``, ``ecp5-85k``, ``generic``).

Tools: the YoWASP wheels (``pip install scnc[fpga]``) or yosys / nextpnr / icepack on ``PATH``.
"""

from .bitstream import BOARDS, BitstreamResult, TimingNotMet, build_bitstream, program_commands
from .devices import DEVICES, Device, get_device
from .reports import (
    CellCounts,
    cell_counts,
    constant_clock_period_ns,
    group_cells,
    parse_cross_domain,
    parse_fmax,
    parse_utilisation,
    parse_yosys_stat,
    resource_overflow,
)
from .synth import DEFAULT_FREQ_MHZ, REPORT_FORMAT, DoesNotFit, SynthReport, load_manifest, synth
from .tools import TOOL_FLAVOURS, find_tool, run_tool
from .wrappers import CORE_MODULE, OOC_SHELL, TRACED_CORE_MODULE, WRAPPERS, core_params, hdl_dir, trace_shim, wrapper_for

__all__ = [
    "BOARDS",
    "BitstreamResult",
    "CORE_MODULE",
    "CellCounts",
    "DEFAULT_FREQ_MHZ",
    "DEVICES",
    "Device",
    "DoesNotFit",
    "OOC_SHELL",
    "REPORT_FORMAT",
    "SynthReport",
    "TOOL_FLAVOURS",
    "TRACED_CORE_MODULE",
    "TimingNotMet",
    "WRAPPERS",
    "build_bitstream",
    "cell_counts",
    "constant_clock_period_ns",
    "core_params",
    "find_tool",
    "get_device",
    "group_cells",
    "hdl_dir",
    "load_manifest",
    "parse_cross_domain",
    "parse_fmax",
    "parse_utilisation",
    "parse_yosys_stat",
    "program_commands",
    "resource_overflow",
    "run_tool",
    "synth",
    "trace_shim",
    "wrapper_for",
]

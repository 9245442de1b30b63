"""Verification infrastructure: simulator discovery and a cached cocotb runner.

See ``docs/verify.md``. :func:`find_verilator` / :func:`find_icarus` choose a simulator and say
why; :func:`run_cocotb` builds HDL sources once per content hash and runs cocotb tests on them.
"""

from scnc.verify.runner import CaseResult, RunResult, build_key, parse_results_xml, run_cocotb
from scnc.verify.tools import SimTool, describe_tools, find_icarus, find_simulator, find_verilator

__all__ = [
    "SimTool",
    "find_verilator",
    "find_icarus",
    "find_simulator",
    "describe_tools",
    "RunResult",
    "CaseResult",
    "run_cocotb",
    "build_key",
    "parse_results_xml",
]

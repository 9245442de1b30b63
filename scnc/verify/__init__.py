"""Verification: simulator discovery, a cached cocotb runner, and the bit-exact network bench.

See ``docs/verify.md``. :func:`find_verilator` / :func:`find_icarus` choose a simulator and say
why; :func:`run_cocotb` builds HDL sources once per content hash and runs cocotb tests on them;
:func:`verify_build` runs a compiled core through the cocotb bench in ``sim/`` and compares every
spike, membrane, saturation and count with :mod:`scnc.ref` (:mod:`scnc.verify.scoreboard`).
"""

from scnc.verify.batch import BatchResult, batch_wrapper, verify_batch
from scnc.verify.cases import Case, input_beats, load_case, make_case, save_case
from scnc.verify.lint import lint_verilog
from scnc.verify.runner import CaseResult, RunResult, build_key, parse_results_xml, run_cocotb
from scnc.verify.scoreboard import Comparison, Divergence, compare
from scnc.verify.tools import SIMULATORS, SimTool, describe_tools, find_icarus, find_simulator, find_verilator
from scnc.verify.runner import ICARUS_ARGS, ccache_environ
from scnc.verify.verify import FLOWS, VerifyReport, bench_dir, choose_inputs, flow_env, verify_build

__all__ = [
    "SIMULATORS",
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
    "Case",
    "make_case",
    "save_case",
    "load_case",
    "input_beats",
    "Comparison",
    "Divergence",
    "compare",
    "VerifyReport",
    "verify_build",
    "choose_inputs",
    "bench_dir",
    "ccache_environ",
    "ICARUS_ARGS",
    "BatchResult",
    "verify_batch",
    "batch_wrapper",
    "lint_verilog",
    "FLOWS",
    "flow_env",
]

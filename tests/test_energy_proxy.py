"""benchmarks/energy.py: the toggle counter (Verilator --coverage-toggle, coverage.dat parsing) gives exact counts.

A 4-bit counter run for K cycles from zero toggles bit i exactly floor(K / 2^i) times; the benchmark's build
and parser must report exactly that sum for the counter inside a bench, not counting the bench's own signals
or the clock, and one more cycle must change the count.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "energy.py"


def _bench():
    spec = importlib.util.spec_from_file_location("scnc_bench_energy", BENCH)
    assert spec is not None and spec.loader is not None
    if spec.name not in sys.modules:  # its dataclasses look their module up while the class is made
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[spec.name]


# the counter under test inside a "bench" with toggling signals of its own, which must not be counted
COUNTER_V = """\
module counter4(input clk, input rst, output [3:0] q);
  reg [3:0] n;
  always @(posedge clk) if (rst) n <= 4'd0; else n <= n + 4'd1;
  assign q = n;  // an alias: one net under two names
endmodule

module bench(input clk, input rst, output [3:0] q, output reg [7:0] noise);
  counter4 core (.clk(clk), .rst(rst), .q(q));
  always @(posedge clk) noise <= noise + 8'd3;
endmodule
"""

# reset for two cycles, then K = argv[1] cycles; the counters go to argv[2]
COUNTER_MAIN = r"""#include <cstdlib>
#include "verilated.h"
#include "Vbench.h"
int main(int argc, char** argv) {
    VerilatedContext ctx;
    Vbench top{&ctx};
    const long K = std::atol(argv[1]);
    top.clk = 0; top.rst = 1; top.eval();
    for (int i = 0; i < 2; ++i) { top.clk = 1; top.eval(); top.clk = 0; top.eval(); }
    top.rst = 0; top.eval();
    for (long i = 0; i < K; ++i) { top.clk = 1; top.eval(); top.clk = 0; top.eval(); }
    ctx.coveragep()->forcePerInstance(true);
    ctx.coveragep()->write(argv[2]);
    return 0;
}
"""


def _exact(K: int, bits: int = 4) -> int:
    return sum(K >> i for i in range(bits))


@pytest.mark.sim
def test_counter_toggles_are_exact_and_one_more_cycle_changes_them(tmp_path: Path) -> None:
    energy = _bench()
    verilog = tmp_path / "bench.v"
    verilog.write_text(COUNTER_V)
    exe, _ = energy.build_toggle_exe(verilog, "bench", COUNTER_MAIN, tmp_path / "build")
    cov = tmp_path / "coverage.dat"

    def toggles(K: int):
        subprocess.run([str(exe), str(K), str(cov)], check=True)
        return energy.read_toggles(cov, "bench.core")

    reset = toggles(0)
    K = 37
    run = toggles(K)
    assert _exact(K) == 37 + 18 + 9 + 4
    # n[i] and its alias q[i] toggle floor(K / 2^i) times each, nothing else moves
    assert run.toggles - reset.toggles == 2 * _exact(K)
    assert run.merged - reset.merged == _exact(K)  # the alias counted once
    assert run.clock - reset.clock == 2 * K  # both edges of each cycle, reported apart
    assert run.points == 2 * (1 + 4 + 4) and run.arrays == 0  # rst, n, q inside the core, two directions each
    # the bench's own counter toggles too, but lies outside TOP.bench.core
    whole = energy.read_toggles(cov, "bench")
    assert whole.toggles > run.toggles and whole.points > run.points
    # a planted difference: one more cycle
    more = toggles(K + 1)
    assert more.toggles - reset.toggles == 2 * _exact(K + 1) != 2 * _exact(K)
    assert more.merged - reset.merged == _exact(K + 1)
    # the build is reused when nothing changed
    assert energy.build_toggle_exe(verilog, "bench", COUNTER_MAIN, tmp_path / "build") == (exe, 0.0)


def test_parse_coverage_reads_pairs_and_rejects_garbage() -> None:
    energy = _bench()
    text = ("# SystemC::Coverage-3\n"
            "C '\x01t\x02toggle\x01o\x02q[1]:0->1\x01h\x02TOP.core' 12\n"
            "C '\x01t\x02toggle\x01o\x02clk:0->1\x01h\x02TOP.core' 5\n"
            "C '\x01t\x02toggle\x01o\x02x:1->0\x01h\x02TOP.corex' 7\n"
            "C '\x01t\x02line\x01o\x02if\x01h\x02TOP.core.sub' 9\n"
            "C '\x01t\x02toggle\x01o\x02mem[2][3]:0->1\x01h\x02TOP.core.ram' 4\n"
            "C '\x01t\x02toggle\x01o\x02alias[1]:0->1\x01h\x02TOP.core.sub' 12\n")
    pts = energy.parse_coverage(text)
    assert [(p.kind, p.signal, p.hierarchy, p.count) for p in pts] == [
        ("toggle", "q[1]", "TOP.core", 12), ("toggle", "clk", "TOP.core", 5), ("toggle", "x", "TOP.corex", 7),
        ("line", "if", "TOP.core.sub", 9), ("toggle", "mem[2][3]", "TOP.core.ram", 4),
        ("toggle", "alias[1]", "TOP.core.sub", 12)]
    # TOP.corex is not inside TOP.core; a line point is not a toggle; alias[1] agrees with q[1] bit for bit
    assert energy.core_toggles(pts, "core") == energy.ToggleCount(toggles=28, merged=16, arrays=4, clock=5, points=3)
    with pytest.raises(ValueError, match="no toggle point inside TOP.other"):
        energy.core_toggles(pts, "other")
    with pytest.raises(ValueError, match="line 2"):
        energy.parse_coverage("# SystemC::Coverage-3\nX nonsense\n")
    with pytest.raises(ValueError, match="header"):
        energy.parse_coverage("C '' 1\n")


@pytest.mark.sim
def test_tiny_core_toggles_follow_activity_and_cycles_match_ref(tmp_path: Path) -> None:
    """The benchmark's path on a generated core: per-sample cycles equal scnc.ref.cycles, the counts
    repeat exactly, and a sample with every input at full intensity toggles more than one with none."""
    import numpy as np

    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.rtl import compile_graph
    from scnc.snn.network import Network

    energy = _bench()
    g = quantize(from_network(Network.dense([6, 5, 3], seed=1, timesteps=4)), QuantOptions(stream_length=8))
    man = compile_graph(g, tmp_path / "core", trace=False)
    x = np.array([[0] * 6, [255] * 6, [40, 200, 0, 90, 255, 7]], dtype=np.int64)
    samples, facts = energy.measure_build(tmp_path / "core", man, g, {"intensities": x}, tmp_path / "run")
    assert all(s.cycles == s.predicted_cycles for s in samples)
    assert facts["toggle_points"] > 0 and facts["reset_toggles"] > 0
    silent, busy, _ = samples
    assert busy.toggles > silent.toggles > 0
    assert all(0 < s.merged <= s.toggles for s in samples)
    again, _ = energy.measure_build(tmp_path / "core", man, g, {"intensities": x}, tmp_path / "run")
    assert again == samples  # deterministic, and the build was reused

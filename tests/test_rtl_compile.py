"""compile_graph: files, manifest, determinism, atomicity and Verilator lint."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

import pytest

from support.ir_strategies import GraphShape, build_graph
from scnc.errors import ConfigError, IRError, ToolError
from scnc.ir import ir_hash, load_ir
from scnc.rtl import WAIVERS, Manifest, compile_graph, sample_cycles, step_cycles
from scnc.verify import find_verilator, lint_verilog


@pytest.fixture(scope="module")
def graph():
    return build_graph(GraphShape(sizes=(5, 4, 3), sng="lfsr", parallel_inputs=2, seed=1))


@pytest.fixture(scope="module")
def built(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("rtl") / "core"
    man = compile_graph(graph, out, top_name="my_core")
    return out, man


def test_files_and_manifest(graph, built) -> None:
    out, man = built
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "ir", "manifest.json", "my_core.v"]
    assert json.loads((out / "manifest.json").read_text()) == man.to_dict()
    assert (out / "manifest.json").read_text() == man.to_json()
    assert Manifest.load(out) == man and Manifest.from_dict(man.to_dict()) == man
    assert man.format == "scnc-rtl-manifest/2"
    assert man.ir_hash == ir_hash(graph)
    assert ir_hash(load_ir(out / "ir")) == ir_hash(graph)
    assert man.cycles.per_sample == sample_cycles(graph)["total"]
    assert man.cycles.per_step.to_dict() == step_cycles(graph)
    assert set(man.files.sha256) == {"my_core.v", "ir/ir.json", "ir/ir.npz"}
    assert man.files.sha256["my_core.v"] == hashlib.sha256((out / "my_core.v").read_bytes()).hexdigest()
    verilog = (out / "my_core.v").read_text()
    header = re.search(r"module my_core\((.*?)\);", verilog).group(1)
    assert sorted(p.strip() for p in header.split(",")) == sorted(p.name for p in man.ports)
    for p in man.ports:
        width = "" if p.width == 1 else rf"\[{p.width - 1}:0\] "
        assert re.search(rf"{p.direction} {width}{re.escape(p.name)};", verilog), p
    assert man.trace.beats_per_sample == graph.timesteps * 7
    assert str(out) not in verilog and str(out) not in (out / "manifest.json").read_text()


def test_deterministic(graph, built, tmp_path) -> None:
    out, _ = built
    compile_graph(graph, tmp_path / "again", top_name="my_core")
    for f in ("my_core.v", "manifest.json", "README.md", "ir/ir.json", "ir/ir.npz"):
        assert (out / f).read_bytes() == (tmp_path / "again" / f).read_bytes(), f


def test_no_trace_build(graph, tmp_path) -> None:
    man = compile_graph(graph, tmp_path / "nt", trace=False)
    assert not man.has_trace and man.trace is None and not man.options["trace"]
    assert not any(p.name.startswith("trace") for p in man.ports)
    assert Manifest.load(tmp_path / "nt") == man


def test_replaces_existing_only_when_complete(graph, tmp_path) -> None:
    out = tmp_path / "core"
    compile_graph(graph, out)
    before = (out / "scnc_core.v").read_bytes()
    broken = graph.replace_node(graph.output.name, replace(graph.output, count_bits=1))  # T = 3 needs 2 bits
    with pytest.raises(IRError, match="count_bits"):
        compile_graph(broken, out)
    assert (out / "scnc_core.v").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["core"]  # no temporary folder left behind
    with pytest.raises(ConfigError, match="top_name"):
        compile_graph(graph, tmp_path / "x", top_name="bad name")


def test_rejects_float_graph(graph, tmp_path) -> None:
    with pytest.raises(IRError, match="float graph"):
        compile_graph(replace(graph, level="float"), tmp_path / "f")


def _verilator_or_skip():
    try:
        find_verilator()
    except ToolError as e:
        pytest.skip(f"verilator not available: {e}")


@pytest.mark.sim
@pytest.mark.parametrize("kw", [
    dict(sizes=(5, 4, 3), sng="lfsr", input_sng="lfsr", parallel_inputs=2),
    dict(sizes=(6, 5), sng="sobol", input_sng="sobol", leak="shift"),
    dict(sizes=(4, 3), encoding="fixed", coding="spikes", reset="zero"),
])
def test_lint_clean(kw, tmp_path) -> None:
    _verilator_or_skip()
    g = build_graph(GraphShape(**kw, seed=2))
    compile_graph(g, tmp_path / "c")
    assert lint_verilog(tmp_path / "c" / "scnc_core.v", "scnc_core") == []


@pytest.mark.sim
def test_lint_catches_a_problem(tmp_path) -> None:
    _verilator_or_skip()
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input a, output b, output c);\nassign b = a;\nendmodule\n")
    # an undriven output is not a waived kind: lint with the real waivers fails on it
    found = lint_verilog(bad, "bad")
    assert any("UNDRIVEN" in line for line in found), found
    assert set(WAIVERS) >= {"WIDTHEXPAND", "UNUSEDSIGNAL"} and all(WAIVERS.values())


@pytest.mark.parametrize("seed", range(8))
def test_ir_show_states_the_manifests_cycles(seed, tmp_path) -> None:
    """`scnc ir show` and the manifest read one cycle model: the figures agree for random graphs."""
    import re

    import numpy as np

    from scnc.ir import summary
    from scnc.verify.configs import build_config, draw_spec

    graph, _ = build_config(draw_spec(np.random.default_rng(seed)))
    man = compile_graph(graph, tmp_path / "b")
    text = summary(graph)
    step = int(re.search(r"cycles: (\d+) per time step", text).group(1))
    sample = int(re.search(r"(\d+) per sample", text).group(1))
    assert (step, sample) == (man.cycles.per_step.total, man.cycles.per_sample)

"""Verification at scale: the bulk trace path, sharded runs (--jobs), Dask clusters, --samples all.

Unit tests need no simulator (the wrapper's Verilog, the trace-file reader, shard bounds, merging).
Simulator tests (marker ``sim``) run a small core in Icarus (builds < 1 s): the bulk path against the
per-beat monitor, the same verdict and first divergence for any number of shards, and a Dask
``LocalCluster`` of 2 workers (skipped when the optional ``distributed`` package is missing).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from scnc.cli import main
from scnc.errors import ConfigError, DataError
from scnc.rtl import compile_graph
from scnc.verify import verify_build
from scnc.verify.recorder import PLUSARG, RECORDER_TOP, read_trace_file, recorder_wrapper
from scnc.verify.shard import merge_junit, merge_results, shard_bounds

from test_verify_bench import small_graph
from test_verify_mutation import with_layer0

needs_icarus = pytest.mark.skipif(shutil.which("iverilog") is None,
                                  reason="needs Icarus Verilog (apt-get install iverilog)")


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    d = tmp_path_factory.mktemp("scale") / "build"
    g = small_graph()
    man = compile_graph(g, d)
    return d, g, man


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("simbuilds")


def _inputs(g, b: int, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    return {"intensities": rng.integers(0, 256, size=(b, g.input.size), dtype=np.int64)}


# ---- no simulator -----------------------------------------------------------------------------

def test_recorder_wrapper_passes_every_port_and_records_trace(core) -> None:
    _, _, man = core
    v = recorder_wrapper(man)
    assert f"module {RECORDER_TOP}(" in v and f"{man.top} core (" in v
    for p in man.ports:
        assert f".{p.name}({p.name})" in v
        assert f"{p.direction} " in v and p.name in v.split(");")[0]  # a port of the wrapper too
    assert f'$value$plusargs("{PLUSARG}=%s"' in v
    assert "trace__valid === 1'b1 && trace__ready === 1'b1" in v
    assert f"scnc_rec_in_sample == {man.trace.beats_per_sample - 1}" in v
    clocked = recorder_wrapper(man, hdl_clock=True)
    assert "input clk;" not in clocked and "always #5 clk = ~clk;" in clocked and "input clk;" in v


def test_recorder_wrapper_refuses_a_core_without_trace(tmp_path) -> None:
    man = compile_graph(small_graph(), tmp_path / "nt", trace=False)
    with pytest.raises(DataError, match="no trace stream"):
        recorder_wrapper(man)
    with pytest.raises(DataError, match="period_ns"):
        recorder_wrapper(compile_graph(small_graph(), tmp_path / "t"), period_ns=7)


def test_read_trace_file_parses_hex_and_names_unknown_bits(tmp_path) -> None:
    f = tmp_path / "trace.hex"
    f.write_text("0001\n00ff\n1234\n")
    beats, problems = read_trace_file(f, 16)
    assert beats.dtype == np.int64 and beats.tolist() == [1, 255, 0x1234] and problems == []
    f.write_text("0001\n0x0z\n0002\n")
    beats, problems = read_trace_file(f, 16)
    assert beats.tolist() == [1, -1, 2] and problems == ["trace: beat 1 has unknown bits ('0x0z')"]
    beats, problems = read_trace_file(tmp_path / "missing.hex", 16)
    assert len(beats) == 0 and "unreadable" in problems[0]


def test_shard_bounds_cover_every_sample_once() -> None:
    assert shard_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert shard_bounds(2, 8) == [(0, 1), (1, 2)]  # never an empty shard
    assert shard_bounds(1797, 2) == [(0, 898), (898, 1797)]
    with pytest.raises(ConfigError):
        shard_bounds(5, 0)


def _div(sample, step, layer, neuron, field="membrane"):
    return {"sample": sample, "step": step, "layer": layer, "neuron": neuron, "field": field,
            "expected": 1, "actual": 2}


def test_merge_results_numbers_samples_run_wide_and_keeps_the_first() -> None:
    a = {"ok": True, "values_compared": 100, "mismatches": 0, "first_divergence": None, "examples": [],
         "per_field": {}, "protocol": [], "samples": 3, "latency_cycles": [7, 7, 7],
         "flow_stats": {"i_data_idle_cycles": 2, "trace_stalled_samples": [0]}}
    b = {"ok": False, "values_compared": 90, "mismatches": 2, "first_divergence": _div(1, 0, 1, 2),
         "examples": [_div(1, 0, 1, 2), _div(2, 3, 0, 0)], "per_field": {"membrane": 2},
         "protocol": ["latency: sample 0 took 9 cycles"], "samples": 3, "latency_cycles": [9, 7, 7],
         "flow_stats": {"i_data_idle_cycles": 5, "trace_stalled_samples": [3]}}
    m = merge_results([a, b], [(0, 3), (3, 6)])
    assert not m["ok"] and m["values_compared"] == 190 and m["mismatches"] == 2
    assert m["first_divergence"] == _div(4, 0, 1, 2)  # shard 1's sample 1 is the run's sample 4
    assert [e["sample"] for e in m["examples"]] == [4, 5]
    assert m["protocol"] == ["samples 3..5: latency: sample 0 took 9 cycles"]
    assert m["latency_cycles"] == [7, 7, 7, 9, 7, 7] and m["samples"] == 6
    assert m["flow_stats"] == {"i_data_idle_cycles": 7, "trace_stalled_samples": [0, 3]}


def test_merge_junit_writes_one_suite(tmp_path) -> None:
    runs = [{"cases": [["scnc_bench.core_matches_reference", "passed", "", 10.0]]},
            {"cases": [["scnc_bench.core_matches_reference", "failed", "1 of 9 values differ", 12.0]]}]
    path = merge_junit(runs, [(0, 2), (2, 4)], tmp_path / "results.xml")
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["core_matches_reference[samples 0..1]", "core_matches_reference[samples 2..3]"]


def test_cli_rejects_bad_jobs_and_all_without_a_matching_data_set(core, capsys) -> None:
    d, _, _ = core
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(d), "--jobs", "0"])
    assert exc.value.code == 2 and "--jobs: must be an integer >= 1" in capsys.readouterr().err
    # 6 inputs: digits' 64 features do not fit, so "the whole split" means nothing
    assert main(["verify", str(d), "--samples", "all", "--no-progress"]) == 2
    assert "samples='all'" in capsys.readouterr().err


# ---- simulator --------------------------------------------------------------------------------

@pytest.mark.sim
@needs_icarus
@pytest.mark.parametrize("flow", ["always", "random"])
def test_bulk_trace_path_matches_the_per_beat_monitor(core, build_root, flow) -> None:
    d, g, _ = core
    inputs = _inputs(g, 5)
    bulk = verify_build(d, sim="icarus", inputs=inputs, flow=flow, build_root=build_root)
    mon = verify_build(d, sim="icarus", inputs=inputs, flow=flow, build_root=build_root, trace_path="monitor")
    assert bulk.ok and mon.ok, (bulk.summary(), mon.summary())
    assert bulk.results["trace_path"] == "bulk" and mon.results["trace_path"] == "monitor"
    assert bulk.values_compared == mon.values_compared
    assert bulk.latency_cycles == mon.latency_cycles if flow == "always" else len(bulk.latency_cycles) == 5
    assert not (d / "verify" / "trace.hex").exists()  # all checked: the file is not kept
    if flow == "random":
        st = bulk.results["flow_stats"]
        assert st["trace_stalled_samples"][0] == 0 and st["trace_stalls"] > 0, st  # real back-pressure
        assert st["o_data_stalls"] > 0 and st["i_data_idle_cycles"] > 0


@pytest.mark.sim
def test_verilator_main_clock_matches_cocotbs_clock(core, build_root) -> None:
    """Verilator: the bulk path (clock toggled by scnc's Verilator main, no cocotb clock) and the
    per-beat monitor (cocotb's GPI clock, cocotb's main) see the same beats at the same cycles."""
    d, g, _ = core
    inputs = _inputs(g, 3, seed=5)
    bulk = verify_build(d, sim="verilator", inputs=inputs, flow="always", build_root=build_root)
    mon = verify_build(d, sim="verilator", inputs=inputs, flow="always", build_root=build_root, trace_path="monitor")
    assert bulk.ok and mon.ok, (bulk.summary(), mon.summary())
    assert bulk.values_compared == mon.values_compared
    assert bulk.latency_cycles == mon.latency_cycles  # cycle-exact, and equal to scnc.ref's (flow always)


@pytest.mark.sim
@needs_icarus
def test_sharded_run_gives_the_same_verdict_and_first_divergence(core, build_root, tmp_path) -> None:
    """A planted threshold (Verilog off by one) that only shows on later samples: any number of shards
    reports the same counts and the same first divergence, numbered run-wide."""
    from test_verify_mutation import base_graph, planted_build

    good = base_graph("shift")
    th = good.layers[0].neuron.quant.threshold_q.copy()
    th[1] += 1
    d, _ = planted_build(tmp_path, good, with_layer0(good, threshold_q=th))
    x = np.zeros((4, good.input.size), np.int64)
    x[2:] = 255  # samples 0 and 1 never reach a threshold: the fault shows from sample 2 on
    inputs = {"intensities": x}
    broot = tmp_path / "simbuilds"
    one = verify_build(d, sim="icarus", inputs=inputs, flow="always", build_root=broot)
    three = verify_build(d, sim="icarus", inputs=inputs, flow="always", build_root=broot, jobs=3)
    assert not one.ok and not three.ok and one.mismatches > 0
    assert one.first_divergence["sample"] == 2  # in the third shard, whose first sample is the run's 2
    for key in ("values_compared", "mismatches", "first_divergence"):
        assert getattr(three, key) == getattr(one, key), key
    assert three.results["examples"] == one.results["examples"]
    assert len(three.results["shards"]) == 3 and three.build_cached  # one build, made by the first run
    assert three.waves_file is not None and three.waves_file.is_file()  # re-run of sample 2 with waves
    suite = ET.parse(three.junit_xml).getroot().find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    d2, g, _ = core
    good_run = verify_build(d2, sim="icarus", inputs=_inputs(g, 5), flow="random", build_root=build_root, jobs=2)
    assert good_run.ok and len(good_run.results["shards"]) == 2, good_run.summary()


@pytest.mark.sim
@needs_icarus
def test_cli_jobs_json_reports_shards(core, capsys) -> None:
    d, _, _ = core
    rc = main(["verify", str(d), "--sim", "icarus", "--samples", "4", "--jobs", "2", "--json", "--no-progress"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 0, line
    assert line["samples"] == 4 and line["mismatches"] == 0
    res = json.loads((d / "verify" / "results.json").read_text())
    assert [s["samples"] for s in res["shards"]] == [[0, 2], [2, 4]]


@pytest.mark.sim
@needs_icarus
def test_dask_local_cluster_runs_a_sharded_verify_and_a_campaign(core, tmp_path) -> None:
    distributed = pytest.importorskip("distributed", reason="optional extra: pip install 'scnc[cluster]'")
    from scnc.verify.batch import run_campaign
    from scnc.verify.configs import draw_spec

    d, g, _ = core
    inputs = _inputs(g, 4, seed=7)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        rep = verify_build(d, sim="icarus", inputs=inputs, build_root=tmp_path / "b", scheduler=cluster.scheduler_address,
                           jobs=2)
        rng = np.random.default_rng(11)
        batches = run_campaign([draw_spec(rng) for _ in range(4)], tmp_path / "campaign", batch=2, sim="icarus",
                               scheduler=cluster.scheduler_address)
    local = verify_build(d, sim="icarus", inputs=inputs, build_root=tmp_path / "b")
    assert rep.ok and rep.values_compared == local.values_compared, rep.summary()
    assert len(rep.results["shards"]) == 2 and rep.results["scheduler"] == cluster.scheduler_address
    assert len(batches) == 2 and all(r["ok"] for b in batches for r in b["results"]), batches


def test_scheduler_without_distributed_names_the_extra(core, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    from scnc.verify.shard import dask_map

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ConfigError, match=r"pip install 'scnc\[cluster\]'"):
        dask_map(len, [[1]], "tcp://127.0.0.1:1")

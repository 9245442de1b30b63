"""scnc.manifest: the typed manifest, its checks, and the beat layouts every consumer decodes with."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from amaranth.lib import data
from hypothesis import given, settings
from hypothesis import strategies as st

from support.ir_strategies import GraphShape, build_graph
from scnc.errors import BuildError, DataError
from scnc.rtl import Manifest, compile_graph, load_build, trace_layout
from scnc.manifest import MANIFEST_FORMAT, check_top_name, is_build_folder
from scnc.verify.cases import input_beats, make_case


@pytest.fixture(scope="module")
def graph():
    return build_graph(GraphShape(sizes=(5, 4, 3), sng="lfsr", parallel_inputs=2, seed=1))


@pytest.fixture(scope="module")
def build(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("manifest") / "core"
    return out, compile_graph(graph, out)


def _copy_edit(build, tmp_path, fn, name="b"):
    out, _ = build
    d = shutil.copytree(out, tmp_path / name)
    p = d / "manifest.json"
    m = json.loads(p.read_text())
    fn(m)
    p.write_text(json.dumps(m))
    return d


def test_round_trip_is_exact(build) -> None:
    out, man = build
    text = (out / "manifest.json").read_text()
    assert Manifest.from_dict(json.loads(text)).to_json() == text
    assert Manifest.load(out) == man and man.format == MANIFEST_FORMAT


@settings(max_examples=60, deadline=None)
@given(layer=st.integers(0, 1), neuron=st.integers(0, 3), step=st.integers(0, 2),
       membrane=st.integers(-(1 << 11), (1 << 11) - 1), spike=st.integers(0, 1), saturated=st.integers(0, 1))
def test_trace_layout_agrees_with_amaranth(graph, build, layer, neuron, step, membrane, spike, saturated) -> None:
    """BeatLayout packs exactly as the gateware's Amaranth layout (what the core really emits)."""
    _, man = build
    lay = man.trace.payload
    amaranth_layout = trace_layout(graph)
    fields = {"layer": layer, "neuron": neuron, "step": step, "spike": spike, "saturated": saturated,
              "membrane": max(-(1 << (lay.field("membrane").width - 1)),
                              min(membrane, (1 << (lay.field("membrane").width - 1)) - 1))}
    want = amaranth_layout.const(fields).as_bits()  # the bits the core drives on trace__payload
    assert isinstance(amaranth_layout, data.StructLayout) and lay.width == amaranth_layout.size
    word = lay.encode(fields)
    assert word == want
    assert lay.decode(word) == fields


def test_layout_encode_decode_errors(build) -> None:
    _, man = build
    lay = man.o_data.payload
    with pytest.raises(DataError, match="do not exist"):
        lay.encode({"nope": 1})
    with pytest.raises(DataError, match="does not fit"):
        lay.encode({"last": 2})
    with pytest.raises(DataError, match="does not fit the"):
        lay.decode(1 << lay.width)


def test_o_data_codec_and_missing_beats(build) -> None:
    _, man = build
    T, n = man.graph.timesteps, man.graph.n_outputs
    rng = np.random.default_rng(0)
    spikes = rng.integers(0, 2, (T, n))
    counts = spikes.sum(axis=0)
    beats = man.encode_o_data(spikes, counts)
    dec = man.decode_o_data(beats + beats[:2], samples=2)
    assert (dec.spikes[0] == spikes).all() and (dec.counts[0] == counts).all() and dec.bad_last() == []
    assert dec.spikes_present[1].tolist() == [True, True] + [False] * (T - 2) and not dec.counts_present[1]
    swapped = beats[:-2] + [beats[-1], beats[-2]]
    assert man.decode_o_data(swapped).bad_last() == [(0, T - 1), (0, T)]


def test_i_data_beats_match_the_bench_driver(build, graph) -> None:
    _, man = build
    x = np.array([[0, 1, 15, 7, 3]], np.int64)
    case = make_case(graph, intensities=x)
    assert man.encode_i_data(x[0]) == input_beats(case)[0]
    with pytest.raises(DataError, match="integers in 0..15"):
        man.encode_i_data(np.array([0, 1, 16, 0, 0]))


def test_edited_fields_are_refused_naming_file_and_field(build, tmp_path) -> None:
    cases = {
        "ports[0].width": lambda m: m["ports"][0].update(width="1"),
        "streams.o_data.payload.fields[0].offset": lambda m: m["streams"]["o_data"]["payload"]["fields"][0].update(offset=-1),
        "graph.timesteps": lambda m: m["graph"].update(timesteps=True),
        "cycles.per_step.total": lambda m: m["cycles"]["per_step"].update(total=1),
        "files.ir": lambda m: m["files"].update(ir=["ir/ir.json"]),
        "lint.extra": lambda m: m["lint"].update(extra=1),
        "options.trace": lambda m: m["options"].update(trace=False),
        "layers[0].index": lambda m: m["layers"][0].update(index=1),
    }
    for i, (field, fn) in enumerate(cases.items()):
        d = _copy_edit(build, tmp_path, fn, f"e{i}")
        with pytest.raises(BuildError) as e:
            Manifest.load(d)
        assert e.value.field == field and str(d / "manifest.json") in str(e.value), (field, str(e.value))


def test_fields_that_follow_from_the_ir_must_match_it(build, tmp_path) -> None:
    """A manifest edited consistently (passes every field check) still cannot misdescribe the core."""
    d = _copy_edit(build, tmp_path, lambda m: m["layers"][0].update(weight_bits=m["layers"][0]["weight_bits"] + 1))
    Manifest.load(d)  # consistent on its own
    with pytest.raises(BuildError, match="does not match the build's IR") as e:
        load_build(d)
    assert e.value.field == "layers[0].weight_bits"


def test_previous_format_is_recognised_but_refused(build, tmp_path) -> None:
    d = _copy_edit(build, tmp_path, lambda m: m.update(format="scnc-rtl-manifest/1"))
    assert is_build_folder(d)
    with pytest.raises(BuildError, match="re-run scnc compile"):
        Manifest.load(d)
    assert not is_build_folder(tmp_path)


def test_top_names(graph, tmp_path) -> None:
    assert check_top_name("core_1") == "core_1"
    for bad in ("module", "logic", "a b", "1x", "x\ny", "", "é", "a" * 129, 5):
        with pytest.raises(BuildError):
            check_top_name(bad)
    with pytest.raises(BuildError, match="keyword"):
        compile_graph(graph, tmp_path / "k", top_name="always")
    assert not (tmp_path / "k").exists()

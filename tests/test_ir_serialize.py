"""scnc.ir.serialize (ir.json + ir.npz, ir_hash) and scnc.ir.show (summary)."""

from __future__ import annotations

import io
import json
import math
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scnc._io import canonical_json, npz_bytes
from scnc.errors import IRError
from scnc.ir import (
    QuantizationWarning,
    QuantOptions,
    from_network,
    ir_hash,
    load_ir,
    quantize,
    save_ir,
    set_encoding,
    summary,
)
from scnc.ir.serialize import graph_to_dict
from scnc.snn.network import Network


def qgraph(sizes=(6, 5, 3), seed=0, opts=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuantizationWarning)
        return quantize(from_network(Network.dense(list(sizes), seed=seed, **kw)), opts or QuantOptions())


def assert_same_graph(a, b):
    sa, aa = graph_to_dict(a)
    sb, ab = graph_to_dict(b)
    assert sa == sb
    assert set(aa) == set(ab)
    for k in aa:
        assert aa[k].dtype == ab[k].dtype and aa[k].shape == ab[k].shape and np.array_equal(aa[k], ab[k])
    assert ir_hash(a) == ir_hash(b)
    for la, lb in zip(a.layers, b.layers):
        if la.synapse.quant is not None:
            assert la.synapse.quant.synapse_sngs == lb.synapse.quant.synapse_sngs
            assert type(la.neuron.quant.leak) is type(lb.neuron.quant.leak)
            assert getattr(la.neuron.quant.leak, "beta_sng", None) == getattr(lb.neuron.quant.leak, "beta_sng", None)
            assert getattr(la.neuron.quant.leak, "dither_sng", None) == getattr(lb.neuron.quant.leak, "dither_sng", None)
            assert la.synapse.quant.scale == lb.synapse.quant.scale
    if a.input.quant is not None:
        assert a.input.quant == b.input.quant
    assert a.output == b.output and a.hardware == b.hardware and a.timesteps == b.timesteps


# ---- round trip -------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    seed=st.integers(0, 1000),
    L=st.sampled_from([2, 8, 64]),
    sng=st.sampled_from(["vdc", "sobol", "lfsr"]),
    input_sng=st.sampled_from(["vdc", "sobol", "lfsr"]),
    leak=st.sampled_from(["sc", "shift"]),
    encoding=st.sampled_from(["sc", "fixed"]),
    coding=st.sampled_from(["rate", "spikes"]),
    bias=st.booleans(),
    quantized=st.booleans(),
    reset=st.sampled_from(["subtract", "zero", "subtract_delayed"]),
)
def test_round_trip_exact(tmp_path_factory, sizes, seed, L, sng, input_sng, leak, encoding, coding, bias, quantized,
                          reset):
    net = Network.dense(sizes, seed=seed, bias=bias, reset=reset, timesteps=1 + seed % 5)
    g = from_network(net, class_labels=[f"c{i}" for i in range(sizes[-1])] if seed % 3 == 0 else None)
    if quantized:
        opts = QuantOptions(stream_length=L, sng=sng, input_sng=input_sng, leak=leak, encoding=encoding,
                            input_coding=coding, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuantizationWarning)
            g = quantize(g, opts)
    d1, d2 = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    save_ir(g, d1)
    back = load_ir(d1)
    assert_same_graph(g, back)
    assert not back.layers[0].synapse.weight.flags.writeable
    save_ir(back, d2)  # identical graphs give byte-identical files
    for name in ("ir.json", "ir.npz"):
        assert (d1 / name).read_bytes() == (d2 / name).read_bytes()


def test_file_format_and_hash(tmp_path):
    g = qgraph()
    save_ir(g, tmp_path / "ir")
    doc = json.loads((tmp_path / "ir" / "ir.json").read_text())
    assert doc["format"] == "scnc-ir" and doc["schema_version"] == 2 and doc["ir_hash"] == ir_hash(g)
    assert [n["kind"] for n in doc["graph"]["nodes"]] == ["input", "dense", "lif", "dense", "lif", "output"]
    assert doc["graph"]["nodes"][1]["quant"]["synapse_sngs"][0]["kind"] == "vdc"
    assert doc["graph"]["provenance"]["quant_options"]["stream_length"] == 64
    with np.load(tmp_path / "ir" / "ir.npz", allow_pickle=False) as z:
        assert "n1.weight" in z.files and "n1.quant.weight_q" in z.files and z["n1.quant.weight_q"].dtype == np.int32
    assert not list((tmp_path / "ir").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_ir_hash_is_content_addressed():
    a, b = qgraph(), qgraph()
    assert ir_hash(a) == ir_hash(b) and len(ir_hash(a)) == 64
    assert ir_hash(qgraph(seed=1)) != ir_hash(a)
    assert ir_hash(set_encoding(a, "fixed")) != ir_hash(a)
    assert ir_hash(qgraph(opts=QuantOptions(seed=5))) != ir_hash(a)  # different streams


# ---- malformed files ----------------------------------------------------------------------------------------
@pytest.fixture()
def saved(tmp_path):
    save_ir(qgraph(), tmp_path)
    return tmp_path


def _doc(folder: Path) -> dict:
    return json.loads((folder / "ir.json").read_text())


def _write_doc(folder: Path, doc: dict) -> None:
    (folder / "ir.json").write_text(canonical_json(doc))


def _arrays(folder: Path) -> dict:
    with np.load(folder / "ir.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _write_arrays(folder: Path, arrays: dict) -> None:
    (folder / "ir.npz").write_bytes(npz_bytes(arrays))


def _expect(folder: Path, file: str, field: str | None, match: str):
    with pytest.raises(IRError, match=match) as e:
        load_ir(folder)
    assert file in e.value.where
    if field is not None:
        assert e.value.field is not None and field in e.value.field
    return e.value


def test_missing_files(saved):
    (saved / "ir.npz").unlink()
    _expect(saved, "ir.npz", None, "missing")
    (saved / "ir.json").unlink()
    _expect(saved, "ir.json", None, "missing")


def test_not_json_and_not_npz(saved):
    (saved / "ir.npz").write_bytes(b"garbage")
    _expect(saved, "ir.npz", None, "npz")
    (saved / "ir.json").write_text("{not json")
    _expect(saved, "ir.json", None, "not valid JSON")


def test_pickled_npz_is_refused(saved):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        member = io.BytesIO()
        np.lib.format.write_array(member, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        zf.writestr("n1.weight.npy", member.getvalue())
    (saved / "ir.npz").write_bytes(buf.getvalue())
    _expect(saved, "ir.npz", None, "pickle")


@pytest.mark.parametrize("edit, field, match", [
    (lambda d: d.update(format="other"), "format", "scnc-ir"),
    (lambda d: d.update(schema_version=3), "schema_version", "unknown schema version 3"),
    (lambda d: d.pop("ir_hash"), "ir_hash", "missing"),
    (lambda d: d.update(extra=1), "extra", "unknown key"),
    (lambda d: d["graph"].pop("timesteps"), "graph.timesteps", "missing"),
    (lambda d: d["graph"]["nodes"][1].pop("quant"), "nodes[1].quant", "missing"),
    (lambda d: d["graph"]["nodes"][1]["quant"].update(weight_bits="6"), "quant.weight_bits", "integer"),
    (lambda d: d["graph"]["nodes"][1]["quant"]["synapse_sngs"][0].update(xor_mask=999), "synapse_sngs[0]", "SNG spec"),
    (lambda d: d["graph"]["nodes"][1].update(kind="conv"), "nodes[1].kind", "'dense', 'lif'"),
    (lambda d: d["graph"]["nodes"][2].update(size=4), "nodes[2].size", "width of its synapse node"),
    (lambda d: d["graph"]["nodes"][1].update(n_out=4), "n1.weight", "inconsistent"),
    (lambda d: d["graph"]["nodes"][2]["quant"].update(membrane_bits=1), "quant.membrane_bits", ">= 2|2 <="),
    (lambda d: d["graph"]["hardware"].update(stream_length=48), "stream_length", "power of two"),
    (lambda d: d["graph"]["nodes"][2]["quant"].update(leak="exp"), "quant.leak.kind", "'sc' or 'shift'"),
    (lambda d: d["graph"]["nodes"][2]["quant"]["leak"].update(kind="exp"), "quant.leak.kind", "'sc' or 'shift'"),
    (lambda d: d["graph"]["nodes"][2]["quant"]["leak"].update(rounding="half"), "quant.leak.rounding", "integer"),
    (lambda d: d["graph"]["nodes"][2]["quant"].update(reset="hold"), "reset", "subtract"),
    (lambda d: d["graph"]["nodes"][2].update(reset="hold"), "reset", "subtract"),
    (lambda d: d["graph"]["hardware"].update(sng="xor"), "sng", "vdc"),
])
def test_malformed_json(saved, edit, field, match):
    doc = _doc(saved)
    edit(doc)
    _write_doc(saved, doc)
    _expect(saved, "ir", field, match)  # ir.json or ir.npz, named in the error


@pytest.mark.parametrize("edit, file, field, match", [
    (lambda d: d["graph"].update(extra=1), "ir.json", "graph.extra", "unknown key"),
    (lambda d: d.update(schema_version=99), "ir.json", "schema_version", "unknown schema version"),
    (lambda d: d["graph"]["nodes"][1].update(n_out=4), "ir.npz", "n1.weight", "inconsistent"),
    (lambda d: d["graph"]["nodes"][1]["quant"].update(current_bits=2), "ir.json", "current_bits", "needs"),
    (lambda d: d["graph"]["nodes"][1]["quant"].update(weight_bits=2), "ir.json", "weight_q", ">= -3|<= 3"),
    (lambda d: d["graph"]["nodes"][5].update(class_labels=[0, 1]), "ir.json", "class_labels", "3 labels"),
    (lambda d: d["graph"].update(timesteps=0), "ir.json", "timesteps", ">= 1|1 <="),
])
def test_malformed_json_fields(saved, edit, file, field, match):
    doc = _doc(saved)
    edit(doc)
    _write_doc(saved, doc)
    _expect(saved, file, field, match)


@pytest.mark.parametrize("edit, field, match", [
    (lambda a: a.pop("n2.quant.bias_q"), "n2.quant.bias_q", "missing"),
    (lambda a: a.pop("n3.quant.weight_q"), "n3.quant.weight_q", "missing"),
    (lambda a: a.update({"n9.extra": np.zeros(2, np.int32)}), "n9.extra", "unexpected"),
    (lambda a: a.update({"n1.weight": np.zeros((6, 4), np.float32)}), "n1.weight", "inconsistent"),
    (lambda a: a.update({"n2.quant.threshold_q": np.ones(3, np.int32)}), "threshold_q", "inconsistent"),
    (lambda a: a.update({"n1.quant.weight_q": a["n1.quant.weight_q"].astype(np.int64)}), "weight_q", "int32"),
    (lambda a: a.update({"n2.beta": a["n2.beta"].astype(np.float64)}), "beta", "float32"),
    (lambda a: a["n1.quant.weight_q"].__setitem__((0, 0), 64), "weight_q", "<= 63"),
    (lambda a: a["n1.weight"].__setitem__((0, 0), np.nan), "weight", "finite"),
    (lambda a: a["n2.quant.leak.beta_q"].__setitem__(0, 65), "beta_q", "<= 64"),
])
def test_malformed_arrays(saved, edit, field, match):
    arrays = _arrays(saved)
    edit(arrays)
    _write_arrays(saved, arrays)
    _expect(saved, "ir.", field, match)


def test_hash_mismatch(saved):
    arrays = _arrays(saved)
    arrays["n1.weight"][0, 0] += np.float32(0.125)  # still a valid graph: only the hash can tell
    _write_arrays(saved, arrays)
    _expect(saved, "ir.json", "ir_hash", "hashes to")
    save_ir(qgraph(), saved)
    doc = _doc(saved)
    doc["graph"]["provenance"]["note"] = "edited"
    _write_doc(saved, doc)
    _expect(saved, "ir.json", "ir_hash", "edited or corrupted")


def test_save_refuses_malformed_graphs(tmp_path):
    from dataclasses import replace

    g = qgraph()
    with pytest.raises(IRError):
        save_ir(replace(g, timesteps=0), tmp_path)
    with pytest.raises(IRError, match="non-finite"):
        save_ir(replace(g, provenance={"x": math.nan}), tmp_path)
    assert not (tmp_path / "ir.json").exists()


# ---- summary ----------------------------------------------------------------------------------------------
def test_summary_quantized():
    g = qgraph((64, 20, 10), opts=QuantOptions(stream_length=32, sng="lfsr", parallel_inputs=8, parallel_neurons=4),
               timesteps=5)
    text = summary(g)
    for s in ("hidden", "output", "64x20", "20x10", "L=32", "encoding=sc", "lfsr", "cycles:", "per sample",
              "rate coding", "8-bit", "counters of 3 bits", ir_hash(g)[:16]):
        assert s in text, s
    # the exact schedule: input n_in + 2, per layer window * G * H + 2 * n_out, the output beat 1
    blocks = (math.ceil(64 / 8) * math.ceil(20 / 4), math.ceil(20 / 8) * math.ceil(10 / 4))
    for window, txt in ((32, text), (1, summary(set_encoding(g, "fixed")))):
        per_step = (64 + 2) + (window * blocks[0] + 2 * 20) + (window * blocks[1] + 2 * 10) + 1
        assert f"{per_step} per time step" in txt and f"{64 + 5 * per_step + 1} per sample" in txt
    rep = [p for p in g.passes if p["pass"] == "allocate_streams"][-1]
    assert f"{rep['layers']['hidden']['cycle_rate_scc']['max_abs_scc']:.2f}" in text
    row = [ln for ln in text.splitlines() if ln.startswith("hidden")][0]
    q, nq = g.layers[0].synapse.quant, g.layers[0].neuron.quant
    assert f" {nq.membrane_bits} " in row and f" {q.current_bits} " in row and " 5 " in row  # w bits = log2 32


def test_summary_float():
    text = summary(from_network(Network.dense([4, 3], seed=0, beta=0.5)))
    assert "level=float" in text and "4x3" in text and "0.5" in text
    for g in (from_network(Network.dense([4, 3], seed=0, reset="subtract_delayed")),
              qgraph((4, 3), reset="subtract_delayed")):
        row = [ln for ln in summary(g).splitlines() if ln.startswith("output")][0]
        assert " subtract_delayed" in row, row


# ---- schema 1 (scnc 0.1) files ---------------------------------------------------------------------------
V1_DIR = Path(__file__).resolve().parent / "fixtures" / "ir_v1"


@pytest.mark.parametrize("name, opts", [
    ("sc_lfsr", dict(stream_length=16, sng="lfsr", parallel_inputs=2)),
    ("fixed_shift", dict(stream_length=8, encoding="fixed", leak="shift", input_coding="spikes")),
])
def test_schema_1_files_load_and_compute_what_they_did(name, opts):
    """Files written by scnc 0.1 (flat leak fields) load as tagged leaks and compute what today's
    quantization of the same network computes (the fixtures were written from main at c08451c)."""
    from scnc import ref
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.ir.graph import SCLeak, ShiftLeak
    from scnc.snn.network import Network

    old = load_ir(V1_DIR / name)
    assert json.loads((V1_DIR / name / "ir.json").read_text())["schema_version"] == 1
    new = quantize(from_network(Network.dense([5, 4, 3], seed=3, timesteps=4, bias=True)), QuantOptions(**opts))
    for lo, ln in zip(old.layers, new.layers):
        assert type(lo.neuron.quant.leak) is type(ln.neuron.quant.leak) in (SCLeak, ShiftLeak)
        assert lo.synapse.quant.compare_shift == ln.synapse.quant.compare_shift
    rng = np.random.default_rng(0)
    inputs = ({"spikes": (rng.random((3, 4, 5)) < 0.5).astype(np.uint8)} if "spikes" in opts.values()
              else {"intensities": rng.integers(0, 256, size=(3, 5))})
    a, b = ref.run(old, **inputs), ref.run(new, **inputs)
    for x, y in zip((*a.spikes, *a.membranes, a.counts), (*b.spikes, *b.membranes, b.counts)):
        np.testing.assert_array_equal(x, y)


def test_schema_1_hash_is_checked(tmp_path):
    import shutil

    shutil.copytree(V1_DIR / "sc_lfsr", tmp_path / "ir")
    doc = json.loads((tmp_path / "ir" / "ir.json").read_text())
    doc["graph"]["timesteps"] = 5
    (tmp_path / "ir" / "ir.json").write_text(json.dumps(doc))
    with pytest.raises(IRError, match="ir_hash"):
        load_ir(tmp_path / "ir")


def test_ir_arrays_are_read_with_the_size_limit(saved, monkeypatch):
    """ir.npz goes through the one bounded reader: sizes are checked before anything is inflated."""
    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", "64")
    with pytest.raises(IRError, match="ir.npz"):
        load_ir(saved)

"""Tests for scnc.transfer.checkpoint: construction, round trip, determinism, and every bad file."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scnc import __version__
from scnc._io import canonical_json, npz_bytes
from scnc.errors import CheckpointError, ConfigError
from scnc.snn.network import EncoderConfig, Network
from scnc.transfer import FORMAT, DenseLIFRecord, SNNCheckpoint, checkpoint_paths, load_checkpoint, save_checkpoint


def small_ckpt(**kw: Any) -> SNNCheckpoint:
    rng = np.random.default_rng(7)
    fields: dict[str, Any] = dict(
        weights=[rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)],
        layer_names=["hidden", "output"],
        layer_sizes=[(6, 4), (4, 3)],
        metadata={"task": "unit", "accuracy": 0.5},
        biases=[None, np.array([0.1, -0.2, 0.3], np.float32)],
        betas=[np.array([0.8], np.float32), np.array([0.5, 0.6, 0.7], np.float32)],
        thresholds=[np.array([1.0], np.float32), np.array([0.5, 1.5, 2.0], np.float32)],
        resets=["subtract", "zero"],
        class_labels=[5, 6, 7],
    )
    fields.update(kw)
    return SNNCheckpoint(**fields)


# ---------------------------------------------------------------------------- construction


def test_minimal_call_takes_defaults_from_metadata() -> None:
    w = [np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)]
    c = SNNCheckpoint(w, ["a", "b"], [(3, 2), (2, 2)], metadata={"beta": 0.5, "timesteps": 12, "threshold": 2.0})
    assert [b.tolist() for b in c.betas] == [[0.5], [0.5]]
    assert [t.tolist() for t in c.thresholds] == [[2.0], [2.0]]
    assert c.timesteps == 12
    plain = SNNCheckpoint(w, ["a", "b"], [(3, 2), (2, 2)])
    assert [b.tolist() for b in plain.betas] == [[np.float32(0.9)], [np.float32(0.9)]]
    assert plain.timesteps == 25 and plain.thresholds[0].tolist() == [1.0]
    assert plain.resets == ["subtract", "subtract"] and plain.biases == [None, None]
    assert plain.frozen == [False, False] and plain.class_labels == [0, 1]
    assert plain.encoder == {"kind": "rate", "seed": 0, "gain": 1.0, "latency_floor": 0.0}
    assert plain.provenance == {"scnc_version": __version__, "transfer": []}
    # explicit values win over metadata; per-layer lists in metadata work
    c2 = SNNCheckpoint(w, ["a", "b"], [(3, 2), (2, 2)], metadata={"beta": [0.25, 0.75], "timesteps": 12}, timesteps=4)
    assert c2.timesteps == 4 and [b.tolist() for b in c2.betas] == [[0.25], [0.75]]
    assert plain.n_params == 6 + 4 + 2 + 2


def test_construction_copies_and_freezes_arrays() -> None:
    w = np.ones((3, 2), np.float32)
    c = SNNCheckpoint([w], ["out"], [(3, 2)])
    w[0, 0] = 5.0
    assert c.weights[0][0, 0] == 1.0
    assert not c.weights[0].flags.writeable
    with pytest.raises(ValueError):
        c.weights[0][0, 0] = 2.0
    net = c.to_network()
    net.layers[0].weight[0, 0] = 3.0  # the network owns writable copies
    assert c.weights[0][0, 0] == 1.0


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(layer_sizes=[(6, 4), (4, 2)]), "layers[1].weight"),
        (dict(layer_sizes=[(6, 4), (5, 3)]), "layers[1].weight"),
        (dict(layer_sizes=[(6, 4), (4,)]), "layer_sizes[1]"),
        (dict(weights=[np.ones((6, 4), np.float32), np.ones((5, 3), np.float32)], layer_sizes=[(6, 4), (5, 3)]),
         "layers[1].n_in"),
        (dict(layer_names=["a", "a"]), "layers[1].name"),
        (dict(layer_names=["a"]), "layer_names"),
        (dict(layer_names=["input", "b"]), "layers[0].name"),
        (dict(layer_names=["a", "x\ny"]), "layers[1].name"),
        (dict(layer_names=["a", "x" * 65]), "layers[1].name"),
        (dict(layer_names=["a", "a.synapses"]), "layers[1].name"),
        (dict(betas=[np.array([1.5], np.float32), np.array([0.5], np.float32)]), "layers[0].beta"),
        (dict(thresholds=[np.array([0.0], np.float32), np.array([1.0], np.float32)]), "layers[0].threshold"),
        (dict(thresholds=[np.array([1.0, 1.0], np.float32), np.array([1.0], np.float32)]), "layers[0].threshold"),
        (dict(thresholds=[np.array([np.inf], np.float32), np.array([1.0], np.float32)]), "layers[0].threshold"),
        (dict(biases=[None, np.array([np.nan, 0, 0], np.float32)]), "layers[1].bias"),
        (dict(resets=["subtract", "clamp"]), "layers[1].reset"),
        (dict(neuron_type="izhikevich"), "neuron_type"),
        (dict(class_labels=[1, 2]), "class_labels"),
        (dict(class_labels=[1, 1, 2]), "class_labels"),
        (dict(class_labels=[1, 2, 1 << 63]), "class_labels[2]"),
        (dict(timesteps=0), "timesteps"),
        (dict(timesteps=4097), "timesteps"),
        (dict(encoder={"kind": "rate", "bogus": 1}), "encoder.bogus"),
        (dict(encoder={"seed": -1}), "encoder.seed"),
        (dict(encoder={"seed": 1 << 63}), "encoder.seed"),
        (dict(encoder={"gain": float("inf")}), "encoder.gain"),
        (dict(frozen=[True, "no"]), "layers[1].frozen"),
        (dict(frozen=[True]), "frozen"),
        (dict(weights=[]), "layers"),
        (dict(provenance={"dataset": "digits"}), "provenance.dataset"),
        (dict(metadata={"note": "\ud800"}), "metadata.note"),
    ],
)
def test_constructor_rejects_bad_fields(change: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"field '{field}'".replace("[", r"\[").replace("]", r"\]")):
        small_ckpt(**change)


def test_metadata_must_be_json() -> None:
    with pytest.raises(ConfigError, match="metadata.acc"):
        small_ckpt(metadata={"acc": float("nan")})
    with pytest.raises(ConfigError, match="metadata.obj"):
        small_ckpt(metadata={"obj": object()})
    c = small_ckpt(metadata={"acc": np.float64(0.5), "shape": (1, 2), "arr": np.arange(2)})
    assert c.metadata == {"acc": 0.5, "shape": [1, 2], "arr": [0, 1]}


def test_network_round_trip() -> None:
    net = Network.dense([5, 7, 3], seed=3, bias=True, reset="zero", timesteps=9,
                        encoder=EncoderConfig(kind="latency", seed=4, gain=2.0, latency_floor=0.1))
    net.layers[1].learn_threshold = True
    c = SNNCheckpoint.from_network(net, class_labels=[2, 4, 6], frozen=[True, False])
    back = c.to_network()
    for a, b in zip(net.layers, back.layers):
        assert a.name == b.name and a.reset == b.reset
        assert a.learn_beta == b.learn_beta and a.learn_threshold == b.learn_threshold
        for k in ("weight", "bias", "beta", "threshold"):
            assert np.array_equal(getattr(a, k), getattr(b, k))
    assert back.timesteps == 9 and back.encoder == net.encoder
    assert SNNCheckpoint.from_network(back, class_labels=[2, 4, 6], frozen=[True, False]) == c


# ---------------------------------------------------------------------------- content hash


def test_content_hash_covers_the_network_only() -> None:
    base = small_ckpt()
    h = base.content_hash
    assert len(h) == 64
    assert small_ckpt(metadata={"other": 1}).content_hash == h
    assert small_ckpt(provenance={"dataset": {"name": "x"}}).content_hash == h
    assert small_ckpt(frozen=[True, False]).content_hash == h
    w = [base.weights[0].copy(), base.weights[1].copy()]
    w[1][0, 0] = np.nextafter(w[1][0, 0], np.float32(10))
    assert small_ckpt(weights=w).content_hash != h
    assert small_ckpt(class_labels=[5, 6, 8]).content_hash != h
    assert small_ckpt(resets=["zero", "zero"]).content_hash != h
    assert small_ckpt(encoder=EncoderConfig(seed=1)).content_hash != h
    assert small_ckpt(timesteps=24).content_hash != h
    assert small_ckpt(layer_names=["h", "output"]).content_hash != h
    # int and float spellings of the encoder are the same encoder
    assert small_ckpt(encoder={"gain": 1}).content_hash == h


# ---------------------------------------------------------------------------- files


def test_paths() -> None:
    assert checkpoint_paths("mnist_snn") == (Path("mnist_snn.npz"), Path("mnist_snn.json"))
    assert checkpoint_paths("d/x.npz") == (Path("d/x.npz"), Path("d/x.json"))
    assert checkpoint_paths("x.json") == (Path("x.npz"), Path("x.json"))
    assert checkpoint_paths("m.v1") == (Path("m.v1.npz"), Path("m.v1.json"))


def test_save_load_round_trip_and_byte_identical(tmp_path: Path) -> None:
    c = small_ckpt(frozen=[True, False], encoder=EncoderConfig(kind="latency", latency_floor=0.25))
    out = save_checkpoint(c, tmp_path / "a")
    assert out == tmp_path / "a.npz" and (tmp_path / "a.json").is_file()
    loaded = load_checkpoint(tmp_path / "a.npz")
    assert loaded == c and loaded.content_hash == c.content_hash
    save_checkpoint(loaded, tmp_path / "b.npz")
    for ext in (".npz", ".json"):
        assert (tmp_path / f"a{ext}").read_bytes() == (tmp_path / f"b{ext}").read_bytes()
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["format"] == FORMAT and doc["format_version"] == 2
    assert doc["content_hash"] == c.content_hash
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


# Names the shared rule (scnc.names) accepts: printable, not reserved.
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf", "Co", "Cn", "Zs")) | st.just(" "),
                min_size=1, max_size=8).filter(lambda s: s.isprintable() and s not in ("input", "readout"))


@st.composite
def checkpoints(draw: st.DrawFn) -> SNNCheckpoint:
    n_layers = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 6), min_size=n_layers + 1, max_size=n_layers + 1))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)
    weights, biases, betas, thresholds = [], [], [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((n_in, n_out)).astype(np.float32)
        w.flat[0] = draw(finite)
        weights.append(w)
        biases.append(rng.standard_normal(n_out).astype(np.float32) if draw(st.booleans()) else None)
        per_neuron = draw(st.booleans())
        k = n_out if per_neuron else 1
        betas.append(rng.uniform(0, 1, k).astype(np.float32))
        thresholds.append(rng.uniform(0.01, 5, k).astype(np.float32))
    n = n_layers
    return SNNCheckpoint(
        weights=weights,
        layer_names=draw(st.lists(names, min_size=n, max_size=n, unique=True)),
        layer_sizes=list(zip(sizes[:-1], sizes[1:])),
        metadata=draw(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), finite, st.text(max_size=5)), max_size=3)),
        biases=biases,
        betas=betas,
        thresholds=thresholds,
        resets=draw(st.lists(st.sampled_from(["subtract", "zero"]), min_size=n, max_size=n)),
        encoder=EncoderConfig(kind=draw(st.sampled_from(["rate", "latency", "direct"])), seed=draw(st.integers(0, 99)),
                              gain=draw(st.floats(0.1, 4)), latency_floor=draw(st.floats(0, 1))),
        timesteps=draw(st.integers(1, 300)),
        frozen=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        class_labels=draw(st.lists(st.integers(-5, 100), min_size=sizes[-1], max_size=sizes[-1], unique=True)),
        learn_beta=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        learn_threshold=draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(c=checkpoints())
def test_round_trip_is_exact(tmp_path: Path, c: SNNCheckpoint) -> None:
    save_checkpoint(c, tmp_path / "p")
    first = [(tmp_path / f"p{e}").read_bytes() for e in (".npz", ".json")]
    loaded = load_checkpoint(tmp_path / "p")
    assert loaded == c and loaded.content_hash == c.content_hash
    assert loaded.to_network().layer_sizes == c.layer_sizes
    save_checkpoint(loaded, tmp_path / "p")
    assert [(tmp_path / f"p{e}").read_bytes() for e in (".npz", ".json")] == first


# ---------------------------------------------------------------------------- bad files


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    save_checkpoint(small_ckpt(), tmp_path / "c")
    return tmp_path / "c"


def _arrays(stem: Path) -> dict[str, np.ndarray]:
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _edit_arrays(stem: Path, edit: Callable[[dict[str, np.ndarray]], None]) -> None:
    arrays = _arrays(stem)
    edit(arrays)
    stem.with_suffix(".npz").write_bytes(npz_bytes(arrays))


def _edit_json(stem: Path, edit: Callable[[dict], None]) -> None:
    path = stem.with_suffix(".json")
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(canonical_json(doc))


def _load_error(stem: Path) -> CheckpointError:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(stem)
    return info.value


def test_missing_sidecar(saved: Path) -> None:
    saved.with_suffix(".json").unlink()
    err = _load_error(saved)
    assert err.path.endswith("c.json") and "sidecar missing" in str(err)


def test_missing_npz(saved: Path) -> None:
    saved.with_suffix(".npz").unlink()
    err = _load_error(saved)
    assert err.path.endswith("c.npz") and "array file missing" in str(err)


@pytest.mark.parametrize("keep", [0, 10, 100, -30])
def test_truncated_npz(saved: Path, keep: int) -> None:
    npz = saved.with_suffix(".npz")
    data = npz.read_bytes()
    npz.write_bytes(data[:keep])
    err = _load_error(saved)
    assert err.path.endswith("c.npz")


def test_corrupt_npz_member(saved: Path) -> None:
    npz = saved.with_suffix(".npz")
    data = bytearray(npz.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("weight_0.npy")
    start = info.header_offset + 30 + len(info.filename) + 10  # inside the compressed data
    data[start] ^= 0xFF
    npz.write_bytes(bytes(data))
    err = _load_error(saved)
    assert err.path.endswith("c.npz") and err.field == "weight_0"


def test_npz_that_is_npy_or_garbage(saved: Path) -> None:
    npz = saved.with_suffix(".npz")
    buf = io.BytesIO()
    np.save(buf, np.zeros(3, np.float32))
    npz.write_bytes(buf.getvalue())
    assert "not a readable .npz" in str(_load_error(saved))
    npz.write_bytes(b"\x80\x04garbage that looks like a pickle")
    assert "not a readable .npz" in str(_load_error(saved))


def test_pickle_inside_is_refused(saved: Path) -> None:
    arrays = _arrays(saved)
    arrays["weight_0"] = np.array([{"evil": 1}], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # np.savez pickles object arrays
    saved.with_suffix(".npz").write_bytes(buf.getvalue())
    err = _load_error(saved)
    assert err.field == "weight_0" and "pickle" in str(err)


def test_wrong_shape(saved: Path) -> None:
    _edit_arrays(saved, lambda a: a.update(weight_1=np.zeros((4, 2), np.float32)))
    err = _load_error(saved)
    assert err.field == "weight_1" and err.path.endswith("c.npz") and "(4, 3)" in str(err)


def test_nan_weight(saved: Path) -> None:
    def edit(a: dict) -> None:
        a["weight_0"][2, 1] = np.nan

    _edit_arrays(saved, edit)
    err = _load_error(saved)
    assert err.field == "weight_0" and "non-finite" in str(err)


@pytest.mark.parametrize(
    "name, value, expect",
    [
        ("beta_0", np.array([1.25], np.float32), "beta must lie in"),
        ("threshold_1", np.array([1.0, -1.0, 1.0], np.float32), "threshold must be > 0"),
        ("weight_0", np.zeros((6, 4), np.float64), "float32"),
        ("bias_1", np.zeros(3, np.int32), "float32"),
        ("weight_0", np.zeros((6, 4), ">f4"), "float32"),
    ],
)
def test_bad_values_and_dtypes(saved: Path, name: str, value: np.ndarray, expect: str) -> None:
    _edit_arrays(saved, lambda a: a.update({name: value}))
    err = _load_error(saved)
    assert err.field == name and expect in str(err)


def test_missing_and_extra_arrays(saved: Path) -> None:
    _edit_arrays(saved, lambda a: a.pop("bias_1"))
    err = _load_error(saved)
    assert err.field == "bias_1" and "missing" in str(err)
    _edit_arrays(saved, lambda a: a.update(bias_1=np.zeros(3, np.float32), bias_0=np.zeros(4, np.float32)))
    err = _load_error(saved)
    assert err.field == "bias_0" and "unexpected" in str(err)


def test_unknown_version_and_format(saved: Path) -> None:
    _edit_json(saved, lambda d: d.update(format_version=3))
    err = _load_error(saved)
    assert err.field == "format_version" and "newer scnc" in str(err) and err.path.endswith("c.json")
    _edit_json(saved, lambda d: d.update(format_version=1, format="other"))
    assert _load_error(saved).field == "format"


def test_json_structure_errors(saved: Path) -> None:
    original = saved.with_suffix(".json").read_text()

    def check(edit: Callable[[dict], None], field: str) -> None:
        saved.with_suffix(".json").write_text(original)
        _edit_json(saved, edit)
        assert _load_error(saved).field == field

    check(lambda d: d.update(extra=1), "extra")
    check(lambda d: d.pop("provenance"), "provenance")
    check(lambda d: d["network"]["layers"][1].update(n_in=5), "network.layers[1].n_in")
    check(lambda d: d["network"]["layers"][0].update(reset="clamp"), "network.layers[0].reset")
    check(lambda d: d["network"]["layers"][0].update(frozen=1), "network.layers[0].frozen")
    check(lambda d: d["network"]["layers"][0].pop("name"), "network.layers[0].name")
    check(lambda d: d["network"].update(timesteps=0), "network.timesteps")
    check(lambda d: d["network"].update(class_labels=[1, 2]), "network.class_labels")
    check(lambda d: d["network"]["encoder"].update(kind="morse"), "network.encoder.kind")
    check(lambda d: d["network"].update(layers=[]), "network.layers")
    saved.with_suffix(".json").write_text("{not json")
    assert "not valid JSON" in str(_load_error(saved))
    saved.with_suffix(".json").write_text(original.replace('"accuracy": 0.5', '"accuracy": NaN'))
    assert "not valid JSON" in str(_load_error(saved))


def test_tampered_hash(saved: Path) -> None:
    _edit_json(saved, lambda d: d.update(content_hash="0" * 64))
    err = _load_error(saved)
    assert err.field == "content_hash" and "mismatch" in str(err)


def test_tampered_weights_caught_by_hash(saved: Path) -> None:
    def edit(a: dict) -> None:
        a["weight_1"][0, 0] += np.float32(0.5)

    _edit_arrays(saved, edit)
    err = _load_error(saved)
    assert err.field == "content_hash"


def test_mismatched_pair_caught_by_hash(tmp_path: Path) -> None:
    save_checkpoint(small_ckpt(), tmp_path / "a")
    save_checkpoint(small_ckpt(class_labels=[1, 2, 3]), tmp_path / "b")
    (tmp_path / "b.npz").write_bytes((tmp_path / "a.npz").read_bytes())
    assert load_checkpoint(tmp_path / "b").class_labels == [1, 2, 3]  # same arrays: the pair is consistent
    save_checkpoint(small_ckpt(weights=[np.zeros((6, 4), np.float32), np.zeros((4, 3), np.float32)]), tmp_path / "c")
    (tmp_path / "c.npz").write_bytes((tmp_path / "a.npz").read_bytes())
    assert _load_error(tmp_path / "c").field == "content_hash"


# ---------------------------------------------------------------------------- records and versions (issue 9)

FIXTURES = Path(__file__).parent / "fixtures"
#: The content hash the version-1 code computed for tests/fixtures/checkpoint_v1 (written by it).
V1_HASH = "09a5b271aa7f96d71abf19b3cf4cbedf3d774d4c7569b0e9f839f95f0edb2e35"


def test_checkpoint_is_a_tuple_of_typed_records() -> None:
    c = small_ckpt(frozen=[True, False])
    assert isinstance(c.layers, tuple) and all(isinstance(r, DenseLIFRecord) for r in c.layers)
    hidden, out = c.layers
    assert hidden.kind == "dense_lif" and hidden.name == "hidden" and hidden.frozen and hidden.bias is None
    assert (out.n_in, out.n_out) == (4, 3) and out.reset == "zero"
    assert np.array_equal(out.beta, np.array([0.5, 0.6, 0.7], np.float32))
    # the same network from records and from the tutorial's lists
    again = SNNCheckpoint(layers=c.layers, metadata=c.metadata, encoder=c.encoder, timesteps=c.timesteps,
                          class_labels=c.class_labels, provenance=c.provenance)
    assert again == c and again.content_hash == c.content_hash
    # replace() takes records or lists; records are immutable too
    swapped = c.replace(layers=(hidden.replace(frozen=False), out))
    assert swapped.frozen == [False, False] and c.frozen == [True, False]
    with pytest.raises(AttributeError):
        c.timesteps = 3  # type: ignore[misc]
    # dataclasses.replace keeps working on the tutorial's fields (scnc finetune uses it)
    import dataclasses

    noted = dataclasses.replace(c, metadata={"note": 1}, timesteps=7)
    assert noted.metadata == {"note": 1} and noted.timesteps == 7
    assert noted.frozen == c.frozen and noted.content_hash == c.replace(timesteps=7).content_hash
    with pytest.raises(ConfigError, match="either layers= or"):
        c.replace(layers=c.layers, weights=c.weights)
    with pytest.raises(ConfigError, match="layers\\[1\\]"):
        SNNCheckpoint(layers=[hidden, "not a record"])  # type: ignore[list-item]


def test_version_1_file_loads_with_its_hash(tmp_path: Path) -> None:
    """A checkpoint written by the version-1 code (committed fixture) loads, and its hash is kept."""
    doc = json.loads((FIXTURES / "checkpoint_v1.json").read_text())
    assert doc["format_version"] == 1 and doc["content_hash"] == V1_HASH
    c = load_checkpoint(FIXTURES / "checkpoint_v1")
    assert c.content_hash == V1_HASH
    assert c.layer_names == ["hidden", "output"] and c.frozen == [True, False]
    assert c.learn_threshold == [False, True] and c.resets == ["subtract", "zero"]
    assert c.encoder == {"kind": "latency", "seed": 3, "gain": 2.0, "latency_floor": 0.25}
    assert c.timesteps == 9 and c.class_labels == [7, 8, 9] and c.metadata["task"] == "v1 fixture"
    # saved again it is a version-2 file with the same hash, and loads to the same checkpoint
    save_checkpoint(c, tmp_path / "v2")
    doc2 = json.loads((tmp_path / "v2.json").read_text())
    assert doc2["format_version"] == 2 and doc2["content_hash"] == V1_HASH
    assert [layer["kind"] for layer in doc2["network"]["layers"]] == ["dense_lif", "dense_lif"]
    assert "neuron_type" not in doc2["network"]
    assert (tmp_path / "v2.npz").read_bytes() == (FIXTURES / "checkpoint_v1.npz").read_bytes()
    assert load_checkpoint(tmp_path / "v2") == c


def test_version_1_rules_are_kept(tmp_path: Path) -> None:
    for ext in (".npz", ".json"):
        (tmp_path / f"v1{ext}").write_bytes((FIXTURES / f"checkpoint_v1{ext}").read_bytes())
    stem = tmp_path / "v1"
    original = stem.with_suffix(".json").read_text()
    _edit_json(stem, lambda d: d["network"]["layers"][0].update(kind="dense_lif"))  # v1 had no kind
    assert _load_error(stem).field == "network.layers[0].kind"
    stem.with_suffix(".json").write_text(original)
    _edit_json(stem, lambda d: d["network"].update(neuron_type="izhikevich"))
    assert _load_error(stem).field == "network.neuron_type"


def test_unknown_layer_kind(saved: Path) -> None:
    _edit_json(saved, lambda d: d["network"]["layers"][1].update(kind="wta"))
    err = _load_error(saved)
    assert err.field == "network.layers[1].kind" and "unknown layer kind 'wta'" in str(err)


# ---------------------------------------------------------------------------- hardening (issue 16)


def test_sidecar_with_utf8_bom_loads(saved: Path) -> None:
    path = saved.with_suffix(".json")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_checkpoint(saved) == small_ckpt()


@pytest.mark.parametrize("where", ["metadata", "provenance"])
def test_deeply_nested_sidecar_is_refused(saved: Path, where: str) -> None:
    """Today: RecursionError from the JSON parser."""
    path = saved.with_suffix(".json")
    doc = json.loads(path.read_text())
    text = canonical_json(doc).replace(f'"{where}": {{', f'"{where}": {{"deep": ' + "[" * 100_000 + "]" * 100_000 + ",", 1)
    path.write_text(text)
    err = _load_error(saved)
    assert err.path.endswith("c.json") and "levels" in str(err)


def test_oversized_sidecar_is_refused_before_reading(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scnc._io as io_mod

    monkeypatch.setattr(io_mod, "MAX_JSON_BYTES", 100)
    monkeypatch.setattr(io_mod.read_json, "__kwdefaults__", {"max_bytes": 100, "max_depth": 64})
    err = _load_error(saved)
    assert err.path.endswith("c.json") and "at most 100 bytes" in str(err)


def test_integer_too_long_for_python_is_a_checkpoint_error(saved: Path) -> None:
    path = saved.with_suffix(".json")
    path.write_text(path.read_text().replace('"accuracy": 0.5', '"accuracy": ' + "9" * 5000))
    err = _load_error(saved)
    assert err.path.endswith("c.json") and err.field is None


@pytest.mark.parametrize(
    "edit, field, expect",
    [
        (lambda d: d["network"].update(timesteps=2_000_000), "network.timesteps", "1..4096"),
        (lambda d: d["network"].update(timesteps=2**40), "network.timesteps", "per-step state"),
        (lambda d: d["network"].update(timesteps=25.0), "network.timesteps", "integer"),
        (lambda d: d["network"]["encoder"].update(seed=-1), "network.encoder.seed", "64-bit"),
        (lambda d: d["network"]["encoder"].update(seed=2**63), "network.encoder.seed", "64-bit"),
        (lambda d: d["network"]["encoder"].update(seed=1.5), "network.encoder.seed", "integer"),
        (lambda d: d["network"]["encoder"].pop("seed"), "network.encoder.seed", "every key is required"),
        (lambda d: d["network"]["encoder"].pop("latency_floor"), "network.encoder.latency_floor", "required"),
        (lambda d: d["network"]["encoder"].update(gain=0), "network.encoder.gain", "> 0"),
        (lambda d: d["network"]["encoder"].update(gain=10**400), "network.encoder.gain", "finite"),
        (lambda d: d["network"]["encoder"].update(latency_floor=-0.5), "network.encoder.latency_floor", "[0, 1]"),
        (lambda d: d["network"]["layers"][0].update(name="input"), "network.layers[0].name", "reserved"),
        (lambda d: d["network"]["layers"][1].update(name="readout"), "network.layers[1].name", "reserved"),
        (lambda d: d["network"]["layers"][0].update(name="a\nb"), "network.layers[0].name", "printable"),
        (lambda d: d["network"]["layers"][0].update(name=""), "network.layers[0].name", "empty"),
        (lambda d: d["network"]["layers"][1].update(name="hidden"), "network.layers[1].name", "unique"),
        (lambda d: d["network"]["layers"][0].update(n_in=2**40), "network.layers[0].n_in", "1048576"),
        (lambda d: d["network"]["layers"][0].update(n_in=True), "network.layers[0].n_in", "integer"),
        (lambda d: d["network"].update(class_labels=[5, 6, 2**70]), "network.class_labels[2]", "64-bit"),
        (lambda d: d["network"].update(class_labels=[5, 6, "7"]), "network.class_labels[2]", "integer"),
        (lambda d: d["provenance"].update(dataset=[1]), "provenance.dataset", "dict"),
        (lambda d: d["provenance"].update(dataset={"name": [1]}), "provenance.dataset.name", "string"),
        (lambda d: d["provenance"].update(transfer="x"), "provenance.transfer", "list"),
        (lambda d: d["metadata"].update(note="\ud800"), "metadata.note", "surrogate"),
        (lambda d: d["network"]["layers"][0].update(name="\ud800"), "network.layers[0].name", "surrogate"),
        (lambda d: d.update(content_hash="\ud800"), "content_hash", "64 lowercase hex"),
        (lambda d: d.update(content_hash="A" * 64), "content_hash", "64 lowercase hex"),
        (lambda d: d["network"].update(layers=[d["network"]["layers"][0]] * 300), "network.layers", "at most 256"),
    ],
)
def test_values_fatal_later_are_refused_at_load(saved: Path, edit, field: str, expect: str) -> None:
    """One validation at load, matching what later stages need (today most of these load)."""
    _edit_json(saved, edit)
    err = _load_error(saved)
    assert err.field == field and err.path.endswith("c.json") and expect in str(err), str(err)


def test_loaded_names_are_names_the_ir_accepts(saved: Path) -> None:
    """The checkpoint's name rule is the IR's: every loadable checkpoint lowers and validates."""
    from scnc.ir import from_checkpoint
    from scnc.ir.passes.validate import check_graph
    from scnc.names import RESERVED_NODE_NAMES
    from scnc.ir.lower import INPUT_NODE, OUTPUT_NODE

    assert set(RESERVED_NODE_NAMES) == {INPUT_NODE, OUTPUT_NODE}
    for names in (["h-1 (wide)", "out ☃"], ["x" * 64, "y"], ["synapses", "a.synapses.b"]):
        c = small_ckpt(layer_names=names)
        check_graph(from_checkpoint(c))


def test_declared_sizes_are_bounded_before_the_npz_is_read(saved: Path) -> None:
    def edit(d: dict) -> None:
        d["network"]["layers"][0].update(n_out=1 << 20)
        d["network"]["layers"][1].update(n_in=1 << 20)

    _edit_json(saved, edit)
    saved.with_suffix(".npz").write_bytes(b"never read")
    # 2^20 x 6 + 2^20 x 3 floats = 36 MiB of arrays declared: above a 1 MiB limit
    err = pytest.raises(CheckpointError, load_checkpoint, saved, max_bytes=1 << 20).value
    assert err.field == "network.layers" and "limit is 1048576" in str(err) and err.path.endswith("c.json")
    # under the default limit (1 GiB) the sizes pass and the (bad) .npz is the next problem
    assert _load_error(saved).path.endswith("c.npz")


def _npz_with_member(saved: Path, name: str, member: bytes, compress: bool = True) -> None:
    """Replace ``name``.npy in the checkpoint's .npz with raw ``member`` bytes."""
    arrays = _arrays(saved)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for k, a in sorted(arrays.items()):
            if k == name:
                zf.writestr(f"{k}.npy", member)
            else:
                m = io.BytesIO()
                np.lib.format.write_array(m, a, allow_pickle=False)
                zf.writestr(f"{k}.npy", m.getvalue())
    saved.with_suffix(".npz").write_bytes(buf.getvalue())


def _npy_header(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    m = io.BytesIO()
    np.lib.format.write_array_header_1_0(m, {"descr": dtype, "fortran_order": False, "shape": shape})
    return m.getvalue()


def test_npz_member_that_inflates_is_refused_before_reading(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 MB member of zeros (~65 kB compressed) under a 1 MB limit: refused from the zip directory."""
    import tracemalloc

    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", str(1 << 20))
    _npz_with_member(saved, "weight_0", _npy_header((4096, 4096)) + bytes(64 << 20))
    assert saved.with_suffix(".npz").stat().st_size < 200_000
    tracemalloc.start()
    try:
        err = _load_error(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.path.endswith("c.npz") and "limit is 1048576" in str(err)
    assert peak < 8 << 20, f"loading used {peak} bytes"


def test_npy_header_that_declares_more_than_its_member(saved: Path) -> None:
    """A header claiming 10^12 floats in a tiny member: refused from the header, nothing allocated."""
    _npz_with_member(saved, "weight_0", _npy_header((10**6, 10**6)) + bytes(96))
    err = _load_error(saved)
    assert err.field == "weight_0" and "header declares" in str(err)


def test_pickled_member_is_refused_from_its_header(saved: Path) -> None:
    m = io.BytesIO()
    np.lib.format.write_array(m, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    _npz_with_member(saved, "weight_0", m.getvalue())
    err = _load_error(saved)
    assert err.field == "weight_0" and "object array" in str(err)


def test_provenance_time_is_outside_the_hash(tmp_path: Path) -> None:
    """Wall-clock times in provenance never change the identity (what determinism compares)."""
    a = small_ckpt(provenance={"saved_at": "2024-01-01T00:00:00Z", "host": "a"})
    b = small_ckpt(provenance={"saved_at": "2031-12-31T23:59:59Z", "host": "b"})
    assert a.content_hash == b.content_hash == small_ckpt().content_hash
    save_checkpoint(a, tmp_path / "a")
    save_checkpoint(b, tmp_path / "b")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    doc_a, doc_b = (json.loads((tmp_path / f"{s}.json").read_text()) for s in "ab")
    assert doc_a["content_hash"] == doc_b["content_hash"] and doc_a["network"] == doc_b["network"]
    # scnc itself writes no wall-clock time: the same checkpoint saves to identical bytes
    save_checkpoint(small_ckpt(), tmp_path / "c")
    save_checkpoint(small_ckpt(), tmp_path / "d")
    assert (tmp_path / "c.json").read_bytes() == (tmp_path / "d.json").read_bytes()

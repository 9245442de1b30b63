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
from scnc.transfer import FORMAT, SNNCheckpoint, checkpoint_paths, load_checkpoint, save_checkpoint


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

"""Seeded mutation fuzzing of everything a user hands scnc as a file: checkpoints and data sets.

Each case mutates a valid input (the sidecar's values, keys, nesting and bytes; the ``.npz``'s
members and bytes; optdigits CSV and MNIST IDX files) and asserts the contract of issue 16:
``load_checkpoint`` / ``load_dataset`` either succeed (and then what they return is usable: a loaded
checkpoint lowers to an IR graph the IR validator accepts) or raise the documented error naming the
file; ``scnc info`` / ``scnc evaluate`` through :func:`scnc.cli.main` exit 0, or 2 with the file's
name in the message. Never another exception, a hang (each call has a time limit), or a file
written. The default run is bounded (well under 60 s); ``-m slow`` runs a longer campaign.
Outcome counts are printed (``pytest -s``).
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import random
import re
import signal
import struct
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from scnc._io import canonical_json, hash_arrays
from scnc.cli import main
from scnc.data import load_dataset
from scnc.errors import CheckpointError, ConfigError, DataError
from scnc.ir import from_checkpoint
from scnc.ir.passes.validate import check_graph
from scnc.transfer import FORMAT, SNNCheckpoint, load_checkpoint, save_checkpoint

# Values a mutation puts somewhere: wrong types, boundaries, huge numbers, bad text, deep nesting.
HUGE_INT = 10**30
POOL: list[Any] = [
    None, True, False, 0, 1, -1, 2, 7, 25, 4096, 4097, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, HUGE_INT,
    0.0, 0.5, 1.0, 1.5, -0.5, 1e-45, 1e308, -1e308, "", "x", "lif", "dense_lif", "rate", "zero", "input",
    "readout", "a\nb", "\ud800", "☃" * 3, "y" * 200, [], [1, 2, 3], [0, 1, 2], ["a"], {}, {"k": 1},
    {"kind": "rate"}, [[[[[[]]]]]],
]
TIME_LIMIT_S = 30  # per call: a hang fails the case instead of the run


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"call did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ------------------------------------------------------------------------------------------ inputs


def base_checkpoint() -> SNNCheckpoint:
    """64 -> 6 -> 3 (the digits' 64 features), classes 0..2, a bias and per-neuron parameters."""
    rng = np.random.default_rng(11)
    return SNNCheckpoint(
        weights=[rng.standard_normal((64, 6)).astype(np.float32) * 0.5, rng.standard_normal((6, 3)).astype(np.float32)],
        layer_names=["hidden", "output"],
        layer_sizes=[(64, 6), (6, 3)],
        metadata={"task": "fuzz", "accuracy": 0.5},
        biases=[None, np.array([0.1, 0.0, -0.1], np.float32)],
        betas=[np.array([0.9], np.float32), np.array([0.5, 0.6, 0.7], np.float32)],
        thresholds=[np.array([1.0], np.float32), np.array([0.5, 1.0, 1.5], np.float32)],
        resets=["subtract", "zero"],
        timesteps=6,
        class_labels=[0, 1, 2],
        provenance={"dataset": {"name": "digits", "split": "train"}},
    )


def identity_hash(doc: dict, arrays: dict[str, np.ndarray]) -> str:
    """The content hash a sidecar ``doc`` would need (the formula of docs/transfer.md), so that a
    mutation that is valid loads instead of stopping at the hash check."""
    net = doc["network"]
    layers = [{k: layer[k] for k in ("name", "n_in", "n_out", "reset", "bias")} for layer in net["layers"]]
    enc = dict(net["encoder"])
    for k in ("gain", "latency_floor"):
        enc[k] = float(enc[k])
    identity = {"neuron_type": "lif", "timesteps": net["timesteps"], "encoder": enc,
                "class_labels": net["class_labels"], "layers": layers}
    return hash_arrays(arrays, extra={"format": FORMAT, "network": identity})


def all_paths(obj: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += all_paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += all_paths(v, path + (i,))
    return out


def get_parent(doc: Any, path: tuple) -> tuple[Any, Any]:
    for p in path[:-1]:
        doc = doc[p]
    return doc, path[-1]


def mutate_doc(rng: random.Random, doc: dict) -> tuple[dict, str]:
    """One structural mutation of the sidecar object; returns it and a description."""
    doc = copy.deepcopy(doc)
    paths = [p for p in all_paths(doc) if p]
    path = rng.choice(paths)
    parent, key = get_parent(doc, path)
    op = rng.choice(["replace", "replace", "replace", "delete", "extra", "nest", "number"])
    if op == "replace":
        parent[key] = copy.deepcopy(rng.choice(POOL))
    elif op == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif op == "extra":
        target = parent[key] if isinstance(parent[key], dict) else parent
        if isinstance(target, dict):
            target[rng.choice(["extra", "kind", "neuron_type", "bias", "seed"])] = rng.choice(POOL[:20])
        else:
            target.append(rng.choice(POOL))
    elif op == "nest":
        # a placeholder the writer expands (json.dumps itself recurses and cannot write 5000 levels)
        parent[key] = f"__NEST_{rng.choice([10, 63, 70, 5000])}__"
    else:
        parent[key] = rng.choice([HUGE_INT, -HUGE_INT, 2**64, 1e300, -1e300, 2**40, 2_000_000])
    return doc, f"{op} {'/'.join(map(str, path))}"


def mutate_text(rng: random.Random, text: str) -> tuple[bytes, str]:
    data = text.encode()
    op = rng.choice(["bom", "truncate", "flip", "nan", "bigint", "deep", "garbage", "empty"])
    if op == "bom":
        return b"\xef\xbb\xbf" + data, op
    if op == "truncate":
        return data[: rng.randrange(len(data))], op
    if op == "flip":
        b = bytearray(data)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b), op
    if op == "nan":
        return text.replace('"accuracy": 0.5', '"accuracy": NaN').encode(), op
    if op == "bigint":
        return text.replace('"accuracy": 0.5', '"accuracy": ' + "9" * rng.choice([20, 400, 5000])).encode(), op
    if op == "deep":
        n = rng.choice([100, 100_000])
        return text.replace('"metadata": {', '"metadata": {"d": ' + "[" * n + "]" * n + ",", 1).encode(), op
    if op == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))), op
    return b"", op


def npy(a: np.ndarray, allow_pickle: bool = False) -> bytes:
    m = io.BytesIO()
    np.lib.format.write_array(m, a, allow_pickle=allow_pickle)
    return m.getvalue()


def zip_members(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def mutate_npz(rng: random.Random, arrays: dict[str, np.ndarray], raw: bytes) -> tuple[bytes, str]:
    names = sorted(arrays)
    name = rng.choice(names)
    op = rng.choice(["truncate", "flip", "dtype", "shape", "pickle", "inflate", "missing", "extra", "header",
                     "nan", "range"])
    if op == "truncate":
        return raw[: rng.randrange(len(raw))], op
    if op == "flip":
        b = bytearray(raw)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b), op
    members = {f"{k}.npy": npy(v) for k, v in arrays.items()}
    a = arrays[name]
    if op == "dtype":
        members[f"{name}.npy"] = npy(a.astype(rng.choice([np.float64, np.int32, np.float16, ">f4"])))
    elif op == "shape":
        members[f"{name}.npy"] = npy(np.zeros(rng.choice([(a.size + 1,), (2,) + a.shape, ()]), np.float32))
    elif op == "pickle":
        members[f"{name}.npy"] = npy(np.array([{"x": 1}], dtype=object), allow_pickle=True)
    elif op == "inflate":  # declares 256 MB, holds zeros: refused from the zip directory
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 26,)})
        members[f"{name}.npy"] = header.getvalue() + bytes(rng.choice([16, 1 << 20]))
    elif op == "missing":
        del members[f"{name}.npy"]
    elif op == "extra":
        members[rng.choice(["extra.npy", "bias_0.npy", "notes.txt"])] = npy(np.zeros(3, np.float32))
    elif op == "header":
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                      "shape": (10**6, 10**6)})
        members[f"{name}.npy"] = header.getvalue() + bytes(16)
    elif op == "nan":
        b = a.copy().reshape(-1)
        b[rng.randrange(b.size)] = rng.choice([np.nan, np.inf, -np.inf])
        members[f"{name}.npy"] = npy(b.reshape(a.shape))
    else:
        members[f"{name}.npy"] = npy(np.full(a.shape, rng.choice([-1.0, 0.0, 2.0, 1e38]), np.float32))
    return zip_members(members), op


# ------------------------------------------------------------------------------------------ checks


class Tally:
    def __init__(self, title: str) -> None:
        self.title = title
        self.counts: Counter[str] = Counter()

    def report(self) -> str:
        total = self.counts["loaded"] + sum(v for k, v in self.counts.items() if k.startswith("refused"))
        lines = [f"{self.title}: {total} mutations"] + [f"  {k}: {v}" for k, v in sorted(self.counts.items())]
        text = "\n".join(lines)
        print("\n" + text)
        return text


def check_checkpoint_case(stem: Path, tally: Tally) -> SNNCheckpoint | None:
    """load_checkpoint succeeds (and lowers to a valid IR graph) or names the file; nothing else."""
    before = listing(stem.parent)
    try:
        with time_limit(TIME_LIMIT_S):
            ckpt = load_checkpoint(stem)
    except CheckpointError as exc:
        assert exc.path.endswith((stem.name + ".json", stem.name + ".npz")), exc
        assert exc.path in str(exc)
        tally.counts["refused (CheckpointError)"] += 1
        ckpt = None
    else:
        tally.counts["loaded"] += 1
        check_graph(from_checkpoint(ckpt))  # what loads, the IR accepts
    assert listing(stem.parent) == before, "loading wrote files"
    return ckpt


def run_cli(argv: list[str], capsys: pytest.CaptureFixture, folder: Path) -> tuple[int, str]:
    before = listing(folder)
    with time_limit(TIME_LIMIT_S):
        rc = main(argv)
    err = capsys.readouterr().err
    assert listing(folder) == before, f"{argv} wrote files"
    return rc, err


def checkpoint_campaign(tmp_path: Path, capsys: pytest.CaptureFixture, n: int, n_cli: int, n_eval: int,
                        seed: int) -> Tally:
    rng = random.Random(seed)
    base = base_checkpoint()
    save_checkpoint(base, tmp_path / "base")
    doc = json.loads((tmp_path / "base.json").read_text())
    raw_npz = (tmp_path / "base.npz").read_bytes()
    arrays = base.arrays()
    tally = Tally(f"checkpoint mutations (seed {seed})")
    work = tmp_path / "case"
    work.mkdir(parents=True)
    stem = work / "m"
    cli_every = max(1, n // max(1, n_cli))
    eval_every = max(1, n // max(1, n_eval))
    for i in range(n):
        target = rng.choice(["doc", "doc", "doc", "text", "npz"])
        sidecar: bytes
        npz_data = raw_npz
        if target == "doc":
            mutated, what = mutate_doc(rng, doc)
            if rng.random() < 0.6:
                with contextlib.suppress(Exception):  # a broken doc keeps its stale hash
                    mutated["content_hash"] = identity_hash(mutated, arrays)
            try:
                text = canonical_json(mutated)
            except ValueError:  # non-finite floats: write them as Python's json does (NaN, Infinity)
                text = json.dumps(mutated)
            text = re.sub(r'"__NEST_(\d+)__"', lambda m: "[" * int(m.group(1)) + "1" + "]" * int(m.group(1)), text)
            sidecar = text.encode("utf-8", "surrogatepass")
        elif target == "text":
            sidecar, what = mutate_text(rng, canonical_json(doc))
        else:
            sidecar = canonical_json(doc).encode()
            npz_data, what = mutate_npz(rng, arrays, raw_npz)
        tally.counts[f"  ops: {target} {what.split()[0]}"] += 1
        stem.with_suffix(".json").write_bytes(sidecar)
        stem.with_suffix(".npz").write_bytes(npz_data)
        env = {"SCNC_MAX_ARRAY_BYTES": str(1 << 22)} if what == "inflate" else {}
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            ckpt = check_checkpoint_case(stem, tally)
            if i % cli_every == 0:
                rc, err = run_cli(["info", str(stem.with_suffix(".npz"))], capsys, work)
                assert rc == (0 if ckpt is not None else 2), (what, rc, err)
                if rc == 2:
                    assert str(work / "m.") in err or "m.json" in err or "m.npz" in err, err
                tally.counts[f"scnc info exit {rc}"] += 1
            if i % eval_every == 0 or (ckpt is not None and tally.counts["scnc evaluate on loaded"] < n_eval // 2):
                tally.counts["scnc evaluate on loaded" if ckpt is not None else "scnc evaluate on refused"] += 1
                rc, err = run_cli(["evaluate", str(stem.with_suffix(".npz")), "--dataset", "digits",
                                   "--limit", "8"], capsys, work)
                if ckpt is None:
                    assert rc == 2 and ("m.json" in err or "m.npz" in err), (what, rc, err)
                else:
                    # a valid checkpoint may still not fit the data (e.g. labels the data set lacks)
                    assert rc == 0 or (rc == 2 and "error:" in err), (what, rc, err)
                tally.counts[f"scnc evaluate exit {rc}"] += 1
    return tally


# -------------------------------------------------------------------------------------------- data


def optdigits_rows(rng: np.random.Generator, n: int) -> list[list[str]]:
    return [[str(v) for v in rng.integers(0, 17, 64)] + [str(i % 10)] for i in range(n)]


def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(np.uint8).tobytes()


def data_campaign(tmp_path: Path, n: int, seed: int) -> Tally:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    tally = Tally(f"data-file mutations (seed {seed})")
    tokens = ["", "x", "-1", "17", "16", "9", "10", "99999999999999999999", "1" * 5000, "1.5", " 3", "\u0661",
              "0x1", "+1", "1e1", "\x00"]
    folder = tmp_path / "data"
    for i in range(n):
        if folder.exists():
            for p in folder.iterdir():
                p.unlink()
        folder.mkdir(exist_ok=True)
        kind = rng.choice(["optdigits", "mnist", "mnist-gz"])
        if kind == "optdigits":
            rows = optdigits_rows(nrng, 12)
            op = rng.choice(["valid", "field", "drop", "add", "truncate", "garbage"])
            r = rng.randrange(len(rows))
            if op == "field":
                rows[r][rng.randrange(65)] = rng.choice(tokens)
            elif op == "drop":
                rows[r].pop(rng.randrange(65))
            elif op == "add":
                rows[r].append("1")
            text = "".join(",".join(row) + "\n" for row in rows).encode("utf-8", "surrogatepass")
            if op == "truncate":
                text = text[: rng.randrange(len(text))]
            elif op == "garbage":
                text = bytes(rng.randrange(256) for _ in range(200))
            (folder / "optdigits.tra").write_bytes(text)
            call: Callable[[], Any] = lambda: load_dataset("optdigits", split="train", data_dir=folder)
        else:
            images = nrng.integers(0, 256, (6, 4, 3)).astype(np.uint8)
            labels = (np.arange(6) % 10).astype(np.uint8)
            img, lab = bytearray(idx_bytes(images)), idx_bytes(labels)
            op = rng.choice(["valid", "dims", "zero", "flip", "truncate", "append", "huge"])
            if op == "dims":
                struct.pack_into(">I", img, 4 + 4 * rng.randrange(3), rng.choice([1, 5, 7, 2**31, 2**32 - 1]))
            elif op == "zero":
                struct.pack_into(">I", img, 4 + 4 * rng.randrange(3), 0)
            elif op == "flip":
                img[rng.randrange(16)] ^= 1 << rng.randrange(8)
            elif op == "truncate":
                img = img[: rng.randrange(len(img))]
            elif op == "append":
                img += bytes(rng.randrange(1, 9))
            else:  # a header declaring 2^30 pixels, then 4 MB of zeros
                img = bytearray(bytes([0, 0, 8, 3]) + struct.pack(">3I", 1 << 10, 1 << 10, 1 << 10) + bytes(4 << 20))
            names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
            if kind == "mnist-gz":
                data = [gzip.compress(bytes(img), mtime=0), gzip.compress(lab, mtime=0)]
                if rng.random() < 0.3:
                    data[0] = data[0][: rng.randrange(len(data[0]))]
                for name, d in zip(names, data):
                    (folder / (name + ".gz")).write_bytes(d)
            else:
                for name, d in zip(names, (bytes(img), lab)):
                    (folder / name).write_bytes(d)
            call = lambda: load_dataset("mnist", split="train", data_dir=folder)  # noqa: E731
        tally.counts[f"  ops: {kind} {op}"] += 1
        before = listing(folder)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SCNC_MAX_ARRAY_BYTES", str(1 << 22))
            try:
                with time_limit(TIME_LIMIT_S):
                    ds = call()
            except DataError as exc:
                assert str(folder) in str(exc), exc
                tally.counts["refused (DataError)"] += 1
            except ConfigError as exc:  # a valid file whose content the loader cannot use (e.g. no classes)
                tally.counts["refused (ConfigError)"] += 1
                assert "dataset" in str(exc), exc
            else:
                assert ds.n > 0 and ds.x.shape[1] > 0 and np.all((ds.x >= 0) & (ds.x <= 1))
                tally.counts["loaded"] += 1
        assert listing(folder) == before
    return tally


# ------------------------------------------------------------------------------------------ tests


def test_fuzz_checkpoints(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tally = checkpoint_campaign(tmp_path, capsys, n=500, n_cli=120, n_eval=12, seed=1)
    with capsys.disabled():
        tally.report()
    assert tally.counts["loaded"] > 0 and tally.counts["refused (CheckpointError)"] > 0


def test_fuzz_data_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tally = data_campaign(tmp_path, n=250, seed=1)
    with capsys.disabled():
        tally.report()
    assert tally.counts["loaded"] > 0 and tally.counts["refused (DataError)"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_fuzz_long_campaign(tmp_path: Path, capsys: pytest.CaptureFixture, seed: int) -> None:
    tally = checkpoint_campaign(tmp_path / "c", capsys, n=3000, n_cli=600, n_eval=60, seed=seed)
    data = data_campaign(tmp_path, n=1500, seed=seed)
    with capsys.disabled():
        tally.report()
        data.report()

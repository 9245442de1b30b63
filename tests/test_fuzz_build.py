"""Seeded mutation fuzzing of build folders (#16): a damaged build is refused with a message naming
the file, or (when the change is harmless) read as it is; never a traceback, a hang, or a file
changed or deleted by the reader.

Every mutation works on a fresh copy of one small valid trace build: manifest fields deleted, retyped,
pushed out of range, nested deeply, given unknown keys, paths with ``..`` / absolute paths / symlinks
out of the folder, ``top`` with a newline or a keyword; the ``.v`` truncated, swapped, corrupted or
replaced by a folder; the IR files corrupted or deleted; ``manifest.json`` replaced by garbage. The
cheapest complete reader, :func:`scnc.rtl.load_build` (what ``verify``, ``synth`` and ``hil`` call
first), runs on each; one CLI run per mutation class (``verify``, ``synth``, ``hil --port sim`` in
turn) checks the exit code 2 and the message end to end. Counts are printed (``-s`` shows them).
The default run tries 400 mutations (< 60 s); ``slow`` tries 4,000.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from support.ir_strategies import GraphShape, build_graph
from scnc.cli import main
from scnc.errors import ScncError
from scnc.rtl import compile_graph, load_build

# A manifest may change only here and still be accepted: free text that nothing derives or checks.
_FREE = {("versions",), ("files", "readme")}

_ODD_VALUES = [None, True, False, -1, 0, 1, 2**70, -(2**70), 1.5, float(1e300), "", "x", "0" * 64, [], {}, [1, 2],
               {"a": 1}, "../x", "/etc/passwd", "scnc_core\nread_verilog /etc/passwd", "module", "a" * 5000]


@pytest.fixture(scope="module")
def valid_build(tmp_path_factory) -> Path:
    g = build_graph(GraphShape(sizes=(5, 4, 3), sng="lfsr", parallel_inputs=2, seed=1))
    out = tmp_path_factory.mktemp("fuzz") / "valid"
    compile_graph(g, out)
    return out


def _paths(obj, prefix=()):
    """Every (path, value) in a JSON value, containers included."""
    yield prefix, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _set(obj, path, value) -> None:
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def _delete(obj, path) -> None:
    for k in path[:-1]:
        obj = obj[k]
    del obj[path[-1]]


def _deep(levels: int):
    v: object = 0
    for _ in range(levels):
        v = [v]
    return v


def _mutate_manifest(rng: random.Random, man: dict, d: Path) -> str:
    """Change ``man`` in place; return the mutation class."""
    paths = [p for p, _ in _paths(man) if p]
    kind = rng.choice(["delete", "retype", "int", "unknown_key", "deep", "path", "top"])
    if kind == "delete":
        _delete(man, rng.choice(paths))
    elif kind == "retype":
        _set(man, rng.choice(paths), rng.choice(_ODD_VALUES))
    elif kind == "int":
        ints = [p for p, v in _paths(man) if isinstance(v, int) and not isinstance(v, bool) and p]
        p = rng.choice(ints)
        v = dict(_paths(man))[p]
        _set(man, p, rng.choice([v + 1, v - 1, -v - 1, v * 2 + 1, 0, 1 << 40, -(1 << 62)]))
    elif kind == "unknown_key":
        dicts = [p for p, v in _paths(man) if isinstance(v, dict)]
        target = dict(_paths(man))[rng.choice(dicts)]
        target[rng.choice(["extra", "__proto__", "format2", ""])] = 1
    elif kind == "deep":
        _set(man, rng.choice(paths), _deep(rng.choice([20, 70, 500])))
    elif kind == "path":
        outside = d.parent / "outside.v"
        bad = rng.choice(["../outside.v", str(outside), "ir/../../outside.v", "./scnc_core.v", "scnc_core.v/",
                          "a\\b.v", "C:x.v", "ir//ir.json", ".."])
        target = rng.choice([("files", "verilog"), ("files", "ir", 0), ("files", "ir", 1), ("files", "readme")])
        _set(man, target, bad)
    else:
        man["top"] = rng.choice(["scnc_core\nshell rm -rf /", "module", "endmodule", "wire", "scnc core", "1core",
                                 "x" * 129, "", "scnc_core;", "é"])
        if rng.random() < 0.5:  # a consistent edit: the options and file name follow
            man["options"]["top_name"] = man["top"]
            man["files"]["verilog"] = f"{man['top']}.v"
    return f"manifest.{kind}"


def _mutate_files(rng: random.Random, d: Path, valid: Path) -> str:
    v = d / "scnc_core.v"
    kind = rng.choice(["truncate_v", "flip_v", "swap_v", "dir_v", "symlink_v", "delete", "flip_ir", "garbage_manifest",
                       "huge_manifest", "deep_manifest", "symlink_manifest"])
    if kind == "truncate_v":
        v.write_bytes(v.read_bytes()[: rng.randrange(v.stat().st_size)])
    elif kind == "flip_v":
        b = bytearray(v.read_bytes())
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        v.write_bytes(bytes(b))
    elif kind == "swap_v":
        v.write_bytes(v.read_bytes().replace(b"module scnc_core(", b"module scnc_core_b(", 1) + b"\n")
    elif kind == "dir_v":
        v.unlink()
        v.mkdir()
    elif kind == "symlink_v":
        outside = d.parent / f"outside-{d.name}.v"
        shutil.copyfile(valid / "scnc_core.v", outside)
        v.unlink()
        os.symlink(outside, v)
    elif kind == "delete":
        target = d / rng.choice(["scnc_core.v", "ir/ir.json", "ir/ir.npz", "manifest.json"])
        target.unlink()
    elif kind == "flip_ir":
        f = d / "ir" / rng.choice(["ir.json", "ir.npz"])
        b = bytearray(f.read_bytes())
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        f.write_bytes(bytes(b))
    elif kind == "garbage_manifest":
        (d / "manifest.json").write_bytes(rng.choice([b"", b"\xff\xfe", b"{", b"[]", b"null", b'{"format": NaN}',
                                                      bytes(rng.randrange(256) for _ in range(64))]))
    elif kind == "huge_manifest":
        with open(d / "manifest.json", "ab") as f:
            f.truncate(5 << 20)  # sparse: 5 MiB, over the manifest size limit
    elif kind == "deep_manifest":
        (d / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    else:
        outside = d.parent / f"outside-{d.name}.json"
        shutil.copyfile(valid / "manifest.json", outside)
        (d / "manifest.json").unlink()
        os.symlink(outside, d / "manifest.json")
    return f"files.{kind}"


def _tree(d: Path) -> dict:
    return {str(p.relative_to(d)): (p.is_symlink(), p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(d.rglob("*"))}


def _allowed_change(orig: dict, got: dict) -> bool:
    """Whether two manifests differ only in free-text fields nothing derives or checks."""
    def strip(m):
        m = json.loads(json.dumps(m))
        m.pop("versions", None)
        m.get("files", {}).pop("readme", None)
        return m
    return strip(orig) == strip(got)


def _cli(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def run_campaign(valid: Path, work: Path, n: int, seed: int) -> Counter:
    """Try ``n`` seeded mutations; assert the reader's contract on each; return outcome counts."""
    rng = random.Random(seed)
    orig = json.loads((valid / "manifest.json").read_text())
    counts: Counter = Counter()
    cli_done: set = set()
    commands = [("verify", "--sim", "icarus"), ("synth",), ("hil", "--port", "sim")]
    for i in range(n):
        d = work / f"m{i}"
        shutil.copytree(valid, d)
        if rng.random() < 0.6:
            man = json.loads(json.dumps(orig))
            kind = _mutate_manifest(rng, man, d)
            (d / "manifest.json").write_text(json.dumps(man))
        else:
            kind = _mutate_files(rng, d, valid)
        before = _tree(d)
        t0 = time.perf_counter()
        try:
            got, _ = load_build(d)
        except ScncError as exc:
            msg = str(exc)
            assert str(d) in msg, f"{kind}: the message does not name a file of {d}: {msg}"
            counts[(kind, "refused")] += 1
            if kind not in cli_done:  # one end-to-end CLI run per mutation class
                cli_done.add(kind)
                cmd = commands[len(cli_done) % len(commands)]
                code, err = _cli([cmd[0], d, *cmd[1:]])
                assert code == 2 and str(d) in err and "Traceback" not in err, (kind, cmd, code, err)
                counts[("cli", cmd[0])] += 1
        else:
            assert _allowed_change(orig, got.to_dict()), f"{kind}: a changed manifest was accepted: {got.to_dict()}"
            counts[(kind, "accepted")] += 1
        assert time.perf_counter() - t0 < 10.0, f"{kind}: the reader took too long"
        assert _tree(d) == before, f"{kind}: the reader changed the build folder"
        shutil.rmtree(d)
    return counts


def _report(counts: Counter, n: int) -> None:
    refused = sum(v for (k, o), v in counts.items() if o == "refused")
    accepted = sum(v for (k, o), v in counts.items() if o == "accepted")
    print(f"\nbuild-folder fuzz: {n} mutations, {refused} refused (exit 2 class), {accepted} accepted unchanged; "
          f"CLI runs {sum(v for (k, _), v in counts.items() if k == 'cli')}")
    for (k, o), v in sorted(counts.items()):
        print(f"  {k:<28} {o:<9} {v}")
    assert refused + accepted == n


def test_fuzz_build_folder(valid_build, tmp_path) -> None:
    n = 400
    _report(run_campaign(valid_build, tmp_path, n, seed=16), n)


@pytest.mark.slow
def test_fuzz_build_folder_long(valid_build, tmp_path) -> None:
    n = 4000
    _report(run_campaign(valid_build, tmp_path, n, seed=1616), n)

"""Regression tests of #16 defects 1 and 2: `scnc compile` never destroys what is not its own build,
and a build folder that does not match its manifest is refused before any tool runs.

These tests use only the command line, ``scnc.rtl.load_build`` and ``scnc.fpga.load_manifest`` (APIs
older scnc versions had too), so they can be run against an older tree to show the defects there.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from support.ir_strategies import GraphShape, build_graph
from scnc.cli import main
from scnc.errors import ScncError
from scnc.ir import save_ir


def _cli(*argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:  # argparse refuses bad usage with exit 2
            code = e.code
    return code, err.getvalue()


def _tree(d: Path) -> dict:
    """Every file under ``d`` with its bytes (to show nothing changed)."""
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ir_dir(tmp_path_factory) -> Path:
    """A quantized IR folder `scnc compile` takes as its source."""
    d = tmp_path_factory.mktemp("src") / "ir"
    save_ir(build_graph(GraphShape(sizes=(5, 4, 3), sng="lfsr", parallel_inputs=2, seed=1)), d)
    return d


@pytest.fixture(scope="module")
def good_build(ir_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good") / "build"
    code, err = _cli("compile", ir_dir, "-o", out)
    assert code == 0, err
    return out


def _copy(build: Path, to: Path) -> Path:
    shutil.copytree(build, to)
    return to


# ---- defect 1: data loss ---------------------------------------------------------------------------

def test_compile_refuses_a_folder_that_is_not_a_build(ir_dir, tmp_path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "notes.txt").write_text("x\n")
    (d / "sub").mkdir()
    (d / "sub" / "data.bin").write_bytes(b"\x00\x01")
    before = _tree(d)
    code, err = _cli("compile", ir_dir, "-o", d)
    assert code == 2, err
    assert "not a build folder written by scnc compile" in err and str(d) in err
    assert _tree(d) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no temporary folder left behind


def test_compile_replaces_a_previous_build_and_an_empty_folder(ir_dir, good_build, tmp_path) -> None:
    old = _copy(good_build, tmp_path / "old")
    (old / "verify").mkdir()  # what scnc verify leaves in a build folder
    assert _cli("compile", ir_dir, "-o", old, "--no-trace")[0] == 0
    assert not (old / "verify").exists() and "trace" not in (old / "manifest.json").read_text().split('"streams"')[1]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli("compile", ir_dir, "-o", empty)[0] == 0
    assert (empty / "manifest.json").is_file()


def test_compile_replaces_a_damaged_previous_build(ir_dir, good_build, tmp_path) -> None:
    old = _copy(good_build, tmp_path / "old")
    (old / "scnc_core.v").write_text("truncated")
    assert _cli("compile", ir_dir, "-o", old)[0] == 0
    assert (old / "scnc_core.v").read_bytes() == (good_build / "scnc_core.v").read_bytes()


def test_compile_refuses_dangerous_output_paths(ir_dir, tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep.txt").write_text("mine")
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("mine")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    afile = work / "afile"
    afile.write_text("a file")
    for out in (".", "..", str(home), "", str(afile / "x")):
        code, err = _cli("compile", ir_dir, "-o", out)
        assert code == 2, (out, err)
        assert "Traceback" not in err and err.strip(), out
    assert (home / "keep.txt").read_text() == "mine" and (work / "keep.txt").read_text() == "mine"
    assert afile.read_text() == "a file"
    assert sorted(p.name for p in work.iterdir()) == ["afile", "keep.txt"]


def test_root_and_home_are_refused_before_anything_is_written(tmp_path, monkeypatch) -> None:
    from scnc.rtl.compile import check_out_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    for out in ("/", "~", str(tmp_path)):
        with pytest.raises(ScncError, match="filesystem root, the home folder"):
            check_out_dir(out)


# ---- defect 2: build folders that lie ---------------------------------------------------------------

def _refused(build: Path, what: str) -> str:
    """`load_build` and `scnc.fpga.load_manifest` (what synth reads) both refuse ``build``."""
    from scnc.fpga import load_manifest
    from scnc.rtl import load_build

    with pytest.raises(ScncError) as e1:
        load_build(build)
    with pytest.raises(ScncError) as e2:
        load_manifest(build)
    msg = str(e1.value)
    assert what in msg and str(e2.value) == msg, (msg, str(e2.value))
    return msg


def _edit(build: Path, fn) -> None:
    p = build / "manifest.json"
    d = json.loads(p.read_text())
    fn(d)
    p.write_text(json.dumps(d))


def test_a_truncated_or_swapped_verilog_file_is_refused(good_build, tmp_path, ir_dir) -> None:
    b = _copy(good_build, tmp_path / "trunc")
    v = b / "scnc_core.v"
    v.write_bytes(v.read_bytes()[: v.stat().st_size // 2])
    assert "scnc_core.v" in _refused(b, "scnc_core.v")
    # another network's core with the same ports, swapped in
    other = tmp_path / "other"
    g = build_graph(GraphShape(sizes=(5, 4, 3), sng="vdc", parallel_inputs=2, seed=7))
    save_ir(g, tmp_path / "other_ir")
    assert _cli("compile", tmp_path / "other_ir", "-o", other)[0] == 0
    b2 = _copy(good_build, tmp_path / "swapped")
    shutil.copyfile(other / "scnc_core.v", b2 / "scnc_core.v")
    assert "SHA-256" in _refused(b2, "scnc_core.v")


def test_a_changed_ir_file_is_refused_by_synth_too(good_build, tmp_path) -> None:
    b = _copy(good_build, tmp_path / "ir")
    j = b / "ir" / "ir.json"
    j.write_text(j.read_text().replace('"timesteps": 3', '"timesteps": 4'))
    _refused(b, "ir")


def test_top_with_a_newline_or_a_keyword_is_refused(good_build, tmp_path) -> None:
    for i, top in enumerate(("scnc_core\nshell rm -rf x", "module", "1core")):
        b = _copy(good_build, tmp_path / f"top{i}")
        _edit(b, lambda d: d.update(top=top))
        assert "'top'" in _refused(b, "manifest.json")


def test_files_outside_the_build_folder_are_refused(good_build, tmp_path) -> None:
    outside = tmp_path / "outside.v"
    shutil.copyfile(good_build / "scnc_core.v", outside)
    for i, path in enumerate(("../outside.v", str(outside))):
        b = _copy(good_build, tmp_path / f"p{i}")
        _edit(b, lambda d: d["files"].update(verilog=path))
        assert "files.verilog" in _refused(b, "manifest.json")
    # a symlink that leads out of the folder
    b = _copy(good_build, tmp_path / "link")
    (b / "scnc_core.v").unlink()
    os.symlink(outside, b / "scnc_core.v")
    assert "out of the build folder" in _refused(b, "manifest.json")


def test_ports_are_checked_against_the_verilog(good_build, tmp_path) -> None:
    b = _copy(good_build, tmp_path / "ports")

    def widen(d):
        for p in d["ports"]:
            if p["name"] == "start":
                p["name"] = "begin_"
    _edit(b, widen)
    _refused(b, "manifest.json")


def test_cli_exit_2_names_the_file(good_build, tmp_path) -> None:
    b = _copy(good_build, tmp_path / "cli")
    _edit(b, lambda d: d["streams"]["o_data"].update(beats_per_sample=-1))
    for argv in (("verify", b, "--sim", "icarus"), ("synth", b), ("hil", b, "--port", "sim")):
        code, err = _cli(*argv)
        assert code == 2 and "manifest.json" in err and "beats_per_sample" in err, (argv, err)

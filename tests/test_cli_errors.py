"""Issue #16, defects 6 and 8 (the CLI's part): no traceback for bad input, exit 2 with a message that
names the option and the value, exit 3 (one line, traceback behind --debug) for a bug."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from scnc.cli import main

TINY = ["--hidden", "4", "--timesteps", "3", "--epochs", "1", "--no-progress"]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """Exit code (argparse's SystemExit included), stdout, stderr."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_bad_input(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A 64-8-5 checkpoint (untrained: these tests exercise the command line, not accuracy)."""
    from scnc.snn import Network
    from scnc.transfer import SNNCheckpoint, save_checkpoint

    net = Network.dense([64, 8, 5], seed=0, timesteps=5)
    path = tmp_path_factory.mktemp("ckpt") / "net.npz"
    save_checkpoint(SNNCheckpoint.from_network(net, class_labels=[0, 1, 2, 3, 4]), path)
    return path


# ---- exit code 3: a bug is reported in one line, the traceback only with --debug --------------------
def _boom(args, out):
    raise RuntimeError("planted bug\nsecond line")


def test_internal_error_exits_3_in_one_line(checkpoint, monkeypatch, capsys):
    from scnc.cli import info

    monkeypatch.setattr(info, "run", _boom)
    code, out, err = run_cli(capsys, "info", checkpoint)
    assert code == 3
    lines = err.strip().splitlines()
    assert lines == ["scnc info: internal error: RuntimeError: planted bug second line "
                     "(run with --debug for the traceback)"], err
    code, _, err = run_cli(capsys, "--debug", "info", checkpoint)
    assert code == 3
    assert "Traceback (most recent call last)" in err and "_boom" in err
    assert err.strip().splitlines()[-1].startswith("scnc info: internal error: RuntimeError")


def test_check_failed_stays_1_and_bad_input_2(checkpoint, capsys):
    code, _, err = run_cli(capsys, "evaluate", checkpoint, "--min-accuracy", "1")
    assert code == 1 and "below --min-accuracy" in err
    code, _, err = run_cli(capsys, "info", checkpoint.with_name("missing.npz"))
    assert_bad_input(code, err, "missing")


def test_os_errors_exit_2(checkpoint, tmp_path, monkeypatch, capsys):
    from scnc.cli import info

    def too_long(args, out):
        raise OSError(36, "File name too long", "x" * 3000)

    monkeypatch.setattr(info, "run", too_long)
    code, _, err = run_cli(capsys, "info", checkpoint)
    assert_bad_input(code, err, "File name too long")
    assert len(err) < 400


# ---- defect 6 -------------------------------------------------------------------------------------
def test_huge_class_range_is_refused_before_allocating(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "a.npz", "--classes", "0-999999999999", *TINY)
    assert_bad_input(code, err, "0-999999999999", "65536")
    assert not list(tmp_path.iterdir())


def test_huge_hidden_layer_is_refused_with_the_reason(tmp_path, capsys):
    tracemalloc.start()
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "b.npz", "--hidden", "100000000",
                           "--timesteps", "5", "--epochs", "1", "--no-progress")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_bad_input(code, err, "64 -> 100000000 -> 10", "GiB of memory", "--max-memory")
    assert peak < 200 << 20, peak  # refused from the sizes, not after trying
    assert not list(tmp_path.iterdir())


def test_max_memory_option_moves_the_limit(tmp_path, capsys):
    code, _, err = run_cli(capsys, "--max-memory", "0.001", "train", "-o", tmp_path / "c.npz", "--classes", "0-1",
                           *TINY)
    assert_bad_input(code, err, "--max-memory 0.001 GiB")
    code, _, err = run_cli(capsys, "--max-memory", "-1", "info", "x.npz")
    assert_bad_input(code, err, "--max-memory")


@pytest.mark.parametrize("command", [["train"], ["finetune", "CKPT"]])
def test_empty_output_path(command, checkpoint, capsys):
    argv = [str(checkpoint) if a == "CKPT" else a for a in command]
    code, _, err = run_cli(capsys, *argv, "-o", "", *TINY)
    assert_bad_input(code, err, "output path is empty")


def test_output_under_a_file(checkpoint, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, _, err = run_cli(capsys, "train", "-o", afile / "x.npz", *TINY)
    assert_bad_input(code, err, "afile", "is a file, not a folder")
    code, _, err = run_cli(capsys, "quantize", checkpoint, "-o", afile / "ir")
    assert_bad_input(code, err, "is a file, not a folder")
    assert afile.read_text() == "mine"


def test_quantize_onto_an_existing_file(checkpoint, tmp_path, capsys):
    existing = tmp_path / "existing"
    existing.write_text("mine")
    code, _, err = run_cli(capsys, "quantize", checkpoint, "-o", existing)
    assert_bad_input(code, err, "exists and is a file")
    assert existing.read_text() == "mine"


def test_checkpoint_output_onto_a_folder(tmp_path, capsys):
    (tmp_path / "x.npz").mkdir()
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "x.npz", *TINY)
    assert_bad_input(code, err, "is a folder")


@pytest.mark.parametrize("top, needle", [("a" * 2000, "2000 characters"), ("module", "Verilog keyword"),
                                         ("1core", "Verilog identifier"), ("top\nsynth", "Verilog identifier"),
                                         ("", "Verilog identifier")])
def test_compile_top_is_checked_before_anything_runs(top, needle, checkpoint, tmp_path, capsys):
    code, _, err = run_cli(capsys, "compile", checkpoint, "-o", tmp_path / "build", "--top", top)
    assert_bad_input(code, err, "--top", needle)
    assert len(err) < 1500
    assert not (tmp_path / "build").exists()


def test_evaluate_refuses_a_run_that_needs_gibs(tmp_path, capsys):
    from scnc.snn import Network
    from scnc.transfer import SNNCheckpoint, save_checkpoint

    path = tmp_path / "long.npz"
    # the longest run a checkpoint may declare (checkpoints refuse more: MAX_TIMESTEPS), against a
    # memory limit that the whole test split at that length exceeds
    net = Network.dense([64, 8, 5], seed=0, timesteps=4096)
    save_checkpoint(SNNCheckpoint.from_network(net, class_labels=[0, 1, 2, 3, 4]), path)
    tracemalloc.start()
    code, _, err = run_cli(capsys, "--max-memory", "0.25", "evaluate", path)
    assert_bad_input(code, err, "T=4096", "GiB of memory", "--limit")
    code, _, err = run_cli(capsys, "--max-memory", "0.0001", "evaluate", path, "--hw", "--limit", "1")
    assert_bad_input(code, err, "of memory", "--max-memory")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 << 20, peak


# ---- defect 8 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, needles", [
    (["train", "-o", "OUT", "--hidden", "10,,5"], ["--hidden", "item 2 is empty"]),
    (["train", "-o", "OUT", "--hidden", "10,x"], ["--hidden", "'x'"]),
    (["train", "-o", "OUT", "--hidden", "10,0"], ["--hidden", ">= 1"]),
    (["train", "-o", "OUT", "--threshold", "inf"], ["--threshold", "finite"]),
    (["train", "-o", "OUT", "--threshold", "nan"], ["--threshold", "finite"]),
    (["train", "-o", "OUT", "--threshold", "0"], ["--threshold", "> 0"]),
    (["train", "-o", "OUT", "--threshold", "-1"], ["--threshold", "> 0"]),
    (["train", "-o", "OUT", "--beta", "1.5"], ["--beta", "[0, 1]"]),
    (["train", "-o", "OUT", "--lr", "nan"], ["--lr"]),
    (["train", "-o", "OUT", "--timesteps", "0"], ["--timesteps", ">= 1"]),
    (["train", "-o", "OUT", "--seed", "-1"], ["--seed", ">= 0"]),
    (["train", "-o", "OUT", "--shots", "0"], ["--shots", ">= 1"]),
    (["train", "-o", "OUT", "--min-accuracy", "nan"], ["--min-accuracy", "finite"]),
    (["evaluate", "CKPT", "--limit", "-1"], ["--limit", ">= 1"]),
    (["evaluate", "CKPT", "--limit", "0"], ["--limit", ">= 1"]),
    (["evaluate", "CKPT", "--min-accuracy", "nan"], ["--min-accuracy", "finite"]),
    (["finetune", "CKPT", "-o", "OUT", "--lr-head", "inf"], ["--lr-head", "finite"]),
    (["finetune", "CKPT", "-o", "OUT", "--phases", "0:2:nan"], ["--phases", "finite"]),
    (["compile", "CKPT", "-o", "OUT", "--parallel", "0x4"], ["--parallel"]),
    (["verify", "BUILD", "--timeout", "-1"], ["--timeout", "> 0"]),
    (["synth", "BUILD", "--freq", "inf"], ["--freq", "finite"]),
])
def test_bad_values_exit_2_and_name_the_option(argv, needles, checkpoint, tmp_path, capsys):
    subst = {"OUT": str(tmp_path / "out.npz"), "CKPT": str(checkpoint), "BUILD": str(tmp_path)}
    code, _, err = run_cli(capsys, *[subst.get(a, a) for a in argv])
    assert_bad_input(code, err, *needles)
    assert not (tmp_path / "out.npz").exists()


def test_parallel_larger_than_the_layers_is_clamped(checkpoint, tmp_path, capsys):
    """Documented behaviour (docs/ir.md, --help): parallelism beyond a layer's size is clamped to it."""
    from scnc.ir import load_ir

    code, _, err = run_cli(capsys, "quantize", checkpoint, "-o", tmp_path / "ir", "--parallel", "99999x99999")
    assert code == 0, err
    graph = load_ir(tmp_path / "ir")
    assert [(n.synapse.quant.parallel_inputs, n.synapse.quant.parallel_neurons) for n in graph.layers] == [(64, 8), (8, 5)]


def test_one_class_training_is_refused(checkpoint, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "one.npz", "--classes", "3", *TINY)
    assert_bad_input(code, err, "at least 2 classes", "[3]")
    code, _, err = run_cli(capsys, "finetune", checkpoint, "-o", tmp_path / "one.npz", "--classes", "3",
                           "--epochs", "1", "--no-progress")
    assert_bad_input(code, err, "at least 2 classes")
    assert not list(tmp_path.glob("one.*"))


@pytest.mark.parametrize("classes", [["--classes", "0-4"], []])
def test_fewer_shots_than_classes_is_refused(classes, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "s.npz", *classes, "--shots", "3", *TINY)
    assert_bad_input(code, err, "--shots 3 is fewer than the")
    assert not list(tmp_path.iterdir())

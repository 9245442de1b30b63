"""The README's examples are executed as written: every command block and the Python API block.

The quick start's two commands are what CI itself runs (.ci/run installs as the first says and runs
the second); `scnc demo` runs in tests/test_cli_demo.py; the NIR block in tests/test_nir.py."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest


from scnc.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def test_quick_start_is_two_commands_and_they_exist():
    quick = README.read_text().split("## Quick start", 1)[1].split("###", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert len(commands) == 2, "the quick start promises exactly two commands"
    first, second = (c.strip() for c in commands)
    assert "pip install ." in first and first.endswith("scnc demo")
    assert "pytest" in second
    # CI runs exactly the README's install and test commands
    ci = (README.parent / ".ci" / "run").read_text()
    install, test = (part.strip() for part in second.split("&&"))
    assert install.replace("pip install", "pip install --quiet") in ci
    assert any(line.startswith(test) for line in ci.splitlines())
    # the main job's sub-command really exists
    sub = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "demo" in sub


def _run_block(block: str, capsys) -> int:
    """Run every line of a README command block as written (``&&`` chains, ``#`` comments); the
    number of scnc commands run."""
    n = 0
    for line in block.strip().splitlines():
        for cmd in line.split("#")[0].split("&&"):
            argv = shlex.split(cmd)
            if not argv:
                continue
            assert argv[0] == "scnc", f"a README command block may only hold scnc commands: {line}"
            extra = ["--no-progress"] if argv[1] in ("train", "finetune") else []
            code = main(argv[1:] + extra)
            assert code == 0, f"README command failed: {cmd.strip()}\n{capsys.readouterr().err}"
            n += 1
    return n


@pytest.fixture(scope="module")
def workflow_dir(tmp_path_factory):
    """A folder where the README's transfer-learning block has run (once per module)."""
    return tmp_path_factory.mktemp("readme")


def _run_workflow(folder: Path, capsys) -> None:
    if (folder / "ft.npz").exists():
        return
    workflow = next(b for b in blocks("bash") if "scnc finetune" in b)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        _run_block(workflow, capsys)
    finally:
        os.chdir(cwd)


def test_cli_workflow_runs(workflow_dir, capsys):
    _run_workflow(workflow_dir, capsys)
    assert (workflow_dir / "ft.npz").exists() and (workflow_dir / "ft-ir" / "ir.json").exists()


@pytest.mark.sim
@pytest.mark.fpga
def test_hardware_block_runs(workflow_dir, monkeypatch, capsys):
    """The hardware block, as written: compile, verify in Verilator and Icarus, synthesis, the board
    bitstream and the HIL host against a simulated board (tests/test_fpga_synth.py and
    tests/test_hil_sim.py cover the failure cases)."""
    _run_workflow(workflow_dir, capsys)
    block = next(b for b in blocks("bash") if "scnc compile" in b)
    monkeypatch.chdir(workflow_dir)
    assert _run_block(block, capsys) >= 7
    assert (workflow_dir / "board" / "synth" / "scnc_core_icebreaker.bin").stat().st_size > 0


def test_python_block_runs(tmp_path, monkeypatch, capsys):
    (code,) = [b for b in blocks("python") if "apply_transfer_config" in b]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "[0.0, 0.001]" in out
    assert re.search(r"float 0\.\d+\s+hardware 0\.\d+", out)
    assert (tmp_path / "digits_snn.npz").exists() and (tmp_path / "digits_snn.json").exists()


def test_every_command_block_is_executed_by_a_test():
    """A new command block must get a runner: each block is one of those the tests execute."""
    runners = {
        "quick start: install and demo (CI's install step; tests/test_cli_demo.py)": lambda b: b.strip().endswith("scnc demo"),
        "quick start: tests (CI's test step)": lambda b: "pytest" in b and "pip install" in b,
        "transfer workflow (test_cli_workflow_runs)": lambda b: "scnc finetune" in b,
        "hardware (test_hardware_block_runs)": lambda b: "scnc compile" in b,
        "NIR (tests/test_nir.py)": lambda b: "scnc import" in b,
        "local learning (tests/test_local_cli.py)": lambda b: "scnc local-train" in b,
    }
    for block in blocks("bash"):
        matched = [name for name, is_it in runners.items() if is_it(block)]
        assert len(matched) == 1, f"README command block with no (or several) runners {matched}:\n{block}"

"""The README's examples are executed: its CLI workflow and its Python API block."""

from __future__ import annotations

import re
import shlex
from pathlib import Path


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


def test_cli_workflow_runs(tmp_path, monkeypatch, capsys):
    workflow = next(b for b in blocks("bash") if "scnc finetune" in b)
    monkeypatch.chdir(tmp_path)
    for line in workflow.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "scnc"
        code = main(argv[1:] + ["--no-progress"] if argv[1] in ("train", "finetune") else argv[1:])
        assert code == 0, f"README command failed: {line}\n{capsys.readouterr().err}"
    assert (tmp_path / "ft.npz").exists() and (tmp_path / "ft-ir" / "ir.json").exists()


def test_python_block_runs(tmp_path, monkeypatch, capsys):
    (code,) = [b for b in blocks("python") if "apply_transfer_config" in b]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "[0.0, 0.001]" in out
    assert re.search(r"float 0\.\d+\s+hardware 0\.\d+", out)
    assert (tmp_path / "digits_snn.npz").exists() and (tmp_path / "digits_snn.json").exists()


def test_hardware_commands_parse():
    """The hardware block needs boards and long tool runs, so it is not executed here (each command has
    its own tests); every scnc line in it must still be accepted by the parser as written."""
    block = next(b for b in blocks("bash") if "scnc compile" in b)
    parser = build_parser()
    n = 0
    for line in block.strip().splitlines():
        for cmd in line.split("#")[0].split("&&"):
            argv = shlex.split(cmd)
            if argv and argv[0] == "scnc":
                parser.parse_args(argv[1:])
                n += 1
    assert n >= 8

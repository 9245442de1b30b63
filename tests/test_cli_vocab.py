"""Every ``choices=`` of the command line is the library's own vocabulary (issue #9), and every
loss the library has can be chosen with ``scnc train --loss``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from scnc.cli import build_parser, main
from scnc.data import DATASETS, SPLITS
from scnc.fpga import BOARDS, DEVICES, TOOL_FLAVOURS, WRAPPERS
from scnc.transfer.prototype import HEAD_INITS
from scnc.kinds import Discretization, Engine, Producer
from scnc.kinds import Calibration, Encoding, LeakKind, ResetMode, SNGKind, choices
from scnc.snn import ENCODER_KINDS, LOSS_NAMES, SURROGATES
from scnc.snn.dcls import DELAY_MODES
from scnc.verify import FLOWS, SIMULATORS

# Each option that offers choices, and the library vocabulary it stands for. An option with
# choices that is not listed here fails test_every_choice_is_a_library_vocabulary: a new one must
# say where its values come from.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "--sng": choices(SNGKind),
    "--input-sng": choices(SNGKind),
    "--encoding": choices(Encoding),
    "--leak": choices(LeakKind),
    "--calibration": choices(Calibration),
    "--reset": choices(ResetMode),
    "--loss": tuple(LOSS_NAMES),
    "--surrogate": tuple(SURROGATES),
    "--encoder": tuple(ENCODER_KINDS),
    "--delays": tuple(DELAY_MODES),
    "--dataset": tuple(DATASETS),
    "--split": tuple(SPLITS),
    "--sim": tuple(SIMULATORS),
    "--flow": tuple(FLOWS),
    "--target": tuple(DEVICES),
    "--wrapper": tuple(WRAPPERS),
    "--tools": tuple(TOOL_FLAVOURS),
    "--board": tuple(BOARDS),
    "--head-init": tuple(HEAD_INITS),
    "--producer": choices(Producer),
    "--discretization": choices(Discretization),
    "--engine": choices(Engine),
    "--auto-dataset": tuple(DATASETS),
    "--auto-split": tuple(SPLITS),
}


def _walk(parser: argparse.ArgumentParser, path: str):
    """(command path, action) for every action of every (sub-)sub-command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}".strip())
        else:
            yield path, action


def test_every_choice_is_a_library_vocabulary():
    seen = []
    for command, action in _walk(build_parser(), ""):
        if action.choices is None:
            continue
        option = action.option_strings[-1]
        assert option in VOCABULARY, f"scnc {command} {option}: choices {tuple(action.choices)} from no known vocabulary"
        assert tuple(action.choices) == VOCABULARY[option], f"scnc {command} {option}"
        if action.default is not None:
            assert action.default in action.choices, f"scnc {command} {option}: default {action.default!r}"
        seen.append((command, option))
    # every sub-command with hardware options, data options, simulators and tools was walked
    assert len(seen) >= 46, seen
    assert {opt for _, opt in seen} == set(VOCABULARY)


def test_building_the_parser_imports_no_heavy_module():
    """The lazy vocabularies keep `scnc --help` and `scnc info` from importing Numba, the tools, data sets."""
    code = ("import sys; from scnc.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('numba', 'scnc.snn', 'scnc.data', 'scnc.fpga', 'scnc.verify', 'scnc.hil') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lazy_choices_are_checked_and_listed(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "-o", "x.npz", "--loss", "ce_mem"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'ce_mem'" in err and "ce_membrane_mean" in err
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in LOSS_NAMES)


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_train_accepts_every_loss(loss, tmp_path, capsys):
    path = tmp_path / f"{loss}.npz"
    code = main(["train", "-o", str(path), "--loss", loss, "--classes", "0-1", "--shots", "20", "--hidden", "4",
                 "--timesteps", "3", "--epochs", "1", "--no-progress", "--json"])
    assert code == 0, capsys.readouterr().err
    from scnc.transfer import load_checkpoint

    ckpt = load_checkpoint(path)
    assert ckpt.provenance["training"]["config"]["loss"] == loss
    assert Path(path).with_suffix(".json").exists()


def test_readme_lists_the_same_choices():
    """The README's `--option a|b|c` lists are the parser's choices (the README offered `ce_mem`)."""
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    listed = re.findall(r"`(--[a-z-]+) ([A-Za-z0-9_.-]+(?:\|[A-Za-z0-9_.-]+)+)`", text)
    assert len(listed) >= 5, listed
    for option, values in listed:
        assert tuple(values.split("|")) == VOCABULARY[option], option

"""``scnc train --delays`` and ``scnc spikes``: options validated with exit 2 naming the option or the
file and field; delay training refused before any work while the checkpoint format cannot store delays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scnc.cli import main

TINY = ["--hidden", "4", "--timesteps", "3", "--epochs", "1", "--no-progress"]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv,needles", [
    (["--delays", "sometimes"], ["--delays", "sometimes"]),
    (["--delays", "learned", "--max-delay", "0"], ["--max-delay", "0"]),
    (["--delays", "learned", "--max-delay", "1025"], ["--max-delay"]),
    (["--max-delay", "4"], ["--max-delay", "--delays"]),
    (["--delays", "random", "--delay-fine-tune-epochs", "1"], ["--delay-fine-tune-epochs", "learned"]),
    (["--delays", "learned", "--delay-fine-tune-epochs", "-1"], ["--delay-fine-tune-epochs"]),
])
def test_bad_delay_options_exit_2_naming_the_option(capsys, tmp_path, argv, needles):
    code, _, err = run_cli(capsys, "train", "-o", tmp_path / "n.npz", *TINY, *argv)
    assert code == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", ["random", "learned"])
def test_delay_training_is_refused_before_training_while_checkpoints_cannot_store_delays(capsys, tmp_path, mode):
    from scnc.cli.train import _checkpoint_carries_delays

    if _checkpoint_carries_delays():
        pytest.fail("the checkpoint record stores delays now: replace this test by a save/load round trip")
    code, out, err = run_cli(capsys, "train", "-o", tmp_path / "n.npz", *TINY, "--delays", mode, "--max-delay", "3")
    assert code == 2, err
    assert "'delays' field" in err and "scnc.transfer.records" in err and "train_delays" in err
    assert "training" not in out  # refused before loading data or training
    assert not list(tmp_path.iterdir())


def test_spikes_summarises_a_good_file_and_refuses_a_malformed_one(capsys, tmp_path):
    h5py = pytest.importorskip("h5py")  # the optional extra 'scnc[hdf5]' (in the test extra)

    def write(path, times):
        with h5py.File(path, "w") as f:
            t = f.create_dataset("spikes/times", (2,), dtype=h5py.vlen_dtype(np.dtype(np.float32)))
            u = f.create_dataset("spikes/units", (2,), dtype=h5py.vlen_dtype(np.dtype(np.uint16)))
            for k in range(2):
                t[k] = np.asarray(times[k], np.float32)
                u[k] = np.arange(len(times[k]), dtype=np.uint16)
            f.create_dataset("labels", data=np.array([3, 7], np.uint16))
        return path

    good = write(tmp_path / "good.h5", [[0.0, 0.1, 0.2], [0.5]])
    code, out, err = run_cli(capsys, "spikes", good, "--timesteps", "10", "--json")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["samples"] == 2 and summary["classes"] == [3, 7] and summary["inputs"] == 700
    bad = write(tmp_path / "bad.h5", [[0.0, 0.2, 0.1], [0.5]])
    code, _, err = run_cli(capsys, "spikes", bad, "--timesteps", "10")
    assert code == 2 and "bad.h5" in err and "spikes/times" in err and "sorted" in err, err
    assert "Traceback" not in err

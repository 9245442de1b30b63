"""``scnc train --delays`` and ``scnc spikes``: options validated with exit 2 naming the option or the
file and field; a delay network trains, saves, loads and quantizes into delay synapse nodes."""

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
def test_delay_network_trains_saves_loads_and_quantizes(capsys, tmp_path, mode):
    from scnc.ir import load_ir
    from scnc.ir.graph import DelayDenseNode
    from scnc.transfer import load_checkpoint

    ckpt = tmp_path / "n.npz"
    code, _, err = run_cli(capsys, "train", "-o", ckpt, *TINY, "--delays", mode, "--max-delay", "3")
    assert code == 0, err
    net = load_checkpoint(ckpt).to_network()
    for layer in net.layers:
        assert layer.delays is not None and layer.delays.shape == layer.weight.shape
        assert 0 <= layer.delays.min() and layer.delays.max() <= 3
    if mode == "random":  # seeded, uniform in [0, 3]: a 64x4 matrix uses more than one delay
        assert len(np.unique(net.layers[0].delays)) > 1
    code, _, err = run_cli(capsys, "quantize", ckpt, "-o", tmp_path / "ir", "--stream-length", "8")
    assert code == 0, err
    graph = load_ir(tmp_path / "ir")
    delay_nodes = [n for n in graph.nodes if isinstance(n, DelayDenseNode)]
    assert len(delay_nodes) == len(net.layers)
    assert np.array_equal(delay_nodes[0].delays, net.layers[0].delays)


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

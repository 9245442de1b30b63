"""The transfer-learning tutorial's code, with ``sc_neurocore`` replaced by ``scnc``, runs as written."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

import numpy as np
import pytest

# Verbatim from the tutorial (two snippets plus the gradual-unfreezing configs), only the
# package name changed.
TUTORIAL = textwrap.dedent(
    """
    import numpy as np
    from scnc.transfer import (
    save_checkpoint, load_checkpoint, SNNCheckpoint, TransferConfig,
    )
    rng = np.random.default_rng(42)
    # Simulate trained weights
    model_weights = [
    rng.standard_normal((784, 256)).astype(np.float32) * 0.05,
    rng.standard_normal((256, 10)).astype(np.float32) * 0.1,
    ]
    # Save trained model
    ckpt = SNNCheckpoint(
    weights=model_weights,
    layer_names=["hidden", "output"],
    layer_sizes=[(784, 256), (256, 10)],
    metadata={
    "task": "mnist",
    "accuracy": 0.972,
    "timesteps": 25,
    "beta": 0.9,
    },
    )
    save_checkpoint(ckpt, "mnist_snn")
    print(f"Saved: {len(ckpt.weights)} layers, {sum(w.size for w in ckpt.weights):,} params")
    # Load checkpoint
    loaded = load_checkpoint("mnist_snn")
    print(f"Loaded: task={loaded.metadata.get('task')}, accuracy={loaded.metadata.get('accuracy')}")

    from scnc.transfer.fine_tune import apply_transfer_config
    # Freeze all layers except the last
    config = TransferConfig(
    freeze_until=0, # freeze layers 0..0 (hidden layer)
    lr_head=0.001, # learning rate for unfrozen head
    lr_frozen=0.0, # frozen layers don't train
    )
    ckpt, per_layer_lr = apply_transfer_config(loaded, config)
    print(f"Per-layer LR: {per_layer_lr}")
    # [0.0, 0.001] — hidden frozen, output trains

    # Phase 1: only readout (10 epochs)
    config1 = TransferConfig(freeze_until=0, lr_head=0.001)
    # Phase 2: unfreeze hidden layer with small LR (10 more epochs)
    config2 = TransferConfig(freeze_until=-1, lr_head=0.001, lr_frozen=0.0001)
    """
)


def test_tutorial_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(TUTORIAL, "tutorial_81.py", "exec"), namespace)
    assert out.getvalue().splitlines() == [
        "Saved: 2 layers, 203,264 params",
        "Loaded: task=mnist, accuracy=0.972",
        "Per-layer LR: [0.0, 0.001]",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_snn.json", "mnist_snn.npz"]
    loaded, ckpt = namespace["loaded"], namespace["ckpt"]
    assert ckpt.frozen == [True, False] and loaded.frozen == [False, False]
    assert loaded.timesteps == 25 and all(b.tolist() == [np.float32(0.9)] for b in loaded.betas)
    from scnc.transfer import apply_transfer_config

    assert apply_transfer_config(ckpt, namespace["config1"])[1] == [0.0, 0.001]
    assert apply_transfer_config(ckpt, namespace["config2"])[1] == [0.0001, 0.001]


def test_tutorial_workflow_steps_3_to_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load, replace the 10-class head by a 5-class one, freeze the hidden layer, save and reload."""
    from scnc.transfer import TransferConfig, apply_transfer_config, load_checkpoint, replace_head, save_checkpoint

    monkeypatch.chdir(tmp_path)
    exec(compile(TUTORIAL, "tutorial_81.py", "exec"), {})
    ckpt = load_checkpoint("mnist_snn")
    new = replace_head(ckpt, 5, seed=0, class_labels=[5, 6, 7, 8, 9])
    new, lrs = apply_transfer_config(new, TransferConfig(freeze_until="hidden", lr_head=0.001))
    assert lrs == [0.0, 0.001] and new.layer_sizes == [(784, 256), (256, 5)]
    assert new.weights[0].tobytes() == ckpt.weights[0].tobytes()
    save_checkpoint(new, "digits_5to9.npz")
    again = load_checkpoint("digits_5to9")
    assert again == new
    assert [e["op"] for e in again.provenance["transfer"]] == ["replace_head", "apply_transfer_config"]

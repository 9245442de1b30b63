"""examples/transfer_learning.py: the tutorial's workflow runs, reports every accuracy, keeps frozen layers.

The fast tests run the example on scikit-learn's bundled digits with tiny settings. The acceptance
test (``-m slow``) checks the tutorial's claim on the UCI files: pretrained on digits 0-4 of
``optdigits.tra``, fine-tuned on 100 examples of 5-9, at least 90% on 5-9 of ``optdigits.tes``;
and that the measured default (every layer fine-tuned) beats the frozen layer and keeps its
accuracy on the hardware model (``scnc.ref``, within 0.5 points).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scnc.transfer import load_checkpoint

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "transfer_learning.py"
SHARED_OPTDIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "optdigits"

# Tiny settings: the whole workflow in a few seconds (accuracy is not the point here).
FAST = ["--hidden", "32", "--timesteps", "8", "--pretrain-epochs", "2", "--head-epochs", "2",
        "--unfreeze-epochs", "1", "--recipe-epochs", "2", "--shots", "25", "--no-progress"]

ACCURACY_FIELDS = ("pretrain_accuracy", "frozen_accuracy", "gradual_accuracy", "transfer_accuracy", "scratch_accuracy")


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scnc_example_transfer_learning", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _last_json(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.strip()]
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def fast_run(example: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    out = tmp_path_factory.mktemp("transfer")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = example.main(["--out", str(out), *FAST])
    return result, buf.getvalue(), out


def test_json_line_reports_every_accuracy(fast_run: tuple[dict, str, Path]) -> None:
    result, text, _ = fast_run
    printed = _last_json(text)
    assert printed == json.loads(json.dumps(result))
    for key in ACCURACY_FIELDS:
        assert isinstance(printed[key], float) and 0.0 <= printed[key] <= 1.0, key
    assert printed["dataset"] == "digits"
    assert printed["shots"] == 25
    assert printed["pretrain_classes"] == [0, 1, 2, 3, 4]
    assert printed["transfer_classes"] == [5, 6, 7, 8, 9]
    assert printed["n_test"] > 0
    assert set(printed["seconds"]) == {"pretrain", "frozen", "gradual", "transfer", "scratch", "total"}
    # The readable lines come before the JSON line and name each result.
    for phrase in ("pretrained", "saved and loaded", "frozen hidden layer", "bit-identical", "gradual", "transfer recipe", "scratch"):
        assert phrase in text


def test_frozen_hidden_layer_is_bit_identical(fast_run: tuple[dict, str, Path], example: ModuleType) -> None:
    result, text, out = fast_run
    assert result["frozen_hidden_unchanged"] is True
    assert "bit-identical to the pretrained one: yes" in text
    pretrained = load_checkpoint(out / "pretrained_0to4")
    frozen = load_checkpoint(out / "frozen_5to9")
    gradual = load_checkpoint(out / "gradual_5to9")
    assert pretrained.content_hash == result["pretrained_hash"]
    # Independently of the example's own check: the hidden layer on disk is the pretrained one.
    assert frozen.weights[0].tobytes() == pretrained.weights[0].tobytes()
    assert frozen.betas[0].tobytes() == pretrained.betas[0].tobytes()
    assert frozen.thresholds[0].tobytes() == pretrained.thresholds[0].tobytes()
    assert frozen.frozen == [True, False]
    assert frozen.class_labels == [5, 6, 7, 8, 9] and pretrained.class_labels == [0, 1, 2, 3, 4]
    # Gradual unfreezing's second phase trains the hidden layer, and the report says by how much.
    assert gradual.frozen == [False, False]
    moved = float(np.max(np.abs(gradual.weights[0] - pretrained.weights[0])))
    assert moved > 0 and moved == pytest.approx(result["gradual_hidden_max_change"])
    # The head is new and trained in both runs.
    assert frozen.weights[1].tobytes() != gradual.weights[1].tobytes()
    # The recipe fine-tunes every layer from the pretrained weights, with nothing frozen at the end.
    recipe = load_checkpoint(out / "transfer_5to9")
    assert recipe.frozen == [False, False] and recipe.class_labels == [5, 6, 7, 8, 9]
    assert recipe.weights[0].tobytes() != pretrained.weights[0].tobytes()
    steps = [e for e in recipe.provenance["transfer"] if e["op"] == "fine_tune"]
    assert [e["per_layer_lr"] for e in steps] == [[3e-3, 3e-3]]


def test_layer_unchanged_detects_a_one_ulp_change(fast_run: tuple[dict, str, Path], example: ModuleType) -> None:
    _, _, out = fast_run
    a = load_checkpoint(out / "pretrained_0to4")
    assert example.layer_unchanged(a, a, 0)
    w = a.weights[0].copy()
    w.flat[7] = np.nextafter(w.flat[7], np.float32(np.inf))
    assert not example.layer_unchanged(a, a.replace(weights=[w, a.weights[1]]), 0)
    b = [a.betas[0].copy(), a.betas[1]]
    b[0][0] = np.nextafter(b[0][0], np.float32(0))
    assert not example.layer_unchanged(a, a.replace(betas=b), 0)
    assert example.layer_unchanged(a, a.replace(betas=b), 1)


def test_same_seed_same_numbers(fast_run: tuple[dict, str, Path], example: ModuleType, capsys) -> None:
    result, _, _ = fast_run
    again = example.main(FAST)  # no --out: a temporary folder
    capsys.readouterr()
    keys = (*ACCURACY_FIELDS, "pretrained_hash", "gradual_hidden_max_change")
    assert {k: again[k] for k in keys} == {k: result[k] for k in keys}


def test_bad_arguments_are_refused(example: ModuleType) -> None:
    with pytest.raises(SystemExit, match="--data-dir"):
        example.main(["--dataset", "optdigits", "--no-progress"])
    with pytest.raises(SystemExit, match="--shots"):
        example.main(["--shots", "0", "--no-progress"])


@pytest.mark.slow
@pytest.mark.needs_shared
def test_acceptance_optdigits_100_shots_reaches_90_percent(example: ModuleType, capsys, tmp_path: Path) -> None:
    """The tutorial's claim: pretrained on 0-4, 100 examples of 5-9 give >= 90% on unseen writers."""
    if not (SHARED_OPTDIGITS / "optdigits.tra").is_file() or not (SHARED_OPTDIGITS / "optdigits.tes").is_file():
        pytest.skip("needs ../shared/data/optdigits (CI has it)")
    out = tmp_path / "run"
    result = example.main(["--dataset", "optdigits", "--data-dir", str(SHARED_OPTDIGITS), "--no-progress",
                           "--out", str(out)])
    text = capsys.readouterr().out
    assert _last_json(text)["gradual_accuracy"] == result["gradual_accuracy"]
    assert result["shots"] == 100
    assert result["frozen_hidden_unchanged"] is True
    assert result["pretrain_accuracy"] >= 0.95
    assert result["frozen_accuracy"] >= 0.90, result
    assert result["gradual_accuracy"] >= 0.90, result
    # the measured default (every layer fine-tuned) beats the tutorial's frozen layer (seed 0 measured:
    # 93.08% vs 92.08%; the comparison with scratch over 5 seeds and 3 splits is benchmarks/transfer.py)
    assert result["transfer_accuracy"] >= 0.92, result
    assert result["transfer_accuracy"] > result["frozen_accuracy"], result
    # ... and the hardware (scnc.ref, stream length 64, default quantization) keeps its accuracy
    from scnc import ir, ref
    from scnc.data import load_dataset

    ft = load_checkpoint(out / "transfer_5to9")
    test = load_dataset("optdigits", split="test", data_dir=SHARED_OPTDIGITS, classes="5-9")
    hw = ref.accuracy(ir.quantize(ir.from_checkpoint(ft), ir.QuantOptions(stream_length=64)), test.x, test.y)
    assert abs(hw - result["transfer_accuracy"]) <= 0.005, (hw, result["transfer_accuracy"])

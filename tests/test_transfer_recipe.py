"""scnc.transfer.recipe and TransferConfig.recommended: the measured default for few-shot transfer."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.data import load_dataset
from scnc.errors import ConfigError
from scnc.snn import Network, TrainConfig
from scnc.transfer import SNNCheckpoint, TransferConfig, apply_transfer_config, fine_tune, replace_head, transfer
from scnc.transfer.recipe import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, DEFAULT_PHASES


def test_recommended_config_and_defaults() -> None:
    cfg = TransferConfig.recommended()
    assert cfg == TransferConfig(freeze_until=-1, lr_head=3e-3, lr_frozen=3e-3)
    assert DEFAULT_PHASES == ((cfg, 100),) and DEFAULT_EPOCHS == 100 and DEFAULT_LR == 3e-3
    assert DEFAULT_BATCH_SIZE == 10
    ckpt = SNNCheckpoint.from_network(Network.dense([8, 6, 4], seed=0))
    assert apply_transfer_config(ckpt, cfg)[1] == [3e-3, 3e-3]
    # the tutorial's field defaults are unchanged
    assert TransferConfig() == TransferConfig(freeze_until=-1, lr_head=1e-3, lr_frozen=0.0)


@pytest.fixture(scope="module")
def small() -> tuple[SNNCheckpoint, object]:
    pre = SNNCheckpoint.from_network(Network.dense([64, 24, 5], seed=3, timesteps=8), class_labels=[0, 1, 2, 3, 4])
    few = load_dataset("digits", classes="5-9", shots=20, seed=0)
    return pre, few


def test_transfer_is_replace_head_then_fine_tune(small) -> None:
    pre, few = small
    phases = [(TransferConfig.recommended(), 2)]
    out, hist = transfer(pre, few.x, few.y, list(few.classes), seed=4, phases=phases)
    want, _ = fine_tune(replace_head(pre, 5, seed=4, class_labels=list(few.classes)), few.x, few.y, phases,
                        TrainConfig(batch_size=DEFAULT_BATCH_SIZE, seed=4))
    assert out.content_hash == want.content_hash
    assert out.class_labels == [5, 6, 7, 8, 9] and len(hist) == 1
    # every layer moved (nothing frozen)
    assert not np.array_equal(out.weights[0], pre.weights[0]) and out.frozen == [False, False]
    again, _ = transfer(pre, few.x, few.y, list(few.classes), seed=4, phases=phases)
    assert again.content_hash == out.content_hash


def test_transfer_prototype_head_and_errors(small) -> None:
    pre, few = small
    phases = [(TransferConfig(freeze_until=0, lr_head=3e-3), 1)]
    out, _ = transfer(pre, few.x, few.y, list(few.classes), seed=4, phases=phases, head_init="prototype")
    ops = [e["op"] for e in out.provenance["transfer"]]
    assert ops[:2] == ["replace_head", "prototype_head"]
    assert out.weights[0].tobytes() == pre.weights[0].tobytes()
    with pytest.raises(ConfigError, match="head_init"):
        transfer(pre, few.x, few.y, list(few.classes), seed=4, head_init="zeros")
    # same classes and a random head: the head is kept, not replaced
    same = pre.replace(class_labels=[5, 6, 7, 8, 9])
    kept, _ = transfer(same, few.x, few.y, [5, 6, 7, 8, 9], seed=4, phases=phases)
    assert "replace_head" not in [e["op"] for e in kept.provenance["transfer"]]

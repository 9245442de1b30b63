"""Checkpoints and transfer learning: save, load, freeze, replace the head, fine-tune.

Typical use (see ``docs/transfer.md``)::

    from scnc.transfer import load_checkpoint, transfer

    ckpt = load_checkpoint("digits_pretrained")
    ckpt, history = transfer(ckpt, x, y, class_labels=[5, 6, 7, 8, 9], seed=1)   # the measured default

or step by step::

    from scnc.transfer import load_checkpoint, replace_head, TransferConfig, fine_tune

    ckpt = load_checkpoint("digits_pretrained")               # .npz + .json, fully validated
    ckpt.layers                                               # (DenseLIFRecord(...), ...)
    ckpt = replace_head(ckpt, 5, seed=1, class_labels=[5, 6, 7, 8, 9])
    ckpt, history = fine_tune(ckpt, x, y, [(TransferConfig(freeze_until=0), 10),
                                           (TransferConfig(-1, 1e-3, 1e-4), 10)], train_config)
"""

from .checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    MAX_LAYERS,
    MAX_TIMESTEPS,
    READ_VERSIONS,
    SNNCheckpoint,
    checkpoint_paths,
    load_checkpoint,
    save_checkpoint,
)
from .fine_tune import TransferConfig, apply_transfer_config, fine_tune, replace_head, resolve_freeze_until
from .records import RECORD_TYPES, DenseLIFRecord, FieldError, LayerRecord
from .prototype import class_prototypes, hidden_rates, prototype_head
from .recipe import DEFAULT_PHASES, transfer

__all__ = [
    "SNNCheckpoint",
    "DenseLIFRecord",
    "LayerRecord",
    "RECORD_TYPES",
    "FieldError",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_paths",
    "TransferConfig",
    "apply_transfer_config",
    "resolve_freeze_until",
    "replace_head",
    "fine_tune",
    "hidden_rates",
    "class_prototypes",
    "prototype_head",
    "DEFAULT_PHASES",
    "transfer",
    "FORMAT",
    "FORMAT_VERSION",
    "READ_VERSIONS",
    "MAX_TIMESTEPS",
    "MAX_LAYERS",
]

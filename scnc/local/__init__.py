"""Local learning: a frozen pretrained encoder, rate coding, and a CoLaNET-style classifier.

No gradients: :func:`train_local` applies an anti-Hebbian + dopamine-modulated rule with synaptic
resources, one sample at a time (``docs/local_learning.md``). The trained classifier is an ordinary
two-layer LIF checkpoint (:meth:`LocalClassifier.to_checkpoint`), so ``scnc evaluate``, ``compile``
and ``verify`` take it like any other network; its inputs are the encoder's rate-coded features.
"""

from .colanet import LOCAL_MARK, LocalClassifier, LocalConfig, LocalHistory, resource_from_weight, train_local
from .encoder import (
    ENCODER_MARK,
    AnnEncoder,
    FeatureFn,
    RateCoding,
    as_feature_fn,
    load_encoder,
    pretrain_encoder,
)

__all__ = [
    "ENCODER_MARK",
    "LOCAL_MARK",
    "AnnEncoder",
    "FeatureFn",
    "LocalClassifier",
    "LocalConfig",
    "LocalHistory",
    "RateCoding",
    "as_feature_fn",
    "load_encoder",
    "pretrain_encoder",
    "resource_from_weight",
    "train_local",
]

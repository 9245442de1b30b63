"""Float spiking networks: dense LIF layers, input encoders and fast surrogate-gradient training.

The network and its exact dynamics are defined in :mod:`scnc.snn.network`; training is BPTT with
a surrogate spike derivative, run by Numba kernels (:mod:`scnc.snn.bptt`), with per-layer Adam
(:mod:`scnc.snn.optim`) and the losses in :mod:`scnc.snn.losses`. Synaptic delays (fixed, or
learned by DCLS) are trained by :mod:`scnc.snn.dcls` (``docs/delays.md``).

Example
-------
>>> import numpy as np
>>> from scnc.snn import Network, TrainConfig, train, accuracy
>>> net = Network.dense([4, 8, 2], seed=0, timesteps=5)
>>> x = np.random.default_rng(0).random((16, 4)).astype(np.float32)
>>> y = (x[:, 0] > 0.5).astype(np.int64)
>>> result = train(net, x, y, TrainConfig(epochs=1, batch_size=8))
>>> 0.0 <= accuracy(net, x, y) <= 1.0
True
"""

from .bptt import SURROGATES, GradResult, LayerGrads, output_counts, run_forward, value_and_grad
from .encoders import encode, is_binary_encoder
from .losses import LOSS_NAMES, ce_count_loss, ce_membrane_loss, get_loss, mse_count_loss
from .network import ENCODER_KINDS, RESET_MODES, EncoderConfig, LIFLayer, Network
from .optim import THRESHOLD_FLOOR, Adam
from .pretrain import PretrainConfig, PretrainResult, ann_accuracy, pretrain
from .train import ForwardTrace, TrainConfig, TrainResult, accuracy, forward, predict, train
from .dcls import DELAY_MODES, DelayConfig, DelayTrainResult, train_delays

__all__ = [
    "LIFLayer",
    "EncoderConfig",
    "Network",
    "RESET_MODES",
    "ENCODER_KINDS",
    "encode",
    "is_binary_encoder",
    "LOSS_NAMES",
    "get_loss",
    "ce_count_loss",
    "ce_membrane_loss",
    "mse_count_loss",
    "SURROGATES",
    "LayerGrads",
    "GradResult",
    "value_and_grad",
    "run_forward",
    "output_counts",
    "Adam",
    "THRESHOLD_FLOOR",
    "TrainConfig",
    "TrainResult",
    "ForwardTrace",
    "train",
    "forward",
    "predict",
    "accuracy",
    "PretrainConfig",
    "PretrainResult",
    "pretrain",
    "ann_accuracy",
    "DELAY_MODES",
    "DelayConfig",
    "DelayTrainResult",
    "train_delays",
]

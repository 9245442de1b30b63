"""Input encoders: float features in [0, 1] -> one input vector per time step.

The three kinds are described on :class:`scnc.snn.network.EncoderConfig`; this module turns that
description into arrays. Output layout is time-major, ``(timesteps, batch, n_in)`` float32, the
layout the training kernels read.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .network import EncoderConfig

__all__ = ["encode", "is_binary_encoder"]

SeedLike = int | np.random.SeedSequence | None


def is_binary_encoder(encoder: EncoderConfig) -> bool:
    """Whether ``encoder`` produces exactly 0/1 inputs (rate, latency) rather than currents (direct)."""
    return encoder.kind != "direct"


def _check_features(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ConfigError(f"encode: x must be 2-D (batch, n_in), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ConfigError(f"encode: x must be a real numeric array, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.size and not np.all(np.isfinite(x)):
        raise ConfigError("encode: x contains NaN or infinite values; features must lie in [0, 1]")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise ConfigError(
            f"encode: features must lie in [0, 1], got range [{float(x.min())}, {float(x.max())}]"
            " (scale them first, e.g. digits / 16)"
        )
    return x


def encode(
    x: np.ndarray,
    encoder: EncoderConfig,
    timesteps: int,
    *,
    seed: SeedLike = None,
) -> np.ndarray:
    """Encode features as network input, one vector per time step.

    Parameters
    ----------
    x:
        Features, shape ``(batch, n_in)``, every value in [0, 1] (converted to float32).
    encoder:
        The encoding (kind, seed, gain, latency floor).
    timesteps:
        Number of time steps ``T`` (>= 1).
    seed:
        Rate encoder only: seed of the Bernoulli draws (an int or a
        :class:`numpy.random.SeedSequence`); ``None`` uses ``encoder.seed``.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(timesteps, batch, n_in)``.

        * ``rate``: ``u < clip(gain * x, 0, 1)`` with ``u = rng.random((T, batch, n_in),
          dtype=float32)`` and ``rng = numpy.random.default_rng(seed)``: values exactly 0 or 1;
          ``p = 1`` always spikes, ``p = 0`` never.
        * ``latency``: input ``j`` spikes once, at step ``rint((1 - x_j) * (T - 1))`` (round half
          to even, computed in float64); ``x_j <= latency_floor`` never spikes.
        * ``direct``: ``x`` repeated at every step (currents, not spikes).

    Raises
    ------
    ConfigError
        ``x`` is not 2-D, not finite, or outside [0, 1]; ``timesteps < 1``.
    """
    if not isinstance(timesteps, (int, np.integer)) or isinstance(timesteps, bool) or timesteps < 1:
        raise ConfigError(f"encode: timesteps must be an int >= 1, got {timesteps!r}")
    if not isinstance(encoder, EncoderConfig):
        raise ConfigError(f"encode: encoder must be an EncoderConfig, got {type(encoder).__name__}")
    x = _check_features(x)
    T = int(timesteps)
    batch, n_in = x.shape
    if encoder.kind == "rate":
        rng = np.random.default_rng(encoder.seed if seed is None else seed)
        p = np.clip(np.float32(encoder.gain) * x, np.float32(0.0), np.float32(1.0))
        u = rng.random((T, batch, n_in), dtype=np.float32)
        return (u < p[None, :, :]).astype(np.float32)
    if encoder.kind == "latency":
        out = np.zeros((T, batch, n_in), dtype=np.float32)
        step = np.rint((1.0 - x.astype(np.float64)) * (T - 1)).astype(np.int64)
        b_idx, j_idx = np.nonzero(x > np.float32(encoder.latency_floor))
        out[step[b_idx, j_idx], b_idx, j_idx] = 1.0
        return out
    # direct
    return np.ascontiguousarray(np.broadcast_to(x[None, :, :], (T, batch, n_in)), dtype=np.float32)

"""Temporal renderings of static 8x8 digits: scnc's own event tasks for pipe-D (not a published benchmark).

No event data set can be downloaded here, so scnc builds temporal tasks from the shipped digits
(scikit-learn's bundled set, or UCI optdigits): the same images, presented over time so that the
information sits in *when* spikes arrive. Two renderings, both 0/1 spike tensors
``(timesteps, n, n_in)`` float32 (the layout :mod:`scnc.snn` trains on):

``"latency"``
    One spike per pixel, earlier for brighter: pixel ``j`` spikes at step
    ``rint((1 - x_j) * (timesteps - 1))``, a pixel ``<= floor`` never. Identical, bit for bit, to
    :func:`scnc.snn.encode` with ``EncoderConfig(kind="latency", latency_floor=floor)``, so a
    network trained on it is an ordinary checkpoint (that is the task pipe-D reports; see
    ``docs/pretrain.md``). Spike counts only say which pixels are non-blank; intensity is timing.
``"rows"``
    Row by row: 8 inputs, image row ``r`` during steps ``[r * k, (r + 1) * k)`` with
    ``k = timesteps // 8``; pixel ``j`` of the row spikes at every one of those steps when
    ``x_j >= 0.5``. Needs ``timesteps`` a multiple of 8. The order of the rows is the information;
    a dense network sees 8 inputs, so a static 64-input network transfers to it only through a
    new input layer.
``"columns"``
    Column by column, the transpose of ``"rows"``: 8 inputs, image column ``c`` during steps
    ``[c * k, (c + 1) * k)``; input ``r`` spikes at those steps when pixel ``(r, c)`` is ``>= 0.5``.

The temporal tasks of ``docs/delays.md`` (synaptic delays) use these renderings: they are scnc's
own tasks, not a published benchmark.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

__all__ = ["TEMPORAL_KINDS", "render"]

TEMPORAL_KINDS = ("latency", "rows", "columns")


def render(x: np.ndarray, kind: str = "latency", timesteps: int = 25, *, floor: float = 0.0) -> np.ndarray:
    """Render 8x8 digit features ``x`` (``(n, 64)`` in [0, 1]) as spikes over time.

    Parameters
    ----------
    x:
        Features, row-major 8x8 images scaled to [0, 1] (as :func:`scnc.data.load_dataset` gives).
    kind:
        One of :data:`TEMPORAL_KINDS` (module docstring).
    timesteps:
        Steps per sample (>= 1; a multiple of 8 for ``"rows"`` and ``"columns"``).
    floor:
        ``"latency"``: pixels at or below this value stay silent.

    Returns
    -------
    numpy.ndarray
        float32 0/1, ``(timesteps, n, 64)`` for latency, ``(timesteps, n, 8)`` for rows and columns.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 64:
        raise ConfigError(f"render: x must be (n, 64) 8x8 digits, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise ConfigError(f"render: x must be numeric, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.size and (not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1):
        raise ConfigError("render: features must be finite and lie in [0, 1] (scale them first, e.g. digits / 16)")
    if isinstance(timesteps, bool) or not isinstance(timesteps, (int, np.integer)) or timesteps < 1:
        raise ConfigError(f"render: timesteps must be an int >= 1, got {timesteps!r}")
    T = int(timesteps)
    n = x.shape[0]
    if kind == "latency":
        out = np.zeros((T, n, 64), np.float32)
        step = np.rint((1.0 - x.astype(np.float64)) * (T - 1)).astype(np.int64)
        b, j = np.nonzero(x > np.float32(floor))
        out[step[b, j], b, j] = 1.0
        return out
    if kind in ("rows", "columns"):
        if T % 8:
            raise ConfigError(f"render: {kind!r} needs timesteps a multiple of 8, got {T}")
        k = T // 8
        on = (x >= np.float32(0.5)).reshape(n, 8, 8).astype(np.float32)  # (n, row, col)
        # time axis first: rows -> (row, n, col); columns -> (col, n, row)
        order = (1, 0, 2) if kind == "rows" else (2, 0, 1)
        return np.ascontiguousarray(np.repeat(on.transpose(order), k, axis=0))
    raise ConfigError(f"render: kind must be one of {TEMPORAL_KINDS}, got {kind!r}")

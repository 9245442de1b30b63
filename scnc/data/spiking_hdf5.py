"""Loader for the Spiking Heidelberg Digits / Spiking Speech Commands HDF5 layout.

For users who have the files (``shd_train.h5``, ``ssc_test.h5``... from Zenke's lab; nothing is
downloaded here). The layout (Cramer et al., 2020)::

    spikes/times   one variable-length float array per sample: spike times in seconds
    spikes/units   one variable-length integer array per sample: the input channel of each spike
    labels         integer class per sample, shape (n,)

Samples are binned into ``timesteps`` equal steps over ``[0, duration)`` seconds and returned as
0/1 spikes ``(timesteps, n, n_inputs)`` float32 (the layout :mod:`scnc.snn` trains on): several
spikes of one input within one step count once (scnc's inputs are binary), spikes at or after
``duration`` are dropped. ``unit_pool`` adjacent channels are merged into one input (the DCLS
code merges 5 of SHD's 700, giving 140 inputs).

Every structural problem is refused with a :class:`~scnc.errors.DataError` naming the file and the
field: a missing dataset, a wrong dtype, a sample whose times and units differ in length, negative
or unsorted times, units outside ``[0, n_units)``, negative labels, a result too large for
``max_bytes`` (checked before it is allocated).

Needs ``h5py``, an optional dependency: ``pip install 'scnc[hdf5]'``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError, located

__all__ = ["SpikingHDF5", "load_spiking_hdf5", "SHD_UNITS", "DEFAULT_MAX_BYTES"]

SHD_UNITS = 700
"""Input channels of SHD and SSC (the cochlea model's 700 fibres)."""

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Largest dense spike tensor :func:`load_spiking_hdf5` allocates unless told otherwise (2 GiB)."""


def _error(path: Path, field: str | None, message: str) -> DataError:
    return DataError(located(str(path), field, message))


def _import_h5py():
    try:
        import h5py
    except ImportError as exc:
        raise ConfigError("reading SHD/SSC HDF5 files needs h5py: pip install 'scnc[hdf5]' "
                          "(or pip install h5py)") from exc
    return h5py


@dataclass
class SpikingHDF5:
    """A binned SHD/SSC file: ``spikes`` float32 0/1 ``(timesteps, n, n_inputs)``, ``labels``
    int64 ``(n,)``, the ``duration`` in seconds the steps cover, and the source ``path``."""

    spikes: np.ndarray
    labels: np.ndarray
    duration: float
    path: str

    @property
    def step_seconds(self) -> float:
        """Length of one time step in seconds."""
        return self.duration / self.spikes.shape[0]


def _dataset(f, path: Path, name: str):
    if name not in f:
        raise _error(path, name, "missing dataset (the SHD/SSC layout has spikes/times, spikes/units, labels)")
    return f[name]


def _vlen_base(ds):
    """The element dtype of a variable-length dataset, or None if it is not one."""
    import h5py

    return h5py.check_vlen_dtype(ds.dtype)


def load_spiking_hdf5(
    path: str | Path,
    *,
    timesteps: int,
    duration: float | None = None,
    n_units: int = SHD_UNITS,
    unit_pool: int = 1,
    max_samples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SpikingHDF5:
    """Read and bin an SHD/SSC-layout HDF5 file (module docstring).

    Parameters
    ----------
    path:
        The ``.h5`` file.
    timesteps:
        Number of time steps (>= 1).
    duration:
        Seconds covered by the steps; ``None``: the latest spike time in the file (so none is dropped).
    n_units:
        Input channels in the file (700 for SHD/SSC); every unit must be below it.
    unit_pool:
        Adjacent channels merged into one input (>= 1, divides ``n_units``).
    max_samples:
        Read only the first samples (``None``: all).
    max_bytes:
        Refuse (before allocating) a result larger than this.
    """
    for name, v, lo in (("timesteps", timesteps, 1), ("n_units", n_units, 1), ("unit_pool", unit_pool, 1),
                        ("max_bytes", max_bytes, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ConfigError(f"load_spiking_hdf5: {name} must be an int >= {lo}, got {v!r}")
    if n_units % unit_pool:
        raise ConfigError(f"load_spiking_hdf5: unit_pool {unit_pool} must divide n_units {n_units}")
    if max_samples is not None and (isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer))
                                    or max_samples < 1):
        raise ConfigError(f"load_spiking_hdf5: max_samples must be an int >= 1 or None, got {max_samples!r}")
    if duration is not None and not (isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0):
        raise ConfigError(f"load_spiking_hdf5: duration must be a finite number of seconds > 0, got {duration!r}")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    h5py = _import_h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise _error(path, None, f"not a readable HDF5 file ({exc})") from exc
    with f:
        times_ds = _dataset(f, path, "spikes/times")
        units_ds = _dataset(f, path, "spikes/units")
        labels_ds = _dataset(f, path, "labels")
        for name, ds, kind in (("spikes/times", times_ds, "f"), ("spikes/units", units_ds, "iu")):
            base = _vlen_base(ds)
            if base is None or np.dtype(base).kind not in kind or ds.ndim != 1:
                what = "floating-point seconds" if kind == "f" else "integer channel numbers"
                raise _error(path, name, f"expected a 1-D dataset of variable-length arrays of {what}, "
                                         f"got dtype {ds.dtype} with shape {ds.shape}")
        if labels_ds.ndim != 1 or labels_ds.dtype.kind not in "iu":
            raise _error(path, "labels", f"expected a 1-D integer dataset, got dtype {labels_ds.dtype} "
                                         f"with shape {labels_ds.shape}")
        n = labels_ds.shape[0]
        for name, ds in (("spikes/times", times_ds), ("spikes/units", units_ds)):
            if ds.shape[0] != n:
                raise _error(path, name, f"has {ds.shape[0]} samples but labels has {n}")
        if max_samples is not None:
            n = min(n, int(max_samples))
        n_inputs = n_units // unit_pool
        nbytes = int(timesteps) * n * n_inputs * 4
        if nbytes > max_bytes:
            raise ConfigError(f"{path}: {n} samples x {timesteps} steps x {n_inputs} inputs need {nbytes / 2**20:.0f} MiB "
                              f"(> max_bytes {max_bytes / 2**20:.0f} MiB): use fewer timesteps, a larger unit_pool "
                              "or max_samples")
        labels = np.asarray(labels_ds[:n])
        if labels.size and labels.min() < 0:
            raise _error(path, "labels", f"labels must be >= 0, got {labels.min()}")
        times = [np.asarray(t) for t in times_ds[:n]]
        units = [np.asarray(u) for u in units_ds[:n]]
    for k, (t, u) in enumerate(zip(times, units)):
        if t.shape != u.shape:
            raise _error(path, "spikes/units", f"sample {k} has {u.size} units but {t.size} times")
        if t.size == 0:
            continue
        if not np.all(np.isfinite(t)) or t.min() < 0:
            raise _error(path, "spikes/times", f"sample {k} has negative or non-finite spike times")
        if np.any(np.diff(t) < 0):
            raise _error(path, "spikes/times", f"sample {k}: spike times must be sorted (non-decreasing)")
        if u.min() < 0 or u.max() >= n_units:
            raise _error(path, "spikes/units", f"sample {k} has units in [{u.min()}, {u.max()}], "
                                               f"expected [0, {n_units})")
    if duration is None:
        latest = max((float(t[-1]) for t in times if t.size), default=0.0)
        # the latest spike must land in the last step, not at its excluded end
        duration = float(np.nextafter(latest, np.inf)) if latest > 0 else 1.0
    T = int(timesteps)
    spikes = np.zeros((T, n, n_inputs), np.float32)
    for k, (t, u) in enumerate(zip(times, units)):
        t64 = t.astype(np.float64)  # compare and divide in float64 (a float32 file must not round the duration)
        keep = t64 < duration
        step = np.minimum((t64[keep] / duration * T).astype(np.int64), T - 1)
        spikes[step, k, u[keep].astype(np.int64) // unit_pool] = 1.0
    return SpikingHDF5(spikes, labels.astype(np.int64), float(duration), str(path))

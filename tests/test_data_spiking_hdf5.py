"""The SHD/SSC HDF5 loader (scnc.data.spiking_hdf5) on small files written here in that layout."""

from __future__ import annotations

import sys

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")  # the optional extra 'scnc[hdf5]' (installed with the test extra)

from scnc.data.spiking_hdf5 import load_spiking_hdf5  # noqa: E402
from scnc.errors import ConfigError, DataError  # noqa: E402


def _write(path, times, units, labels, *, times_dtype=np.float32, units_dtype=np.uint16, skip=()):
    with h5py.File(path, "w") as f:
        if "spikes/times" not in skip:
            ds = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.dtype(times_dtype)))
            for k, t in enumerate(times):
                ds[k] = np.asarray(t, times_dtype)
        if "spikes/units" not in skip:
            ds = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.dtype(units_dtype)))
            for k, u in enumerate(units):
                ds[k] = np.asarray(u, units_dtype)
        if "labels" not in skip:
            f.create_dataset("labels", data=np.asarray(labels))
    return path


GOOD = dict(times=[[0.0, 0.05, 0.05, 0.39], [0.2]], units=[[3, 3, 699, 10], [0]], labels=[4, 1])


def test_bins_spikes_into_steps_and_pools_units(tmp_path):
    p = _write(tmp_path / "shd.h5", **GOOD)
    d = load_spiking_hdf5(p, timesteps=4, duration=0.4)
    assert d.spikes.shape == (4, 2, 700) and d.spikes.dtype == np.float32
    assert d.labels.tolist() == [4, 1] and d.step_seconds == pytest.approx(0.1)
    s0 = d.spikes[:, 0]
    assert s0[0, 3] == 1 and s0[0, 699] == 1 and s0[3, 10] == 1 and s0.sum() == 3  # two spikes, one step: 1
    assert d.spikes[2, 1, 0] == 1 and d.spikes[:, 1].sum() == 1
    pooled = load_spiking_hdf5(p, timesteps=4, duration=0.4, unit_pool=5)
    assert pooled.spikes.shape == (4, 2, 140)
    assert pooled.spikes[0, 0, 0] == 1 and pooled.spikes[0, 0, 139] == 1 and pooled.spikes[3, 0, 2] == 1
    # default duration: the latest spike lands in the last step; max_samples reads a prefix
    d2 = load_spiking_hdf5(p, timesteps=4, max_samples=1)
    assert d2.spikes.shape == (4, 1, 700) and d2.spikes[3, 0, 10] == 1
    # spikes at or after the duration are dropped
    assert load_spiking_hdf5(p, timesteps=4, duration=0.3).spikes[:, 0].sum() == 2


@pytest.mark.parametrize("case,field", [
    (dict(skip=("spikes/times",)), "spikes/times"),
    (dict(skip=("spikes/units",)), "spikes/units"),
    (dict(skip=("labels",)), "labels"),
    (dict(times_dtype=np.int32), "spikes/times"),
    (dict(units_dtype=np.float32), "spikes/units"),
    (dict(labels=[0.5, 1.0]), "labels"),
    (dict(labels=[1, 2, 3]), "spikes/times"),
    (dict(times=[[0.0, 0.3, 0.1, 0.4], [0.2]]), "spikes/times"),
    (dict(times=[[-0.1, 0.0, 0.1, 0.2], [0.2]]), "spikes/times"),
    (dict(units=[[3, 3, 700, 10], [0]]), "spikes/units"),
    (dict(units=[[3, 3, 10], [0]]), "spikes/units"),
    (dict(labels=[-1, 1]), "labels"),
])
def test_malformed_files_are_refused_naming_the_file_and_field(tmp_path, case, field):
    kw = {**GOOD, **case}
    p = _write(tmp_path / "bad.h5", **kw)
    with pytest.raises(DataError) as err:
        load_spiking_hdf5(p, timesteps=4)
    assert str(p) in str(err.value) and f"field '{field}'" in str(err.value)


def test_not_hdf5_and_too_large_and_bad_options(tmp_path):
    p = tmp_path / "x.h5"
    p.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match="x.h5"):
        load_spiking_hdf5(p, timesteps=4)
    good = _write(tmp_path / "good.h5", **GOOD)
    with pytest.raises(ConfigError, match="max_bytes"):
        load_spiking_hdf5(good, timesteps=1000, max_bytes=1000)
    for kw in ({"timesteps": 0}, {"timesteps": 4, "unit_pool": 3}, {"timesteps": 4, "duration": -1.0}):
        with pytest.raises(ConfigError):
            load_spiking_hdf5(good, **kw)


def test_without_h5py_the_error_names_the_extra(tmp_path, monkeypatch):
    good = _write(tmp_path / "good.h5", **GOOD)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ConfigError, match=r"scnc\[hdf5\]"):
        load_spiking_hdf5(good, timesteps=4)

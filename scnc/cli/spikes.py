"""``scnc spikes``: read, check and summarise a spiking data set file (SHD/SSC HDF5 layout)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._args import integer, number
from ._common import Out


def register(sub) -> None:
    p = sub.add_parser("spikes", help="check and summarise an SHD/SSC HDF5 spike file",
                       description="Read a file in the Spiking Heidelberg Digits / Spiking Speech Commands HDF5 "
                                   "layout (spikes/times, spikes/units, labels), check it, bin it into time steps "
                                   "as scnc.data.spiking_hdf5.load_spiking_hdf5 does and print a summary. A "
                                   "malformed file exits 2 naming the file and the field. Needs h5py "
                                   "(pip install 'scnc[hdf5]').")
    p.add_argument("file", type=Path, help="the .h5 file")
    p.add_argument("--timesteps", type=integer(1), default=100, help="time steps to bin into (default: 100)")
    p.add_argument("--duration", type=number(0, lo_open=True), default=None,
                   help="seconds the steps cover (default: up to the latest spike in the file)")
    p.add_argument("--units", type=integer(1), default=700, help="input channels in the file (default: 700)")
    p.add_argument("--unit-pool", type=integer(1), default=1, help="adjacent channels merged into one input")
    p.add_argument("--max-samples", type=integer(1), default=None, help="read only the first N samples")
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Out) -> int:
    import numpy as np

    from ..data.spiking_hdf5 import load_spiking_hdf5

    d = load_spiking_hdf5(args.file, timesteps=args.timesteps, duration=args.duration, n_units=args.units,
                          unit_pool=args.unit_pool, max_samples=args.max_samples)
    T, n, n_in = d.spikes.shape
    classes = np.unique(d.labels).tolist()
    per_sample = d.spikes.sum(axis=(0, 2))
    out.say(f"{args.file}: {n} samples, {len(classes)} classes {classes[:10]}{' ...' if len(classes) > 10 else ''}")
    out.say(f"binned into {T} steps of {1000 * d.step_seconds:.3f} ms ({d.duration:.4f} s), {n_in} inputs; "
            f"active (step, input) pairs per sample: mean {per_sample.mean():.1f}, max {per_sample.max():.0f}")
    out.result({"command": "spikes", "file": str(args.file), "samples": int(n), "classes": classes,
                "timesteps": int(T), "inputs": int(n_in), "duration_s": d.duration,
                "mean_active_per_sample": float(per_sample.mean())})
    return 0

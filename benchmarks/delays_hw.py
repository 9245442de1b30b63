"""The delay hardware measurement of docs/hardware.md §3b: a 64-128-10 network with and without delays.

Writes two checkpoints with the same weights (``Network.dense([64, 128, 10], seed=0, timesteps=16)``):
``<out>/nodelay`` and ``<out>/delay8`` (per-synapse delays drawn uniformly in 0..8 steps, seed 1, both
layers). The rest is the CLI, as docs/hardware.md lists it::

    python benchmarks/delays_hw.py --out /tmp/delays
    scnc compile /tmp/delays/delay8.npz -o /tmp/delays/build --stream-length 16 --weight-bits 4 --parallel 8x2
    scnc verify /tmp/delays/build --sim verilator --samples 20
    scnc compile /tmp/delays/delay8.npz -o /tmp/delays/synth --no-trace --stream-length 16 --weight-bits 4 --parallel 8x2
    scnc synth /tmp/delays/synth --target ice40-up5k --json

The weights are untrained (a temporal task's trained delays come from ``scnc train --delays``): the
area and latency of the core do not depend on the values, only on the sizes, widths and ``D``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from scnc.snn.network import Network
from scnc.transfer import SNNCheckpoint, save_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/scnc-delays"))
    ap.add_argument("--max-delay", type=int, default=8)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, D in (("nodelay", 0), (f"delay{args.max_delay}", args.max_delay)):
        net = Network.dense([64, 128, 10], seed=0, timesteps=16)
        if D:
            rng = np.random.default_rng(1)
            for layer in net.layers:
                layer.delays = rng.integers(0, D + 1, layer.weight.shape).astype(np.int16)
        save_checkpoint(SNNCheckpoint.from_network(net), args.out / name)
        print(f"wrote {args.out / name}.npz (max delay {D})")


if __name__ == "__main__":
    main()

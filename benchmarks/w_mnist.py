"""W-mnist (784 -> 256 -> 10) in hardware: capacity check on the UP5K and the ECP5-25k, synthesis, latency.

Random float weights (``Network.dense``, seed 0, T = 25; random weights are enough for cost, not for
accuracy) are quantized (event engine, SC, ``--stream-length 8 --weight-bits 3`` as ``--stream-length
auto`` picks for W-digits, the given P_n) and compiled without trace port. The capacity model
(``scnc.fpga.capacity``) says where it fits; ``--synth`` runs ``scnc.fpga.synth`` on ``--target``
(out-of-context shell, YoWASP yosys + nextpnr-ecp5: ``pip install scnc[fpga]``).

Latency: the event engine's cycles depend on the spikes, so the mean over samples comes from
``scnc.ref.cycles`` on synthetic MNIST-like inputs: each pixel is on with probability 0.19 with an
intensity uniform in [0.3, 1] (mean intensity 0.124; MNIST's is 0.13, with 19 % of pixels non-zero),
seed 0. Prints the figures and one JSON line (``{"benchmark": "w_mnist", ...}``).

    python benchmarks/w_mnist.py [--parallel-neurons 16] [--target ecp5-25k] [--synth] [--out DIR] [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from scnc import ref
from scnc.fpga import capacity
from scnc.ir import QuantOptions, from_network, quantize, set_engine
from scnc.ref.cycles import input_spike_counts
from scnc.rtl import compile_graph
from scnc.snn.network import Network

SIZES = [784, 256, 10]
TIMESTEPS = 25
#: Synthetic MNIST-like input statistics (fraction of pixels on, intensity range of an "on" pixel).
ON_FRACTION, ON_RANGE = 0.19, (0.3, 1.0)


def mnist_like(n: int, seed: int = 0) -> np.ndarray:
    """``(n, 784)`` float images in [0, 1] with MNIST's fraction of non-zero pixels and mean intensity."""
    rng = np.random.default_rng(seed)
    on = rng.random((n, SIZES[0])) < ON_FRACTION
    return np.where(on, rng.uniform(*ON_RANGE, size=(n, SIZES[0])), 0.0)


def graph_for(p_n: int, engine: str = "event", stream_length: int = 8, weight_bits: int = 3, p_i: int = 1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = quantize(from_network(Network.dense(SIZES, seed=0, timesteps=TIMESTEPS)),
                     QuantOptions(stream_length=stream_length, weight_bits=weight_bits, parallel_inputs=p_i,
                                  parallel_neurons=p_n))
    return set_engine(g, engine)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parallel-neurons", type=int, default=16, help="P_n of the event engine (default 16)")
    ap.add_argument("--parallel-inputs", type=int, default=1,
                    help="P_i of the event engine: input banks, rows read per cycle (default 1)")
    ap.add_argument("--target", default="ecp5-25k", help="device to synthesize on (default ecp5-25k)")
    ap.add_argument("--synth", action="store_true", help="run yosys + nextpnr (minutes; without it: the model only)")
    ap.add_argument("--samples", type=int, default=200, help="synthetic samples for the mean cycles (default 200)")
    ap.add_argument("--out", type=Path, default=None, help="build folder (default: a temporary folder)")
    args = ap.parse_args()

    g = graph_for(args.parallel_neurons, p_i=args.parallel_inputs)
    x = mnist_like(args.samples)
    t0 = time.perf_counter()
    run = ref.run(g, x, trace=False)
    cyc = ref.cycles(g, run)
    rate = input_spike_counts(run).mean(axis=(0, 1))  # spiking inputs per step, per layer
    print(f"W-mnist {'-'.join(map(str, SIZES))}, event engine, sc, L = {g.hardware.stream_length}, "
          f"w = {g.layers[0].synapse.quant.weight_bits}, P_i = {args.parallel_inputs} banks, P_n = {args.parallel_neurons}, "
          f"T = {TIMESTEPS}")
    print(f"cycles per sample on {args.samples} MNIST-like inputs: mean {cyc.mean():.0f}, worst {cyc.max()}, "
          f"best {cyc.min()} (spiking inputs per step: layer 0 {rate[0]:.1f} of 784, layer 1 {rate[1]:.1f} of 256; "
          f"{time.perf_counter() - t0:.1f} s)")
    estimates = {}
    for target in ("ice40-up5k", "ecp5-25k", "ecp5-85k"):
        est = capacity.estimate(g, target)
        estimates[target] = est.summary()
        for line in est.table():
            print(line)
        print(f"  -> {'fits' if est.fits else 'does NOT fit'} {target}")

    synth = None
    if args.synth:
        from scnc.fpga import DoesNotFit, synth as run_synth

        tmp = None
        out = args.out
        if out is None:
            tmp = tempfile.TemporaryDirectory(prefix="scnc-w-mnist-")
            out = Path(tmp.name) / "build"
        t1 = time.perf_counter()
        compile_graph(g, out, trace=False)
        print(f"compiled {out} in {time.perf_counter() - t1:.1f} s")
        try:
            rep = run_synth(out, target=args.target, wrapper="ooc")
        except DoesNotFit as e:
            rep = e.report
        except capacity.DoesNotFitEstimate as e:  # the model stops it before yosys: say so, no synthesis
            raise SystemExit(f"not synthesized: {e}") from None
        print(rep.table())
        mean_us = cyc.mean() / rep.fmax_mhz if rep.fmax_mhz else None
        worst_us = cyc.max() / rep.fmax_mhz if rep.fmax_mhz else None
        if mean_us is not None:
            print(f"latency at Fmax {rep.fmax_mhz:.2f} MHz: mean {mean_us:.1f} us, worst {worst_us:.1f} us per "
                  f"sample ({1e6 / mean_us:.0f} samples/s)")
        synth = {**rep.summary(), "utilisation": rep.utilisation, "dsp_sources": rep.dsp_sources,
                 "bram_sources": rep.bram_sources, "seconds": rep.seconds,
                 "mean_latency_us": round(mean_us, 1) if mean_us else None,
                 "worst_latency_us": round(worst_us, 1) if worst_us else None}
        if tmp is not None:
            tmp.cleanup()
    print(json.dumps({"benchmark": "w_mnist", "sizes": SIZES, "timesteps": TIMESTEPS, "engine": "event",
                      "encoding": str(g.hardware.encoding), "stream_length": g.hardware.stream_length,
                      "weight_bits": g.layers[0].synapse.quant.weight_bits, "parallel_neurons": args.parallel_neurons,
                      "input": {"kind": "mnist-like", "on_fraction": ON_FRACTION, "on_range": list(ON_RANGE),
                                "samples": args.samples, "seed": 0},
                      "spikes_per_step": [round(float(r), 2) for r in rate],
                      "cycles_per_sample": {"mean": round(float(cyc.mean()), 1), "worst": int(cyc.max()),
                                            "best": int(cyc.min())},
                      "capacity": estimates, "synth": synth}, sort_keys=True, separators=(",", ":")))


if __name__ == "__main__":
    main()

"""Hardware cost of W-digits (64 -> 128 -> 10) on the iCE40UP5K: SC vs fixed, stream length, parallelism.

Random float weights (``Network.dense``, seed 0, T = 25) are quantized with ``scnc.ir.quantize``, compiled
with ``scnc.rtl.compile_graph(trace=False)`` and run through ``scnc.fpga.synth`` (yosys + nextpnr-ice40).
Every point reports LUTs, flip-flops, BRAMs, DSPs, logic cells, Fmax, fits, cycles per sample and
latency at Fmax. Prints a table, writes a PNG plot and ends with one JSON line
(``{"benchmark": "hw_cost", ...}``).

    python benchmarks/hw_cost.py [--wrapper ooc|board] [--full] [--bitstream] [--checkpoint CKPT] [--out DIR]
                                 [--engines dense,event]

``--engines`` (default ``dense``) adds the layer-engine axis: every point is built with each engine. The
event engine's latency depends on the data, so every point also reports the mean cycles per sample of
``scnc.ref.cycles`` on the digits test split (the manifest's figure is the event engine's bound) and the
mean latency at Fmax.

Default (a few points, ~3-5 min with warm YoWASP caches on 2 cores): sc and fixed at the default options,
plus sc at L = 32 and at (P_i, P_n) = (16, 4). ``--full`` sweeps L in {16, 32, 64, 128} and
(P_i, P_n) in {(4, 1), (8, 2), (16, 4), (32, 8)} for both encodings. ``--bitstream`` also builds the
iCEBreaker .bin of the default sc core. ``--checkpoint`` (a W-digits checkpoint from ``scnc train``) adds
the hardware accuracy of each point from ``scnc.ref`` on the digits test split.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

from scnc.fpga import DoesNotFit, build_bitstream, synth
from scnc.ir import QuantOptions, from_network, quantize, set_engine
from scnc.rtl import compile_graph
from scnc.snn.network import Network

SIZES = [64, 128, 10]
TIMESTEPS = 25


def points(full: bool) -> list:
    base = QuantOptions()
    if not full:
        return [dict(encoding="sc"), dict(encoding="fixed"), dict(encoding="sc", stream_length=32),
                dict(encoding="sc", parallel_inputs=16, parallel_neurons=4)]
    pts = []
    for enc in ("sc", "fixed"):
        for L in (16, 32, 64, 128):
            if enc == "fixed" and L != base.stream_length:
                continue
            pts.append(dict(encoding=enc, stream_length=L))
        for p_in, p_n in ((4, 1), (16, 4), (32, 8)):
            pts.append(dict(encoding=enc, parallel_inputs=p_in, parallel_neurons=p_n))
    return pts


def graph_for(source, opts: dict):
    opts = dict(opts)
    engine = opts.pop("engine", "dense")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return set_engine(quantize(source, QuantOptions(**opts)), engine)


def with_engines(pts: list, engines: list) -> list:
    """Every point once per engine."""
    return [dict(p, engine=e) for p in pts for e in engines]


def mean_cycles_for(graph, x) -> float:
    """Mean latency per sample (cycles, no trace port, no stall) on ``x``: exact per sample (scnc.ref.cycles)."""
    from scnc import ref

    return float(ref.cycles(graph, ref.run(graph, x, trace=True)).mean())


def accuracy_for(graph, data) -> float | None:
    if data is None:
        return None
    from scnc import ref

    x, y = data
    res = ref.run(graph, x, trace=False)
    return float((res.winners == y).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wrapper", choices=("ooc", "board"), default="board",
                    help="place the core in the iCEBreaker board top + UART bridge (default) or the ooc shell")
    ap.add_argument("--full", action="store_true", help="sweep stream length and parallelism")
    ap.add_argument("--bitstream", action="store_true", help="also build the iCEBreaker .bin of the default sc core")
    ap.add_argument("--checkpoint", type=Path, default=None, help="a trained W-digits checkpoint: adds accuracy")
    ap.add_argument("--out", type=Path, default=None, help="folder for builds and the plot (default: a temp folder)")
    ap.add_argument("--seed", type=int, default=0, help="nextpnr seed")
    ap.add_argument("--engines", default="dense", help="comma-separated layer engines to build each point with "
                                                       "(dense, event; default: dense)")
    args = ap.parse_args()

    tmp = None
    out = args.out
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="scnc-hw-cost-")
        out = Path(tmp.name)
    out.mkdir(parents=True, exist_ok=True)
    data = None
    if args.checkpoint is not None:
        from scnc.data import load_dataset
        from scnc.ir import from_checkpoint
        from scnc.transfer import load_checkpoint

        ckpt = load_checkpoint(args.checkpoint)
        source = from_checkpoint(ckpt)
        ds = load_dataset("digits", split="test")
        data = (ds.x, ds.y)
    else:
        source = from_network(Network.dense(SIZES, seed=0, timesteps=TIMESTEPS))
    from scnc.data import load_dataset

    cycle_x = data[0] if data is not None else load_dataset("digits", split="test").x  # spikes set event cycles
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    rows = []
    print(f"{'encoding':8} {'L':>4} {'P_i':>4} {'P_n':>4} {'LUTs':>6} {'LCs':>6} {'FFs':>5} {'BRAM':>4} {'DSP':>3} "
          f"{'fits':>4} {'Fmax MHz':>8} {'cyc/sample':>10} {'latency us':>11} {'acc':>6} {'s':>5}", flush=True)
    for i, opts in enumerate(with_engines(points(args.full), engines)):
        g = graph_for(source, opts)
        q = g.layers[0].synapse.quant
        bdir = out / f"p{i}_{opts.get('encoding')}_{opts['engine']}"
        compile_graph(g, bdir, trace=False)
        t0 = time.perf_counter()
        try:
            rep = synth(bdir, target="ice40-up5k", wrapper=args.wrapper, seed=args.seed)
        except DoesNotFit as e:
            rep = e.report
        dt = time.perf_counter() - t0
        acc = accuracy_for(g, data)
        mean_cycles = mean_cycles_for(g, cycle_x)
        row = {"engine": str(g.hardware.engine), "mean_cycles_per_sample": round(mean_cycles, 1),
               "mean_latency_us": round(mean_cycles / rep.fmax_mhz, 1) if rep.fmax_mhz else None,
               "encoding": g.hardware.encoding, "stream_length": g.hardware.stream_length,
               "parallel_inputs": q.parallel_inputs, "parallel_neurons": q.parallel_neurons,
               "wrapper": rep.wrapper, "luts": rep.luts, "logic_cells": rep.logic_cells, "ffs": rep.ffs,
               "brams": rep.brams, "dsps": rep.dsps, "fits": rep.fits, "fmax_mhz": rep.fmax_mhz,
               "cycles_per_sample": rep.cycles_per_sample, "latency_us": rep.latency_us,
               "latency_us_at_12mhz": round(rep.cycles_per_sample / 12.0, 1), "accuracy": acc,
               "dsp_sources": rep.dsp_sources, "seconds": round(dt, 1)}
        rows.append(row)
        fm = f"{rep.fmax_mhz:8.2f}" if rep.fmax_mhz else f"{'-':>8}"
        lat = f"{rep.latency_us:11.1f}" if rep.latency_us else f"{'-':>11}"
        ac = f"{acc:6.3f}" if acc is not None else f"{'-':>6}"
        print(f"{row['engine']:6} mean cycles {mean_cycles:10.0f}  mean latency "
              f"{row['mean_latency_us'] if row['mean_latency_us'] is not None else '-'} us", flush=True)
        print(f"{row['encoding']:8} {row['stream_length']:4d} {row['parallel_inputs']:4d} {row['parallel_neurons']:4d} "
              f"{rep.luts:6d} {rep.logic_cells if rep.logic_cells is not None else '-':>6} {rep.ffs:5d} {rep.brams:4d} {rep.dsps:3d} "
              f"{'yes' if rep.fits else 'NO':>4} {fm} {rep.cycles_per_sample:10d} {lat} {ac} {dt:5.0f}", flush=True)

    bit = None
    if args.bitstream:
        g = graph_for(source, {})
        bdir = out / "board_sc"
        compile_graph(g, bdir, trace=False)
        t0 = time.perf_counter()
        res = build_bitstream(bdir, seed=args.seed)
        bit = {"bitstream": str(res.bitstream), "size_bytes": res.size_bytes, "sha256": res.sha256,
               "luts": res.report.luts, "ffs": res.report.ffs, "brams": res.report.brams, "dsps": res.report.dsps,
               "logic_cells": res.report.logic_cells, "fmax_mhz": res.report.fmax_mhz,
               "timing_met": res.report.timing_met, "seconds": round(time.perf_counter() - t0, 1)}
        print(f"bitstream {res.bitstream}: {res.size_bytes} bytes, Fmax {res.report.fmax_mhz:.2f} MHz "
              f"(12 MHz board clock), {res.report.logic_cells} LCs, {res.report.brams} BRAMs", flush=True)

    plot = _plot(rows, out / "hw_cost.png")
    print(f"plot: {plot}")
    print(json.dumps({"benchmark": "hw_cost", "workload": "W-digits", "sizes": SIZES, "timesteps": TIMESTEPS,
                      "target": "ice40-up5k", "wrapper": args.wrapper, "points": rows, "bitstream": bit,
                      "plot": str(plot)}, sort_keys=True, separators=(",", ":")))
    if tmp is not None:
        # the builds were temporary: keep the plot in the current folder
        keep = Path.cwd() / "hw_cost.png"
        keep.write_bytes(plot.read_bytes())
        print(f"plot copied to {keep}")
        tmp.cleanup()


def _plot(rows: list, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    labels = [f"{r['encoding']} {r.get('engine', 'dense')}\nL={r['stream_length']}\n"
              f"{r['parallel_inputs']}x{r['parallel_neurons']}" for r in rows]
    colors = ["tab:blue" if r["encoding"] == "sc" else "tab:orange" for r in rows]
    xs = range(len(rows))
    for ax, key, title in zip(axes, ("logic_cells", "ffs", "fmax_mhz", "mean_latency_us"),
                              ("logic cells (of 5280)", "flip-flops", "Fmax (MHz)",
                               "mean latency at Fmax (us, log)")):
        ax.bar(xs, [r[key] or 0 for r in rows], color=colors)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_title(title, fontsize=9)
        if key == "mean_latency_us":
            ax.set_yscale("log")
    fig.suptitle("W-digits 64-128-10 on iCE40UP5K (blue: SC, orange: fixed; x: encoding, L, P_i x P_n)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()

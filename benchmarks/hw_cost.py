"""Hardware cost of W-digits (64 -> 128 -> 10) on the iCE40UP5K: SC vs fixed, stream length, parallelism.

Random float weights (``Network.dense``, seed 0, T = 25) are quantized with ``scnc.ir.quantize``, compiled
with ``scnc.rtl.compile_graph(trace=False)`` and run through ``scnc.fpga.synth`` (yosys + nextpnr-ice40).
Every point reports LUTs, flip-flops, BRAMs, DSPs, logic cells, Fmax, fits, cycles per sample and
latency at Fmax. Prints a table, writes a PNG plot and ends with one JSON line
(``{"benchmark": "hw_cost", ...}``).

    python benchmarks/hw_cost.py [--wrapper ooc|board] [--full] [--bitstream] [--checkpoint CKPT] [--out DIR]
                                 [--engines dense,event]
    python benchmarks/hw_cost.py --model [--workload w-digits|w-mnist] [--samples N] [--out DIR]

``--model``: no synthesis; the capacity model's (scnc.fpga.capacity) logic cells and fit on the UP5K and
the cycle model's mean cycles for dense vs event, SC vs fixed, L in {8, 16, 32, 64} and several P, with
latency at an assumed Fmax per engine (``MODEL_FMAX_MHZ``); a table with the Pareto front, a PNG of latency vs logic cells with the
measured syntheses (capacity.MEASURED) marked, and one JSON line.

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
            # check=False: the sweep measures points that do not fit too (the capacity model would stop them)
            rep = synth(bdir, target="ice40-up5k", wrapper=args.wrapper, seed=args.seed, check=False)
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


# ---- the model's Pareto front (--model): no synthesis --------------------------------------------------------

#: Fmax the model's latencies assume, by engine (MHz): the measured UP5K cores of docs/fpga.md and docs/rtl.md
#: run at 17-20 MHz on the dense engine and 27.7-32.1 MHz on the pipelined event engine, whatever the encoding,
#: L and P; the capacity model has no timing model.
MODEL_FMAX_MHZ = {"dense": 18.0, "event": 29.0}
WORKLOADS = {"w-digits": [64, 128, 10], "w-mnist": [784, 256, 10]}


def model_points(sizes: list, x) -> list:
    """Every (engine, encoding, L, P) of the sweep with the capacity model's estimate on the UP5K and its mean
    cycles per sample (event: scnc.ref.cycles on ``x``; dense: exact)."""
    from scnc.fpga.capacity import estimate
    from scnc.ir.schedule import event_sample_cycles, sample_cycles
    from scnc.ref.cycles import row_token_counts
    from scnc import ref

    source = from_network(Network.dense(sizes, seed=0, timesteps=TIMESTEPS))
    rows = []
    for enc in ("sc", "fixed"):
        for L in (8, 16, 32, 64):
            if enc == "fixed" and L != 8:
                continue  # fixed point has no window: L only sets the weight bits (3 at L = 8, as auto picks)
            spikes = None  # one reference run per encoding and L: the spikes do not depend on P or the engine
            for engine, ps in (("dense", ((8, 2), (8, 4), (16, 4), (16, 8))),
                               ("event", ((1, 4), (1, 8), (1, 16), (2, 8), (4, 4), (4, 8), (4, 16)))):
                for p_i, p_n in ps:
                    g = graph_for(source, dict(encoding=enc, stream_length=L, weight_bits=min(3 if L == 8 else 6, L.bit_length() - 1),
                                               parallel_inputs=p_i, parallel_neurons=p_n, engine=engine))
                    if engine == "event":
                        if spikes is None:
                            spikes = ref.run(g, x, trace=False)
                        cyc = float(event_sample_cycles(g, row_token_counts(g, spikes)).mean())
                    else:
                        cyc = float(sample_cycles(g)["total"])
                    est = estimate(g, "ice40-up5k")
                    rows.append({"engine": engine, "encoding": enc, "stream_length": L, "parallel_inputs": p_i,
                                 "parallel_neurons": p_n, "cycles": round(cyc, 1), "logic_cells": est.logic_cells,
                                 "brams": est.brams, "dsps": est.dsps, "fits": est.fits,
                                 "latency_us": round(cyc / MODEL_FMAX_MHZ[engine], 1)})
    best = float("inf")  # Pareto front: no design that fits has fewer logic cells and a lower latency
    for r in sorted(rows, key=lambda r: (r["logic_cells"], r["latency_us"])):
        if r["fits"] and r["latency_us"] < best:
            best = r["latency_us"]
            r["pareto"] = True
    return rows


def model_main(workload: str, samples: int, out: Path) -> None:
    from scnc.data import load_dataset

    sizes = WORKLOADS[workload]
    if workload == "w-digits":
        x = load_dataset("digits", split="test").x[:samples]
    else:
        import sys

        sys.path.insert(0, str(Path(__file__).parent))
        from w_mnist import mnist_like  # noqa: E402  (the benchmark's synthetic MNIST-like inputs)

        x = mnist_like(samples)
    rows = model_points(sizes, x)
    fmax = ", ".join(f"{e} {f:g} MHz" for e, f in MODEL_FMAX_MHZ.items())
    print(f"{workload} {'-'.join(map(str, sizes))} on iCE40UP5K by the capacity model (latency at an assumed "
          f"Fmax: {fmax}; * = Pareto front of the designs that fit)")
    print(f"{'engine':6} {'enc':5} {'L':>3} {'P':>5} {'cycles':>9} {'latency us':>10} {'LCs':>6} {'BRAM':>4} {'DSP':>3} fits")
    for r in rows:
        print(f"{r['engine']:6} {r['encoding']:5} {r['stream_length']:3d} {r['parallel_inputs']}x{r['parallel_neurons']:<3} "
              f"{r['cycles']:9.0f} {r['latency_us']:10.1f} {r['logic_cells']:6d} {r['brams']:4d} {r['dsps']:3d} "
              f"{'yes' if r['fits'] else 'no'}{' *' if r.get('pareto') else ''}")
    plot = _pareto_plot(rows, workload, out / f"hw_cost_pareto_{workload}.png")
    print(f"plot: {plot}")
    print(json.dumps({"benchmark": "hw_cost", "mode": "model", "workload": workload, "sizes": sizes,
                      "target": "ice40-up5k", "fmax_mhz_assumed": MODEL_FMAX_MHZ, "points": rows,
                      "plot": str(plot)}, sort_keys=True, separators=(",", ":")))


def _pareto_plot(rows: list, workload: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scnc.fpga.capacity import MEASURED

    fig, ax = plt.subplots(figsize=(7, 4.5))
    style = {("dense", "sc"): ("tab:blue", "o"), ("dense", "fixed"): ("tab:orange", "o"),
             ("event", "sc"): ("tab:blue", "^"), ("event", "fixed"): ("tab:orange", "^")}
    for (engine, enc), (color, marker) in style.items():
        pts = [r for r in rows if r["engine"] == engine and r["encoding"] == enc]
        ax.scatter([r["logic_cells"] for r in pts], [r["latency_us"] for r in pts], c=color, marker=marker,
                   alpha=[1.0 if r["fits"] else 0.3 for r in pts], label=f"{engine} {enc} (model)")
    front = sorted((r for r in rows if r.get("pareto")), key=lambda r: r["logic_cells"])
    ax.plot([r["logic_cells"] for r in front], [r["latency_us"] for r in front], "k--", lw=1, label="Pareto front")
    sizes = WORKLOADS[workload]
    meas = [p for p in MEASURED if list(p["sizes"]) == sizes and p["lcs"] is not None and p["target"] == "ice40-up5k"]
    if meas:
        ax.scatter([p["lcs"] for p in meas], [_measured_latency(p) for p in meas], s=90,
                   facecolors="none", edgecolors="red", label="measured synthesis (LCs; latency at the assumed Fmax, event: bound)")
    ax.axvline(5280, color="gray", lw=0.8)
    ax.set_xlabel("logic cells (UP5K has 5280)")
    ax.set_ylabel("latency per sample (us, log)")
    ax.set_yscale("log")
    ax.set_title(f"{workload} {'-'.join(map(str, sizes))}: latency vs logic cells (faded: does not fit)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _measured_latency(p: dict) -> float:
    """Latency of a measured point's graph at the model's Fmax (its cycles from the cycle model; event: bound)."""
    from scnc.ir.schedule import sample_cycles

    g = graph_for(from_network(Network.dense(list(p["sizes"]), seed=0, timesteps=TIMESTEPS)),
                  dict(p["options"], engine=p["engine"]))
    return sample_cycles(g)["total"] / MODEL_FMAX_MHZ[p["engine"]]


if __name__ == "__main__":
    import sys

    if "--model" in sys.argv:
        ap = argparse.ArgumentParser(description="the capacity model's Pareto table and PNG (no synthesis)")
        ap.add_argument("--model", action="store_true")
        ap.add_argument("--workload", choices=sorted(WORKLOADS), default="w-digits")
        ap.add_argument("--samples", type=int, default=300, help="samples for the event engine's mean cycles")
        ap.add_argument("--out", type=Path, default=Path("."), help="folder of the PNG (default: here)")
        a = ap.parse_args()
        model_main(a.workload, a.samples, a.out)
    else:
        main()

"""``scnc verify BUILD``: run a compiled core in Verilator or Icarus, bit for bit against scnc.ref."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ._args import integer, number
from ._common import EXIT_CHECK_FAILED, Out
from ._vocab import DATASETS, FLOWS, SIMULATORS


def register(sub) -> None:
    p = sub.add_parser("verify", help="co-simulate a compiled core against scnc.ref (cocotb)",
                       description="Run a build folder written by scnc.rtl.compile_graph through the cocotb "
                                   "bench in an HDL simulator, compare every spike, membrane, saturation and "
                                   "count with scnc.ref, and write JUnit XML into BUILD/verify/. Exit 1 on any "
                                   "mismatch (the first divergence is printed and a waveform kept).")
    p.add_argument("build", type=Path, help="build folder (manifest.json, <top>.v, ir/)")
    p.add_argument("--sim", choices=SIMULATORS, metavar="SIM", default="verilator",
                   help="simulator: %(choices)s (default verilator)")
    p.add_argument("--samples", type=_samples, default=20,
                   help="number of test samples to verify, or 'all' for the whole test split (default 20)")
    p.add_argument("--jobs", type=integer(1), default=None,
                   help="simulator processes: the samples are split into JOBS shards on one shared build; the "
                        "result does not depend on JOBS (default: the number of CPUs)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the shards on a Dask cluster, e.g. tcp://host:8786 (needs: pip install "
                        "'scnc[cluster]'; workers must see the build folder on a shared file system)")
    p.add_argument("--dataset", choices=DATASETS, metavar="NAME", default="digits",
                   help="where the samples come from: %(choices)s (default digits); a network whose input size "
                        "does not match gets seeded random inputs")
    p.add_argument("--data-dir", type=Path, default=None, help="folder of the optdigits / mnist files")
    p.add_argument("--classes", default=None, help="class subset of the data set, e.g. '0-4'")
    p.add_argument("--classifier", type=Path, default=None,
                   help="a local-learning build (`scnc local-train`): the checkpoint it was compiled from; with "
                        "--encoder, the data set's samples pass through the frozen encoder and the classifier's rate "
                        "coding, so the core is verified on real features (default classes: the classifier's)")
    p.add_argument("--encoder", type=Path, default=None,
                   help="the frozen encoder --classifier was trained on (its content hash is checked)")
    p.add_argument("--seed", type=integer(0), default=0,
                   help="seed of random inputs, of cocotb and of the random flow pattern (default 0)")
    p.add_argument("--flow", choices=FLOWS, metavar="FLOW", default="random",
                   help="bench flow control (%(choices)s): 'random' (seeded idle input cycles and back-pressure on "
                        "o_data/trace; latency at least the manifest's) or 'always' (inputs back to back, "
                        "outputs always ready; latency must equal the manifest's) (default random)")
    p.add_argument("--waves", action="store_true", help="record a waveform of the whole run")
    p.add_argument("--timeout", type=number(0, lo_open=True), default=None,
                   help="wall-clock limit of the simulator run (seconds, > 0)")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="do not print progress lines")
    p.set_defaults(func=run)


def _samples(text: str) -> int | str:
    """``--samples``: an integer >= 1 or ``all``."""
    if text == "all":
        return text
    return integer(1)(text)


def _classifier_features(args: argparse.Namespace):
    """``(features, class labels)`` of a local-learning build: pixels -> encoder -> the classifier's intensities."""
    from ..errors import ConfigError
    from ..rtl import load_build
    from ..transfer import load_checkpoint
    from .local_train import local_inputs

    if args.classifier is None or args.encoder is None:
        raise ConfigError("--classifier and --encoder go together: the samples of a local-learning build pass through "
                          "the encoder its classifier was trained on")
    ckpt = load_checkpoint(args.classifier)
    _, graph = load_build(args.build)
    built_from = str(graph.provenance.get("checkpoint_hash", ""))
    if built_from != ckpt.content_hash:
        raise ConfigError(f"--classifier {args.classifier} (content hash {ckpt.content_hash[:12]}) is not the checkpoint "
                          f"{args.build} was compiled from ({built_from[:12] or 'none recorded'})")
    where = str(args.classifier)
    return (lambda x: local_inputs(ckpt, args.encoder, x, where)), list(ckpt.class_labels)


def run(args: argparse.Namespace, out: Out) -> int:
    from ..verify import verify_build

    jobs = args.jobs if args.jobs is not None else max(1, os.cpu_count() or 1)
    if args.waves and args.jobs is None and args.scheduler is None:
        jobs = 1  # one waveform of one run
    if args.scheduler is not None and not args.scheduler.strip():
        from ..errors import ConfigError

        raise ConfigError("--scheduler: expected an address such as tcp://host:8786, got an empty string")
    classes = None
    if args.classes:
        from ..data import parse_classes

        classes = parse_classes(args.classes)
    features = None
    if args.classifier is not None or args.encoder is not None:
        features, labels = _classifier_features(args)
        classes = labels if classes is None else classes
    rep = verify_build(args.build, sim=args.sim, samples=args.samples, dataset=args.dataset,
                       data_dir=args.data_dir, classes=classes, waves=args.waves, seed=args.seed, flow=args.flow,
                       timeout_s=args.timeout, progress=out.say if args.progress else None, jobs=jobs,
                       scheduler=args.scheduler, features=features)
    out.say(f"simulator     {rep.simulator}")
    out.say(f"inputs        {rep.inputs}")
    out.say(f"flow          {rep.flow}")
    out.say(f"samples       {rep.samples} x {rep.timesteps} steps")
    shards = rep.results.get("shards")
    if shards:
        out.say(f"shards        {len(shards)}" + (f" on {args.scheduler}" if args.scheduler else " local processes"))
    out.say(f"compared      {rep.values_compared} values, {rep.mismatches} mismatches")
    out.say(f"build         {rep.build_s:.2f} s{' (cached)' if rep.build_cached else ''}")
    out.say(f"simulation    {rep.sim_s:.2f} s, {rep.samples_per_s:.3f} samples/s (scnc.ref {rep.ref_s:.2f} s)")
    out.say(f"junit         {rep.junit_xml}")
    for line in rep.protocol:
        out.say(f"protocol      {line}")
    if rep.first_divergence:
        d = rep.first_divergence
        act = "missing" if d["actual"] is None else d["actual"]
        out.say(f"FIRST DIVERGENCE: sample {d['sample']}, step {d['step']}, layer {d['layer']}, neuron {d['neuron']}: "
                f"{d['field']} expected {d['expected']}, actual {act}")
    if rep.waves_file:
        out.say(f"waves         {rep.waves_file}")
    out.say("PASS: bit-exact" if rep.ok else "FAIL")
    summary = {"command": "verify", "build": str(args.build)}
    summary.update(rep.summary())
    out.result(summary)
    return 0 if rep.ok else EXIT_CHECK_FAILED

"""Hardware accuracy against SC stream length: every SNG kind, SC against fixed point, leak and input encoders.

The float network is quantized (:func:`scnc.ir.quantize`) once per configuration and its hardware
accuracy on the test split is computed by the bit-exact oracle (:func:`scnc.ref.accuracy`), next to
the float network's own accuracy (:func:`scnc.snn.accuracy`). Four experiments, one table:

* ``length``: stream length ``L`` in ``--lengths`` x synapse SNG kind (``vdc``, ``lfsr``, ``sobol``),
  encoding ``sc``; plus the ``fixed`` encoding once per ``L`` (it uses no synapse SNG).
* ``leak``: at the default ``L``, leak ``sc`` (beta stream, dithered rounding) against ``shift``
  (beta = 1 - 2^-k), for every SNG kind and ``fixed``.
* ``input_sng``: at the default ``L``, the input encoder SNG kind (``vdc``, ``lfsr``, ``sobol``) for
  every synapse SNG kind and ``fixed``, plus the float network fed the very spikes those encoders
  make (encoding ``float``): that separates what the encoder costs from what quantization costs.

Writes ``results.csv`` and ``accuracy_vs_length.png`` under ``--out`` (and ``checkpoint.npz/.json``
when it trained the network) and prints one JSON line last: the float accuracy, the best SC accuracy
at ``L <= 64`` with its SNG kind and length, and the table's path. Same arguments, same files.

Examples
--------
Train on the UCI files (train on ``optdigits.tra``, test on ``optdigits.tes``)::

    python examples/accuracy_vs_length.py --data-dir ../shared/data/optdigits --out build/acc

Reuse a checkpoint (tested on ``--data-dir``'s test split, or the bundled digits test split)::

    python examples/accuracy_vs_length.py --checkpoint build/acc/checkpoint --out build/acc2
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from scnc._io import atomic_write_bytes, atomic_write_text
from scnc.data import Dataset, load_dataset
from scnc.errors import ConfigError
from scnc.ir import Graph, QuantizationWarning, QuantOptions, from_checkpoint, quantize
from scnc.snn import Network, TrainConfig, output_counts, train
from scnc.snn import predict as float_predict
from scnc.transfer import SNNCheckpoint, load_checkpoint, save_checkpoint
import scnc.ref

__all__ = [
    "SNG_KINDS",
    "CSV_FIELDS",
    "SweepResult",
    "load_splits",
    "train_network",
    "sweep",
    "write_csv",
    "plot",
    "run",
    "main",
]

#: SNG kinds swept, in the order the table and the tie-break use.
SNG_KINDS = ("vdc", "lfsr", "sobol")
LEAK_KINDS = ("sc", "shift")
#: Columns of results.csv.
CSV_FIELDS = (
    "experiment", "stream_length", "weight_bits", "encoding", "sng", "input_sng", "leak",
    "accuracy", "float_accuracy", "delta_points", "saturations",
)
#: The best SC row is looked for among stream lengths up to this one (cycles).
BEST_MAX_LENGTH = 64


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` measured.

    Members
    -------
    rows:
        One dict per configuration, keys :data:`CSV_FIELDS` (accuracies as fractions in [0, 1],
        ``delta_points`` = 100 * (accuracy - float accuracy)).
    float_accuracy:
        The float network's accuracy on the same samples with its own (Bernoulli) rate encoder,
        the mean over ``float_seeds`` encoder seeds.
    float_accuracy_sd:
        Standard deviation of those ``float_seeds`` accuracies.
    best:
        The ``length`` row with encoding ``sc`` and ``L <= 64`` of highest accuracy (ties: shorter
        ``L``, then the order of :data:`SNG_KINDS`); ``None`` when no length <= 64 was swept.
    """

    rows: tuple[dict, ...]
    float_accuracy: float
    float_accuracy_sd: float
    best: dict | None


# ---- data and network ---------------------------------------------------------------------------------
def load_splits(data_dir: str | Path | None) -> tuple[Dataset, Dataset]:
    """``(train, test)``: UCI optdigits from ``data_dir`` when given, else the bundled digits split."""
    if data_dir is None:
        return load_dataset("digits", split="train"), load_dataset("digits", split="test")
    return (load_dataset("optdigits", split="train", data_dir=data_dir),
            load_dataset("optdigits", split="test", data_dir=data_dir))


def train_network(
    ds: Dataset,
    *,
    hidden: int = 128,
    seed: int = 0,
    timesteps: int = 25,
    config: TrainConfig | None = None,
    progress: bool = False,
) -> Network:
    """Train a ``n_features -> hidden -> n_classes`` dense LIF network on ``ds`` (deterministic).

    Parameters
    ----------
    ds:
        Training split.
    hidden:
        Hidden neurons.
    seed:
        Seed of the initial weights (the training seed is ``config.seed``).
    timesteps:
        Time steps per sample.
    config:
        Training hyper-parameters; ``None``: ``TrainConfig(epochs=30, batch_size=64, lr=5e-3,
        seed=seed)`` (about 97 % float test accuracy on optdigits).
    progress:
        Show the trainer's tqdm bar.
    """
    net = Network.dense([ds.n_features, hidden, ds.n_classes], seed=seed, timesteps=timesteps)
    cfg = config if config is not None else TrainConfig(epochs=30, batch_size=64, lr=5e-3, seed=seed)
    train(net, ds.x, ds.y, cfg, progress=progress)
    return net


def _labels(graph: Graph) -> np.ndarray:
    labels = graph.nodes[-1].class_labels
    return np.asarray(labels if len(labels) else range(graph.nodes[-2].n_out))


# ---- the sweep ----------------------------------------------------------------------------------------
def _configs(lengths: Sequence[int], default_length: int, input_sng: str) -> list[tuple[str, dict]]:
    """``(experiment, QuantOptions fields)`` of every configuration, in table order."""
    out: list[tuple[str, dict]] = []
    for L in lengths:
        for sng in SNG_KINDS:
            out.append(("length", dict(stream_length=L, encoding="sc", sng=sng, input_sng=input_sng, leak="sc")))
        out.append(("length", dict(stream_length=L, encoding="fixed", input_sng=input_sng, leak="sc")))
    for leak in LEAK_KINDS:
        for sng in SNG_KINDS:
            out.append(("leak", dict(stream_length=default_length, encoding="sc", sng=sng, input_sng=input_sng, leak=leak)))
        out.append(("leak", dict(stream_length=default_length, encoding="fixed", input_sng=input_sng, leak=leak)))
    for isng in SNG_KINDS:
        for sng in SNG_KINDS:
            out.append(("input_sng", dict(stream_length=default_length, encoding="sc", sng=sng, input_sng=isng, leak="sc")))
        out.append(("input_sng", dict(stream_length=default_length, encoding="fixed", input_sng=isng, leak="sc")))
        out.append(("input_sng", dict(stream_length=default_length, encoding="float", input_sng=isng, leak="")))
    return out


def sweep(
    graph: Graph,
    net: Network,
    test: Dataset,
    *,
    lengths: Sequence[int] = (8, 16, 32, 64, 128, 256),
    default_length: int = 64,
    input_sng: str = "vdc",
    weight_bits: int | None = None,
    seed: int = 0,
    float_seeds: int = 10,
    progress: bool = True,
) -> SweepResult:
    """Hardware accuracy (``scnc.ref``) of ``graph`` quantized every way the module docstring lists.

    Parameters
    ----------
    graph:
        The float-level graph of ``net`` (``from_network`` / ``from_checkpoint``).
    net:
        The float network (float accuracy, and the ``float`` rows fed the hardware's input spikes).
    test:
        Samples to score; ``test.classes[test.y]`` must be the labels ``graph``'s read-out predicts.
    lengths:
        Stream lengths L (cycles, powers of two) of the ``length`` experiment.
    default_length:
        L of the ``leak`` and ``input_sng`` experiments.
    input_sng:
        Input encoder SNG kind of the ``length`` and ``leak`` experiments.
    weight_bits:
        Weight magnitude bits; ``None``: ``QuantOptions``' default ``min(6, log2 L)``.
    seed:
        ``QuantOptions.seed`` (every SNG allocation derives from it).
    float_seeds:
        The float accuracy is the mean over the float rate encoder's seeds ``0 .. float_seeds - 1``
        (one Bernoulli draw is noisy: its accuracy spreads by about 0.3 points on optdigits).
    progress:
        Show a tqdm bar (on stderr).

    Returns
    -------
    SweepResult
    """
    lengths = tuple(int(L) for L in lengths)
    if not lengths:
        raise ConfigError("sweep: give at least one stream length")
    if int(float_seeds) < 1:
        raise ConfigError(f"sweep: float_seeds must be >= 1, got {float_seeds!r}")
    if input_sng not in SNG_KINDS:
        raise ConfigError(f"sweep: input_sng must be one of {SNG_KINDS}, got {input_sng!r}")
    labels = _labels(graph)
    y = np.asarray(test.classes)[test.y]
    float_runs = [float(np.mean(labels[float_predict(net, test.x, seed=s)] == y)) for s in range(int(float_seeds))]
    float_acc = float(np.mean(float_runs))
    configs = _configs(lengths, int(default_length), input_sng)

    from tqdm.auto import tqdm

    rows: list[dict] = []
    for experiment, cfg in tqdm(configs, desc="sweep", unit="config", disable=not progress):
        L = cfg["stream_length"]
        wb = weight_bits if weight_bits is None else min(int(weight_bits), L.bit_length() - 1)
        encoding = cfg["encoding"]
        qenc = "fixed" if encoding == "float" else encoding
        opts = QuantOptions(
            stream_length=L, weight_bits=wb, encoding=qenc, sng=cfg.get("sng", "vdc"),
            input_sng=cfg["input_sng"], leak=cfg["leak"] or "sc", seed=seed,
        )
        with warnings.catch_warnings():
            # a layer the bounds pass finds dead shows up as a low accuracy in the table
            warnings.simplefilter("ignore", QuantizationWarning)
            q = quantize(graph, opts)
            res = scnc.ref.run(q, test.x, trace=False)
        if encoding == "float":
            # the float network on the spikes the hardware's input encoders made
            inputs = np.ascontiguousarray(res.input_spikes.transpose(1, 0, 2), dtype=np.float32)
            acc = float(np.mean(labels[np.argmax(output_counts(net, inputs, binary=True), axis=1)] == y))
            sats = 0
        else:
            acc = float(np.mean(res.winners == y))
            sats = int(sum(int(s.sum()) for s in res.saturations))
        rows.append({
            "experiment": experiment,
            "stream_length": L,
            "weight_bits": "" if encoding == "float" else q.layers[0].synapse.quant.weight_bits,
            "encoding": encoding,
            "sng": cfg.get("sng", ""),
            "input_sng": cfg["input_sng"],
            "leak": cfg["leak"],
            "accuracy": round(acc, 6),
            "float_accuracy": round(float_acc, 6),
            "delta_points": round(100.0 * (acc - float_acc), 3),
            "saturations": sats,
        })
    rank = {k: i for i, k in enumerate(SNG_KINDS)}
    cands = [r for r in rows if r["experiment"] == "length" and r["encoding"] == "sc"
             and r["stream_length"] <= BEST_MAX_LENGTH]
    best = min(cands, key=lambda r: (-r["accuracy"], r["stream_length"], rank[r["sng"]])) if cands else None
    return SweepResult(rows=tuple(rows), float_accuracy=float_acc, float_accuracy_sd=float(np.std(float_runs)), best=best)


# ---- outputs ------------------------------------------------------------------------------------------
def write_csv(rows: Sequence[dict], path: str | Path) -> Path:
    """Write ``rows`` (keys :data:`CSV_FIELDS`) as CSV, atomically; returns the path."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in CSV_FIELDS})
    atomic_write_text(Path(path), buf.getvalue())
    return Path(path)


def plot(result: SweepResult, path: str | Path, *, title: str = "") -> Path:
    """Accuracy against L (log2 axis): one line per SNG kind (SC), fixed point, and the float accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result.rows if r["experiment"] == "length"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    # vdc and sobol give identical counts (hence often identical accuracy): draw vdc wide underneath
    series = [("SC, vdc", "sc", "vdc", dict(fmt="o-", lw=4, ms=9, alpha=0.45)),
              ("SC, lfsr", "sc", "lfsr", dict(fmt="v-", lw=1.5, ms=6)),
              ("SC, sobol", "sc", "sobol", dict(fmt="^-", lw=1.5, ms=5)),
              ("fixed point", "fixed", "", dict(fmt="s--", lw=1.5, ms=5))]
    for label, enc, sng, style in series:
        pts = sorted((r["stream_length"], 100 * r["accuracy"]) for r in rows if r["encoding"] == enc and r["sng"] == sng)
        if pts:
            kw = dict(style)
            ax.plot(*zip(*pts), kw.pop("fmt"), label=label, **kw)
    f, sd = 100 * result.float_accuracy, 100 * result.float_accuracy_sd
    ax.axhline(f, color="k", lw=1, ls=":", label="float (mean over encoder seeds)")
    if sd > 0:
        ax.axhspan(f - sd, f + sd, color="k", alpha=0.08, lw=0)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("stream length L (cycles per time step)")
    ax.set_ylabel("test accuracy (%)")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    # no timestamp / software metadata: the same numbers give the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def run(
    out: str | Path,
    *,
    checkpoint: str | Path | None = None,
    data_dir: str | Path | None = None,
    lengths: Sequence[int] = (8, 16, 32, 64, 128, 256),
    default_length: int = 64,
    input_sng: str = "vdc",
    weight_bits: int | None = None,
    seed: int = 0,
    hidden: int = 128,
    train_config: TrainConfig | None = None,
    float_seeds: int = 10,
    progress: bool = True,
) -> dict:
    """Train (or load) the network, sweep, write ``results.csv`` and the plot; return the summary.

    Returns
    -------
    dict
        ``float_accuracy`` (and ``float_accuracy_sd``), ``best_sc_accuracy``, ``best_sc_sng``, ``best_sc_length`` (``None`` when no
        ``L <= 64`` was swept), ``dataset``, ``n_test``, ``table``, ``plot``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train_ds, test_ds = load_splits(data_dir)
    if checkpoint is not None:
        ckpt = load_checkpoint(checkpoint)
    else:
        net = train_network(train_ds, hidden=hidden, seed=seed, config=train_config, progress=progress)
        ckpt = SNNCheckpoint.from_network(net, class_labels=list(train_ds.classes))
        save_checkpoint(ckpt, out / "checkpoint")
    net = ckpt.to_network()
    graph = from_checkpoint(ckpt)
    result = sweep(graph, net, test_ds, lengths=lengths, default_length=default_length, input_sng=input_sng,
                   weight_bits=weight_bits, seed=seed, float_seeds=float_seeds, progress=progress)
    table = write_csv(result.rows, out / "results.csv")
    png = plot(result, out / "accuracy_vs_length.png", title=f"{test_ds.name} test split ({len(test_ds)} samples)")
    best = result.best
    return {
        "dataset": test_ds.name,
        "n_test": len(test_ds),
        "float_accuracy": round(result.float_accuracy, 6),
        "float_accuracy_sd": round(result.float_accuracy_sd, 6),
        "best_sc_accuracy": None if best is None else best["accuracy"],
        "best_sc_sng": None if best is None else best["sng"],
        "best_sc_length": None if best is None else best["stream_length"],
        "table": str(table.resolve()),
        "plot": str(png.resolve()),
    }


# ---- command line -------------------------------------------------------------------------------------
def _lengths(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not vals or any(v < 2 or v & (v - 1) for v in vals):
        raise argparse.ArgumentTypeError(f"stream lengths must be powers of two >= 2, got {text!r}")
    return vals


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="use this checkpoint (stem, .npz or .json) instead of training")
    p.add_argument("--data-dir", help="folder with optdigits.tra / optdigits.tes (default: bundled digits)")
    p.add_argument("--out", default="build/accuracy_vs_length", help="output folder (default: %(default)s)")
    p.add_argument("--lengths", type=_lengths, default=(8, 16, 32, 64, 128, 256),
                   help="stream lengths L, comma-separated (default: 8,16,32,64,128,256)")
    p.add_argument("--default-length", type=int, default=64, help="L of the leak and input-SNG experiments")
    p.add_argument("--input-sng", choices=SNG_KINDS, default="vdc", help="input encoder SNG of the L sweep")
    p.add_argument("--weight-bits", type=int, default=None, help="weight bits (default: min(6, log2 L))")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights, training and SNGs")
    p.add_argument("--hidden", type=int, default=128, help="hidden neurons when training")
    p.add_argument("--epochs", type=int, default=30, help="training epochs (default: %(default)s)")
    p.add_argument("--lr", type=float, default=5e-3, help="Adam learning rate (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="training batch size (default: %(default)s)")
    p.add_argument("--float-seeds", type=int, default=10, help="float accuracy: mean over this many encoder seeds")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bars")
    a = p.parse_args(argv)
    cfg = TrainConfig(epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, seed=a.seed)
    summary = run(a.out, checkpoint=a.checkpoint, data_dir=a.data_dir, lengths=a.lengths,
                  default_length=a.default_length, input_sng=a.input_sng, weight_bits=a.weight_bits,
                  seed=a.seed, hidden=a.hidden, train_config=cfg, float_seeds=a.float_seeds,
                  progress=not a.no_progress)
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

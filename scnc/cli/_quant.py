"""Hardware (quantization) options shared by evaluate --hw, quantize, ir show and compile."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..kinds import Calibration, Encoding, Engine, LeakKind, SNGKind, choices
from ._args import integer, number
from ._vocab import DATASETS, SPLITS


def add_quant_options(p: argparse.ArgumentParser) -> None:
    """The hardware options; ranges beyond these types are checked by :class:`scnc.ir.QuantOptions`."""
    g = p.add_argument_group("hardware options (see docs/hardware.md)")
    g.add_argument("--stream-length", type=integer(1), default=None, help="SC stream length L, a power of two (default: 64)")
    g.add_argument("--weight-bits", type=integer(1), default=None, help="weight magnitude bits, <= log2 L (default: min(6, log2 L))")
    g.add_argument("--sng", choices=choices(SNGKind), default=None, help="SNG kind of synapse and leak streams (default: vdc)")
    g.add_argument("--input-sng", choices=choices(SNGKind), default=None, help="SNG kind of the input rate encoder (default: vdc)")
    g.add_argument("--encoding", choices=choices(Encoding), default=None, help="stochastic computing or plain fixed point (default: sc)")
    g.add_argument("--leak", choices=choices(LeakKind), default=None, help="SC leak stream with dither, or 1-2^-k shift (default: sc)")
    g.add_argument("--input-bits", type=integer(1), default=None, help="bits of an input intensity (default: 8)")
    g.add_argument("--parallel-inputs", type=integer(1), default=None,
                   help="inputs processed per cycle (= synapse streams per layer); clamped to each layer's inputs")
    g.add_argument("--parallel-neurons", type=integer(1), default=None,
                   help="neurons processed per cycle; clamped to each layer's neurons")
    g.add_argument("--parallel", default=None, metavar="PIxPN",
                   help="shorthand for both: inputs x neurons processed per cycle, e.g. 16x4, or per layer, e.g. "
                        "4x8,1x16 (layer 0, then every later layer); values larger than a layer are clamped to its "
                        "size, see docs/ir.md. The event engine reads one spiking input per input bank per cycle: "
                        "P_i is its number of banks")
    g.add_argument("--calibration", choices=choices(Calibration), default=None, help="weight scale calibration (default: max)")
    g.add_argument("--hw-seed", type=integer(0), default=None, help="seed of the SNG stream allocation (default: 0)")


#: ``--stream-length auto`` (compile, demo): choose L by measurement (:mod:`scnc.ref.stream_length`).
AUTO = "auto"
#: Fraction of a split held out as the calibration split of ``--stream-length auto`` (stratified, seed 0).
AUTO_FRACTION = 0.2


def stream_length_or_auto(text: str):
    """``--stream-length``: a positive integer, or ``auto``."""
    return AUTO if text.strip().lower() == AUTO else integer(1)(text)


def add_auto_length_options(p: argparse.ArgumentParser, *, data: bool, default_auto: bool = False) -> None:
    """Make ``--stream-length`` accept ``auto`` and add its options (call after :func:`add_quant_options`).

    ``data``: also the options naming the calibration data (``compile``; ``demo`` uses its own).
    ``default_auto``: ``auto`` is the default (``demo``: it holds its own calibration split out of training).
    """
    for action in p._actions:  # the one option add_quant_options made: widen its type, keep the rest
        if "--stream-length" in action.option_strings:
            action.type = stream_length_or_auto
            if default_auto:
                action.default = AUTO
            action.help = ("SC stream length L, a power of two, or 'auto': the shortest L in 8, 16, 32, 64 (then "
                           "fewest weight bits) whose bit-exact hardware accuracy on a held-out calibration split is "
                           "within --auto-tolerance of float; prints the table it chose from (default: "
                           f"{'auto' if default_auto else 64})")
    g = p.add_argument_group("--stream-length auto")
    g.add_argument("--auto-tolerance", type=number(0.0, 100.0), default=0.3, metavar="POINTS",
                   help="allowed hardware accuracy loss vs float on the calibration split, in percentage points "
                        "(default: 0.3)")
    if data:
        g.add_argument("--auto-dataset", choices=DATASETS, metavar="NAME", default="digits",
                       help="data set of the calibration split: %(choices)s (default: digits)")
        g.add_argument("--auto-split", choices=SPLITS, metavar="SPLIT", default="train",
                       help=f"split it is held out of: %(choices)s (default: train); the calibration split is a "
                            f"seeded stratified {int(AUTO_FRACTION * 100)}%% of it, the part 'scnc demo "
                            f"--stream-length auto' holds out of training (for a checkpoint trained on a "
                            f"few-shot sample of it: every example outside the sample). Use data the checkpoint "
                            f"was not trained on, or the choice is optimistic")
        g.add_argument("--data-dir", type=Path, default=None,
                       help="folder holding the files of optdigits or mnist (the calibration data)")


def auto_options(args: argparse.Namespace, float_graph, x, y, float_accuracy: float, out=None):
    """``--stream-length auto``: :class:`~scnc.ir.QuantOptions` with ``stream_length`` and ``weight_bits``
    chosen on ``(x, y)``; prints the table it chose from on ``out``. Returns ``(options, choice)``."""
    from ..ref.stream_length import STREAM_LENGTHS, choose_stream_length, format_choice

    given = argparse.Namespace(**{**vars(args), "stream_length": None, "weight_bits": None})
    w = getattr(args, "weight_bits", None)  # a given --weight-bits is kept: only L is chosen
    extra = {"weight_bits": (w,), "lengths": tuple(L for L in STREAM_LENGTHS if L >= 1 << w)} if w else {}
    choice = choose_stream_length(float_graph, x, y, float_accuracy, quant_options(given),
                                  tolerance=float(args.auto_tolerance) / 100.0, **extra)
    if out is not None:
        for line in format_choice(choice):
            out.say(line)
    return choice.options, choice


def add_engine_option(p: argparse.ArgumentParser) -> None:
    """``--engine``: the layer engine of the generated core (:class:`scnc.kinds.Engine`, docs/rtl.md)."""
    p.add_argument("--engine", choices=choices(Engine), default=None,
                   help="layer engine: 'dense' walks every weight block every step (fixed cycles); 'event' reads "
                        "only the weight rows of the inputs that spiked, P_n neurons per cycle (cycles depend on "
                        "the spikes; encoding sc needs sng vdc). Same arithmetic, bit for bit (default: dense, "
                        "or an IR folder's own)")


def apply_engine(graph, args: argparse.Namespace):
    """``graph`` with ``--engine`` applied when given (:func:`scnc.ir.set_engine`), else unchanged."""
    engine = getattr(args, "engine", None)
    if engine is None:
        return graph
    from ..ir import set_engine

    return set_engine(graph, engine)


_FIELDS = {
    "stream_length": "stream_length", "weight_bits": "weight_bits", "sng": "sng", "input_sng": "input_sng",
    "encoding": "encoding", "leak": "leak", "input_bits": "input_bits", "parallel_inputs": "parallel_inputs",
    "parallel_neurons": "parallel_neurons", "calibration": "calibration", "hw_seed": "seed",
}


def quant_options(args: argparse.Namespace):
    """QuantOptions from the parsed options (unset options keep QuantOptions' defaults)."""
    from ..ir import QuantOptions

    given = {field: getattr(args, arg) for arg, field in _FIELDS.items() if getattr(args, arg, None) is not None}
    if getattr(args, "parallel", None):
        given.update(parse_parallel(args.parallel))
    return QuantOptions(**given)


def parse_parallel(text: str) -> dict:
    """``"16x4"`` -> parallel_inputs=16, parallel_neurons=4; ``"16"`` -> parallel_inputs=16; per layer,
    ``"4x8,1x16"`` -> layer 0 at 4 x 8, every later layer at 1 x 16 (``layer_parallel``; the first pair is
    also ``parallel_inputs`` x ``parallel_neurons``)."""
    from ..errors import ConfigError

    pairs = []
    for item in text.lower().split(","):
        parts = item.strip().split("x")
        try:
            values = [int(p) for p in parts]
        except ValueError:
            values = []
        if not 1 <= len(values) <= 2 or any(v < 1 for v in values) or ("," in text and len(values) != 2):
            raise ConfigError(f"--parallel: expected PI, PIxPN or per layer PIxPN,PIxPN,... with positive integers "
                              f"(e.g. 16x4 or 4x8,1x16), got {text!r}")
        pairs.append(values)
    out = {"parallel_inputs": pairs[0][0]}
    if len(pairs[0]) == 2:
        out["parallel_neurons"] = pairs[0][1]
    if len(pairs) > 1:
        out["layer_parallel"] = tuple(tuple(pq) for pq in pairs)
    return out


def load_network(path: Path, out=None):
    """The checkpoint at ``path``, or a ``.nir`` file read with its producer's conventions recognised
    (``scnc import`` gives every import option; its per-layer report is printed there). Warnings the
    NIR import raises are said on ``out`` when given."""
    from ..transfer import load_checkpoint

    path = Path(path)
    if path.suffix.lower() == ".nir":
        from ..nir import read_nir

        result = read_nir(path)
        if out is not None:
            for w in result.warnings:
                out.say(f"warning: {path.name}: {w}")
        return result.checkpoint
    return load_checkpoint(path)


def load_quantized(path: Path, args: argparse.Namespace, out=None):
    """A quantized graph from an IR folder (used as is), or a checkpoint or ``.nir`` file (quantized
    with the options; ``--stream-length auto`` chooses L on the calibration data first)."""
    from ..errors import ConfigError
    from ..ir import from_checkpoint, load_ir, quantize

    path = Path(path)
    auto = getattr(args, "stream_length", None) == AUTO
    if path.is_dir() or path.name in ("ir.json", "ir.npz"):
        if auto:
            raise ConfigError(f"--stream-length auto: {path} is a quantized IR (its L is decided); give the "
                              "checkpoint instead, or a number")
        return apply_engine(load_ir(path if path.is_dir() else path.parent), args), None
    ckpt = load_network(path, out)
    float_graph = from_checkpoint(ckpt)
    opts = _auto_from_checkpoint(args, ckpt, float_graph, out) if auto else quant_options(args)
    return apply_engine(quantize(float_graph, opts), args), ckpt


def _auto_from_checkpoint(args: argparse.Namespace, ckpt, float_graph, out):
    """``--stream-length auto`` for a checkpoint: the calibration split of ``--auto-dataset``/``--auto-split``."""
    from ..data import load_dataset
    from ..ref.stream_length import calibration_split
    from ..snn import accuracy

    # the checkpoint's classes, in its output order (as scnc evaluate selects them)
    classes = list(ckpt.class_labels) if ckpt.class_labels else None
    ds = load_dataset(args.auto_dataset, split=args.auto_split, data_dir=args.data_dir, classes=classes)
    _, cal = calibration_split(ds.y, AUTO_FRACTION, seed=0)
    x, y = ds.x[cal], ds.y[cal]
    float_acc = float(accuracy(ckpt.to_network(), x, y))
    opts, _ = auto_options(args, float_graph, x, y, float_acc, out)
    return opts

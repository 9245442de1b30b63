"""Hardware (quantization) options shared by evaluate --hw, quantize, ir show and compile."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..kinds import Calibration, Encoding, Engine, LeakKind, SNGKind, choices
from ._args import integer


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
                   help="shorthand for both: inputs x neurons processed per cycle, e.g. 16x4 (values larger than "
                        "a layer are clamped to its size, see docs/ir.md)")
    g.add_argument("--calibration", choices=choices(Calibration), default=None, help="weight scale calibration (default: max)")
    g.add_argument("--hw-seed", type=integer(0), default=None, help="seed of the SNG stream allocation (default: 0)")


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
    """``"16x4"`` -> parallel_inputs=16, parallel_neurons=4; ``"16"`` -> parallel_inputs=16."""
    from ..errors import ConfigError

    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if not 1 <= len(values) <= 2 or any(v < 1 for v in values):
        raise ConfigError(f"--parallel: expected PI or PIxPN with positive integers (e.g. 16x4), got {text!r}")
    out = {"parallel_inputs": values[0]}
    if len(values) == 2:
        out["parallel_neurons"] = values[1]
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
    with the options)."""
    from ..ir import from_checkpoint, load_ir, quantize

    path = Path(path)
    if path.is_dir() or path.name in ("ir.json", "ir.npz"):
        return apply_engine(load_ir(path if path.is_dir() else path.parent), args), None
    ckpt = load_network(path, out)
    return apply_engine(quantize(from_checkpoint(ckpt), quant_options(args)), args), ckpt

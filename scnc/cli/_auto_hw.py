"""``--engine auto`` and ``--parallel auto`` (compile, demo): the engine and parallelism chosen for ``--target``.

Both are the defaults of ``scnc compile`` and ``scnc demo``; a given ``--engine`` or ``--parallel`` /
``--parallel-inputs`` / ``--parallel-neurons`` is used as before and only the rest is chosen. The choice
is :func:`scnc.fpga.choose.choose_hardware` (capacity model + cycle model); the table it chose from is
printed, like ``--stream-length auto``'s.
"""

from __future__ import annotations

import argparse

from ..kinds import Engine, choices
from ._quant import AUTO


def engine_or_auto(text: str) -> str:
    """``--engine``: a layer engine or ``auto``."""
    t = text.strip().lower()
    if t == AUTO or t in choices(Engine):
        return t
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices(Engine))} or auto, got {text!r}")


def parallel_or_auto(text: str) -> str:
    """``--parallel``: ``PIxPN`` or ``auto`` (the value is checked when it is used, as before)."""
    return AUTO if text.strip().lower() == AUTO else text


def add_auto_hardware_options(p: argparse.ArgumentParser) -> None:
    """Make ``--engine`` and ``--parallel`` accept ``auto`` and default to it (call after
    :func:`~scnc.cli._quant.add_quant_options` and :func:`~scnc.cli._quant.add_engine_option`), and add
    ``--target`` when the command has none."""
    for action in p._actions:
        if "--engine" in action.option_strings:
            action.choices = None  # 'auto' is not an engine: the type checks the value instead
            action.type = engine_or_auto
            action.default = AUTO
            action.metavar = "{" + ",".join((*choices(Engine), AUTO)) + "}"
            action.help = ("layer engine: 'dense' walks every weight block every step (fixed cycles); 'event' reads "
                           "only the weight rows of the inputs that spiked, P_n neurons per cycle (cycles depend on "
                           "the spikes; encoding sc needs sng vdc); 'auto' (default): the one with the fewest cycles "
                           "per sample that fits --target by the capacity model (an IR folder keeps its own)")
        if "--parallel" in action.option_strings:
            action.type = parallel_or_auto
            action.default = AUTO
            action.help = ("inputs x neurons processed per cycle, e.g. 16x4, or per layer, e.g. 4x8,1x16 (layer 0, then "
                           "every later layer; values larger than a layer are clamped to its size, see docs/ir.md; "
                           "the event engine's P_i is its number of input banks), or 'auto' (default unless "
                           "--parallel-inputs/-neurons is given): the fewest cycles per sample that fit --target by "
                           "the capacity model")


def is_auto_engine(args: argparse.Namespace) -> bool:
    return getattr(args, "engine", None) == AUTO


def is_auto_parallel(args: argparse.Namespace) -> bool:
    """``--parallel auto`` and neither ``--parallel-inputs`` nor ``--parallel-neurons`` given."""
    return (getattr(args, "parallel", None) == AUTO and getattr(args, "parallel_inputs", None) is None
            and getattr(args, "parallel_neurons", None) is None)


def plain_args(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the ``auto`` engine / parallelism removed, for the code that quantizes before the choice."""
    given = dict(vars(args))
    if given.get("engine") == AUTO:
        given["engine"] = None
    if given.get("parallel") == AUTO:
        given["parallel"] = None
    return argparse.Namespace(**given)


def choose(graph, args: argparse.Namespace, x, out):
    """``graph`` with the engine and parallelism ``args`` leave to ``auto`` chosen for ``args.target``;
    prints the table. Unchanged when neither is ``auto``."""
    auto_engine, auto_parallel = is_auto_engine(args), is_auto_parallel(args)
    if not (auto_engine or auto_parallel):
        return graph
    from ..fpga.choose import choose_hardware, format_hardware_choice, layer_pairs

    engine = None if auto_engine else (args.engine or graph.hardware.engine)
    parallel = None
    if not auto_parallel:  # the graph was quantized with the given parallelism: keep it, layer by layer
        pairs = layer_pairs(graph)
        parallel = pairs[0] if len(set(pairs)) == 1 else pairs
    choice = choose_hardware(graph, args.target, x=x, engine=engine, parallel=parallel)
    if out is not None:
        for line in format_hardware_choice(choice):
            out.say(line)
        if x is None:
            out.say("  (no calibration data: the event engine is ranked by its bound, every input spiking)")
    return choice.graph

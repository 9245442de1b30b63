"""The ``scnc`` command line: one sub-command per module, thin glue over the Python API.

Exit codes: 0 ok, 1 a requested check failed (e.g. ``--min-accuracy``, a verification mismatch),
2 bad usage or bad input (a message naming the file and field goes to stderr), 3 an internal error
(a bug: one line on stderr; ``scnc --debug CMD ...`` adds the traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from .._version import __version__
from ..errors import ScncError
from ._common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERNAL, CheckFailed, Out
from ._args import number
from ._limits import DEFAULT_MEMORY_LIMIT_GIB

__all__ = ["main", "build_parser"]

# Sub-command modules, in the order `scnc --help` lists them. Each has register(subparsers) and
# run(args, out) -> int.
_COMMANDS = ("demo", "pretrain", "train", "finetune", "evaluate", "info", "spikes", "quantize", "ir", "compile", "verify", "hil",
             "synth", "bitstream", "nir")
_COMMANDS += ("local_train",)  # scnc local-train (scnc.local): after the others in --help


def _modules():
    import importlib

    return [importlib.import_module(f"{__name__}.{name}") for name in _COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scnc",
        description="Compile spiking neural networks into bit-exact stochastic-computing hardware.",
    )
    parser.add_argument("--version", action="version", version=f"scnc {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error (exit code 3), print the Python traceback too")
    parser.add_argument("--max-memory", type=number(0, lo_open=True), default=DEFAULT_MEMORY_LIMIT_GIB,
                        metavar="GIB",
                        help="refuse (exit 2) a run whose arrays would need more memory than this, checked "
                             f"before anything is allocated (default {DEFAULT_MEMORY_LIMIT_GIB:g} GiB)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _modules():
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``scnc`` with ``argv`` (default ``sys.argv[1:]``) and return its exit code.

    Bad usage exits through argparse (``SystemExit(2)``), like ``--help`` and ``--version`` (0).
    Every other outcome is returned: 0, 1 (:class:`CheckFailed`), 2 (:class:`~scnc.errors.ScncError`
    or an operating-system error such as a missing file), 3 (anything else: a bug, reported in one
    line, with the traceback under ``--debug``) or 130 (Ctrl-C).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Out(json_mode=getattr(args, "json", False))
    try:
        return int(args.func(args, out) or 0)
    except CheckFailed as e:
        print(f"scnc {args.command}: check failed: {e}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except ScncError as e:
        print(f"scnc {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        # A missing or unreadable file, a full disk, a name too long: the environment or the
        # input, not scnc. The message keeps the OS's words and the (shortened) file name.
        print(f"scnc {args.command}: error: {_os_message(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"scnc {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the one place that turns a bug into exit code 3
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        print(f"scnc {args.command}: internal error: {_one_line(e)} "
              f"(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def _one_line(e: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, at most ``limit`` characters."""
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_message(e: OSError) -> str:
    if e.strerror is None:
        return _one_line(e)
    name = "" if e.filename is None else str(e.filename)
    if len(name) > 120:
        name = name[:60] + "..." + name[-40:]
    return f"{e.strerror}: {name!r}" if name else e.strerror


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

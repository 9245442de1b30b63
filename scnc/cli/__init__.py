"""The ``scnc`` command line: one sub-command per module, thin glue over the Python API.

Exit codes: 0 ok, 1 a requested check failed (e.g. ``--min-accuracy``, a verification mismatch),
2 bad usage or bad input (a message naming the file and field goes to stderr).
"""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..errors import ScncError
from ._common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, CheckFailed, Out

__all__ = ["main", "build_parser"]

# Sub-command modules, in the order `scnc --help` lists them. Each has register(subparsers) and
# run(args, out) -> int.
_COMMANDS = ("demo", "train", "finetune", "evaluate", "info", "quantize", "ir", "compile", "verify", "hil", "synth", "bitstream",
             "nir")


def _modules():
    import importlib

    return [importlib.import_module(f"{__name__}.{name}") for name in _COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scnc",
        description="Compile spiking neural networks into bit-exact stochastic-computing hardware.",
    )
    parser.add_argument("--version", action="version", version=f"scnc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _modules():
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Out(json_mode=getattr(args, "json", False))
    try:
        return int(args.func(args, out) or 0)
    except CheckFailed as e:
        print(f"scnc {args.command}: check failed: {e}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except (ScncError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
        print(f"scnc {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"scnc {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The vocabularies behind the CLI's ``choices=``: every one is read from the library module that
implements it, so the command line can never offer a value the library lacks (issue #9).

The variant enums of :mod:`scnc.kinds` are cheap to import and are used directly
(``scnc.kinds.choices(SNGKind)``). The other vocabularies live in modules that pull in Numba,
scikit-learn or the tool wrappers (1-3 s to import), so they are :class:`Vocabulary` objects: a
sequence that imports its module the first time argparse looks inside it (when an option of that
kind is parsed or its ``--help`` is printed). ``scnc info`` and ``scnc --help`` stay fast.

An option using a :class:`Vocabulary` must give ``metavar=`` (argparse would otherwise list the
choices, and so import the module, while the parser is built) and may show the values in its help
with ``%(choices)s``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from enum import Enum

from ..kinds import choices

__all__ = [
    "Vocabulary",
    "LOSSES",
    "SURROGATES",
    "ENCODERS",
    "DATASETS",
    "SPLITS",
    "SIMULATORS",
    "FLOWS",
    "TARGETS",
    "WRAPPERS",
    "TOOL_FLAVOURS",
    "BOARDS",
    "HEAD_INITS",
    "DELAY_MODES",
]


class Vocabulary(Sequence[str]):
    """The values of a library constant, imported on first use.

    Parameters
    ----------
    module:
        Dotted name of the module that implements the vocabulary (``"scnc.snn.losses"``).
    name:
        The public constant there: a tuple of names, a registry dict (its keys, in order) or a
        :class:`scnc.kinds.StrEnum` (its values).
    """

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self._values: tuple[str, ...] | None = None

    @property
    def source(self) -> str:
        """Where the values come from: ``"module.NAME"``."""
        return f"{self.module}.{self.name}"

    def values(self) -> tuple[str, ...]:
        """The allowed values, in the library's order (imports the module once)."""
        if self._values is None:
            obj = getattr(importlib.import_module(self.module), self.name)
            if isinstance(obj, type) and issubclass(obj, Enum):
                vals: tuple = choices(obj)
            elif isinstance(obj, Mapping):
                vals = tuple(obj.keys())
            else:
                vals = tuple(obj)
            self._values = tuple(str(v) for v in vals)
        return self._values

    def __getitem__(self, index):  # type: ignore[override]
        return self.values()[index]

    def __len__(self) -> int:
        return len(self.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.values())

    def __contains__(self, value: object) -> bool:
        return value in self.values()

    def __repr__(self) -> str:
        return f"Vocabulary({self.source})"


LOSSES = Vocabulary("scnc.snn.losses", "LOSS_NAMES")
SURROGATES = Vocabulary("scnc.snn.bptt", "SURROGATES")
ENCODERS = Vocabulary("scnc.snn.network", "ENCODER_KINDS")
DATASETS = Vocabulary("scnc.data.loaders", "DATASETS")
SPLITS = Vocabulary("scnc.data.loaders", "SPLITS")
SIMULATORS = Vocabulary("scnc.verify.tools", "SIMULATORS")
FLOWS = Vocabulary("scnc.verify.verify", "FLOWS")
TARGETS = Vocabulary("scnc.fpga.devices", "DEVICES")
WRAPPERS = Vocabulary("scnc.fpga.wrappers", "WRAPPERS")
TOOL_FLAVOURS = Vocabulary("scnc.fpga.tools", "TOOL_FLAVOURS")
BOARDS = Vocabulary("scnc.fpga.bitstream", "BOARDS")
HEAD_INITS = Vocabulary("scnc.transfer.prototype", "HEAD_INITS")
DELAY_MODES = Vocabulary("scnc.snn.dcls", "DELAY_MODES")

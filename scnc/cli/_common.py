"""Shared CLI plumbing: exit codes, data-selection options, output (human text or one JSON line)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._args import integer
from ._vocab import DATASETS, SPLITS

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3



class CheckFailed(Exception):
    """A requested check did not hold (e.g. accuracy below --min-accuracy): exit code 1."""


def add_data_options(p: argparse.ArgumentParser, *, split_default: str, classes_help: str | None = None) -> None:
    """The data-selection options every command shares."""
    g = p.add_argument_group("data selection")
    g.add_argument("--dataset", choices=DATASETS, metavar="NAME", default=None,
                   help="data set: %(choices)s (default: the checkpoint's, else digits: scikit-learn's bundled "
                        "8x8 digits, no download)")
    g.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding the files of optdigits (optdigits.tra/.tes) or mnist (IDX, .gz or raw)")
    g.add_argument("--classes", default=None,
                   help=classes_help or "class subset, ranges and lists: '0-4', '1,3,5-7' (default: all)")
    g.add_argument("--shots", type=integer(1), default=None,
                   help="keep only N examples in total, balanced across classes (seeded few-shot sampler); "
                        "N must be at least the number of classes")
    g.add_argument("--split", choices=SPLITS, metavar="SPLIT", default=split_default,
                   help=f"which split to use: %(choices)s (default: {split_default}); digits uses a fixed seeded "
                        "stratified split, optdigits and mnist their own train/test files")


def add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON line on stdout (human text goes to stderr)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="do not show progress bars")


@dataclass
class Out:
    """Where a command's human text and its JSON summary go."""

    json_mode: bool

    def say(self, text: str = "") -> None:
        print(text, file=sys.stderr if self.json_mode else sys.stdout, flush=True)

    def result(self, summary: dict[str, Any]) -> None:
        if self.json_mode:
            print(json.dumps(summary, sort_keys=True), flush=True)


_FROM_OPTIONS: Any = object()


def load_data(args: argparse.Namespace, *, dataset: str | None = None, classes: Any = None,
              split: str | None = None, shots: Any = _FROM_OPTIONS, seed: int = 0):
    """Load the data set the options select (explicit keyword values override the options).

    ``shots`` defaults to ``--shots``; pass ``shots=None`` for the whole split (test splits).
    """
    from ..data import load_dataset, parse_classes

    name = dataset or args.dataset or "digits"
    cls = classes if classes is not None else (parse_classes(args.classes) if args.classes else None)
    n_shots = args.shots if shots is _FROM_OPTIONS else shots
    if n_shots is not None and cls is not None and n_shots < len(cls):
        raise ConfigError(_too_few_shots(n_shots, cls))
    ds = load_dataset(name, split=split or args.split, data_dir=args.data_dir, classes=cls, shots=n_shots,
                      seed=seed)
    if n_shots is not None and n_shots < len(ds.classes):
        # the classes were not named (all of the data set's): known only now, refused all the same
        raise ConfigError(_too_few_shots(n_shots, ds.classes))
    return ds


def _too_few_shots(shots: int, classes) -> str:
    # the few-shot sampler would give some classes no example at all: a head trained without them
    return (f"--shots {shots} is fewer than the {len(classes)} classes {list(classes)}: every class needs at least "
            f"one example; give --shots {len(classes)} or more, or fewer --classes")


def require_classes(classes, command: str) -> None:
    """Refuse training a classifier on fewer than two classes (its output would be constant)."""
    if len(classes) < 2:
        raise ConfigError(f"{command} needs at least 2 classes to train a classifier, but the selection has "
                          f"{len(classes)}: {list(classes)} (check --classes)")


def check_min_accuracy(out: Out, accuracy: float, minimum: float | None, what: str = "accuracy") -> None:
    if minimum is not None and accuracy < minimum:
        raise CheckFailed(f"{what} {accuracy:.4f} is below --min-accuracy {minimum:.4f}")


def fmt_pct(x: float) -> str:
    return f"{100.0 * x:.2f}%"

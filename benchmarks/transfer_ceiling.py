"""How far can *any* transfer from five source digits go on optdigits?  A ceiling for issue 17.

``benchmarks/transfer.py`` measures scnc's spiking networks: scratch vs transfer. This script asks the
question behind the issue's target ("transfer >= scratch + 2 points at 20 examples per class") with
classic, well-tuned learners that need no spikes, on the *same* splits and the *same* few-shot samples
(``load_dataset(..., shots=shots * k, seed=seed)``, as ``benchmarks/transfer.py`` draws them):

* from scratch on the raw 64 pixels: logistic regression, an RBF SVM, 1-nearest-neighbour;
* transfer: the hidden layer (256 ReLU) of an MLP pretrained on every training example of the source
  classes -- plain, and with random affine augmentation (4x the source set) -- frozen, with logistic
  regression or an RBF SVM trained on its features of the few examples; and the augmented layer's
  features followed by the pixels themselves (the input pass-through of ``scnc local-train
  --include-input``, which lifts the local rule by 3-4 points: does it lift these learners?).

If the best transfer learner is not 2 points above the best scratch learner, features learned from
five source digits do not carry enough to the other five for the issue's margin, whatever the
network; docs/transfer.md reports the numbers.

Run (about 3 minutes on one core)::

    OMP_NUM_THREADS=1 python benchmarks/transfer_ceiling.py --data-dir ../shared/data/optdigits

Prints a table (mean +- population std over seeds, test accuracy % on every test example of the new
classes) and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transfer import SPLITS, _load  # noqa: E402  (the same splits and few-shot draws)

from scnc.data.augment import affine_copies as _affine_copies  # noqa: E402

HIDDEN = 256
IMAGE_SIDE = 8  # optdigits: 8x8 pixels
AUGMENT_COPIES = 3  # augmented copies per source image (the source set becomes 4x)

SCRATCH = ("lr_pixels", "svm_pixels", "nn1_pixels")
TRANSFER = ("lr_features", "svm_features", "lr_features_aug", "svm_features_aug", "lr_features_aug_pixels",
            "svm_features_aug_pixels")


def affine_copies(x: np.ndarray, copies: int, seed: int) -> np.ndarray:
    """``copies`` random small affine distortions of every 8x8 image (:func:`scnc.data.augment.affine_copies`)."""
    return _affine_copies(x, (IMAGE_SIDE, IMAGE_SIDE), copies, seed)


class FrozenFeatures:
    """The ReLU hidden layer of an MLP trained on the source classes only."""

    def __init__(self, x: np.ndarray, y: np.ndarray, *, augment: bool, seed: int = 0):
        if augment:
            x = np.vstack([x, affine_copies(x, AUGMENT_COPIES, seed)])
            y = np.concatenate([y] * (AUGMENT_COPIES + 1))
        mlp = MLPClassifier(hidden_layer_sizes=(HIDDEN,), max_iter=200, random_state=seed).fit(x, y)
        self.weight, self.bias = mlp.coefs_[0], mlp.intercepts_[0]
        self.scale = float(self(x).std()) or 1.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, x @ self.weight + self.bias)


def _learner(kind: str):
    if kind == "lr":
        return LogisticRegression(C=1.0, max_iter=3000)
    if kind == "svm":
        return SVC(C=10.0, gamma="scale")
    return KNeighborsClassifier(n_neighbors=1)


def run_split(data_dir: str, source: str, target: str, shots: list[int], seeds: int) -> dict:
    src = _load(data_dir, "train", source)
    test = _load(data_dir, "test", target)
    x_src = src.x / src.x.max()
    scale_in = float(src.x.max())
    encoders = {"": FrozenFeatures(x_src, src.y, augment=False),
                "_aug": FrozenFeatures(x_src, src.y, augment=True)}
    x_test = test.x / scale_in
    feats_test = {k: e(x_test) / e.scale for k, e in encoders.items()}
    result: dict = {}
    for n in shots:
        cells: dict[str, list[float]] = {m: [] for m in (*SCRATCH, *TRANSFER)}
        for seed in range(seeds):
            few = _load(data_dir, "train", target, shots=n * test.n_classes, seed=seed)
            x = few.x / scale_in
            for m in SCRATCH:
                clf = _learner(m.split("_")[0]).fit(x, few.y)
                cells[m].append(100.0 * clf.score(x_test, test.y))
            for suffix, enc in encoders.items():
                f = enc(x) / enc.scale
                for kind in ("lr", "svm"):
                    clf = _learner(kind).fit(f, few.y)
                    cells[f"{kind}_features{suffix}"].append(100.0 * clf.score(feats_test[suffix], test.y))
                    if suffix == "_aug":  # the pass-through: features, then the pixels
                        both = _learner(kind).fit(np.hstack([f, x]), few.y)
                        score = both.score(np.hstack([feats_test[suffix], x_test]), test.y)
                        cells[f"{kind}_features_aug_pixels"].append(100.0 * score)
        result[str(n)] = {m: {"mean": float(np.mean(v)), "std": float(np.std(v))} for m, v in cells.items()}
        best_s = max(result[str(n)][m]["mean"] for m in SCRATCH)
        best_t = max(result[str(n)][m]["mean"] for m in TRANSFER)
        result[str(n)]["best_scratch"], result[str(n)]["best_transfer"] = best_s, best_t
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default="../shared/data/optdigits")
    p.add_argument("--shots", default="5,20", help="examples per new class, comma-separated")
    p.add_argument("--seeds", type=int, default=5)
    a = p.parse_args(argv)
    shots = [int(s) for s in a.shots.split(",")]
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    t0 = time.perf_counter()
    out = {}
    for source, target in SPLITS:
        name = f"{source}->{target}"
        out[name] = run_split(a.data_dir, source, target, shots, a.seeds)
        for n in shots:
            row = out[name][str(n)]
            cells = "  ".join(f"{m} {row[m]['mean']:.2f}+-{row[m]['std']:.2f}" for m in (*SCRATCH, *TRANSFER))
            print(f"{name:22s} {n:2d} shots: {cells}")
            print(f"{'':22s}          best scratch {row['best_scratch']:.2f}, best transfer {row['best_transfer']:.2f}, "
                  f"margin {row['best_transfer'] - row['best_scratch']:+.2f} points", flush=True)
    print(json.dumps({"benchmark": "transfer_ceiling", "seeds": a.seeds, "shots": shots,
                      "seconds": round(time.perf_counter() - t0, 1), "splits": out}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

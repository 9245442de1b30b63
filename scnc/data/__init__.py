"""Data sets for training and evaluation: bundled digits, UCI optdigits, MNIST / Fashion-MNIST IDX.

Every loader returns a :class:`Dataset` with features in [0, 1] (float32), class indices (int64)
and the original labels, plus an :meth:`~Dataset.identity` for checkpoint provenance.
"""

from .dataset import Dataset, few_shot, few_shot_index, parse_classes, select_classes
from .loaders import DATASETS, SPLITS, load_dataset

__all__ = ["Dataset", "load_dataset", "parse_classes", "few_shot", "few_shot_index", "select_classes", "DATASETS",
           "SPLITS"]

"""Verification cases: the inputs of a run and what :mod:`scnc.ref` says the core must produce.

A case is written by the host (outside the simulator) as one ``.npz`` file (no pickle) and read by
the cocotb bench in ``sim/``. The bench drives :attr:`Case.beats` into ``i_data`` and compares
everything it observes with the expected arrays (:mod:`scnc.verify.scoreboard`).

Arrays of a case file:

=====================  ===========================  ===============================================
name                   dtype, shape                 meaning
=====================  ===========================  ===============================================
``coding``             str ``()``                   ``"rate"`` or ``"spikes"``
``inputs``             int64 ``(B, n_in)``          rate: intensities ``x_j``
                       uint8 ``(B, T, n_in)``       spikes: ``s0_j[t]``
``spikes_<l>``         uint8 ``(B, T, n_l)``        expected spikes of layer ``l``
``membranes_<l>``      int64 ``(B, T, n_l)``        expected membranes after reset
``saturations_<l>``    int64 ``(B,)``               expected saturated updates of layer ``l``
``counts``             int64 ``(B, n_out)``         expected spike counts (the counts beat)
``ir_hash``            str ``()``                   hash of the graph the expectations came from
=====================  ===========================  ===============================================
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scnc._io import atomic_write_bytes
from scnc.errors import DataError

__all__ = ["Case", "make_case", "save_case", "load_case", "input_beats"]


@dataclass(frozen=True)
class Case:
    """Inputs and expected outputs of one verification run (``B`` samples).

    Members
    -------
    coding:
        ``"rate"`` (``inputs`` are intensities, ``n_in`` beats per sample) or ``"spikes"``
        (``inputs`` are spike vectors, ``T`` beats per sample).
    inputs:
        int64 ``(B, n_in)`` or uint8 ``(B, T, n_in)``.
    spikes, membranes:
        Per layer, ``(B, T, n_l)`` uint8 / int64.
    saturations:
        Per layer, int64 ``(B,)``.
    counts:
        int64 ``(B, n_out)``.
    ir_hash:
        Hash (:func:`scnc.ir.ir_hash`) of the graph the expectations were computed from.
    """

    coding: str
    inputs: np.ndarray
    spikes: tuple
    membranes: tuple
    saturations: tuple
    counts: np.ndarray
    ir_hash: str

    @property
    def samples(self) -> int:
        """Number of samples ``B``."""
        return int(self.inputs.shape[0])

    @property
    def timesteps(self) -> int:
        """Time steps ``T`` per sample."""
        return int(self.spikes[0].shape[1])

    @property
    def n_layers(self) -> int:
        return len(self.spikes)

    def subset(self, samples: list[int] | np.ndarray) -> "Case":
        """The same case restricted to the given sample indices (in that order)."""
        idx = np.asarray(samples, dtype=np.int64)
        return Case(
            coding=self.coding,
            inputs=self.inputs[idx],
            spikes=tuple(a[idx] for a in self.spikes),
            membranes=tuple(a[idx] for a in self.membranes),
            saturations=tuple(a[idx] for a in self.saturations),
            counts=self.counts[idx],
            ir_hash=self.ir_hash,
        )


def make_case(graph, *, intensities: np.ndarray | None = None, spikes: np.ndarray | None = None) -> Case:
    """Run :func:`scnc.ref.run` (with trace) and package inputs and expectations as a :class:`Case`.

    Parameters
    ----------
    graph:
        Quantized graph (the reference the RTL is checked against).
    intensities:
        int ``(B, n_in)`` for rate-coded input.
    spikes:
        0/1 ``(B, T, n_in)`` for spike-coded input.
    """
    from scnc import ref
    from scnc.ir import ir_hash

    res = ref.run(graph, intensities=intensities, spikes=spikes, trace=True)
    coding = graph.input.quant.coding
    if coding == "rate":
        inputs = np.ascontiguousarray(np.asarray(intensities), dtype=np.int64)
    else:
        inputs = np.ascontiguousarray(np.asarray(spikes), dtype=np.uint8)
    return Case(
        coding=coding,
        inputs=inputs,
        spikes=tuple(np.asarray(s, np.uint8) for s in res.spikes),
        membranes=tuple(np.asarray(m, np.int64) for m in res.membranes),
        saturations=tuple(np.asarray(s, np.int64) for s in res.saturations),
        counts=np.asarray(res.counts, np.int64),
        ir_hash=ir_hash(graph),
    )


def save_case(case: Case, path: str | os.PathLike) -> Path:
    """Write ``case`` to ``path`` (``.npz``, atomically); returns the path."""
    arrays: dict[str, np.ndarray] = {
        "coding": np.array(case.coding),
        "inputs": case.inputs,
        "counts": case.counts,
        "ir_hash": np.array(case.ir_hash),
        "n_layers": np.array(case.n_layers, np.int64),
    }
    for li in range(case.n_layers):
        arrays[f"spikes_{li}"] = case.spikes[li]
        arrays[f"membranes_{li}"] = case.membranes[li]
        arrays[f"saturations_{li}"] = case.saturations[li]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    p = Path(path)
    atomic_write_bytes(p, buf.getvalue())
    return p


def load_case(path: str | os.PathLike) -> Case:
    """Read a case written by :func:`save_case` (``allow_pickle=False``).

    Raises
    ------
    DataError
        The file is missing, unreadable or lacks an array.
    """
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            n = int(z["n_layers"])
            return Case(
                coding=str(z["coding"]),
                inputs=z["inputs"],
                spikes=tuple(z[f"spikes_{li}"] for li in range(n)),
                membranes=tuple(z[f"membranes_{li}"] for li in range(n)),
                saturations=tuple(z[f"saturations_{li}"] for li in range(n)),
                counts=z["counts"],
                ir_hash=str(z["ir_hash"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"verification case {p} is missing or malformed: {exc}") from None


def input_beats(case: Case) -> list[list[int]]:
    """The ``i_data`` payloads of every sample: intensities (rate) or packed spike vectors (spikes).

    Spike vectors are packed LSB first (bit ``j`` = input ``j``) into Python ints of any width.
    """
    if case.coding == "rate":
        return [[int(v) for v in row] for row in case.inputs]
    out = []
    for sample in case.inputs:
        words = []
        for step in sample:
            bits = np.flatnonzero(step)
            words.append(sum(1 << int(j) for j in bits))
        out.append(words)
    return out

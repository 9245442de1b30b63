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
``n_layers``           int64 ``()``                 number of layers
``layer_names``,       str / int64 / uint8          the rest of the expected :class:`scnc.trace.Trace`
``winners``, ...                                    (:meth:`~scnc.trace.Trace.arrays`)
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
from scnc.trace import Trace, as_trace

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
    expected:
        What :mod:`scnc.ref` computed for the inputs (:class:`scnc.trace.Trace`, with membranes).
    ir_hash:
        Hash (:func:`scnc.ir.ir_hash`) of the graph the expectations were computed from.
    """

    coding: str
    inputs: np.ndarray
    expected: Trace
    ir_hash: str

    @property
    def samples(self) -> int:
        """Number of samples ``B``."""
        return int(self.inputs.shape[0])

    @property
    def timesteps(self) -> int:
        """Time steps ``T`` per sample."""
        return int(self.expected.spikes[0].shape[1])

    @property
    def n_layers(self) -> int:
        return self.expected.n_layers

    # the expectations under their historical names (the bench and tests read them)
    @property
    def spikes(self) -> tuple:
        return self.expected.spikes

    @property
    def membranes(self) -> tuple:
        return self.expected.membranes

    @property
    def saturations(self) -> tuple:
        return self.expected.saturations

    @property
    def counts(self) -> np.ndarray:
        return self.expected.counts

    def subset(self, samples: list[int] | np.ndarray) -> "Case":
        """The same case restricted to the given sample indices (in that order)."""
        idx = np.asarray(samples, dtype=np.int64)
        return Case(coding=self.coding, inputs=self.inputs[idx], expected=self.expected.select(idx),
                    ir_hash=self.ir_hash)


def make_case(graph, *, intensities: np.ndarray | None = None, spikes: np.ndarray | None = None,
              trace_port: bool = True) -> Case:
    """Run :func:`scnc.ref.run` (with trace) and package inputs and expectations as a :class:`Case`.

    Parameters
    ----------
    graph:
        Quantized graph (the reference the RTL is checked against).
    intensities:
        int ``(B, n_in)`` for rate-coded input.
    spikes:
        0/1 ``(B, T, n_in)`` for spike-coded input.
    trace_port:
        The core under test is a trace build: the expected latency of every sample
        (``expected.cycles``, :func:`scnc.ref.cycles`) counts the event engine's trace beats.
    """
    from dataclasses import replace

    from scnc import ref
    from scnc.ir import ir_hash

    res = as_trace(ref.run(graph, intensities=intensities, spikes=spikes, trace=True))
    res = replace(res, cycles=ref.cycles(graph, res, trace_port=trace_port))
    coding = graph.input.quant.coding
    if coding == "rate":
        inputs = np.ascontiguousarray(np.asarray(intensities), dtype=np.int64)
    else:
        inputs = np.ascontiguousarray(np.asarray(spikes), dtype=np.uint8)
    return Case(coding=coding, inputs=inputs, expected=res, ir_hash=ir_hash(graph))


def save_case(case: Case, path: str | os.PathLike) -> Path:
    """Write ``case`` to ``path`` (``.npz``, atomically); returns the path."""
    arrays: dict[str, np.ndarray] = case.expected.arrays()
    arrays.update({
        "coding": np.array(case.coding),
        "inputs": case.inputs,
        "ir_hash": np.array(case.ir_hash),
    })
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # not _io.npz_bytes: it stores 0-d arrays (coding, ir_hash) as 1-d
    p = Path(path)
    atomic_write_bytes(p, buf.getvalue())
    return p


def load_case(path: str | os.PathLike) -> Case:
    """Read a case written by :func:`save_case` (``allow_pickle=False``).

    Files written before the expectations were stored as a whole :class:`scnc.trace.Trace` (no
    ``layer_names``, ``winners``, ``predictions``, ``input_spikes``) are read too.

    Raises
    ------
    DataError
        The file is missing, unreadable or lacks an array.
    """
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            return Case(
                coding=str(z["coding"]),
                inputs=z["inputs"],
                expected=Trace.from_arrays(z, where=f"verification case {p}"),
                ir_hash=str(z["ir_hash"]),
            )
    except DataError:
        raise
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

"""Stream samples through a board and compare every result with :mod:`scnc.ref`.

:func:`load_build` reads a build folder (manifest + IR, hash checked); :func:`board_inputs` picks
the samples; :func:`stream_samples` runs them one by one on a :class:`scnc.hil.Board` and compares
the output spikes of every step and the counts with the reference model, with ``==``
(:func:`scnc.trace.first_divergence`). A board that stops answering, a malformed result and a link
that fails end the run; the results obtained so far are kept and reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import ConfigError, DataError, ScncError
from ..rtl import load_build  # re-exported: the reader of a build folder lives with its writer
from ..trace import Trace, as_trace, first_divergence, label_winners, winners_of
from .host import Board

__all__ = ["HILReport", "load_build", "board_inputs", "stream_samples"]


def board_inputs(graph, *, samples: int, dataset: str = "digits", data_dir=None, classes=None,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(inputs, labels, description)``: the first ``samples`` test samples of ``dataset``.

    Rate coding: intensities ``(N, n_in)`` from :func:`scnc.ref.quantize_features`. Spike coding:
    Bernoulli spikes ``(N, T, n_in)`` with the features as probabilities (seeded). When the data
    set's feature count differs from the network's inputs: seeded random inputs, no labels.
    """
    from .. import ref
    from ..data import load_dataset

    if not (isinstance(samples, int) and samples >= 1):
        raise ConfigError(f"samples must be an integer >= 1, got {samples!r}")
    q = graph.input.quant
    n_in, T = graph.input.size, graph.timesteps
    rng = np.random.default_rng(seed)
    ds = load_dataset(dataset, split="test", data_dir=data_dir, classes=classes)
    if ds.x.shape[1] == n_in:
        if len(ds.x) < samples:
            raise DataError(f"{dataset}/test has {len(ds.x)} samples, {samples} were asked for")
        feats = np.asarray(ds.x[:samples], np.float64)
        labels = np.asarray(ds.y[:samples])
        if q.coding == "rate":
            return ref.quantize_features(graph, feats).astype(np.int64), labels, f"first {samples} samples of {dataset}/test"
        spikes = (rng.random((samples, T, n_in)) < feats[:, None, :]).astype(np.uint8)
        return spikes, labels, f"first {samples} samples of {dataset}/test, Bernoulli spikes (seed {seed})"
    why = f"{dataset} has {ds.x.shape[1]} features, the network {n_in} inputs"
    if q.coding == "rate":
        x = rng.integers(0, 1 << q.input_bits, size=(samples, n_in), dtype=np.int64)
        return x, None, f"{samples} random intensity vectors (seed {seed}; {why})"
    s = (rng.random((samples, T, n_in)) < 0.3).astype(np.uint8)
    return s, None, f"{samples} random spike trains (seed {seed}; {why})"


@dataclass
class HILReport:
    """What :func:`stream_samples` did and found.

    Members
    -------
    samples:
        Samples asked for.
    completed:
        Samples the board ran (results kept in ``spikes``/``counts``).
    mismatches:
        Completed samples whose spikes or counts differ from :mod:`scnc.ref`.
    first_mismatch:
        ``{"sample", "step", "layer", "neuron", "field", "expected", "actual"}`` of the first difference
        (:meth:`scnc.trace.Divergence.to_dict`; ``field`` is ``"spike"`` or ``"count"``), or ``None``.
    accuracy:
        Fraction of completed samples whose board prediction equals the label (``None`` without labels).
    ref_accuracy:
        The same for :mod:`scnc.ref` over the completed samples.
    seconds, samples_per_s:
        Wall time of the board runs and completed samples per second.
    error:
        Why the run stopped early (the board stopped answering, sent a malformed result, or the link
        failed), else ``None``.
    spikes, counts:
        Board results of the completed samples: uint8 ``(completed, T, n_out)``, int64 ``(completed, n_out)``.
    board:
        The board's counters (frames, retries, timeouts, NAKs).
    trace:
        The completed samples as a :class:`scnc.trace.Trace` (the output layer's spikes, counts,
        winners, predictions; the hidden layers are not observed: ``None``).
    """

    samples: int
    completed: int
    mismatches: int
    first_mismatch: dict | None
    accuracy: float | None
    ref_accuracy: float | None
    seconds: float
    samples_per_s: float
    error: str | None
    spikes: np.ndarray
    counts: np.ndarray
    board: dict = field(default_factory=dict)
    trace: Trace | None = None

    @property
    def ok(self) -> bool:
        """Every asked sample ran and matched."""
        return self.error is None and self.mismatches == 0 and self.completed == self.samples

    def summary(self) -> dict:
        """JSON-ready summary (``scnc hil --json``)."""
        return {
            "ok": self.ok,
            "samples": self.samples,
            "completed": self.completed,
            "mismatches": self.mismatches,
            "first_mismatch": self.first_mismatch,
            "accuracy": self.accuracy,
            "ref_accuracy": self.ref_accuracy,
            "seconds": round(self.seconds, 3),
            "samples_per_s": round(self.samples_per_s, 3),
            "error": self.error,
            "board": self.board,
        }


def stream_samples(board: Board, graph, inputs: np.ndarray, labels: np.ndarray | None = None, *,
                   progress: Callable[[int, int], None] | None = None) -> HILReport:
    """Run every sample of ``inputs`` on ``board`` and compare it with :func:`scnc.ref.run`.

    Parameters
    ----------
    board:
        An identified board (:meth:`scnc.hil.Board.identify`).
    graph:
        The build's quantized graph.
    inputs:
        Rate: int ``(N, n_in)`` intensities; spikes: 0/1 ``(N, T, n_in)``.
    labels:
        ``(N,)`` class indices for the accuracy, or ``None``.
    progress:
        Called as ``progress(done, total)`` after every sample.

    Returns
    -------
    HILReport
        When a sample fails -- the board stops answering (:class:`scnc.hil.BoardError`), its result
        is malformed (:class:`scnc.errors.DataError`), the link fails (:class:`scnc.errors.ToolError`,
        ``OSError`` such as pyserial's ``SerialException``) -- ``error`` says so and the samples
        completed before are kept and compared.
    """
    from .. import ref

    x = np.asarray(inputs)
    n = int(x.shape[0])
    coding = graph.input.quant.coding
    expected = ref.run(graph, intensities=x, trace=False) if coding == "rate" else ref.run(graph, spikes=x, trace=False)
    expected = as_trace(expected)
    lay = board.layout
    got_spikes, got_counts = [], []
    mismatches, first, error = 0, None, None
    t0 = time.perf_counter()
    for b in range(n):
        try:
            s, c = board.run_sample(x[b])
        except (ScncError, OSError) as exc:  # OSError: a transport outside scnc's (pyserial's SerialException)
            error = f"sample {b}: {exc}"
            break
        got_spikes.append(s)
        got_counts.append(c)
        one = _board_trace(expected.layer_names, graph, s[None], c[None])
        diff = first_divergence(expected.select([b]), one)
        if diff is not None:
            mismatches += 1
            first = first or {**diff.to_dict(), "sample": b}
        if progress is not None:
            progress(b + 1, n)
    seconds = time.perf_counter() - t0
    done = len(got_counts)
    spikes = np.array(got_spikes, np.uint8).reshape(done, lay.timesteps, lay.n_out)
    counts = np.array(got_counts, np.int64).reshape(done, lay.n_out)
    trace = _board_trace(expected.layer_names, graph, spikes, counts)
    acc = ref_acc = None
    if labels is not None and done:
        y = np.asarray(labels)[:done]
        acc = float((trace.winners == y).mean())
        ref_acc = float((expected.winners[:done] == y).mean())
    st = board.stats
    return HILReport(
        samples=n, completed=done, mismatches=mismatches, first_mismatch=first, accuracy=acc,
        ref_accuracy=ref_acc, seconds=seconds, samples_per_s=done / seconds if seconds > 0 else 0.0,
        error=error, spikes=spikes, counts=counts,
        board={"frames_sent": st.frames_sent, "frames_received": st.frames_received, "retries": st.retries,
               "timeouts": st.timeouts, "bad_crc_replies": st.bad_crc_replies, "naks": dict(st.naks),
               "stale_replies": st.stale_replies},
        trace=trace,
    )


def _board_trace(layer_names: tuple, graph, spikes: np.ndarray, counts: np.ndarray) -> Trace:
    """A :class:`Trace` of board results: the output layer's spikes ``(B, T, n_out)`` and counts."""
    n = len(layer_names)
    winners = winners_of(counts)
    return Trace(layer_names=layer_names, input_spikes=None, spikes=(None,) * (n - 1) + (spikes,), membranes=None,
                 saturations=(None,) * n, counts=counts, winners=winners,
                 predictions=label_winners(winners, graph.output.class_labels))

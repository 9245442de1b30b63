"""How much memory a command is about to ask for, checked before it allocates anything.

``scnc train --hidden 100000000`` used to die in NumPy with a MemoryError traceback (48 GiB of
weights), ``evaluate`` on a checkpoint with millions of time steps asked for tens of GiB. The CLI
now estimates the arrays of a run from its sizes and refuses, with exit code 2 and the reason, a
run that needs more than ``--max-memory`` (default :data:`DEFAULT_MEMORY_LIMIT_GIB` GiB). The
Python API has no such limit.

The estimates are upper bounds of the NumPy arrays the library allocates (``tests/test_cli_limits.py``
measures the real peak with :mod:`tracemalloc` and keeps them honest); they are not exact.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import ConfigError

__all__ = ["DEFAULT_MEMORY_LIMIT_GIB", "check_memory", "training_bytes", "float_inference_bytes",
           "hardware_inference_bytes", "gib"]

#: Default of the global ``--max-memory`` option (GiB).
DEFAULT_MEMORY_LIMIT_GIB = 4.0

#: Batch of :func:`scnc.snn.predict` / :func:`scnc.snn.accuracy` (their default, which the CLI keeps:
#: rate-coded results depend on the batch size).
PREDICT_BATCH = 512

# Bytes per weight while training: the float64 initial draw, the float32 weight, its gradient, two
# Adam moments and the packed copy the kernels read.
_TRAIN_BYTES_PER_PARAM = 32
# Bytes per (sample, step, neuron) of the BPTT record: spikes (uint8) and v_pre, v, dv_pre and the
# threshold term (float32 each).
_RECORD_BYTES_PER_NEURON = 17
# Bytes per (sample, step, input) of rate encoding: the float64 uniform draw, the comparison and the
# float32 spike train, and the kernels' check that the input is 0/1.
_ENCODE_BYTES_PER_INPUT = 16
# Per layer, the scratch scnc.ref keeps for per-step weight contributions (its own cap, 2^24 int32).
_REF_WSTEP_SCRATCH = 4 << 24


def gib(nbytes: float) -> str:
    """``nbytes`` as a short human-readable size."""
    return f"{nbytes / (1 << 30):.1f} GiB" if nbytes >= 1 << 30 else f"{nbytes / (1 << 20):.0f} MiB"


def _params(sizes: Sequence[int]) -> int:
    return sum(a * b + 3 * b for a, b in zip(sizes[:-1], sizes[1:]))  # weights + bias, beta, threshold


def training_bytes(sizes: Sequence[int], timesteps: int, batch: int) -> int:
    """Upper bound of the arrays of :func:`scnc.snn.train` and the accuracy pass after it.

    Parameters
    ----------
    sizes:
        Layer sizes ``[n_in, hidden..., n_out]`` (neurons).
    timesteps:
        Time steps per sample.
    batch:
        Samples per Adam step (the mini-batch, at most the training set).
    """
    weights = _TRAIN_BYTES_PER_PARAM * _params(sizes)
    per_sample_step = _RECORD_BYTES_PER_NEURON * sum(sizes[1:]) + _ENCODE_BYTES_PER_INPUT * sizes[0]
    return weights + max(timesteps * batch * per_sample_step,
                         float_inference_bytes(sizes, timesteps, PREDICT_BATCH))


def float_inference_bytes(sizes: Sequence[int], timesteps: int, samples: int) -> int:
    """Upper bound of the arrays of :func:`scnc.snn.accuracy` on ``samples`` samples (batches of 512)."""
    batch = min(samples, PREDICT_BATCH)
    return 8 * _params(sizes) + timesteps * batch * (_ENCODE_BYTES_PER_INPUT * sizes[0] + 4 * sizes[-1])


def hardware_inference_bytes(sizes: Sequence[int], timesteps: int, samples: int, *, stream_length: int,
                             parallel_inputs: int) -> int:
    """Upper bound of the arrays of :func:`scnc.ref.run` (``trace=False``) on ``samples`` samples.

    Spike records of every layer (uint8, all samples at once), the quantized input intensities,
    the input SNG sequences, and per layer the SNG count tables ``(P, T, L + 1)``, the leak streams
    and the weight-step scratch.
    """
    n_in = sizes[0]
    total = samples * (timesteps * sum(sizes) + 16 * sum(sizes) + 32 * n_in)
    total += 8 * timesteps * n_in
    for a, b in zip(sizes[:-1], sizes[1:]):
        p = max(1, min(parallel_inputs, a))
        total += 4 * p * timesteps * (stream_length + 1) + 16 * timesteps * b
        total += min(4 * a * b * timesteps, _REF_WSTEP_SCRATCH) + 16 * a * b
    return total


def check_memory(what: str, nbytes: int, limit_gib: float, advice: str) -> None:
    """Raise :class:`ConfigError` if ``nbytes`` is more than ``limit_gib`` GiB.

    Parameters
    ----------
    what:
        The run, as the message names it (``"training 64 -> 100000000 -> 10 with T=25, batch 128"``).
    nbytes:
        Its estimated memory.
    limit_gib:
        The allowed memory (``--max-memory``).
    advice:
        What the user can change.
    """
    if nbytes > limit_gib * (1 << 30):
        raise ConfigError(f"{what} would need about {gib(nbytes)} of memory, more than --max-memory "
                          f"{limit_gib:g} GiB; {advice}")

"""scnc.ref: the bit-exact Numba model of the hardware a quantized graph denotes.

It is the oracle the RTL is verified against and the fast emulator that gives the hardware's
accuracy on a whole data set. The arithmetic is ``docs/hardware.md``; the graph is read, never
re-derived.
"""

from .cycles import cycles, input_spike_counts, row_token_counts
from .model import (
    MAX_MEMBRANE_BITS,
    ActivityWarning,
    BackendLimitError,
    RefResult,
    accuracy,
    activity,
    check_activity,
    predict,
    quantize_features,
    run,
)

__all__ = [
    "MAX_MEMBRANE_BITS",
    "ActivityWarning",
    "BackendLimitError",
    "RefResult",
    "accuracy",
    "activity",
    "check_activity",
    "cycles",
    "input_spike_counts",
    "row_token_counts",
    "predict",
    "quantize_features",
    "run",
]

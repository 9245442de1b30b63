"""The IR passes: each a function ``(graph, options) -> graph`` in its own module.

:func:`scnc.ir.quantize` runs them as one straight list; each records itself in ``graph.passes``.
"""

from .allocate_streams import allocate_streams
from .bound_widths import bound_widths
from .calibrate import calibrate
from .fold import fold
from .plan_delays import plan_delays
from .quantize_neurons import quantize_neurons
from .quantize_weights import quantize_weights
from .set_encoding import set_encoding
from .set_engine import set_engine
from .validate import check_graph, validate

__all__ = [
    "validate",
    "check_graph",
    "fold",
    "calibrate",
    "quantize_weights",
    "quantize_neurons",
    "allocate_streams",
    "bound_widths",
    "set_encoding",
    "plan_delays",
    "set_engine",
]

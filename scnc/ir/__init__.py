"""scnc's intermediate representation: an immutable graph at two levels, its passes and its files.

* :func:`from_network` / :func:`from_checkpoint` lower a float network to a float-level graph.
* :func:`quantize` runs the passes (:mod:`scnc.ir.passes`) under :class:`QuantOptions` and returns the
  quantized graph that :mod:`scnc.ref` and :mod:`scnc.rtl` read; its arithmetic is ``docs/hardware.md``.
* :func:`save_ir` / :func:`load_ir` write and read ``ir.json`` + ``ir.npz``; :func:`ir_hash` names the
  content; :func:`summary` prints it.

See ``docs/ir.md``.
"""

from .graph import (
    SCHEMA_VERSION,
    NEURON_KINDS,
    SYNAPSE_KINDS,
    MAX_DELAY,
    DelayDenseNode,
    DelayLine,
    DenseNode,
    Graph,
    HardwareParams,
    InputNode,
    Layer,
    LIFNode,
    Node,
    OutputNode,
    QuantDense,
    QuantInput,
    QuantLIF,
    SCLeak,
    ShiftLeak,
)
from .lower import from_checkpoint, from_network
from .options import QuantizationWarning, QuantOptions
from .passes import (
    allocate_streams,
    bound_widths,
    calibrate,
    check_graph,
    fold,
    plan_delays,
    quantize_neurons,
    quantize_weights,
    set_encoding,
    set_engine,
    validate,
)
from .pipeline import STAGES, quantize
from .serialize import ir_hash, load_ir, save_ir
from .schedule import layer_plan, sample_cycles, step_cycles
from .show import summary

__all__ = [
    "SCHEMA_VERSION",
    "Graph",
    "Node",
    "InputNode",
    "QuantInput",
    "DenseNode",
    "QuantDense",
    "DelayDenseNode",
    "DelayLine",
    "MAX_DELAY",
    "LIFNode",
    "QuantLIF",
    "Layer",
    "SYNAPSE_KINDS",
    "NEURON_KINDS",
    "SCLeak",
    "ShiftLeak",
    "OutputNode",
    "HardwareParams",
    "from_network",
    "from_checkpoint",
    "QuantOptions",
    "QuantizationWarning",
    "quantize",
    "STAGES",
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
    "save_ir",
    "load_ir",
    "ir_hash",
    "summary",
    "layer_plan",
    "step_cycles",
    "sample_cycles",
]

"""scnc.rtl: the Amaranth generator of a quantized graph's Verilog core (see ``docs/rtl.md``).

The arithmetic is ``docs/hardware.md``; every constant comes from the quantized IR. ``scnc.rtl``
never imports :mod:`scnc.ref`: tests put the two side by side.

* :func:`compile_graph` -- write ``<top>.v``, ``manifest.json``, the IR and a README;
  :func:`load_build` -- read such a folder back, checked.
* :class:`Manifest` -- the typed ``manifest.json`` (:meth:`Manifest.load` validates a build folder);
  :class:`BeatLayout` -- the one encoder/decoder of stream beats.
* :class:`NetworkCore` -- the top component; :class:`LayerEngine`, :class:`InputEncoder`,
  :class:`CycleSNG`, :class:`StepSNG`, :class:`APC` -- its parts. A layer engine is a sequencer over
  the components of :mod:`scnc.rtl.engine` (weight ROM, synapse lanes, leak units, LIF update).
* :func:`simulate` -- run the core in Amaranth's simulator (bit-accurate, slow).
* :data:`WAIVERS` -- the Verilator warning kinds waived for generated Verilog, with reasons
  (:func:`scnc.verify.lint_verilog` lints with them).
"""

from .apc import APC, tree_sum
from .compile import MANIFEST_FORMAT, build_manifest, compile_graph, load_build
from .encoder import InputEncoder
from .layer import LayerEngine
from .lint import WAIVERS
from ..manifest import BeatField, BeatLayout, Manifest, ODataBeats, Stream, check_top_name, is_build_folder
from .network import NetworkCore, check_buildable, input_shape, output_layout, trace_layout
from ..ir.schedule import LayerPlan, input_cycles_per_step, layer_plan, sample_cycles, step_cycles
from .sim import SimResult, simulate
from .sng import CycleSNG, StepSNG

__all__ = [
    "APC",
    "BeatField",
    "BeatLayout",
    "CycleSNG",
    "InputEncoder",
    "LayerEngine",
    "LayerPlan",
    "MANIFEST_FORMAT",
    "Manifest",
    "NetworkCore",
    "ODataBeats",
    "SimResult",
    "StepSNG",
    "Stream",
    "WAIVERS",
    "build_manifest",
    "check_buildable",
    "check_top_name",
    "compile_graph",
    "load_build",
    "input_cycles_per_step",
    "input_shape",
    "is_build_folder",
    "layer_plan",
    "output_layout",
    "sample_cycles",
    "simulate",
    "step_cycles",
    "trace_layout",
    "tree_sum",
]

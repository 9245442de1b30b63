"""scnc: compile spiking neural networks into bit-exact stochastic-computing Verilog.

The pipeline, one package per stage (imports point one way, left to right)::

    scnc.snn / scnc.transfer -> scnc.ir -> {scnc.ref, scnc.rtl} -> scnc.verify / fpga / hil -> scnc.cli

``scnc.sc`` (stochastic-number generators, bitstream maths) is a leaf every stage may use;
``scnc.data`` loads data sets.
"""

from ._version import __version__

__all__ = ["__version__"]

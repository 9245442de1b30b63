"""The components of a dense LIF layer engine (docs/rtl.md, "Layer engine").

:class:`~scnc.rtl.LayerEngine` is the sequencer that wires these; each is tested on its own against
the scalar arithmetic of :mod:`scnc.ref.scalar` (``tests/test_rtl_engine.py``).

* :class:`WeightROM` -- one ``P_i x P_n`` weight block per word (:func:`weight_block_layout`).
* :class:`SynapseLanes` (:class:`SCSynapseLanes`, :class:`FixedSynapseLanes`, by :func:`synapse_lanes`)
  -- comparators, spike AND, the :class:`~scnc.rtl.APC` per neuron lane, current accumulators.
* :class:`SCLeakUnit`, :class:`ShiftLeakUnit` (by :func:`leak_unit`, keyed by the leak's type).
* :class:`LIFUpdate` -- integrate, saturate, fire, reset.
* :class:`ConstTable` -- a per-neuron constant (a ROM, or a constant when shared).
* :class:`SpikeHistory`, :class:`DelayROM`, :class:`DelaySelect` -- the delay line of a layer with
  per-synapse delays (:mod:`.delay_line`).
"""

from .delay_line import DelayROM, DelaySelect, SpikeHistory, delay_block_layout, delay_block_words, group_taps
from .leak import LeakParams, SCLeakUnit, ShiftLeakUnit, leak_signature, leak_unit
from .lif_update import LIFUpdate
from .synapse_lanes import FixedSynapseLanes, SCSynapseLanes, SynapseLanes, synapse_lanes
from .tables import ConstTable, signed_bits_of, unsigned_bits_of
from .weight_rom import WeightROM, weight_block_layout, weight_block_words, weight_entry_layout

__all__ = [
    "ConstTable",
    "DelayROM",
    "DelaySelect",
    "SpikeHistory",
    "delay_block_layout",
    "delay_block_words",
    "group_taps",
    "FixedSynapseLanes",
    "LIFUpdate",
    "LeakParams",
    "SCLeakUnit",
    "SCSynapseLanes",
    "ShiftLeakUnit",
    "SynapseLanes",
    "WeightROM",
    "leak_signature",
    "leak_unit",
    "signed_bits_of",
    "synapse_lanes",
    "unsigned_bits_of",
    "weight_block_layout",
    "weight_block_words",
    "weight_entry_layout",
]

"""Stochastic-computing primitives: SNG sequences, bitstream maths, stream allocation, SCC.

A leaf package (imports only numpy, numba and :mod:`scnc.errors`). The SNG sequences defined in
:mod:`scnc.sc.sng` are the contract that the IR, :mod:`scnc.ref` and :mod:`scnc.rtl` implement.

Modules: :mod:`~scnc.sc.gf2` (GF(2) polynomials, primitive LFSR taps), :mod:`~scnc.sc.sng`
(generator specs and sequences), :mod:`~scnc.sc.bitstream` (encode/decode, AND/XNOR, APC, SCC,
stochastic rounding), :mod:`~scnc.sc.streams` (decorrelated stream allocation, measured SCC),
:mod:`~scnc.sc.analysis` (error versus stream length).
"""

from .analysis import ERROR_KINDS, equal_error_length_ratio, error_stats, format_error_stats
from .bitstream import (
    and_mul,
    apc,
    bipolar_decode,
    bipolar_to_threshold,
    decode,
    encode,
    probability_to_threshold,
    scc,
    scc_matrix,
    stochastic_round_shift,
    xnor_mul,
)
from .gf2 import (
    MAX_LFSR_WIDTH,
    MIN_LFSR_WIDTH,
    alternative_taps,
    is_irreducible,
    is_primitive,
    n_primitive_polynomials,
    primitive_polynomial,
    primitive_taps,
    taps_polynomial,
)
from .sng import (
    MAX_BITS,
    LFSRSpec,
    SNGSpec,
    SobolSpec,
    VdcSpec,
    count_table,
    lfsr_period,
    sequence,
    sobol_directions,
    spec_from_dict,
)
from .streams import lfsr_streams, measure_scc, sobol_streams, vdc_streams

__all__ = [
    "ERROR_KINDS",
    "MAX_BITS",
    "MAX_LFSR_WIDTH",
    "MIN_LFSR_WIDTH",
    "LFSRSpec",
    "SNGSpec",
    "SobolSpec",
    "VdcSpec",
    "alternative_taps",
    "and_mul",
    "apc",
    "bipolar_decode",
    "bipolar_to_threshold",
    "count_table",
    "decode",
    "encode",
    "equal_error_length_ratio",
    "error_stats",
    "format_error_stats",
    "is_irreducible",
    "is_primitive",
    "lfsr_period",
    "lfsr_streams",
    "measure_scc",
    "n_primitive_polynomials",
    "primitive_polynomial",
    "primitive_taps",
    "probability_to_threshold",
    "scc",
    "scc_matrix",
    "sequence",
    "sobol_directions",
    "sobol_streams",
    "spec_from_dict",
    "stochastic_round_shift",
    "taps_polynomial",
    "vdc_streams",
    "xnor_mul",
]

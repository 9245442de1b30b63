"""Quantization options (:class:`QuantOptions`) and the warning the passes emit.

Every hardware choice a user can make is one field of :class:`QuantOptions`; the passes read nothing
else. Options are validated once, when the dataclass is built, with a :class:`~scnc.errors.ConfigError`
naming the option and what was expected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import ConfigError
from ..kinds import StrEnum, Calibration, Encoding, InputCoding, LeakKind, SNGKind, choices, parse

__all__ = [
    "QuantOptions",
    "QuantizationWarning",
    "INPUT_CODINGS",
    "CALIBRATIONS",
    "MAX_MEMBRANE_BITS",
    "MAX_INPUT_BITS",
]

INPUT_CODINGS = choices(InputCoding)
CALIBRATIONS = choices(Calibration)
#: Widest membrane register the bounds pass will choose (bits); wider proven ranges saturate.
MAX_MEMBRANE_BITS = 32
#: Widest input intensity (bits).
MAX_INPUT_BITS = 16


class QuantizationWarning(UserWarning):
    """A quantized graph is legal but probably not what was meant (e.g. a layer that can never fire)."""


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class QuantOptions:
    """Every hardware choice of :func:`scnc.ir.quantize`.

    Parameters
    ----------
    stream_length:
        L, the SC stream length (clock cycles per synapse window): a power of two in 2..65536.
    weight_bits:
        w, weight magnitude bits, 1 <= w <= log2 L; ``None`` means ``min(6, log2 L)``.
    sng:
        SNG kind of the cycle-rate streams (synapses, leak): ``"vdc"``, ``"lfsr"`` or ``"sobol"``.
    input_sng:
        SNG kind of the step-rate input encoders.
    encoding:
        ``"sc"`` (stochastic bitstreams) or ``"fixed"`` (plain fixed point, same graph).
    leak:
        ``"sc"``: beta as an SC stream with dithered (stochastic) rounding; ``"shift"``:
        beta = 1 - 2^-k as a shift-subtract.
    input_coding:
        ``"rate"``: the core takes ``input_bits``-wide intensities and rate-codes them with one SNG per
        input; ``"spikes"``: the core takes spike vectors.
    input_bits:
        Width of an input intensity (bits), 1..16 (used by ``input_coding == "rate"``).
    parallel_inputs:
        P_i, inputs processed per cycle = synapse streams per layer, >= 1. A layer with fewer inputs
        uses ``min(P_i, n_in)`` (clamped, recorded in the pass report).
    parallel_neurons:
        P_n, neurons processed per cycle, >= 1; clamped to ``n_out`` per layer the same way.
    layer_parallel:
        Per-layer ``(P_i, P_n)`` overriding the two above: entry ``l`` is layer ``l``'s; a list shorter than
        the network repeats its last entry (``((4, 8), (1, 16))``: layer 0 at 4 x 8, every later layer at
        1 x 16), clamped the same way. Empty (the default): every layer uses ``parallel_inputs`` x
        ``parallel_neurons``.
    calibration:
        Weight-scale calibration: ``"max"`` (max |W|) or ``"mse"`` (the clip value minimising the
        weight quantization mean squared error).
    seed:
        Seed every SNG allocation is derived from, 0 <= seed < 2^63.
    membrane_bits:
        ``None``: the bounds pass chooses the membrane width (proven overflow-free when it can be,
        else at most 32 bits, saturating). An integer in 2..32 forces that width; the membrane then
        saturates when the proven range does not fit (``overflow_free`` says which).
    """

    stream_length: int = 64
    weight_bits: int | None = None
    sng: SNGKind = SNGKind.VDC
    input_sng: SNGKind = SNGKind.VDC
    encoding: Encoding = Encoding.SC
    leak: LeakKind = LeakKind.SC
    input_coding: InputCoding = InputCoding.RATE
    input_bits: int = 8
    parallel_inputs: int = 8
    parallel_neurons: int = 2
    layer_parallel: tuple[tuple[int, int], ...] = ()
    calibration: Calibration = Calibration.MAX
    seed: int = 0
    membrane_bits: int | None = None

    def __post_init__(self) -> None:
        L = self.stream_length
        if not (_is_int(L) and 2 <= L <= 1 << 16 and L & (L - 1) == 0):
            raise ConfigError(f"option stream_length must be a power of two in 2..65536, got {L!r}")
        n = L.bit_length() - 1
        w = self.weight_bits
        if w is not None and not (_is_int(w) and 1 <= w <= n):
            raise ConfigError(
                f"option weight_bits must be an integer in 1..log2(stream_length) = 1..{n} "
                f"(a weight cannot be finer than one count of the window), got {w!r}"
            )
        for name, enum in (
            ("sng", SNGKind),
            ("input_sng", SNGKind),
            ("encoding", Encoding),
            ("leak", LeakKind),
            ("input_coding", InputCoding),
            ("calibration", Calibration),
        ):
            try:  # a plain string (CLI, JSON) becomes its enum member
                object.__setattr__(self, name, parse(enum, getattr(self, name), f"option {name}"))
            except ValueError as e:
                raise ConfigError(str(e)) from None
        if not (_is_int(self.input_bits) and 1 <= self.input_bits <= MAX_INPUT_BITS):
            raise ConfigError(f"option input_bits must be an integer in 1..{MAX_INPUT_BITS}, got {self.input_bits!r}")
        for name in ("parallel_inputs", "parallel_neurons"):
            v = getattr(self, name)
            if not (_is_int(v) and v >= 1):
                raise ConfigError(f"option {name} must be an integer >= 1, got {v!r}")
        lp = self.layer_parallel
        pairs = list(lp) if isinstance(lp, (list, tuple)) else None
        if pairs is None or not all(isinstance(pq, (list, tuple)) and len(pq) == 2 and all(_is_int(v) and v >= 1 for v in pq)
                                    for pq in pairs):
            raise ConfigError(f"option layer_parallel must be a list of (P_i, P_n) pairs of integers >= 1, got {lp!r}")
        object.__setattr__(self, "layer_parallel", tuple((int(a), int(b)) for a, b in pairs))
        if not (_is_int(self.seed) and 0 <= self.seed < 1 << 63):
            raise ConfigError(f"option seed must be an integer in 0..2^63-1, got {self.seed!r}")
        m = self.membrane_bits
        if m is not None and not (_is_int(m) and 2 <= m <= MAX_MEMBRANE_BITS):
            raise ConfigError(f"option membrane_bits must be None or an integer in 2..{MAX_MEMBRANE_BITS}, got {m!r}")

    @property
    def stream_bits(self) -> int:
        """n = log2(stream_length) (bits)."""
        return self.stream_length.bit_length() - 1

    @property
    def resolved_weight_bits(self) -> int:
        """``weight_bits``, or its default ``min(6, log2 L)`` when ``None`` (bits)."""
        return self.weight_bits if self.weight_bits is not None else min(6, self.stream_bits)

    def to_dict(self) -> dict:
        """The options as a JSON-ready dict (recorded in the graph's provenance). ``layer_parallel`` only
        when given, so that graphs quantized without it keep the provenance (and IR hash) they always had."""
        d = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}
        if not self.layer_parallel:
            del d["layer_parallel"]
        else:
            d["layer_parallel"] = [list(pq) for pq in self.layer_parallel]
        return d

    def layer_pair(self, index: int) -> tuple[int, int]:
        """``(P_i, P_n)`` asked for layer ``index`` (before clamping to its size)."""
        if self.layer_parallel:
            return self.layer_parallel[min(index, len(self.layer_parallel) - 1)]
        return self.parallel_inputs, self.parallel_neurons

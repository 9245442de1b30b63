"""The variant vocabularies of scnc, as enums (a leaf module every stage and the CLI import).

Each enum is a ``str`` subclass whose values are the strings stored in IR files, manifests and
checkpoints, so files stay byte-identical and ``Encoding("sc")`` parses a stored value. Code
dispatches on the members (``hw.encoding is Encoding.SC``) or, better, on the tagged dataclasses
that carry each variant's data (``scnc.ir.graph.SCLeak`` / ``ShiftLeak``); the CLI builds its
``choices=`` from :func:`choices` so the command line can never offer a value the library lacks.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "StrEnum",
    "Level",
    "Encoding",
    "SNGKind",
    "LeakKind",
    "InputCoding",
    "ResetMode",
    "Calibration",
    "Producer",
    "Discretization",
    "Engine",
    "choices",
    "parse",
]


class StrEnum(str, Enum):
    """A string-valued enum that prints, formats and JSON-encodes as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __repr__(self) -> str:
        return repr(str(self.value))


class Level(StrEnum):
    """Level of an IR graph: float parameters, or their quantized hardware form as well."""

    FLOAT = "float"
    QUANTIZED = "quantized"


class Encoding(StrEnum):
    """How synapse currents are computed: SC bitstreams counted by APCs, or plain fixed point."""

    SC = "sc"
    FIXED = "fixed"


class SNGKind(StrEnum):
    """Stochastic-number generator kinds (``docs/hardware.md`` section 1)."""

    VDC = "vdc"
    LFSR = "lfsr"
    SOBOL = "sobol"


class LeakKind(StrEnum):
    """Membrane leak: beta as an SC stream with dithered rounding, or beta = 1 - 2^-k as a shift."""

    SC = "sc"
    SHIFT = "shift"


class InputCoding(StrEnum):
    """What the core receives: intensities it rate-codes itself, or spike vectors every step."""

    RATE = "rate"
    SPIKES = "spikes"


class ResetMode(StrEnum):
    """What a neuron does after it fires.

    In scnc's integer terms (``docs/hardware.md``), with ``v_old`` the stored membrane and
    ``leak(v_old) + I + bias`` saturated to the membrane range:

    * ``SUBTRACT``: fire ``v_pre >= threshold``, store ``v_pre - threshold`` if it fired, else ``v_pre``.
    * ``ZERO``: fire ``v_pre >= threshold``, store ``0`` if it fired, else ``v_pre``.
    * ``SUBTRACT_DELAYED`` (snnTorch's default ``Leaky``: ``reset_mechanism="subtract"``,
      ``reset_delay=True``): ``v_pre = leak(v_old) + I + bias - (threshold if v_old >= threshold
      else 0)``, saturated; fire ``v_pre >= threshold``; store ``v_pre`` (no reset). The reset of a
      spike is applied one step later, from the stored, un-reset membrane, so no extra state is kept.
    """

    SUBTRACT = "subtract"
    ZERO = "zero"
    SUBTRACT_DELAYED = "subtract_delayed"


class Calibration(StrEnum):
    """Weight-scale calibration: max |W|, or the clip minimising the quantization MSE."""

    MAX = "max"
    MSE = "mse"


class Producer(StrEnum):
    """Who wrote a NIR file: selects the import preset of :mod:`scnc.nir` (``auto`` guesses)."""

    AUTO = "auto"
    SNNTORCH = "snntorch"
    NORSE = "norse"
    SINABS = "sinabs"
    ROCKPOOL = "rockpool"
    SCNC = "scnc"
    NIR = "nir"


class Discretization(StrEnum):
    """How one time step ``dt`` of NIR's continuous LIF equation is taken (``docs/nir.md``)."""

    EULER = "euler"
    EXACT = "exact"


class Engine(StrEnum):
    """How a layer's hardware walks its synapses (``docs/rtl.md``).

    * ``DENSE``: every weight block of every layer every time step, ``L`` cycles per block (SC); a
      cycle count fixed by the IR.
    * ``EVENT``: only the weight rows of the inputs that spiked this step, one row of ``P_n`` weights
      per cycle, and a ``P_n``-wide neuron update; cycles depend on the spike counts.
    """

    DENSE = "dense"
    EVENT = "event"


def choices(enum: type[StrEnum]) -> tuple[str, ...]:
    """The values of ``enum`` in declaration order (for argparse ``choices=``)."""
    return tuple(m.value for m in enum)


def parse(enum: type[StrEnum], value: object, what: str) -> StrEnum:
    """``enum(value)`` with an error naming ``what`` and the allowed values.

    Raises
    ------
    ValueError
        If ``value`` is not one of the enum's values.
    """
    try:
        return enum(value)
    except ValueError:
        raise ValueError(f"{what} must be one of {choices(enum)}, got {value!r}") from None

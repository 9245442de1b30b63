"""Read the IR's SNG specs into one normalized form the gateware builders use.

The IR stores :mod:`scnc.sc`'s frozen spec dataclasses and never interprets them; this module reads
their fields (``VdcSpec(bits, xor_mask)``, ``SobolSpec(bits, directions, xor_mask)``,
``LFSRSpec(width, taps, seed, select)``) by name, checks them against the kind the graph's
:class:`~scnc.ir.graph.HardwareParams` states, and returns a :class:`SNGForm`. Nothing is
re-derived: every constant of an SNG comes from its spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import IRError
from ..kinds import SNGKind

__all__ = ["SNGForm", "sng_form"]


@dataclass(frozen=True)
class SNGForm:
    """One SNG, normalized.

    Members
    -------
    kind:
        ``"vdc"``, ``"sobol"`` or ``"lfsr"``.
    bits:
        Width of the generated value (bits).
    xor_mask:
        Constant XORed onto the value (vdc, sobol).
    directions:
        Sobol direction numbers ``v_b``, one per index bit ``b`` (LSB first).
    width:
        LFSR register width W (bits).
    tap_mask:
        LFSR taps as a mask: bit ``t-1`` set for every tap ``t`` (1-based taps).
    seed:
        LFSR state at index 0.
    select:
        LFSR state bit that becomes value bit ``b``, for ``b = 0..bits-1``.
    """

    kind: SNGKind
    bits: int
    xor_mask: int = 0
    directions: tuple = ()
    width: int = 0
    tap_mask: int = 0
    seed: int = 0
    select: tuple = ()

    @property
    def stateful(self) -> bool:
        """True for an LFSR (its value needs a state register); vdc/sobol are functions of the index."""
        return self.kind is SNGKind.LFSR


def _kind_of(spec: object) -> SNGKind | None:
    if hasattr(spec, "taps"):
        return SNGKind.LFSR
    if hasattr(spec, "directions"):
        return SNGKind.SOBOL
    if hasattr(spec, "xor_mask") and hasattr(spec, "bits"):
        return SNGKind.VDC
    return None


def sng_form(spec: object, *, kind: str | None, bits: int, where: str, field: str) -> SNGForm:
    """Normalize ``spec`` and check it is a ``kind`` SNG (any kind when ``None``) of ``bits``-bit values.

    Raises
    ------
    IRError
        If the spec is of another kind, has the wrong width, or holds out-of-range constants.
    """
    got = _kind_of(spec)
    if got is None or (kind is not None and got is not SNGKind(kind)):
        raise IRError(where, field, f"expected a {kind or 'vdc/sobol/lfsr'!r} SNG spec ({bits} bits), got {spec!r}")
    if got is not SNGKind.LFSR:
        sb = int(spec.bits)
        mask = int(spec.xor_mask)
        if sb != bits:
            raise IRError(where, field, f"SNG must be {bits} bits wide, spec has bits={sb}")
        if not 0 <= mask < (1 << bits):
            raise IRError(where, field, f"xor_mask {mask} does not fit {bits} bits")
        dirs: tuple = ()
        if got is SNGKind.SOBOL:
            dirs = tuple(int(v) for v in spec.directions)
            if len(dirs) != bits or any(not 0 <= v < (1 << bits) for v in dirs):
                raise IRError(where, field, f"expected {bits} direction numbers of {bits} bits, got {dirs}")
        return SNGForm(kind=got, bits=bits, xor_mask=mask, directions=dirs)
    width = int(spec.width)
    taps = tuple(int(t) for t in spec.taps)
    select = tuple(int(s) for s in spec.select)
    seed = int(spec.seed)
    if width < 1:
        raise IRError(where, field, f"LFSR width must be >= 1, got {width}")
    if not taps or any(not 1 <= t <= width for t in taps):
        raise IRError(where, field, f"LFSR taps must be in 1..{width}, got {taps}")
    if len(select) != bits or any(not 0 <= s < width for s in select):
        raise IRError(where, field, f"LFSR select must name {bits} state bits in 0..{width - 1}, got {select}")
    if not 0 <= seed < (1 << width):
        raise IRError(where, field, f"LFSR seed {seed} does not fit {width} bits")
    tap_mask = 0
    for t in taps:
        tap_mask ^= 1 << (t - 1)
    return SNGForm(kind=SNGKind.LFSR, bits=bits, width=width, tap_mask=tap_mask, seed=seed, select=select)

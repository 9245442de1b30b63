"""FPGA targets scnc.fpga knows: their families, tool arguments and resource counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

__all__ = ["Device", "DEVICES", "get_device"]


@dataclass(frozen=True)
class Device:
    """One synthesis target.

    Members
    -------
    name:
        The target name users pass (``"ice40-up5k"``).
    family:
        ``"ice40"``, ``"ecp5"`` or ``"generic"`` (yosys' generic ``synth``, no place and route).
    part:
        Human name of the part and package.
    nextpnr_args:
        Device and package arguments of ``nextpnr-<family>``.
    resources:
        Resource name -> count available, in the names of nextpnr's ``--report`` utilisation
        (``ICESTORM_LC``, ``ICESTORM_RAM``, ...). Empty for ``generic``.
    lut_cell, ff_cells, bram_cells, dsp_cells, spram_cells:
        Yosys cell types counted as LUTs, flip-flops, block RAMs, DSPs and large single-port RAMs.
    """

    name: str
    family: str
    part: str
    nextpnr_args: tuple[str, ...] = ()
    resources: dict = field(default_factory=dict)
    lut_cell: str = "$lut"
    ff_prefixes: tuple[str, ...] = ("$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE", "$_DLATCH", "$_ALDFF")
    bram_cells: tuple[str, ...] = ()
    dsp_cells: tuple[str, ...] = ()
    spram_cells: tuple[str, ...] = ()
    #: nextpnr utilisation names of logic cells, block RAM, DSP, single-port RAM and I/O.
    lc_resource: str = ""
    bram_resource: str = ""
    dsp_resource: str = ""
    spram_resource: str = ""
    io_resource: str = ""

    @property
    def place_and_route(self) -> bool:
        """Whether the target has a place-and-route step (every family but ``generic``)."""
        return self.family != "generic"


_ICE40_UP5K = Device(
    name="ice40-up5k",
    family="ice40",
    part="Lattice iCE40UP5K-SG48",
    nextpnr_args=("--up5k", "--package", "sg48"),
    resources={"ICESTORM_LC": 5280, "ICESTORM_RAM": 30, "ICESTORM_DSP": 8, "ICESTORM_SPRAM": 4, "SB_IO": 39},
    lut_cell="SB_LUT4",
    ff_prefixes=("SB_DFF",),
    bram_cells=("SB_RAM40_4K",),
    dsp_cells=("SB_MAC16",),
    spram_cells=("SB_SPRAM256KA",),
    lc_resource="ICESTORM_LC",
    bram_resource="ICESTORM_RAM",
    dsp_resource="ICESTORM_DSP",
    spram_resource="ICESTORM_SPRAM",
    io_resource="SB_IO",
)


def _ecp5(name: str, flag: str, luts: int, brams: int, dsps: int) -> Device:
    return Device(
        name=name,
        family="ecp5",
        part=f"Lattice LFE5U-{flag.strip('-').upper()}F-CABGA381",
        nextpnr_args=(flag, "--package", "CABGA381"),
        resources={"TRELLIS_COMB": luts, "TRELLIS_FF": luts, "DP16KD": brams, "MULT18X18D": dsps},
        lut_cell="LUT4",
        ff_prefixes=("TRELLIS_FF",),
        bram_cells=("DP16KD",),
        dsp_cells=("MULT18X18D",),
        lc_resource="TRELLIS_COMB",
        bram_resource="DP16KD",
        dsp_resource="MULT18X18D",
        io_resource="TRELLIS_IO",
    )


DEVICES: dict[str, Device] = {
    "ice40-up5k": _ICE40_UP5K,
    "ecp5-25k": _ecp5("ecp5-25k", "--25k", 24288, 56, 28),
    "ecp5-85k": _ecp5("ecp5-85k", "--85k", 83640, 208, 156),
    "generic": Device(name="generic", family="generic", part="yosys generic synth (4-input LUTs, no device)"),
}


def get_device(target: str) -> Device:
    """The :class:`Device` named ``target`` (raises :class:`~scnc.errors.ConfigError` otherwise)."""
    try:
        return DEVICES[target]
    except (KeyError, TypeError):
        raise ConfigError(f"target must be one of {sorted(DEVICES)}, got {target!r}") from None

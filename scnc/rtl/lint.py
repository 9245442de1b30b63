"""The Verilator warning kinds waived for generated Verilog, listed here, once, each with its reason.

``verilator --lint-only -Wall`` on Amaranth's output reports warning kinds that come from how
Amaranth's Verilog backend (yosys ``write_verilog``) spells a netlist, not from the design: they are
waived below. Any other warning fails :func:`scnc.verify.lint_verilog`, and simulation builds pass
the same list to Verilator.
"""

from __future__ import annotations

__all__ = ["WAIVERS"]

#: Warning kinds waived for generated Verilog, and why. The one place they are listed.
WAIVERS: dict = {
    "WIDTHEXPAND": "The backend leaves operand extension to Verilog's implicit rules; Amaranth fixed every "
    "operand's width and signedness before emission (e.g. `$signed(v) > $signed(12'h7ff)`).",
    "WIDTHTRUNC": "The backend writes `!state` for `state == 0` on multi-bit FSM states and assigns shifted "
    "vectors to narrower nets; the truncation is Amaranth's defined slice semantics.",
    "UNUSEDSIGNAL": "The backend emits intermediate nets of which only some bits are read (slices of ROM "
    "words, FSM decodes, the high bits of an adder tree).",
    "CASEINCOMPLETE": "The backend emits FSM and mux `case` statements without `default`; every process "
    "assigns its default first, so an unlisted value keeps that default.",
    "DECLFILENAME": "The whole core is one file `<top>.v`; its submodules are named `<top>.<path>` by the "
    "backend, so only the top module's name matches the file name.",
    "ASCRANGE": "Amaranth writes the address of a depth-1 memory as a zero-width wire, which the backend "
    "spells `wire [-1:0]`; the wire is never read.",
    "PROCASSINIT": "Registers carry an initial value (the FPGA power-on state, equal to their synchronous "
    "reset value) and are also assigned in processes.",
}

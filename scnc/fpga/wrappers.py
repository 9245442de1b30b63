"""The two wrappers a core is placed and routed in, and their parameters from ``manifest.json``.

A generated core has more port bits than the iCE40UP5K-SG48 has pins, so it is never placed alone:

* ``"board"``: the iCEBreaker top (``hdl/icebreaker/scnc_icebreaker_top.v`` + ``icebreaker.pcf``)
  with the UART bridge (``hdl/scnc_uart_bridge.v``): what runs on the board. Its figures include
  the bridge (UART, CRC, frame parser, sample and result buffers).
* ``"ooc"`` (out of context): :data:`OOC_SHELL`, a shell with 4 registered pins: a serial-in shift
  register drives every core input, a parallel-load shift register captures every core output, so
  no core logic is optimised away. It adds ``IN_W + OUT_W + 10`` flip-flops and a few LUTs.

The core's module is renamed to ``scnc_core`` before elaboration, whatever its manifest ``top``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._resources import hdl_dir
from ..errors import ConfigError, ToolError

__all__ = ["WRAPPERS", "OOC_SHELL", "CORE_MODULE", "Wrapper", "hdl_dir", "wrapper_for", "core_params"]

WRAPPERS = ("board", "ooc")

#: Module name the wrappers instantiate (the core's top is renamed to it).
CORE_MODULE = "scnc_core"

OOC_SHELL = """\
// scnc_ooc_shell: out-of-context shell for place and route of a generated scnc core (scnc.fpga).
// Four registered pins: sin shifts into a register that drives every core input; on load the
// core's outputs are captured into a register that shifts out on sout. Nothing is optimised away.
`default_nettype none
module scnc_ooc_shell #(
    parameter integer IN_W  = 8,
    parameter integer OUT_W = 8
) (
    input  wire clk,
    input  wire rst_pin,
    input  wire sin,
    input  wire load,
    output wire sout
);
    localparam integer SI_W = IN_W + 2;   // {o_ready, i_valid, i_payload}
    localparam integer SO_W = OUT_W + 5;  // {o_payload, o_valid, i_ready, start, busy, done}
    reg rst_q = 1'b1, sin_q = 1'b0, load_q = 1'b0;
    reg [SI_W-1:0] si = {SI_W{1'b0}};
    reg [SO_W-1:0] so = {SO_W{1'b0}};
    wire [OUT_W-1:0] o_payload;
    wire o_valid, i_ready, start, busy, done;
    scnc_core core (
        .clk(clk), .rst(rst_q),
        .i_data__payload(si[IN_W-1:0]), .i_data__valid(si[IN_W]), .i_data__ready(i_ready),
        .o_data__payload(o_payload), .o_data__valid(o_valid), .o_data__ready(si[IN_W+1]),
        .start(start), .busy(busy), .done(done)
    );
    always @(posedge clk) begin
        rst_q  <= rst_pin;
        sin_q  <= sin;
        load_q <= load;
        si     <= {si[SI_W-2:0], sin_q};
        if (load_q) so <= {o_payload, o_valid, i_ready, start, busy, done};
        else        so <= {so[SO_W-2:0], 1'b0};
    end
    assign sout = so[SO_W-1];
endmodule
`default_nettype wire
"""


@dataclass(frozen=True)
class Wrapper:
    """What a wrapper needs: its top module, Verilog sources (name -> text), pin constraints, clock.

    Members
    -------
    name:
        ``"board"`` or ``"ooc"``.
    top:
        Its Verilog module.
    sources:
        ``(file name, text)`` of every Verilog file besides the core.
    constraints:
        ``(file name, text)`` of the pin constraints (``.pcf``), or ``None`` (pins placed freely).
    params:
        Verilog parameters set on ``top`` (``chparam``): name -> Verilog constant text.
    clock_mhz:
        The clock the wrapper runs at (the board oscillator), or ``None`` (out of context).
    """

    name: str
    top: str
    sources: tuple
    constraints: tuple | None
    params: dict
    clock_mhz: float | None


def core_params(manifest: dict) -> dict:
    """The wrapper parameters of a core, from its manifest: IN_W, OUT_W, IR_HASH, SHAPE.

    ``SHAPE = {input beats per sample, output beats per sample}`` (16 bits each), as the UART bridge
    defines it; ``IR_HASH`` = the first 16 hex digits of ``ir_hash``.

    Raises
    ------
    ConfigError
        A field is missing or malformed.
    """
    from ..hil.protocol import bridge_shape  # the bridge's own reading of a manifest

    b = bridge_shape(manifest)
    return {"IN_W": b.in_w, "OUT_W": b.out_w, "IR_HASH": f"64'h{b.ir_hash:016x}", "SHAPE": f"32'h{b.shape:08x}"}


def _check_ports(manifest: dict) -> None:
    names = {p.get("name") for p in manifest.get("ports", [])}
    need = {"clk", "rst", "i_data__payload", "i_data__valid", "i_data__ready", "o_data__payload",
            "o_data__valid", "o_data__ready", "start", "busy", "done"}
    missing = sorted(need - names)
    if missing:
        raise ConfigError(f"manifest.json: the core lacks ports {missing} that the wrappers connect")
    if "trace__valid" in names:
        raise ConfigError("manifest.json: this is a trace build (it has a trace port); wrappers take cores "
                          "compiled with scnc.rtl.compile_graph(graph, out_dir, trace=False)")


def wrapper_for(name: str, manifest: dict, *, board: str = "icebreaker") -> Wrapper:
    """The :class:`Wrapper` ``name`` (``"board"`` or ``"ooc"``) for the core described by ``manifest``."""
    if name not in WRAPPERS:
        raise ConfigError(f"wrapper must be one of {WRAPPERS}, got {name!r}")
    _check_ports(manifest)
    params = core_params(manifest)
    if name == "ooc":
        return Wrapper("ooc", "scnc_ooc_shell", (("scnc_ooc_shell.v", OOC_SHELL),), None,
                       {"IN_W": str(params["IN_W"]), "OUT_W": str(params["OUT_W"])}, None)
    if board != "icebreaker":
        raise ConfigError(f"board must be 'icebreaker', got {board!r}")
    hdl = hdl_dir()
    files = [hdl / "scnc_uart_bridge.v", hdl / "icebreaker" / "scnc_icebreaker_top.v"]
    pcf = hdl / "icebreaker" / "icebreaker.pcf"
    for f in (*files, pcf):
        if not f.is_file():
            raise ToolError(f"board wrapper source {str(f)!r} is missing")
    sources = tuple((f.name, f.read_text()) for f in files)
    return Wrapper("board", "scnc_icebreaker_top", sources, (pcf.name, pcf.read_text()),
                   {k: str(v) for k, v in params.items()}, 12.0)

"""The two wrappers a core is placed and routed in, and their parameters from ``manifest.json``.

A generated core has more port bits than the iCE40UP5K-SG48 has pins, so it is never placed alone:

* ``"board"``: the iCEBreaker top (``hdl/icebreaker/scnc_icebreaker_top.v`` + ``icebreaker.pcf``)
  with the UART bridge (``hdl/scnc_uart_bridge.v``): what runs on the board. Its figures include
  the bridge (UART, CRC, frame parser, sample and result buffers).
* ``"ooc"`` (out of context): :data:`OOC_SHELL`, a shell with 4 registered pins: a serial-in shift
  register drives every core input, a parallel-load shift register captures every core output, so
  no core logic is optimised away. It adds ``IN_W + OUT_W + 10`` flip-flops and a few LUTs.

The core's module is renamed to ``scnc_core`` before elaboration, whatever its manifest ``top``. A
trace build (the default of ``scnc compile``) is renamed ``scnc_core_traced`` instead and wrapped in
:func:`trace_shim`, a ``scnc_core`` with the trace stream tied off (ready high, outputs open), so
``scnc synth`` works right after ``scnc compile``; the trace logic is then optimised away.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._resources import hdl_dir
from ..errors import ConfigError, ToolError
from ..manifest import Manifest

__all__ = ["WRAPPERS", "OOC_SHELL", "CORE_MODULE", "TRACED_CORE_MODULE", "Wrapper", "hdl_dir", "wrapper_for",
           "core_params", "trace_shim"]

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


def core_params(manifest: Manifest) -> dict:
    """The wrapper parameters of a core, from its manifest: IN_W, OUT_W, IR_HASH, SHAPE.

    ``SHAPE = {input beats per sample, output beats per sample}`` (16 bits each), as the UART bridge
    (``hdl/scnc_uart_bridge.v``) defines it; ``IR_HASH`` = the first 16 hex digits of ``ir_hash``.

    Raises
    ------
    ConfigError
        The core's beats per sample do not fit the bridge's 16-bit counters.
    """
    in_beats, out_beats = manifest.i_data.beats_per_sample, manifest.o_data.beats_per_sample
    for name, v in (("i_data", in_beats), ("o_data", out_beats)):
        if not 0 < v < 1 << 16:
            raise ConfigError(f"manifest.json: streams.{name}.beats_per_sample is {v}; the UART bridge counts "
                              "at most 65535 beats per sample")
    return {"IN_W": manifest.i_data.payload.width, "OUT_W": manifest.o_data.payload.width,
            "IR_HASH": f"64'h{manifest.ir_hash16}", "SHAPE": f"32'h{(in_beats << 16) | out_beats:08x}"}


#: Module name a trace build's generated top is renamed to, under the :func:`trace_shim` ``scnc_core``.
TRACED_CORE_MODULE = "scnc_core_traced"


def trace_shim(manifest: Manifest) -> str | None:
    """For a trace build: Verilog of a ``scnc_core`` that ties the trace stream off, else ``None``.

    The shim instantiates the generated core (renamed :data:`TRACED_CORE_MODULE`) with
    ``trace__ready`` held high, so the trace never stalls the core, and leaves ``trace__payload`` /
    ``trace__valid`` unconnected (yosys removes the logic that only feeds them). The wrappers then see
    the ports of a build compiled with ``--no-trace``.
    """
    if not manifest.has_trace:
        return None
    iw, ow = manifest.i_data.payload.width, manifest.o_data.payload.width
    return f"""// scnc_core: a trace build's core with its trace stream tied off (written by scnc.fpga; do not edit)
`default_nettype none
module {CORE_MODULE} (
    input  wire clk,
    input  wire rst,
    input  wire [{iw - 1}:0] i_data__payload,
    input  wire i_data__valid,
    output wire i_data__ready,
    output wire [{ow - 1}:0] o_data__payload,
    output wire o_data__valid,
    input  wire o_data__ready,
    output wire start,
    output wire busy,
    output wire done
);
    {TRACED_CORE_MODULE} core (
        .clk(clk), .rst(rst),
        .i_data__payload(i_data__payload), .i_data__valid(i_data__valid), .i_data__ready(i_data__ready),
        .o_data__payload(o_data__payload), .o_data__valid(o_data__valid), .o_data__ready(o_data__ready),
        .trace__payload(), .trace__valid(), .trace__ready(1'b1),
        .start(start), .busy(busy), .done(done)
    );
endmodule
`default_nettype wire
"""


def wrapper_for(name: str, manifest: Manifest, *, board: str = "icebreaker") -> Wrapper:
    """The :class:`Wrapper` ``name`` (``"board"`` or ``"ooc"``) for the core described by ``manifest``.

    A trace build is wrapped through :func:`trace_shim` (its trace stream tied off).
    """
    if name not in WRAPPERS:
        raise ConfigError(f"wrapper must be one of {WRAPPERS}, got {name!r}")
    params = core_params(manifest)
    shim = trace_shim(manifest)
    extra = (("scnc_core_trace_shim.v", shim),) if shim is not None else ()
    if name == "ooc":
        return Wrapper("ooc", "scnc_ooc_shell", (("scnc_ooc_shell.v", OOC_SHELL), *extra), None,
                       {"IN_W": str(params["IN_W"]), "OUT_W": str(params["OUT_W"])}, None)
    if board != "icebreaker":
        raise ConfigError(f"board must be 'icebreaker', got {board!r}")
    hdl = hdl_dir()
    files = [hdl / "scnc_uart_bridge.v", hdl / "icebreaker" / "scnc_icebreaker_top.v"]
    pcf = hdl / "icebreaker" / "icebreaker.pcf"
    for f in (*files, pcf):
        if not f.is_file():
            raise ToolError(f"board wrapper source {str(f)!r} is missing")
    sources = tuple((f.name, f.read_text()) for f in files) + extra
    return Wrapper("board", "scnc_icebreaker_top", sources, (pcf.name, pcf.read_text()),
                   {k: str(v) for k, v in params.items()}, 12.0)

// scnc_icebreaker_top: board top of a generated scnc network core on the 1BitSquared iCEBreaker
// (iCE40UP5K-SG48), driven over the on-board FTDI UART by scnc_uart_bridge (hdl/scnc_uart_bridge.v).
//
//   CLK (12 MHz) -> clk ------------------------------------------------+
//   RX (FTDI)  -> 2-FF sync -> scnc_uart_bridge <-> scnc_core (valid/ready streams, busy)
//   TX (FTDI)  <- registered  <-+
//   BTN_N, power-on counter -> rst (bridge and core); bridge core_rst ORed into the core's reset
//   LEDG_N: core busy (stretched ~87 ms so a sample is visible), LEDR_N: reset held
//
// The core module is called scnc_core here; scnc.fpga renames the generated top (manifest "top")
// to scnc_core before elaboration and sets the parameters below from manifest.json (chparam):
//   IN_W / OUT_W  i_data / o_data payload widths (bits)
//   IR_HASH       first 16 hex digits of the manifest's ir_hash
//   SHAPE         {input beats per sample, output beats per sample} (see scnc_uart_bridge.v)
// Board builds are compiled with scnc.rtl.compile_graph(..., trace=False): no trace port.
`default_nettype none

module scnc_icebreaker_top #(
    parameter integer CLK_HZ  = 12000000,
    parameter integer BAUD    = 115200,
    parameter integer IN_W    = 8,
    parameter integer OUT_W   = 8,
    parameter [63:0]  IR_HASH = 64'h0,
    parameter [31:0]  SHAPE   = 32'h0
) (
    input  wire CLK,     // 12 MHz oscillator, pin 35
    input  wire BTN_N,   // user button, active low, pin 10
    input  wire RX,      // FTDI channel B TXD -> FPGA, pin 6
    output wire TX,      // FPGA -> FTDI channel B RXD, pin 9
    output wire LEDR_N,  // red LED, active low, pin 11
    output wire LEDG_N   // green LED, active low, pin 37
);
    // Power-on reset: iCE40 flip-flops start at their initial value after configuration.
    reg [3:0] por = 4'd0;
    reg       btn_q0 = 1'b1, btn_q1 = 1'b1;
    reg       rst = 1'b1;
    always @(posedge CLK) begin
        btn_q0 <= BTN_N;
        btn_q1 <= btn_q0;
        if (por != 4'hF) por <= por + 4'd1;
        rst <= (por != 4'hF) | ~btn_q1;
    end

    // UART receive line: two-flip-flop synchroniser (idle high).
    reg rx_q0 = 1'b1, rx_q1 = 1'b1;
    always @(posedge CLK) begin
        rx_q0 <= RX;
        rx_q1 <= rx_q0;
    end

    wire [IN_W-1:0]  core_i_payload;
    wire             core_i_valid, core_i_ready;
    wire [OUT_W-1:0] core_o_payload;
    wire             core_o_valid, core_o_ready;
    wire             core_busy, core_start, core_done;
    wire             bridge_core_rst;
    wire             uart_tx;

    scnc_uart_bridge #(
        .CLK_HZ(CLK_HZ), .BAUD(BAUD), .IN_W(IN_W), .OUT_W(OUT_W), .IR_HASH(IR_HASH), .SHAPE(SHAPE)
    ) bridge (
        .clk(CLK), .rst(rst),
        .uart_rx(rx_q1), .uart_tx(uart_tx),
        .core_i_payload(core_i_payload), .core_i_valid(core_i_valid), .core_i_ready(core_i_ready),
        .core_o_payload(core_o_payload), .core_o_valid(core_o_valid), .core_o_ready(core_o_ready),
        .core_busy(core_busy), .core_rst(bridge_core_rst)
    );

    reg core_rst = 1'b1;
    always @(posedge CLK) core_rst <= rst | bridge_core_rst;

    scnc_core core (
        .clk(CLK), .rst(core_rst),
        .i_data__payload(core_i_payload), .i_data__valid(core_i_valid), .i_data__ready(core_i_ready),
        .o_data__payload(core_o_payload), .o_data__valid(core_o_valid), .o_data__ready(core_o_ready),
        .start(core_start), .busy(core_busy), .done(core_done)
    );

    // LEDs: green while a sample runs (stretched to 2^20 cycles, ~87 ms at 12 MHz), red in reset.
    reg [19:0] busy_stretch = 20'd0;
    always @(posedge CLK) begin
        if (core_busy | core_done) busy_stretch <= {20{1'b1}};
        else if (busy_stretch != 20'd0) busy_stretch <= busy_stretch - 20'd1;
    end
    reg tx_q = 1'b1, ledr_q = 1'b1, ledg_q = 1'b1;
    always @(posedge CLK) begin
        tx_q   <= uart_tx;
        ledr_q <= ~core_rst;
        ledg_q <= ~(busy_stretch != 20'd0);
    end
    assign TX     = tx_q;
    assign LEDR_N = ledr_q;
    assign LEDG_N = ledg_q;
endmodule

`default_nettype wire

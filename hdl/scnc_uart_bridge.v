// scnc_uart_bridge: hardware-in-the-loop UART bridge for a generated scnc network core.
//
// Protocol (docs/hil.md): every frame, both directions, is
//     SYNC0 SYNC1 | CMD | LEN (2 bytes, little endian) | PAYLOAD (LEN bytes) | CRC (2 bytes, high first)
// with SYNC = A5 5A and CRC = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no
// final XOR) over CMD..PAYLOAD. Sent high byte first, the CRC over CMD..CRC is 0, which is how
// this receiver checks it. The host asks, the bridge answers exactly once per accepted frame:
//
//   01 IDENT         -> 81, 21 bytes: "SCNC", version, IN_W (2), OUT_W (2), IR_HASH (8, first
//                                      byte = first two hex digits), SHAPE (4, little endian)
//   02 RUN  (inputs) -> 82 (empty): CRC good, the sample is streaming into the core
//   03 READ          -> 83, the sample's OUT_BEATS o_data beats, OB bytes each, little endian;
//                       a READ during a running sample is answered when the sample completes
//   04 RESET         -> 84 (empty), after a 4-cycle core_rst pulse
//   any error        -> FF, 2 bytes: error code, offending CMD
//                       (1 bad CRC, 2 unknown command, 3 bad length, 4 busy, 5 no result)
//
// SHAPE[31:16] = input beats per sample (IN_BEATS), SHAPE[15:0] = output beats per sample
// (OUT_BEATS = T + 1). A RUN payload is IN_BEATS beats of IB = ceil(IN_W/8) bytes (little endian);
// it is stored whole (byte RAM, IN_BEATS*IB x 8) and only streamed into the core once its CRC is
// good. Output beats are captured into a beat RAM (OUT_BEATS x OUT_W) and kept until the next
// RUN or RESET, so a READ can be repeated. Both memories have one synchronous write port and one
// synchronous read port, without reset (iCE40: SB_RAM40_4K).
//
// A frame that stalls for more than 2048 bit times is dropped (the parser hunts for SYNC again,
// nothing is answered). A frame that completes while an answer is still being sent is dropped.
// The UART is 8N1; CLK_HZ / BAUD (rounded) cycles per bit, at least 4.
`default_nettype none

module scnc_uart_bridge #(
    parameter integer CLK_HZ  = 12000000,
    parameter integer BAUD    = 115200,
    parameter integer IN_W    = 8,     // core i_data payload width (bits)
    parameter integer OUT_W   = 8,     // core o_data payload width (bits)
    parameter [63:0]  IR_HASH = 64'h0, // first 16 hex digits of the manifest's IR hash
    parameter [31:0]  SHAPE   = 32'h0  // {input beats per sample, output beats per sample}
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             uart_rx,
    output wire             uart_tx,
    output wire [IN_W-1:0]  core_i_payload,
    output wire             core_i_valid,
    input  wire             core_i_ready,
    input  wire [OUT_W-1:0] core_o_payload,
    input  wire             core_o_valid,
    output wire             core_o_ready,
    input  wire             core_busy,
    output wire             core_rst
);
    localparam integer CPB       = (CLK_HZ + BAUD / 2) / BAUD;
    localparam integer IN_BEATS  = (SHAPE[31:16] == 16'd0) ? 1 : SHAPE[31:16];
    localparam integer OUT_BEATS = (SHAPE[15:0] == 16'd0) ? 1 : SHAPE[15:0];
    localparam integer IB        = (IN_W + 7) / 8;
    localparam integer OB        = (OUT_W + 7) / 8;
    localparam integer IN_BYTES  = IN_BEATS * IB;
    localparam integer OUT_BYTES = OUT_BEATS * OB;
    localparam integer IA        = (IN_BYTES > 1) ? $clog2(IN_BYTES) : 1;
    localparam integer OA        = (OUT_BEATS > 1) ? $clog2(OUT_BEATS) : 1;
    localparam integer TIMEOUT   = 2048 * CPB;
    localparam integer TW        = $clog2(TIMEOUT + 1);
    // sized copies for comparisons and byte selects
    localparam [15:0]   IN_W16    = IN_W;
    localparam [15:0]   OUT_W16   = OUT_W;
    localparam [15:0]   IB16      = IB;
    localparam [15:0]   OB16      = OB;
    localparam [15:0]   IN_BEATS16  = IN_BEATS;
    localparam [15:0]   IN_BYTES16  = IN_BYTES;
    localparam [15:0]   OUT_BYTES16 = OUT_BYTES;
    localparam [OA-1:0] OUT_LAST  = OUT_BEATS - 1;
    localparam [TW-1:0] TIMEOUT_T = TIMEOUT;

    localparam [7:0] SYNC0 = 8'hA5, SYNC1 = 8'h5A;
    localparam [7:0] C_IDENT = 8'h01, C_RUN = 8'h02, C_READ = 8'h03, C_RESET = 8'h04, C_NAK = 8'hFF;
    localparam [7:0] E_CRC = 8'd1, E_CMD = 8'd2, E_LEN = 8'd3, E_BUSY = 8'd4, E_NORES = 8'd5;
    localparam [7:0] VERSION = 8'd1;
    localparam [15:0] IDENT_LEN = 16'd21;

    function [15:0] crc16_byte(input [15:0] crc, input [7:0] b);
        integer i;
        reg [15:0] c;
        begin
            c = crc ^ {b, 8'h00};
            for (i = 0; i < 8; i = i + 1)
                c = c[15] ? ((c << 1) ^ 16'h1021) : (c << 1);
            crc16_byte = c;
        end
    endfunction

    function [7:0] ident_byte(input [4:0] k);
        begin
            case (k)
                5'd0: ident_byte = 8'h53;  // 'S'
                5'd1: ident_byte = 8'h43;  // 'C'
                5'd2: ident_byte = 8'h4E;  // 'N'
                5'd3: ident_byte = 8'h43;  // 'C'
                5'd4: ident_byte = VERSION;
                5'd5: ident_byte = IN_W16[7:0];
                5'd6: ident_byte = IN_W16[15:8];
                5'd7: ident_byte = OUT_W16[7:0];
                5'd8: ident_byte = OUT_W16[15:8];
                5'd9: ident_byte = IR_HASH[63:56];
                5'd10: ident_byte = IR_HASH[55:48];
                5'd11: ident_byte = IR_HASH[47:40];
                5'd12: ident_byte = IR_HASH[39:32];
                5'd13: ident_byte = IR_HASH[31:24];
                5'd14: ident_byte = IR_HASH[23:16];
                5'd15: ident_byte = IR_HASH[15:8];
                5'd16: ident_byte = IR_HASH[7:0];
                5'd17: ident_byte = SHAPE[7:0];
                5'd18: ident_byte = SHAPE[15:8];
                5'd19: ident_byte = SHAPE[23:16];
                5'd20: ident_byte = SHAPE[31:24];
                default: ident_byte = 8'h00;
            endcase
        end
    endfunction

    // ---- UART ---------------------------------------------------------------------------------
    wire [7:0] rx_data;
    wire       rx_valid;
    reg  [7:0] tx_data;
    reg        tx_start;
    wire       tx_busy;

    scnc_uart_rx #(.CPB(CPB)) u_rx (
        .clk(clk), .rst(rst), .rx(uart_rx), .data(rx_data), .valid(rx_valid)
    );
    scnc_uart_tx #(.CPB(CPB)) u_tx (
        .clk(clk), .rst(rst), .data(tx_data), .start(tx_start), .tx(uart_tx), .busy(tx_busy)
    );

    // ---- memories (one write port, one registered read port each) -----------------------------
    reg [7:0]       imem [0:IN_BYTES-1];
    reg [IA-1:0]    i_waddr;
    reg             i_we;
    reg [7:0]       i_wdata;
    reg [IA-1:0]    i_raddr;
    reg [7:0]       i_rdata;
    always @(posedge clk) begin
        if (i_we) imem[i_waddr] <= i_wdata;
        i_rdata <= imem[i_raddr];
    end

    reg [OUT_W-1:0] omem [0:OUT_BEATS-1];
    reg [OA-1:0]    o_waddr;
    reg [OA-1:0]    o_raddr;
    reg [OUT_W-1:0] o_rdata;
    wire            o_we = core_o_valid & core_o_ready;
    always @(posedge clk) begin
        if (o_we) omem[o_waddr] <= core_o_payload;
        o_rdata <= omem[o_raddr];
    end

    // ---- sample state -------------------------------------------------------------------------
    reg feeding;        // input beats still to be streamed into the core
    reg capturing;      // output beats still to be captured
    reg have_result;    // the beat RAM holds a complete sample
    reg read_pending;   // a READ arrived while the sample ran: answer when it completes
    reg [2:0] rst_cnt;  // core reset pulse
    wire sample_busy = feeding | capturing | core_busy;

    assign core_rst     = rst_cnt != 3'd0;
    assign core_o_ready = capturing;

    // ---- responder: request (from the parser) ---------------------------------------------------
    localparam [2:0] K_EMPTY = 3'd0, K_IDENT = 3'd1, K_RESULT = 3'd2, K_NAK = 3'd3;
    reg        resp_go;
    reg [7:0]  resp_cmd;
    reg [2:0]  resp_kind;
    reg [7:0]  resp_code;
    reg [7:0]  resp_about;
    reg [15:0] resp_len;
    wire       resp_idle;

    // ---- parser -------------------------------------------------------------------------------
    localparam [2:0] P_SYNC0 = 3'd0, P_SYNC1 = 3'd1, P_CMD = 3'd2, P_LEN0 = 3'd3, P_LEN1 = 3'd4,
                     P_PAY = 3'd5, P_CRC0 = 3'd6, P_CRC1 = 3'd7;
    reg [2:0]    pstate;
    reg [7:0]    pcmd;
    reg [7:0]    plen0;
    reg [15:0]   prem;       // payload bytes still to come, minus one
    reg [15:0]   pcrc;
    reg          ptake;      // RUN payload goes into the input RAM
    reg [TW-1:0] pidle;      // cycles since the last byte of an unfinished frame
    wire [15:0]  pcrc_next = crc16_byte(pcrc, rx_data);
    wire [15:0]  plen = {rx_data, plen0};
    wire         known = pcmd == C_IDENT || pcmd == C_RUN || pcmd == C_READ || pcmd == C_RESET;
    wire [15:0]  want_len = (pcmd == C_RUN) ? IN_BYTES16 : 16'd0;

    reg         f_go;       // start streaming the input RAM into the core
    wire        parser_answers = rx_valid && (pstate == P_LEN1 || pstate == P_CRC1);

    always @(posedge clk) begin
        resp_go <= 1'b0;
        i_we    <= 1'b0;
        f_go    <= 1'b0;
        if (rst_cnt != 3'd0) rst_cnt <= rst_cnt - 3'd1;
        if (rst) begin
            pstate <= P_SYNC0;
            pidle <= {TW{1'b0}};
            ptake <= 1'b0;
            rst_cnt <= 3'd0;
            read_pending <= 1'b0;
        end else if (!rx_valid) begin
            if (pstate != P_SYNC0) begin
                if (pidle == TIMEOUT_T) begin
                    pstate <= P_SYNC0;
                    pidle <= {TW{1'b0}};
                end else begin
                    pidle <= pidle + 1'b1;
                end
            end
        end else begin
            pidle <= {TW{1'b0}};
            case (pstate)
                P_SYNC0: if (rx_data == SYNC0) pstate <= P_SYNC1;
                P_SYNC1: pstate <= (rx_data == SYNC1) ? P_CMD : (rx_data == SYNC0) ? P_SYNC1 : P_SYNC0;
                P_CMD: begin
                    pcmd <= rx_data;
                    pcrc <= crc16_byte(16'hFFFF, rx_data);
                    pstate <= P_LEN0;
                end
                P_LEN0: begin
                    plen0 <= rx_data;
                    pcrc <= pcrc_next;
                    pstate <= P_LEN1;
                end
                P_LEN1: begin
                    pcrc <= pcrc_next;
                    prem <= plen - 16'd1;
                    i_waddr <= {IA{1'b1}};  // the first payload byte increments it to 0
                    ptake <= (pcmd == C_RUN) && !sample_busy;
                    if (known && plen != want_len) begin
                        pstate <= P_SYNC0;
                        if (resp_idle) begin
                            resp_go <= 1'b1; resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2;
                            resp_code <= E_LEN; resp_about <= pcmd;
                        end
                    end else begin
                        pstate <= (plen == 16'd0) ? P_CRC0 : P_PAY;
                    end
                end
                P_PAY: begin
                    pcrc <= pcrc_next;
                    if (ptake) begin
                        i_we <= 1'b1;
                        i_wdata <= rx_data;
                        i_waddr <= i_waddr + 1'b1;
                    end
                    prem <= prem - 16'd1;
                    if (prem == 16'd0) pstate <= P_CRC0;
                end
                P_CRC0: begin
                    pcrc <= pcrc_next;
                    pstate <= P_CRC1;
                end
                default: begin  // P_CRC1: the frame is complete
                    pstate <= P_SYNC0;
                    if (resp_idle) begin
                        resp_go <= 1'b1;
                        resp_about <= pcmd;
                        if (pcrc_next != 16'd0) begin
                            resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2; resp_code <= E_CRC;
                        end else if (pcmd == C_IDENT) begin
                            resp_kind <= K_IDENT; resp_cmd <= 8'h81; resp_len <= IDENT_LEN;
                        end else if (pcmd == C_RUN) begin
                            if (ptake && !sample_busy) begin
                                f_go <= 1'b1;
                                resp_kind <= K_EMPTY; resp_cmd <= 8'h82; resp_len <= 16'd0;
                            end else begin
                                resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2; resp_code <= E_BUSY;
                            end
                        end else if (pcmd == C_READ) begin
                            if (sample_busy) begin
                                resp_go <= 1'b0;       // answered when the sample completes
                                read_pending <= 1'b1;
                            end else if (have_result) begin
                                resp_kind <= K_RESULT; resp_cmd <= 8'h83; resp_len <= OUT_BYTES16;
                            end else begin
                                resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2; resp_code <= E_NORES;
                            end
                        end else if (pcmd == C_RESET) begin
                            rst_cnt <= 3'd4;
                            read_pending <= 1'b0;
                            resp_kind <= K_EMPTY; resp_cmd <= 8'h84; resp_len <= 16'd0;
                        end else begin
                            resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2; resp_code <= E_CMD;
                        end
                    end
                end
            endcase
        end
        // a pending READ is answered once the sample is complete and the responder is free
        if (!rst && read_pending && !sample_busy && resp_idle && !resp_go && !parser_answers) begin
            read_pending <= 1'b0;
            resp_go <= 1'b1;
            resp_about <= C_READ;
            if (have_result) begin
                resp_kind <= K_RESULT; resp_cmd <= 8'h83; resp_len <= OUT_BYTES16;
            end else begin
                resp_kind <= K_NAK; resp_cmd <= C_NAK; resp_len <= 16'd2; resp_code <= E_NORES;
            end
        end
    end

    // ---- feeder: input RAM -> core i_data -----------------------------------------------------
    localparam [1:0] F_IDLE = 2'd0, F_ADDR = 2'd1, F_GET = 2'd2, F_OFFER = 2'd3;
    reg [1:0]        fstate;
    reg [IB*8-1:0]   fbeat;
    reg [15:0]       fk;         // byte within the beat
    reg [15:0]       fleft;      // beats still to offer, minus one
    assign core_i_payload = fbeat[IN_W-1:0];
    assign core_i_valid   = fstate == F_OFFER;

    always @(posedge clk) begin
        if (rst || core_rst) begin
            fstate <= F_IDLE;
            feeding <= 1'b0;
            i_raddr <= {IA{1'b0}};
        end else begin
            case (fstate)
                F_IDLE: if (f_go) begin
                    feeding <= 1'b1;
                    i_raddr <= {IA{1'b0}};
                    fk <= 16'd0;
                    fleft <= IN_BEATS16 - 16'd1;
                    fstate <= F_ADDR;
                end
                F_ADDR: fstate <= F_GET;  // the RAM registers imem[i_raddr] at this edge
                F_GET: begin
                    fbeat <= {i_rdata, fbeat} >> 8;  // the new byte enters at the top
                    i_raddr <= i_raddr + 1'b1;
                    if (fk == IB16 - 16'd1) begin
                        fk <= 16'd0;
                        fstate <= F_OFFER;
                    end else begin
                        fk <= fk + 16'd1;
                        fstate <= F_ADDR;
                    end
                end
                default: if (core_i_ready) begin  // F_OFFER: the beat moves at this edge
                    if (fleft == 16'd0) begin
                        feeding <= 1'b0;
                        fstate <= F_IDLE;
                    end else begin
                        fleft <= fleft - 16'd1;
                        fstate <= F_ADDR;
                    end
                end
            endcase
        end
    end

    // ---- capture: core o_data -> beat RAM -----------------------------------------------------
    always @(posedge clk) begin
        if (rst || core_rst) begin
            capturing <= 1'b0;
            have_result <= 1'b0;
            o_waddr <= {OA{1'b0}};
        end else if (f_go) begin
            capturing <= 1'b1;
            have_result <= 1'b0;
            o_waddr <= {OA{1'b0}};
        end else if (o_we) begin
            o_waddr <= o_waddr + 1'b1;
            if (o_waddr == OUT_LAST) begin
                capturing <= 1'b0;
                have_result <= 1'b1;
            end
        end
    end

    // ---- responder: frame out -----------------------------------------------------------------
    localparam [2:0] T_IDLE = 3'd0, T_PREP = 3'd1, T_RAM = 3'd2, T_LOAD = 3'd3, T_WAIT = 3'd4;
    reg [2:0]       tstate;
    reg [16:0]      tpos;     // byte position in the frame
    reg [15:0]      tcrc;
    reg [OB*8-1:0]  tbeat;    // the beat being sent, shifted a byte at a time
    reg [15:0]      tk;       // byte within the beat
    wire [16:0]     pay_end = 17'd5 + {1'b0, resp_len};      // first position after the payload
    wire            in_pay  = tpos >= 17'd5 && tpos < pay_end;
    wire [16:0]     pay_i   = tpos - 17'd5;
    reg [7:0]       tbyte;
    // tbyte and the position tests are registered in T_RAM and used in T_LOAD (every input is stable
    // from T_PREP on), so no path runs position compare -> byte mux -> CRC in one cycle (it limited
    // the board build to 28 MHz)
    reg [7:0]       tbyte_r;
    reg             tcrc_en_r;   // the byte is covered by the CRC
    reg             tresult_r;   // the byte is a result-beat byte
    wire [OB*8-1:0] o_rdata_ext;
    assign o_rdata_ext[OUT_W-1:0] = o_rdata;
    generate
        if (OB * 8 > OUT_W) begin : g_pad
            assign o_rdata_ext[OB*8-1:OUT_W] = {(OB * 8 - OUT_W){1'b0}};
        end
    endgenerate
    assign resp_idle = tstate == T_IDLE;

    always @(*) begin
        if (tpos == 17'd0) tbyte = SYNC0;
        else if (tpos == 17'd1) tbyte = SYNC1;
        else if (tpos == 17'd2) tbyte = resp_cmd;
        else if (tpos == 17'd3) tbyte = resp_len[7:0];
        else if (tpos == 17'd4) tbyte = resp_len[15:8];
        else if (in_pay) begin
            case (resp_kind)
                K_IDENT: tbyte = ident_byte(pay_i[4:0]);
                K_NAK:   tbyte = (pay_i == 17'd0) ? resp_code : resp_about;
                K_RESULT: tbyte = (tk == 16'd0) ? o_rdata_ext[7:0] : tbeat[7:0];
                default: tbyte = 8'h00;
            endcase
        end else if (tpos == pay_end) tbyte = tcrc[15:8];
        else tbyte = tcrc[7:0];
    end

    always @(posedge clk) begin
        tx_start <= 1'b0;
        if (rst) begin
            tstate <= T_IDLE;
            o_raddr <= {OA{1'b0}};
        end else begin
            case (tstate)
                T_IDLE: if (resp_go) begin
                    tpos <= 17'd0;
                    tcrc <= 16'hFFFF;
                    tk <= 16'd0;
                    o_raddr <= {OA{1'b0}};
                    tstate <= T_PREP;
                end
                T_PREP: tstate <= T_RAM;  // o_raddr settles; the RAM reads it at the next edge
                T_RAM: begin  // o_rdata is valid: register the byte and what it is
                    tbyte_r <= tbyte;
                    tcrc_en_r <= tpos >= 17'd2 && tpos < pay_end;
                    tresult_r <= in_pay && resp_kind == K_RESULT;
                    tstate <= T_LOAD;
                end
                T_LOAD: begin
                    tx_data <= tbyte_r;
                    tx_start <= 1'b1;
                    if (tcrc_en_r) tcrc <= crc16_byte(tcrc, tbyte_r);
                    if (tresult_r) begin
                        if (tk == 16'd0) tbeat <= o_rdata_ext >> 8;
                        else tbeat <= tbeat >> 8;
                        if (tk == OB16 - 16'd1) begin
                            tk <= 16'd0;
                            o_raddr <= o_raddr + 1'b1;
                        end else begin
                            tk <= tk + 16'd1;
                        end
                    end
                    tstate <= T_WAIT;
                end
                default: if (!tx_start && !tx_busy) begin  // T_WAIT: the byte has left
                    tpos <= tpos + 17'd1;
                    tstate <= (tpos == pay_end + 17'd1) ? T_IDLE : T_PREP;
                end
            endcase
        end
    end
endmodule


// 8N1 receiver: two-flop synchroniser, start bit checked at its middle, bits sampled mid-bit.
// A byte whose stop bit reads 0 (framing error) is dropped.
module scnc_uart_rx #(
    parameter integer CPB = 104  // clock cycles per bit, >= 4
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,
    output reg  [7:0] data,
    output reg        valid
);
    localparam integer CW = $clog2(CPB + 1);
    localparam [1:0] IDLE = 2'd0, START = 2'd1, BITS = 2'd2, STOP = 2'd3;
    reg [1:0]    sync;
    reg [1:0]    state;
    reg [CW-1:0] cnt;
    reg [2:0]    nbit;
    reg [7:0]    shift;
    wire         rxs = sync[1];

    always @(posedge clk) begin
        valid <= 1'b0;
        if (rst) begin
            sync <= 2'b11;
            state <= IDLE;
        end else begin
            sync <= {sync[0], rx};
            case (state)
                IDLE: if (!rxs) begin
                    cnt <= CPB / 2 - 1;
                    state <= START;
                end
                START: if (cnt == {CW{1'b0}}) begin
                    cnt <= CPB - 1;
                    nbit <= 3'd0;
                    state <= rxs ? IDLE : BITS;
                end else cnt <= cnt - 1'b1;
                BITS: if (cnt == {CW{1'b0}}) begin
                    cnt <= CPB - 1;
                    shift <= {rxs, shift[7:1]};
                    nbit <= nbit + 3'd1;
                    if (nbit == 3'd7) state <= STOP;
                end else cnt <= cnt - 1'b1;
                default: if (cnt == {CW{1'b0}}) begin  // STOP
                    if (rxs) begin
                        data <= shift;
                        valid <= 1'b1;
                    end
                    state <= IDLE;
                end else cnt <= cnt - 1'b1;
            endcase
        end
    end
endmodule


// 8N1 transmitter: a start pulse while idle sends data (LSB first); busy until the stop bit ends.
module scnc_uart_tx #(
    parameter integer CPB = 104  // clock cycles per bit
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] data,
    input  wire       start,
    output reg        tx,
    output reg        busy
);
    localparam integer CW = $clog2(CPB + 1);
    reg [8:0]    shift;
    reg [3:0]    left;
    reg [CW-1:0] cnt;

    always @(posedge clk) begin
        if (rst) begin
            tx <= 1'b1;
            busy <= 1'b0;
        end else if (!busy) begin
            if (start) begin
                shift <= {1'b1, data};
                tx <= 1'b0;
                left <= 4'd9;
                cnt <= CPB - 1;
                busy <= 1'b1;
            end
        end else if (cnt != {CW{1'b0}}) begin
            cnt <= cnt - 1'b1;
        end else if (left == 4'd0) begin
            busy <= 1'b0;
        end else begin
            tx <= shift[0];
            shift <= {1'b1, shift[8:1]};
            left <= left - 4'd1;
            cnt <= CPB - 1;
        end
    end
endmodule

`default_nettype wire

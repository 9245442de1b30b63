"""The simulated board: core + UART bridge in Verilator (or Icarus) through cocotb, over a socket.

Architecture (``docs/hil.md``)::

    this process                                  simulator process (run_cocotb, in a thread here)
    Board --SocketTransport--  Unix socket  --  sim/hil_board.py  --uart_rx/uart_tx--  scnc_hil_top
                                                 (cocotb UART model)                    core + bridge

The host code is exactly the code that talks to a real board; only the transport differs. The
simulator runs free, as a board would; its cocotb side moves bytes at the UART bit rate with one
``Timer`` per run of equal bits and blocks on the socket when the board is idle.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from .._io import atomic_write_text
from .._resources import hdl_dir, sim_dir
from ..errors import ConfigError, ToolError
from ..manifest import Manifest
from .protocol import bridge_shape
from .transport import SocketTransport

__all__ = ["SIM_CLK_HZ", "SIM_TOP", "SimBoard", "bridge_parameters", "sim_top_verilog"]

#: Clock frequency the simulated board claims (Hz); with ``cycles_per_bit`` it sets BAUD.
SIM_CLK_HZ = 12_000_000
#: Module name of the simulation top level.
SIM_TOP = "scnc_hil_top"
_BOARD_MODULE = "hil_board"
def bridge_parameters(manifest: Manifest, *, clk_hz: int, baud: int) -> dict[str, int]:
    """Parameters of ``scnc_uart_bridge`` for a core described by ``manifest`` (a build's checked manifest).

    Returns ``{"CLK_HZ", "BAUD", "IN_W", "OUT_W", "IR_HASH", "SHAPE"}`` as integers: the payload
    widths of ``i_data``/``o_data`` (bits), the first 16 hex digits of the IR hash, and
    ``SHAPE = input beats per sample << 16 | output beats per sample``.

    Raises
    ------
    ConfigError
        A field is missing, or ``clk_hz / baud`` is below 4 cycles per bit.
    """
    b = bridge_shape(manifest)
    if not (isinstance(clk_hz, int) and isinstance(baud, int) and baud > 0 and clk_hz >= 4 * baud):
        raise ConfigError(f"clk_hz / baud must give at least 4 clock cycles per UART bit, got {clk_hz!r} / {baud!r}")
    return {"CLK_HZ": clk_hz, "BAUD": baud, "IN_W": b.in_w, "OUT_W": b.out_w, "IR_HASH": b.ir_hash,
            "SHAPE": b.shape}


def sim_top_verilog(manifest: Manifest, *, cycles_per_bit: int = 8) -> str:
    """Verilog of ``scnc_hil_top``: the core named by ``manifest`` wired to the UART bridge.

    Ports: ``clk``, ``rst``, ``uart_rx``, ``uart_tx`` and ``busy`` (the core's, for the simulation
    model). The bridge runs at ``SIM_CLK_HZ`` with ``BAUD = SIM_CLK_HZ / cycles_per_bit``. A trace
    build's trace stream is tied off (ready high, outputs open), as on the board.
    """
    if not (isinstance(cycles_per_bit, int) and 4 <= cycles_per_bit <= 4096):
        raise ConfigError(f"cycles_per_bit must be an integer in 4..4096, got {cycles_per_bit!r}")
    p = bridge_parameters(manifest, clk_hz=SIM_CLK_HZ, baud=SIM_CLK_HZ // cycles_per_bit)
    if SIM_CLK_HZ % cycles_per_bit:
        raise ConfigError(f"cycles_per_bit must divide {SIM_CLK_HZ}, got {cycles_per_bit}")
    core = manifest.top  # a checked Verilog identifier (Manifest.load)
    in_w, out_w = p["IN_W"], p["OUT_W"]
    trace = "\n        .trace__payload(), .trace__valid(), .trace__ready(1'b1)," if manifest.has_trace else ""
    return f"""// scnc_hil_top: simulation top of the HIL board (written by scnc.hil.simboard; do not edit)
`default_nettype none
module {SIM_TOP} (
    input  wire clk,
    input  wire rst,
    input  wire uart_rx,
    output wire uart_tx,
    output wire busy
);
    wire [{in_w - 1}:0] i_payload;
    wire i_valid, i_ready;
    wire [{out_w - 1}:0] o_payload;
    wire o_valid, o_ready;
    wire core_rst;
    wire start, done;

    scnc_uart_bridge #(
        .CLK_HZ({p["CLK_HZ"]}),
        .BAUD({p["BAUD"]}),
        .IN_W({in_w}),
        .OUT_W({out_w}),
        .IR_HASH(64'h{p["IR_HASH"]:016x}),
        .SHAPE(32'h{p["SHAPE"]:08x})
    ) bridge (
        .clk(clk), .rst(rst), .uart_rx(uart_rx), .uart_tx(uart_tx),
        .core_i_payload(i_payload), .core_i_valid(i_valid), .core_i_ready(i_ready),
        .core_o_payload(o_payload), .core_o_valid(o_valid), .core_o_ready(o_ready),
        .core_busy(busy), .core_rst(core_rst)
    );

    {core} core (
        .clk(clk), .rst(rst | core_rst),
        .i_data__payload(i_payload), .i_data__valid(i_valid), .i_data__ready(i_ready),
        .o_data__payload(o_payload), .o_data__valid(o_valid), .o_data__ready(o_ready),{trace}
        .start(start), .busy(busy), .done(done)
    );
endmodule
`default_nettype wire
"""


class SimBoard:
    """Context manager: start the simulated board of a build folder, yield a connected transport.

    Parameters
    ----------
    build_dir:
        A folder written by :func:`scnc.rtl.compile_graph` (checked by :meth:`scnc.rtl.Manifest.load`;
        a trace build's trace stream is tied off).
    sim:
        ``"verilator"`` (default) or ``"icarus"``.
    cycles_per_bit:
        UART bit time in clock cycles (4..4096): small values keep the simulated link fast.
    work_dir:
        Where the top level, logs and results go (default ``<build_dir>/hil``).
    build_root:
        Cached simulator builds (default ``<work_dir>/builds``).
    timeout_s:
        Wall-clock limit of the whole simulator run (seconds), ``None`` for none.
    connect_timeout_s:
        Longest wait for the simulator to build and connect (seconds).
    progress:
        Called with one line of text per stage.

    Members (after the block)
    -------------------------
    result:
        The :class:`scnc.verify.RunResult` of the simulator run.
    stats:
        The board model's counters (bytes each way, framing errors, simulated ns, wall seconds).
    """

    def __init__(self, build_dir: str | os.PathLike, *, sim: str = "verilator", cycles_per_bit: int = 8,
                 work_dir: str | os.PathLike | None = None, build_root: str | os.PathLike | None = None,
                 timeout_s: float | None = None, connect_timeout_s: float = 900.0,
                 progress: Callable[[str], None] | None = None) -> None:
        if sim not in ("verilator", "icarus"):
            raise ConfigError(f"sim must be 'verilator' or 'icarus', got {sim!r}")
        self.build_dir = Path(build_dir).resolve()  # the runner works in other folders
        self.manifest = Manifest.load(self.build_dir)
        self.sim = sim
        self.cycles_per_bit = cycles_per_bit
        self.work_dir = Path(work_dir).resolve() if work_dir is not None else self.build_dir / "hil"
        self.build_root = Path(build_root).resolve() if build_root is not None else self.work_dir / "builds"
        self.timeout_s = timeout_s
        self.connect_timeout_s = float(connect_timeout_s)
        self._say = progress or (lambda _s: None)
        self.result = None
        self.stats: dict = {}
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._sock_dir: str | None = None
        self._transport: SocketTransport | None = None

    # -- simulator thread --------------------------------------------------------------------------
    def _sources(self) -> list[Path]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        top = self.work_dir / f"{SIM_TOP}.v"
        atomic_write_text(top, sim_top_verilog(self.manifest, cycles_per_bit=self.cycles_per_bit))
        return [self.manifest.verilog_path(self.build_dir), hdl_dir() / "scnc_uart_bridge.v", top]

    def _run(self, sources: list[Path], sock_path: str) -> None:
        from ..rtl import WAIVERS
        from ..verify.runner import build_environ, run_cocotb, sim_build_args

        build_args = sim_build_args(self.sim, WAIVERS)
        try:
            with build_environ():
                self.result = run_cocotb(
                    sim=self.sim, sources=sources, toplevel=SIM_TOP, test_module=_BOARD_MODULE,
                    module_dirs=[sim_dir()], test_dir=self.work_dir, build_root=self.build_root,
                    results_xml=self.work_dir / "hil_board.xml", build_args=build_args,
                    extra_env={"SCNC_HIL_SOCKET": sock_path, "SCNC_HIL_CPB": str(self.cycles_per_bit),
                               "SCNC_HIL_STATS": str(self.work_dir / "hil_board.json")},
                    timeout_s=self.timeout_s,
                )
        except BaseException as exc:  # reported to the caller's thread
            self._error = exc

    # -- context manager ---------------------------------------------------------------------------
    def __enter__(self) -> SocketTransport:
        sources = self._sources()
        self._sock_dir = tempfile.mkdtemp(prefix="scnc-hil-")
        sock_path = os.path.join(self._sock_dir, "board.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(sock_path)
            server.listen(1)
            server.settimeout(0.2)
            self._say(f"simulated board: building and starting {self.sim} ({SIM_TOP}, "
                      f"{self.cycles_per_bit} cycles per UART bit)")
            t0 = time.perf_counter()
            self._thread = threading.Thread(target=self._run, args=(sources, sock_path), daemon=True,
                                            name="scnc-hil-sim")
            self._thread.start()
            while True:
                try:
                    conn, _ = server.accept()
                    break
                except socket.timeout:
                    if not self._thread.is_alive():
                        self._cleanup()
                        raise self._failure("the simulator ended before the board connected")
                    if time.perf_counter() - t0 > self.connect_timeout_s:
                        raise ToolError(f"the simulated board did not connect within {self.connect_timeout_s:g} s")
        finally:
            server.close()
        self._say(f"simulated board connected after {time.perf_counter() - t0:.1f} s")
        self._transport = SocketTransport(conn)
        return self._transport

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._transport is not None:
            self._transport.close()
        if self._thread is not None:
            self._thread.join(timeout=60.0)
        self._cleanup()
        with contextlib.suppress(OSError, ValueError):
            self.stats = json.loads((self.work_dir / "hil_board.json").read_text())
        if exc_type is None:
            if self._thread is not None and self._thread.is_alive():
                raise ToolError("the simulated board did not stop within 60 s after the host disconnected")
            if self._error is not None or self.result is None or not self.result.ok:
                raise self._failure("the simulated board reported a failure")

    def _failure(self, what: str) -> ToolError:
        if self._error is not None:
            return ToolError(f"{what}: {self._error}")
        if self.result is not None:
            msgs = "; ".join(c.message for c in self.result.failures()) or "no test passed"
            return ToolError(f"{what}: {msgs} (log {self.result.test_log})")
        return ToolError(what)

    def _cleanup(self) -> None:
        if self._sock_dir is not None:
            shutil.rmtree(self._sock_dir, ignore_errors=True)
            self._sock_dir = None

"""The simulated board of ``scnc hil --port sim``: a cocotb UART model between a socket and the pins.

The design under test is ``scnc_hil_top`` (:func:`scnc.hil.simboard.sim_top_verilog`): the network
core and ``hdl/scnc_uart_bridge.v`` with ports ``clk``, ``rst``, ``uart_rx``, ``uart_tx`` and
``busy`` (the core's). The host process (:class:`scnc.hil.simboard.SimBoard`) listens on a Unix
socket; this test connects to it and then

* drives every byte the host writes onto ``uart_rx`` as an 8N1 character, one ``Timer`` per run
  of equal bits (no per-clock Python), changes at falling clock edges;
* decodes ``uart_tx`` (wait for the start bit's falling edge, sample each bit in its middle) and
  writes each byte to the socket as soon as its stop bit is seen;
* lets simulated time run between host writes, in growing chunks; when the line has been quiet
  for ``QUIET_CYCLES`` and the core is idle, the board has nothing left to say (the bridge only
  answers), so it waits for the host in ``select`` instead of simulating idle cycles;
* ends when the host closes the socket, and writes its counters to ``SCNC_HIL_STATS`` (JSON).

Environment: ``SCNC_HIL_SOCKET`` (socket path), ``SCNC_HIL_CPB`` (clock cycles per UART bit),
``SCNC_HIL_STATS`` (optional output path).
"""

from __future__ import annotations

import json
import os
import select
import socket
import time

import cocotb
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, FallingEdge, Timer

PERIOD_NS = 10
#: Idle cycles after the last UART activity before the model may block waiting for the host.
QUIET_CYCLES = 4096
#: Smallest and largest chunk of simulated time between polls of the socket (clock cycles).
MIN_CHUNK, MAX_CHUNK = 16, 4096


class _Stats:
    def __init__(self) -> None:
        self.bytes_to_board = 0
        self.bytes_from_board = 0
        self.framing_errors = 0
        self.last_activity_ns = 0
        self.tx_active = False
        self.polls = 0
        self.outbuf = bytearray()  # bytes from the board not yet written to the socket
        self.wait_s = 0.0


def _now_ns() -> int:
    return int(get_sim_time("ns"))


def _runs(byte: int) -> list[tuple[int, int]]:
    """The 8N1 character of ``byte`` as (level, bits) runs: start 0, data LSB first, stop 1."""
    bits = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
    runs: list[tuple[int, int]] = []
    for b in bits:
        if runs and runs[-1][0] == b:
            runs[-1] = (b, runs[-1][1] + 1)
        else:
            runs.append((b, 1))
    return runs


async def _send_bytes(dut, data: bytes, bit_ns: int, stats: _Stats) -> None:
    """Drive ``data`` onto ``uart_rx``; called at a falling clock edge, returns at one."""
    for byte in data:
        for level, nbits in _runs(byte):
            dut.uart_rx.value = level
            await Timer(nbits * bit_ns, unit="ns")
        stats.bytes_to_board += 1
        stats.last_activity_ns = _now_ns()


async def _tx_monitor(dut, bit_ns: int, stats: _Stats) -> None:
    """Decode ``uart_tx`` forever into ``stats.outbuf`` (the main loop writes it to the host)."""
    while True:
        await FallingEdge(dut.uart_tx)
        stats.tx_active = True
        # the middle of data bit 0, moved half a clock off the edge where uart_tx may change
        await Timer(bit_ns + bit_ns // 2 + PERIOD_NS // 2, unit="ns")
        value = 0
        for i in range(8):
            if str(dut.uart_tx.value) == "1":
                value |= 1 << i
            await Timer(bit_ns, unit="ns")
        if str(dut.uart_tx.value) != "1":
            stats.framing_errors += 1
        else:
            stats.outbuf.append(value)
            stats.bytes_from_board += 1
        stats.last_activity_ns = _now_ns()
        stats.tx_active = False


@cocotb.test()
async def hil_board(dut) -> None:
    """Serve the host over the socket until it disconnects."""
    path = os.environ["SCNC_HIL_SOCKET"]
    cpb = int(os.environ.get("SCNC_HIL_CPB", "8"))
    bit_ns = cpb * PERIOD_NS
    impl = "gpi" if cocotb.SIM_NAME.lower().startswith("verilator") else "py"
    Clock(dut.clk, PERIOD_NS, unit="ns", impl=impl).start()
    dut.uart_rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    await FallingEdge(dut.clk)

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    stats = _Stats()
    cocotb.start_soon(_tx_monitor(dut, bit_ns, stats))
    t0 = time.perf_counter()
    chunk = MIN_CHUNK
    try:
        while True:
            if stats.outbuf:
                sock.sendall(bytes(stats.outbuf))
                stats.outbuf.clear()
            quiet = (not stats.tx_active and str(dut.busy.value) != "1"
                     and _now_ns() - stats.last_activity_ns >= QUIET_CYCLES * PERIOD_NS)
            tw = time.perf_counter()
            ready, _, _ = select.select([sock], [], [], 0.05 if quiet else 0)
            stats.wait_s += time.perf_counter() - tw
            stats.polls += 1
            if ready:
                data = sock.recv(65536)
                if not data:
                    break  # the host closed the link: done
                await _send_bytes(dut, data, bit_ns, stats)
                chunk = MIN_CHUNK
                continue
            if quiet:
                continue
            await Timer(chunk * PERIOD_NS, unit="ns")
            chunk = min(2 * chunk, MAX_CHUNK)
    finally:
        sock.close()
        out = os.environ.get("SCNC_HIL_STATS")
        if out:
            with open(out, "w") as fh:
                json.dump({
                    "bytes_to_board": stats.bytes_to_board,
                    "bytes_from_board": stats.bytes_from_board,
                    "framing_errors": stats.framing_errors,
                    "sim_ns": _now_ns(),
                    "wall_s": round(time.perf_counter() - t0, 3),
                    "host_wait_s": round(stats.wait_s, 3),
                    "polls": stats.polls,
                    "cycles_per_bit": cpb,
                }, fh)
    assert stats.framing_errors == 0, f"{stats.framing_errors} UART characters from the board had a bad stop bit"

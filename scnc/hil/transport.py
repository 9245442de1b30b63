"""Byte pipes to a board: a serial port (pyserial) or a socket to the simulated board.

A transport moves bytes and nothing else; framing, CRC and retries live in :mod:`scnc.hil.protocol`
and :mod:`scnc.hil.host`. Anything with the four methods of :class:`Transport` works (the tests use
scripted fakes).
"""

from __future__ import annotations

import select
import socket
import time
from typing import Protocol, runtime_checkable

from ..errors import ConfigError, ToolError

__all__ = ["Transport", "SerialTransport", "SocketTransport", "open_serial"]


@runtime_checkable
class Transport(Protocol):
    """What :class:`scnc.hil.Board` needs from a byte pipe."""

    #: A read timeout (seconds) suited to this link, used when the board client is given none.
    default_timeout_s: float

    def write(self, data: bytes) -> None:
        """Send all of ``data``."""

    def read(self, n: int, timeout_s: float) -> bytes:
        """Up to ``n`` bytes: whatever arrives first, ``b""`` when nothing arrived within ``timeout_s``."""

    def reset_input(self) -> None:
        """Drop every byte received and not read yet."""

    def close(self) -> None:
        """Release the link."""


class SerialTransport:
    """A serial port through pyserial (8N1, no flow control).

    Parameters
    ----------
    port:
        Device, e.g. ``/dev/ttyUSB1`` or ``COM3``.
    baud:
        Bits per second; must match the bridge's ``BAUD`` parameter.

    Raises
    ------
    ToolError
        pyserial is not installed (``pip install pyserial``) or the port cannot be opened; later,
        a read or write that fails (``SerialException`` / ``OSError``, e.g. the USB adapter was
        unplugged).
    """

    default_timeout_s = 1.0

    def __init__(self, port: str, baud: int = 115200) -> None:
        try:
            import serial  # type: ignore[import-not-found]
        except ImportError:
            raise ToolError("talking to a board over a serial port needs pyserial: pip install pyserial") from None
        if not (isinstance(baud, int) and baud > 0):
            raise ConfigError(f"baud must be a positive integer (bits/s), got {baud!r}")
        try:
            self._port = serial.Serial(port, baudrate=baud, bytesize=8, parity="N", stopbits=1, timeout=0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ToolError(f"cannot open serial port {port!r} at {baud} baud: {exc}") from None
        self.port, self.baud = port, baud

    # pyserial raises SerialException (an OSError) when the adapter is unplugged mid-run, or a plain
    # OSError from the device node: both become a ToolError naming the port, so a caller sees one
    # error type for a link that failed (and keeps the results it already has)
    def _failed(self, what: str, exc: BaseException) -> ToolError:
        return ToolError(f"serial port {self.port!r}: {what} failed ({type(exc).__name__}: {exc}); "
                         "was the board unplugged?")

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except OSError as exc:
            raise self._failed("write", exc) from None

    def read(self, n: int, timeout_s: float) -> bytes:
        try:
            self._port.timeout = max(0.0, float(timeout_s))
            first = self._port.read(1)
            if not first:
                return b""
            self._port.timeout = 0
            return first + self._port.read(max(0, n - 1))
        except OSError as exc:
            raise self._failed("read", exc) from None

    def reset_input(self) -> None:
        try:
            self._port.reset_input_buffer()
        except OSError as exc:
            raise self._failed("reset of the input buffer", exc) from None

    def close(self) -> None:
        try:
            self._port.close()
        except OSError:
            pass  # closing a port whose adapter is gone: nothing left to release


def open_serial(port: str, baud: int = 115200) -> SerialTransport:
    """Open ``port`` at ``baud`` (see :class:`SerialTransport`)."""
    return SerialTransport(port, baud)


class SocketTransport:
    """A connected stream socket, e.g. to the simulated board of :mod:`scnc.hil.simboard`.

    Parameters
    ----------
    sock:
        Connected socket; this transport owns it (``close`` closes it).
    default_timeout_s:
        Read timeout suited to the peer (a simulated board is slower than a real one).
    """

    def __init__(self, sock: socket.socket, *, default_timeout_s: float = 20.0) -> None:
        self._sock = sock
        self._sock.setblocking(True)
        self.default_timeout_s = float(default_timeout_s)
        self.bytes_written = 0
        self.bytes_read = 0

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ToolError(f"the simulated board closed the connection: {exc}") from None
        self.bytes_written += len(data)

    def read(self, n: int, timeout_s: float) -> bytes:
        deadline = time.monotonic() + max(0.0, float(timeout_s))
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._sock], [], [], max(0.0, left))
            if ready:
                try:
                    data = self._sock.recv(n)
                except OSError as exc:
                    raise ToolError(f"the simulated board connection failed: {exc}") from None
                if not data:
                    raise ToolError("the simulated board closed the connection (the simulator ended)")
                self.bytes_read += len(data)
                return data
            if left <= 0:
                return b""

    def reset_input(self) -> None:
        while True:
            ready, _, _ = select.select([self._sock], [], [], 0)
            if not ready:
                return
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

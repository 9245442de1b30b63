"""scnc.hil: hardware in the loop over a UART, against a real board or a simulated one.

* :mod:`scnc.hil.protocol` -- frames (SYNC, CMD, LEN, payload, CRC-16/CCITT-FALSE), commands,
  error codes, the identity payload and beat packing (``docs/hil.md``).
* :class:`Board` -- the host client: :meth:`Board.identify` (refuses a board built from another IR),
  :meth:`Board.run_sample`, bounded retries on timeouts and corrupted frames.
* :func:`stream_samples` -- run a data set on a board and compare every result with :mod:`scnc.ref`.
* Transports: :class:`SerialTransport` (pyserial), :class:`SocketTransport`, and :class:`SimBoard`,
  the board (core + ``hdl/scnc_uart_bridge.v``) simulated in Verilator through cocotb.
"""

from .host import Board, BoardError, BoardMismatch, CoreLayout, core_layout
from .protocol import (
    PROTOCOL_VERSION,
    BadFrame,
    Cmd,
    ErrorCode,
    Frame,
    FrameDecoder,
    Identity,
    Reply,
    crc16,
    decode_frames,
    encode_frame,
    encode_identity,
    parse_identity,
    shape_word,
)
from .session import HILReport, board_inputs, load_build, stream_samples
from .simboard import SimBoard, bridge_parameters, sim_top_verilog
from .transport import SerialTransport, SocketTransport, Transport, open_serial

__all__ = [
    "PROTOCOL_VERSION",
    "BadFrame",
    "Board",
    "BoardError",
    "BoardMismatch",
    "Cmd",
    "CoreLayout",
    "ErrorCode",
    "Frame",
    "FrameDecoder",
    "HILReport",
    "Identity",
    "Reply",
    "SerialTransport",
    "SimBoard",
    "SocketTransport",
    "Transport",
    "board_inputs",
    "bridge_parameters",
    "core_layout",
    "crc16",
    "decode_frames",
    "encode_frame",
    "encode_identity",
    "load_build",
    "open_serial",
    "parse_identity",
    "shape_word",
    "sim_top_verilog",
    "stream_samples",
]

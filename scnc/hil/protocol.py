"""The HIL wire protocol: frames, CRC, command and error codes, payload layouts (``docs/hil.md``).

Every frame, in both directions::

    +------+------+-----+---------+-------------------+---------+---------+
    | 0xA5 | 0x5A | CMD | LEN (LE, 2 bytes) | PAYLOAD (LEN)     | CRC hi  | CRC lo  |
    +------+------+-----+---------+-------------------+---------+---------+
                  |<------------ CRC-16/CCITT-FALSE covers ---->|

CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR
(check value of ``b"123456789"``: 0x29B1). It is sent high byte first, so the CRC over
``CMD .. CRC`` is 0 -- how the bridge checks a frame without storing the received CRC.

This module is pure data (no I/O): the board client (:mod:`scnc.hil.host`) and the tests use it,
and :class:`FrameDecoder` mirrors the bridge's receiver (hunt for SYNC, header, payload, CRC).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import ConfigError, DataError
from ..manifest import Manifest

__all__ = [
    "BridgeShape",
    "bridge_shape",
    "SYNC",
    "PROTOCOL_VERSION",
    "MAGIC",
    "MAX_PAYLOAD",
    "IDENT_LEN",
    "Cmd",
    "Reply",
    "ErrorCode",
    "Frame",
    "BadFrame",
    "Identity",
    "crc16",
    "encode_frame",
    "FrameDecoder",
    "decode_frames",
    "shape_word",
    "split_shape",
    "encode_identity",
    "parse_identity",
    "bytes_per_beat",
    "pack_beats",
    "unpack_beats",
]

SYNC = b"\xA5\x5A"
PROTOCOL_VERSION = 1
MAGIC = b"SCNC"
MAX_PAYLOAD = 0xFFFF
#: Payload bytes of the identity reply: magic 4, version 1, IN_W 2, OUT_W 2, IR hash 8, SHAPE 4.
IDENT_LEN = 21


class Cmd(enum.IntEnum):
    """Host -> board commands."""

    IDENT = 0x01
    RUN = 0x02
    READ = 0x03
    RESET = 0x04


class Reply(enum.IntEnum):
    """Board -> host replies (a command's reply is the command | 0x80; NAK reports an error)."""

    IDENT = 0x81
    RUN_ACK = 0x82
    RESULT = 0x83
    RESET_ACK = 0x84
    NAK = 0xFF


class ErrorCode(enum.IntEnum):
    """First payload byte of a NAK (the second is the command byte it refers to)."""

    BAD_CRC = 1
    UNKNOWN_CMD = 2
    BAD_LEN = 3
    BUSY = 4
    NO_RESULT = 5


@dataclass(frozen=True)
class Frame:
    """A frame whose CRC checked out."""

    cmd: int
    payload: bytes


@dataclass(frozen=True)
class BadFrame:
    """A frame that arrived whole but failed its CRC (``cmd`` as received, possibly corrupted)."""

    cmd: int
    length: int
    reason: str


_CRC_TABLE: list[int] = []
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021) if _c & 0x8000 else (_c << 1)
    _CRC_TABLE.append(_c & 0xFFFF)


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (continue from ``crc``); ``crc16(b"123456789") == 0x29B1``."""
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


def encode_frame(cmd: int, payload: bytes = b"") -> bytes:
    """One frame: SYNC, CMD, LEN (little endian), PAYLOAD, CRC (high byte first).

    Raises
    ------
    DataError
        ``cmd`` is not a byte, or the payload is longer than 65535 bytes.
    """
    if not (isinstance(cmd, int) and 0 <= cmd <= 0xFF):
        raise DataError(f"frame cmd must be a byte 0..255, got {cmd!r}")
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD:
        raise DataError(f"frame payload must be at most {MAX_PAYLOAD} bytes, got {len(payload)}")
    body = bytes([cmd]) + len(payload).to_bytes(2, "little") + payload
    return SYNC + body + crc16(body).to_bytes(2, "big")


class FrameDecoder:
    """Incremental receiver: feed bytes as they arrive, get whole frames (or CRC failures) back.

    Like the bridge, it hunts for SYNC (a second 0xA5 while looking for 0x5A keeps the hunt
    aligned), reads CMD and LEN, then LEN payload bytes and the CRC. A LEN above ``max_payload``
    cannot be a frame of this protocol: the header is dropped and the hunt restarts after it.

    Parameters
    ----------
    max_payload:
        Largest payload accepted (bytes).
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = int(max_payload)
        self._buf = bytearray()
        self.discarded = 0  # bytes skipped while hunting for SYNC

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a whole frame."""
        return len(self._buf)

    def clear(self) -> None:
        """Forget any partial frame."""
        self._buf.clear()

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        """Add ``data``; return every frame completed by it, in order."""
        self._buf.extend(data)
        out: list[Frame | BadFrame] = []
        buf = self._buf
        while True:
            start = buf.find(SYNC)
            if start < 0:
                # keep a trailing 0xA5: it may be the first SYNC byte of the next frame
                keep = 1 if buf[-1:] == SYNC[:1] else 0
                self.discarded += len(buf) - keep
                del buf[: len(buf) - keep]
                return out
            if start:
                self.discarded += start
                del buf[:start]
            if len(buf) < 5:
                return out
            cmd = buf[2]
            length = int.from_bytes(buf[3:5], "little")
            if length > self.max_payload:
                self.discarded += 2
                del buf[:2]
                out.append(BadFrame(cmd=cmd, length=length, reason=f"length {length} > {self.max_payload}"))
                continue
            total = 5 + length + 2
            if len(buf) < total:
                return out
            body = bytes(buf[2:total])
            del buf[:total]
            if crc16(body) != 0:
                out.append(BadFrame(cmd=cmd, length=length, reason="CRC mismatch"))
            else:
                out.append(Frame(cmd=cmd, payload=body[3:-2]))


def decode_frames(data: bytes, max_payload: int = MAX_PAYLOAD) -> list[Frame | BadFrame]:
    """Every whole frame in ``data`` (see :class:`FrameDecoder`)."""
    return FrameDecoder(max_payload).feed(data)


# ---- identity -------------------------------------------------------------------------------------
def shape_word(in_beats: int, out_beats: int) -> int:
    """The bridge's ``SHAPE`` parameter: ``in_beats << 16 | out_beats`` (each 1..65535 beats)."""
    for name, v in (("in_beats", in_beats), ("out_beats", out_beats)):
        if not (isinstance(v, int) and 1 <= v <= 0xFFFF):
            raise DataError(f"{name} must be an integer in 1..65535 (beats per sample), got {v!r}")
    return (in_beats << 16) | out_beats


@dataclass(frozen=True)
class BridgeShape:
    """What the UART bridge must know of a core, read from its ``manifest.json``.

    ``in_w`` / ``out_w``: ``i_data`` / ``o_data`` payload widths (bits); ``in_beats`` / ``out_beats``:
    beats per sample; ``ir_hash``: the first 64 bits (16 hex digits) of the manifest's IR hash.
    """

    in_w: int
    out_w: int
    in_beats: int
    out_beats: int
    ir_hash: int

    @property
    def shape(self) -> int:
        """The bridge's ``SHAPE`` parameter (:func:`shape_word`)."""
        return shape_word(self.in_beats, self.out_beats)


def bridge_shape(manifest: Manifest) -> BridgeShape:
    """What the UART bridge is built from, read from a build's checked :class:`scnc.manifest.Manifest`.

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
    return BridgeShape(manifest.i_data.payload.width, manifest.o_data.payload.width, in_beats, out_beats,
                       int(manifest.ir_hash16, 16))


def split_shape(shape: int) -> tuple[int, int]:
    """``(in_beats, out_beats)`` of a ``SHAPE`` word."""
    return (shape >> 16) & 0xFFFF, shape & 0xFFFF


@dataclass(frozen=True)
class Identity:
    """What the board's identity frame says.

    Members
    -------
    version:
        Protocol version of the bridge.
    in_w, out_w:
        Core ``i_data`` / ``o_data`` payload widths (bits).
    ir_hash:
        First 16 hex digits of the IR hash the board's core was built from.
    in_beats, out_beats:
        Input and output beats per sample (``SHAPE``).
    """

    version: int
    in_w: int
    out_w: int
    ir_hash: str
    in_beats: int
    out_beats: int


def encode_identity(ident: Identity) -> bytes:
    """The 21-byte payload of an identity reply (what the bridge sends)."""
    return (MAGIC + bytes([ident.version]) + ident.in_w.to_bytes(2, "little")
            + ident.out_w.to_bytes(2, "little") + bytes.fromhex(ident.ir_hash)
            + shape_word(ident.in_beats, ident.out_beats).to_bytes(4, "little"))


def parse_identity(payload: bytes) -> Identity:
    """Decode an identity reply.

    Raises
    ------
    DataError
        Wrong length or magic: not an scnc bridge.
    """
    if len(payload) != IDENT_LEN:
        raise DataError(f"identity payload must be {IDENT_LEN} bytes, got {len(payload)}")
    if payload[:4] != MAGIC:
        raise DataError(f"identity magic must be {MAGIC!r}, got {bytes(payload[:4])!r}: not an scnc bridge")
    in_beats, out_beats = split_shape(int.from_bytes(payload[17:21], "little"))
    return Identity(
        version=payload[4],
        in_w=int.from_bytes(payload[5:7], "little"),
        out_w=int.from_bytes(payload[7:9], "little"),
        ir_hash=payload[9:17].hex(),
        in_beats=in_beats,
        out_beats=out_beats,
    )


# ---- beat packing ---------------------------------------------------------------------------------
def bytes_per_beat(width: int) -> int:
    """Bytes a ``width``-bit beat takes on the wire: ``ceil(width / 8)``."""
    if not (isinstance(width, int) and width >= 1):
        raise DataError(f"beat width must be an integer >= 1 (bits), got {width!r}")
    return (width + 7) // 8


def pack_beats(beats: list[int], width: int) -> bytes:
    """Beats of ``width`` bits -> ``ceil(width/8)`` little-endian bytes each, in order.

    Raises
    ------
    DataError
        A beat is negative or does not fit in ``width`` bits.
    """
    nb = bytes_per_beat(width)
    out = bytearray()
    for i, b in enumerate(beats):
        b = int(b)
        if b < 0 or b >> width:
            raise DataError(f"beat {i} = {b} does not fit in {width} unsigned bits")
        out += b.to_bytes(nb, "little")
    return bytes(out)


def unpack_beats(payload: bytes, width: int, count: int) -> list[int]:
    """Inverse of :func:`pack_beats` for ``count`` beats (bits above ``width`` must be 0).

    Raises
    ------
    DataError
        The payload length is not ``count * ceil(width/8)`` or a beat has bits above ``width``.
    """
    nb = bytes_per_beat(width)
    if len(payload) != count * nb:
        raise DataError(f"result payload must be {count} beats x {nb} bytes = {count * nb} bytes, got {len(payload)}")
    beats = [int.from_bytes(payload[i * nb:(i + 1) * nb], "little") for i in range(count)]
    for i, b in enumerate(beats):
        if b >> width:
            raise DataError(f"result beat {i} has bits set above its width {width}")
    return beats

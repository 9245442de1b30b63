"""The board client: identify a board, run samples on it, with bounded retries.

:class:`Board` speaks :mod:`scnc.hil.protocol` over any :class:`scnc.hil.transport.Transport`.
Every command is answered by exactly one frame. A reply that does not come within the timeout, a
reply whose CRC fails, and a NAK saying the board saw a bad CRC or a bad length (a byte corrupted on
the way) are retried, at most ``retries`` times per command; then :class:`BoardError` reports every
attempt. RUN and READ are idempotent (the core starts every sample from reset state, the bridge
keeps a sample's result until the next RUN), which is what makes retrying them safe.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, DataError, ScncError, ToolError
from ..manifest import Manifest
from .protocol import (
    IDENT_LEN,
    PROTOCOL_VERSION,
    BadFrame,
    Cmd,
    ErrorCode,
    Frame,
    FrameDecoder,
    Identity,
    Reply,
    bytes_per_beat,
    encode_frame,
    pack_beats,
    parse_identity,
    unpack_beats,
)
from .transport import Transport

__all__ = ["Board", "BoardError", "BoardMismatch", "CoreLayout", "core_layout"]


class BoardError(ToolError):
    """The board did not answer a command correctly within the allowed attempts.

    Members
    -------
    command:
        Name of the command (``"RUN"``, ``"READ"``, ...).
    attempts:
        One line per attempt saying what went wrong.
    """

    def __init__(self, command: str, attempts: list[str], message: str | None = None) -> None:
        self.command = command
        self.attempts = list(attempts)
        text = message or f"the board did not answer {command} after {len(attempts)} attempt(s)"
        super().__init__(text + ("" if not attempts else ": " + "; ".join(attempts)))


class BoardMismatch(ScncError):
    """The board's identity does not match the build (another design, IR hash or bridge version)."""


@dataclass(frozen=True)
class CoreLayout:
    """What the host needs to know about a core, read from its ``manifest.json``.

    Members
    -------
    ir_hash:
        Full IR hash of the build.
    coding:
        ``"rate"`` or ``"spikes"``.
    n_in, n_out, timesteps, count_bits:
        Inputs, output neurons, time steps ``T``, bits of one spike count.
    in_w, out_w:
        ``i_data`` / ``o_data`` payload widths (bits).
    in_beats, out_beats:
        Input beats per sample (``n_in`` rate, ``T`` spikes) and output beats (``T + 1``).
    data_offset, last_offset:
        Bit offsets of the ``data`` and ``last`` fields of an ``o_data`` beat.
    input_bits:
        Width of one intensity (rate coding), else 0.
    cycles_per_sample:
        Core latency of one sample (clock cycles).
    """

    ir_hash: str
    coding: str
    n_in: int
    n_out: int
    timesteps: int
    count_bits: int
    in_w: int
    out_w: int
    in_beats: int
    out_beats: int
    data_offset: int
    last_offset: int
    input_bits: int
    cycles_per_sample: int

    @property
    def ir_hash16(self) -> str:
        """The first 16 hex digits of the IR hash (what the bridge carries)."""
        return self.ir_hash[:16].lower()


def core_layout(manifest: Manifest) -> CoreLayout:
    """Read a :class:`CoreLayout` from a build's checked :class:`scnc.manifest.Manifest`."""
    g = manifest.graph
    od = manifest.o_data.payload
    return CoreLayout(
        ir_hash=manifest.ir_hash,
        coding=str(g.input_coding),
        n_in=g.n_inputs,
        n_out=g.n_outputs,
        timesteps=g.timesteps,
        count_bits=g.count_bits,
        in_w=manifest.i_data.payload.width,
        out_w=od.width,
        in_beats=manifest.i_data.beats_per_sample,
        out_beats=manifest.o_data.beats_per_sample,
        data_offset=od.field("data").offset,
        last_offset=od.field("last").offset,
        input_bits=g.input_bits or 0,
        cycles_per_sample=manifest.cycles.per_sample,
    )


@dataclass
class BoardStats:
    """Counters of one :class:`Board` (frames, retries and what caused them)."""

    frames_sent: int = 0
    frames_received: int = 0
    retries: int = 0
    timeouts: int = 0
    bad_crc_replies: int = 0
    naks: dict = field(default_factory=dict)
    stale_replies: int = 0


def _positive_finite(name: str, value: object, unit: str) -> float:
    """``value`` as a float if it is a real number, finite and > 0, else ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number of {unit}, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ConfigError(f"{name} must be a finite number of {unit} > 0, got {value!r}")
    return v


class Board:
    """A board running a scnc core behind ``hdl/scnc_uart_bridge.v``.

    Parameters
    ----------
    transport:
        The byte pipe (serial port, simulated board, or a test fake).
    manifest:
        The build's :class:`scnc.manifest.Manifest` (:func:`scnc.rtl.load_build`): layouts and IR hash.
    timeout_s:
        Longest wait for a reply (seconds, finite and > 0); default: the transport's
        ``default_timeout_s``. READ waits ``timeout_s`` plus the sample's compute time at ``clk_hz``.
    retries:
        Extra attempts per command after the first (>= 0).
    clk_hz:
        The board's clock (Hz, finite and > 0), to bound the wait for a running sample.

    Raises
    ------
    ConfigError
        ``retries``, ``timeout_s`` or ``clk_hz`` out of range (an infinite timeout would let a
        silent board hang the host forever).
    """

    def __init__(self, transport: Transport, manifest: Manifest, *, timeout_s: float | None = None,
                 retries: int = 3, clk_hz: float = 12_000_000) -> None:
        if not (isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0):
            raise ConfigError(f"retries must be an integer >= 0, got {retries!r}")
        if timeout_s is None:
            timeout_s = getattr(transport, "default_timeout_s", 1.0)
        self.timeout_s = _positive_finite("timeout_s", timeout_s, "seconds")
        self.clk_hz = _positive_finite("clk_hz", clk_hz, "Hz")
        self.transport = transport
        self.manifest = manifest
        self.layout = core_layout(manifest)
        self.retries = retries
        self.run_timeout_s = self.timeout_s + 2.0 * self.layout.cycles_per_sample / self.clk_hz
        self.identity: Identity | None = None
        self.stats = BoardStats()
        out_bytes = self.layout.out_beats * bytes_per_beat(self.layout.out_w)
        self._decoder = FrameDecoder(max_payload=max(out_bytes, IDENT_LEN, 2))
        self._pending: list[Frame | BadFrame] = []

    # ---- frames -----------------------------------------------------------------------------------
    def _flush(self) -> None:
        self.transport.reset_input()
        self._decoder.clear()
        self._pending.clear()

    def _next_frame(self, deadline: float) -> Frame | BadFrame | None:
        """The next frame or CRC failure from the board, ``None`` at ``deadline``."""
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self.transport.read(4096, left)
            if data:
                self._pending.extend(self._decoder.feed(data))
        frame = self._pending.pop(0)
        self.stats.frames_received += 1
        return frame

    def _transact(self, cmd: Cmd, payload: bytes, expect: Reply, *, timeout_s: float) -> Frame:
        """Send ``cmd`` until a reply ``expect`` (or a NAK the caller must handle) comes back.

        Returns the reply frame: either ``expect`` or a NAK about ``cmd`` whose code is not
        retried here (BUSY, NO_RESULT, UNKNOWN_CMD).
        """
        frame_bytes = encode_frame(int(cmd), payload)
        attempts: list[str] = []
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
                self._flush()
            self.transport.write(frame_bytes)
            self.stats.frames_sent += 1
            deadline = time.monotonic() + timeout_s
            while True:
                reply = self._next_frame(deadline)
                if reply is None:
                    self.stats.timeouts += 1
                    attempts.append(f"attempt {attempt + 1}: no reply within {timeout_s:g} s")
                    break
                if isinstance(reply, BadFrame):
                    self.stats.bad_crc_replies += 1
                    attempts.append(f"attempt {attempt + 1}: reply corrupted ({reply.reason})")
                    break
                if reply.cmd == Reply.NAK and len(reply.payload) == 2 and reply.payload[1] == int(cmd):
                    code = reply.payload[0]
                    name = ErrorCode(code).name if code in ErrorCode._value2member_map_ else f"code {code}"
                    self.stats.naks[name] = self.stats.naks.get(name, 0) + 1
                    if code in (ErrorCode.BAD_CRC, ErrorCode.BAD_LEN):
                        attempts.append(f"attempt {attempt + 1}: the board saw a corrupted frame ({name})")
                        break
                    return reply
                if reply.cmd == expect:
                    return reply
                self.stats.stale_replies += 1  # an answer to an earlier attempt: keep listening
        raise BoardError(cmd.name, attempts)

    # ---- commands ---------------------------------------------------------------------------------
    def identify(self) -> Identity:
        """Ask the board who it is and check it runs this build's core.

        Raises
        ------
        BoardMismatch
            The board's IR hash, payload widths, beats per sample or protocol version differ from
            the build's manifest.
        BoardError
            The board did not answer.
        """
        reply = self._transact(Cmd.IDENT, b"", Reply.IDENT, timeout_s=self.timeout_s)
        if reply.cmd != Reply.IDENT:
            raise BoardError("IDENT", [f"NAK {reply.payload.hex()}"], "the board refused IDENT")
        try:
            ident = parse_identity(reply.payload)
        except DataError as exc:
            raise BoardMismatch(f"the device did not identify as an scnc board: {exc}") from None
        lay = self.layout
        if ident.version != PROTOCOL_VERSION:
            raise BoardMismatch(f"the board speaks HIL protocol version {ident.version}, this host {PROTOCOL_VERSION}")
        if ident.ir_hash != lay.ir_hash16:
            raise BoardMismatch(
                f"the board runs a different network: its IR hash starts {ident.ir_hash}, the build's manifest "
                f"names {lay.ir_hash16} (flash the bitstream of this build, or point at the build the board was made from)")
        for name, got, want in (("i_data width", ident.in_w, lay.in_w), ("o_data width", ident.out_w, lay.out_w),
                                ("input beats per sample", ident.in_beats, lay.in_beats),
                                ("output beats per sample", ident.out_beats, lay.out_beats)):
            if got != want:
                raise BoardMismatch(f"the board's {name} is {got}, the build's manifest says {want}")
        self.identity = ident
        return ident

    def reset(self) -> None:
        """Reset the core and drop any result the bridge holds."""
        reply = self._transact(Cmd.RESET, b"", Reply.RESET_ACK, timeout_s=self.timeout_s)
        if reply.cmd != Reply.RESET_ACK:
            raise BoardError("RESET", [f"NAK {reply.payload.hex()}"], "the board refused RESET")

    def input_beats(self, x: np.ndarray) -> list[int]:
        """The ``i_data`` beats of one sample: intensities (rate, ``(n_in,)``) or spike vectors
        (spikes, ``(T, n_in)`` 0/1, packed LSB first).

        Raises
        ------
        DataError
            Wrong shape or values out of range.
        """
        return self.manifest.encode_i_data(np.asarray(x))

    def decode_result(self, payload: bytes) -> tuple[np.ndarray, np.ndarray]:
        """``(spikes (T, n_out) uint8, counts (n_out,) int64)`` from a RESULT payload.

        Raises
        ------
        DataError
            Wrong length, or ``last`` flags out of place (a step beat with ``last = 1`` or a final
            beat without it).
        """
        lay = self.layout
        beats = unpack_beats(payload, lay.out_w, lay.out_beats)
        dec = self.manifest.decode_o_data(beats)
        if dec.bad_last():
            lasts = [int(v) for v in dec.last[0]]
            raise DataError(f"result beats carry last flags {lasts}, expected {lay.timesteps} zeros then a one")
        return dec.spikes[0], dec.counts[0]

    def run_sample(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run one sample on the board.

        Parameters
        ----------
        x:
            Rate coding: ``(n_in,)`` integer intensities; spike coding: ``(T, n_in)`` 0/1 spikes.

        Returns
        -------
        spikes:
            uint8 ``(T, n_out)``: the output layer's spikes at every time step.
        counts:
            int64 ``(n_out,)``: the counts beat.

        Raises
        ------
        BoardError
            The board did not run the sample after the allowed retries.
        DataError
            The sample does not fit the core; the board's result is malformed.
        """
        payload = pack_beats(self.input_beats(x), self.layout.in_w)
        problems: list[str] = []
        for round_ in range(self.retries + 1):
            ack = self._transact(Cmd.RUN, payload, Reply.RUN_ACK, timeout_s=self.timeout_s)
            if ack.cmd == Reply.NAK:
                code = ack.payload[0]
                if code == ErrorCode.BUSY:
                    # a sample left running (an aborted run): start over from a reset core
                    problems.append(f"round {round_ + 1}: RUN answered BUSY, resetting the board")
                    self.reset()
                    continue
                raise BoardError("RUN", [f"NAK code {code}"], "the board refused RUN")
            res = self._transact(Cmd.READ, b"", Reply.RESULT, timeout_s=self.run_timeout_s)
            if res.cmd == Reply.RESULT:
                return self.decode_result(res.payload)
            code = res.payload[0]
            if code == ErrorCode.NO_RESULT:  # the board lost the sample (reset in between): run it again
                problems.append(f"round {round_ + 1}: READ answered NO_RESULT")
                continue
            raise BoardError("READ", [f"NAK code {code}"], "the board refused READ")
        raise BoardError("RUN", problems, "the board did not complete the sample")

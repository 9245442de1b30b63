"""Transaction-level drivers and monitors for amaranth.lib.stream ports (valid/ready/payload).

None loops per clock cycle while a stream is silent: the driver waits for a rising edge of
``ready`` when the sink is not ready, the monitor and the sink for a rising edge of ``valid``; they
step clock by clock only while beats are moving. Idle gaps of the driver and ready-low holds of the
sink are single waits of N cycles (``ClockCycles``), not per-cycle loops. Every wait for a handshake
has a time limit (:class:`HandshakeTimeout`), so a hung core ends the test instead of the CI job.

Flow control: :class:`StreamDriver` takes an optional ``idle`` callable (cycles of ``valid`` low
before each beat); :class:`StreamMonitor` only watches a sink tied ready; :class:`StreamSink` owns
``ready`` and applies back-pressure by a ``hold`` callable (cycles to keep ``ready`` high / low).

Signals are read in the ReadOnly phase (settled values) and written at the falling edge of the
clock, half a cycle away from the rising edge where the DUT samples them. Writing right after a
rising edge is a race on Icarus (the write can reach that same edge: every beat one cycle early);
on Verilator either works. A rising edge of ``ready``/``valid`` is always confirmed in ReadOnly.
"""

from __future__ import annotations

from collections.abc import Callable

from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, Event, FallingEdge, ReadOnly, RisingEdge, SimTimeoutError, with_timeout

__all__ = ["HandshakeTimeout", "StreamDriver", "StreamMonitor", "StreamSink", "TraceRecorder"]


def _high(signal) -> bool:
    """``True`` when a 1-bit signal is a resolved 1 (X/Z, e.g. before reset on Icarus, count as 0)."""
    return str(signal.value) == "1"


class HandshakeTimeout(Exception):
    """A handshake did not complete within its time limit (ns of simulated time)."""


class StreamDriver:
    """Source side of a stream: offers beats and records what the DUT accepted.

    Parameters
    ----------
    clk, valid, ready, payload:
        The DUT's clock and the stream's handles (``valid`` and ``payload`` are driven).
    timeout_ns:
        Longest wait for ``ready`` (simulated ns) before :class:`HandshakeTimeout`.
    idle:
        ``idle() -> cycles``: called before each beat; ``valid`` stays low for that many clock
        cycles (rising edges) first. ``None``: beats back to back.
    """

    def __init__(self, clk, valid, ready, payload, *, timeout_ns: int,
                 idle: Callable[[], int] | None = None) -> None:
        self.clk, self.valid, self.ready, self.payload = clk, valid, ready, payload
        self.timeout_ns = int(timeout_ns)
        self.idle = idle
        self.idle_cycles = 0  # cycles of valid low inserted by ``idle``
        self.accepted: list[tuple[int, int]] = []  # (payload, sim time ns of the accepting edge)
        self.valid.value = 0

    async def _wait_ready(self) -> None:
        await ReadOnly()
        while not _high(self.ready):
            if not self.ready.value.is_resolvable:  # X/Z: look again at the next edge
                await RisingEdge(self.clk)
                await ReadOnly()
                continue
            try:
                await with_timeout(RisingEdge(self.ready), self.timeout_ns, "ns")
            except SimTimeoutError:
                raise HandshakeTimeout(
                    f"{self.ready._name} stayed low for {self.timeout_ns} ns while a beat was offered") from None
            await ReadOnly()

    async def send(self, beats: list[int]) -> list[int]:
        """Offer ``beats`` in order (after the ``idle`` gap of each); return the accepted ones."""
        got = []
        for beat in beats:
            await FallingEdge(self.clk)
            gap = int(self.idle()) if self.idle is not None else 0
            if gap > 0:
                self.valid.value = 0
                await ClockCycles(self.clk, gap, rising=False)  # valid low at `gap` rising edges
                self.idle_cycles += gap
            self.payload.value = beat
            self.valid.value = 1
            await self._wait_ready()
            await RisingEdge(self.clk)  # valid & ready at this edge: the beat moves
            self.accepted.append((beat, int(get_sim_time("ns"))))
            got.append(beat)
        await FallingEdge(self.clk)
        self.valid.value = 0
        return got


class _BeatCollector:
    """What every sink-side recorder shares: ``beats``/``times`` and waiting for a count of beats."""

    def __init__(self) -> None:
        self.beats: list[int] = []
        self.times: list[int] = []
        self._new = Event()

    async def wait_for(self, count: int, *, timeout_ns: int, what: str) -> None:
        """Wait until ``count`` beats arrived; :class:`HandshakeTimeout` if none arrives for ``timeout_ns``."""
        while len(self.beats) < count:
            self._new.clear()
            try:
                await with_timeout(self._new.wait(), timeout_ns, "ns")
            except SimTimeoutError:
                raise HandshakeTimeout(
                    f"{what}: no beat for {timeout_ns} ns, {len(self.beats)} of {count} received") from None


class StreamMonitor(_BeatCollector):
    """Sink-side observer: records every beat that moves (``valid & ready`` at a rising edge).

    The sink's ``ready`` is tied high by the bench; the monitor only watches. ``times`` holds the
    simulated time (ns) of the edge at which each beat moved.
    """

    def __init__(self, clk, valid, ready, payload, *, period_ns: int) -> None:
        self.clk, self.valid, self.ready, self.payload = clk, valid, ready, payload
        super().__init__()
        self.period_ns = int(period_ns)

    async def run(self) -> None:
        """Collect beats forever (start with ``cocotb.start_soon``)."""
        valid, ready, payload, clk = self.valid, self.ready, self.payload, self.clk
        await ReadOnly()
        while True:
            if not _high(valid):
                await RisingEdge(valid)
                await ReadOnly()
            while _high(valid):
                if _high(ready):
                    self.beats.append(payload.value.to_unsigned())
                    # the beat moves at the coming edge
                    self.times.append(int(get_sim_time("ns")) + self.period_ns)
                    self._new.set()
                await RisingEdge(clk)
                await ReadOnly()



class StreamSink(_BeatCollector):
    """Sink side with back-pressure: drives ``ready`` by random hold times, records every beat that moves.

    ``ready`` is written at falling edges; ``valid`` and ``payload`` are read in the ReadOnly phase
    after the write, i.e. the values the next rising edge samples. While ``ready`` is high the sink
    steps cycle by cycle only while ``valid`` is high (a silent stream is one wait for a rising edge
    of ``valid``); a ready-low hold of N cycles is one wait (no beat can move during it).

    Parameters
    ----------
    clk, valid, ready, payload:
        The DUT's clock and the stream's handles (``ready`` is driven).
    period_ns:
        Clock period (ns); rising edges at ``phase_ns + k * period_ns``.
    hold:
        ``hold(level) -> cycles`` (>= 1): how long to keep ``ready`` at ``level`` (``True`` = high).
        A high hold counts the cycles the sink steps through (cycles with ``valid`` high).
    phase_ns:
        Time of any rising edge modulo ``period_ns``.

    Members
    -------
    beats, times:
        Payloads in arrival order, and the sim time (ns) of the rising edge each moved on.
    ready_low_cycles:
        Clock cycles ``ready`` was held low.
    stalls:
        Ready-low holds that ended with a beat waiting (``valid`` high): back-pressure the core felt.
    """

    def __init__(self, clk, valid, ready, payload, *, period_ns: int, hold: Callable[[bool], int],
                 phase_ns: int = 0) -> None:
        self.clk, self.valid, self.ready, self.payload = clk, valid, ready, payload
        self.period_ns, self.phase_ns = int(period_ns), int(phase_ns)
        super().__init__()
        self.hold = hold
        self.ready_low_cycles = 0
        self.stalls = 0

    def _next_rise(self) -> int:
        t, p = int(get_sim_time("ns")), self.period_ns
        return t + p - (t - self.phase_ns) % p

    def _take(self) -> None:
        self.beats.append(self.payload.value.to_unsigned())
        self.times.append(self._next_rise())
        self._new.set()

    async def run(self) -> None:
        """Drive ``ready`` and collect beats forever (start with ``cocotb.start_soon``)."""
        clk, valid, ready = self.clk, self.valid, self.ready
        await FallingEdge(clk)
        ready.value = 1
        left = max(1, int(self.hold(True)))
        after_low = False
        while True:
            # at a falling edge, ready high (written for the coming rising edge)
            await ReadOnly()
            if _high(valid):
                self.stalls += after_low
                self._take()
            else:
                await RisingEdge(valid)
                await ReadOnly()
                if not _high(clk):  # valid rose in the low half: the coming edge still sees ready high
                    self._take()
            after_low = False
            await FallingEdge(clk)
            left -= 1
            if left <= 0:
                low = max(1, int(self.hold(False)))
                ready.value = 0
                await ClockCycles(clk, low, rising=False)  # ready low at `low` rising edges, one wait
                self.ready_low_cycles += low
                ready.value = 1
                left = max(1, int(self.hold(True)))
                after_low = True



class TraceRecorder:
    """Bench side of the bulk trace path (:mod:`scnc.verify.recorder`): counters, flush, the file.

    The wrapper records every ``trace`` beat that moves; Python only waits for whole samples (one
    wake-up per sample on ``scnc_rec_samples``) and reads the file once, at the end.

    Parameters
    ----------
    clk:
        The DUT's clock.
    beats, samples, flush:
        The wrapper's ``scnc_rec_beats``, ``scnc_rec_samples`` (read) and ``scnc_rec_flush`` (driven).
    path:
        The trace file (the wrapper's ``+scnc_trace=`` plusarg).
    width:
        Trace payload width (bits).
    beats_per_sample:
        Trace beats of one sample (the manifest's).
    """

    def __init__(self, clk, beats, samples, flush, *, path, width: int, beats_per_sample: int) -> None:
        self.clk, self.beats, self.samples, self.flush = clk, beats, samples, flush
        self.path, self.width, self.beats_per_sample = path, int(width), int(beats_per_sample)

    @staticmethod
    def _count(signal) -> int:
        v = signal.value
        return v.to_unsigned() if v.is_resolvable else 0

    @property
    def beats_recorded(self) -> int:
        return self._count(self.beats)

    async def wait_samples(self, count: int, *, timeout_ns: int, what: str) -> None:
        """Wait until ``count`` samples of trace beats were recorded; :class:`HandshakeTimeout` when no
        further sample completes within ``timeout_ns``."""
        while self._count(self.samples) < count:
            try:
                await with_timeout(self.samples.value_change, timeout_ns, "ns")
            except SimTimeoutError:
                raise HandshakeTimeout(
                    f"{what}: no complete sample for {timeout_ns} ns, {self.beats_recorded} of "
                    f"{count * self.beats_per_sample} beats recorded") from None

    async def collect(self):
        """Flush the file (one rising edge with ``flush`` high) and read it: ``(beats, problems)``."""
        from scnc.verify.recorder import read_trace_file

        await FallingEdge(self.clk)
        self.flush.value = 1
        await RisingEdge(self.clk)
        await FallingEdge(self.clk)
        self.flush.value = 0
        return read_trace_file(self.path, self.width)

"""Transaction-level drivers and monitors for amaranth.lib.stream ports (valid/ready/payload).

Neither loops per clock cycle while a stream is silent: the driver waits for a rising edge of
``ready`` when the sink is not ready, the monitor for a rising edge of ``valid``; both then step
clock by clock only while beats are moving. Every wait for a handshake has a time limit
(:class:`HandshakeTimeout`), so a hung core ends the test instead of the CI job.

Signals are read in the ReadOnly phase (settled values) and written at the falling edge of the
clock, half a cycle away from the rising edge where the DUT samples them. Writing right after a
rising edge is a race on Icarus (the write can reach that same edge: every beat one cycle early);
on Verilator either works. A rising edge of ``ready``/``valid`` is always confirmed in ReadOnly.
"""

from __future__ import annotations

from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, FallingEdge, ReadOnly, RisingEdge, SimTimeoutError, with_timeout

__all__ = ["HandshakeTimeout", "StreamDriver", "StreamMonitor"]


def _high(signal) -> bool:
    """``True`` when a 1-bit signal is a resolved 1 (X/Z, e.g. before reset on Icarus, count as 0)."""
    return str(signal.value) == "1"


class HandshakeTimeout(Exception):
    """A handshake did not complete within its time limit (ns of simulated time)."""


class StreamDriver:
    """Source side of a stream: offers beats back to back and records what the DUT accepted.

    Parameters
    ----------
    clk, valid, ready, payload:
        The DUT's clock and the stream's handles (``valid`` and ``payload`` are driven).
    timeout_ns:
        Longest wait for ``ready`` (simulated ns) before :class:`HandshakeTimeout`.
    """

    def __init__(self, clk, valid, ready, payload, *, timeout_ns: int) -> None:
        self.clk, self.valid, self.ready, self.payload = clk, valid, ready, payload
        self.timeout_ns = int(timeout_ns)
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
        """Offer ``beats`` in order, one per cycle while ``ready`` is high; return the accepted ones."""
        got = []
        for beat in beats:
            await FallingEdge(self.clk)
            self.payload.value = beat
            self.valid.value = 1
            await self._wait_ready()
            await RisingEdge(self.clk)  # valid & ready at this edge: the beat moves
            self.accepted.append((beat, int(get_sim_time("ns"))))
            got.append(beat)
        await FallingEdge(self.clk)
        self.valid.value = 0
        return got


class StreamMonitor:
    """Sink-side observer: records every beat that moves (``valid & ready`` at a rising edge).

    The sink's ``ready`` is tied high by the bench; the monitor only watches. ``times`` holds the
    simulated time (ns) of the edge at which each beat moved.
    """

    def __init__(self, clk, valid, ready, payload, *, period_ns: int) -> None:
        self.clk, self.valid, self.ready, self.payload = clk, valid, ready, payload
        self.period_ns = int(period_ns)
        self.beats: list[int] = []
        self.times: list[int] = []
        self._new = Event()

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

    async def wait_for(self, count: int, *, timeout_ns: int, what: str) -> None:
        """Wait until ``count`` beats arrived; :class:`HandshakeTimeout` if none arrives for ``timeout_ns``."""
        while len(self.beats) < count:
            self._new.clear()
            try:
                await with_timeout(self._new.wait(), timeout_ns, "ns")
            except SimTimeoutError:
                raise HandshakeTimeout(
                    f"{what}: no beat for {timeout_ns} ns, {len(self.beats)} of {count} received") from None

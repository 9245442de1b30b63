"""Run a generated core in Amaranth's simulator, transaction by transaction.

:func:`simulate` builds :class:`~scnc.rtl.network.NetworkCore` for a graph, feeds it samples through
``i_data`` and collects every output beat and trace beat, optionally under random back-pressure.
It is the gateware's own bit-accurate ``predict()``: slow (Python, cycle by cycle), meant for small
graphs and for tests; the cocotb/Verilator benches run the emitted Verilog. It returns a
:class:`scnc.trace.Trace`, the type :func:`scnc.ref.run` returns, so the two compare with ``==`` or
:func:`scnc.trace.first_divergence`.
"""

from __future__ import annotations

import numpy as np
from amaranth.sim import Simulator

from ..errors import DataError
from ..kinds import InputCoding
from ..trace import Trace, label_winners, winners_of
from .network import NetworkCore, output_layout, trace_layout

__all__ = ["SimResult", "simulate", "decode_field"]


#: The former name of :func:`simulate`'s result, kept for callers that import it.
SimResult = Trace


def decode_field(layout, word: int, name: str) -> int:
    """Field ``name`` of a packed beat ``word`` of StructLayout ``layout`` (signed fields sign-extended)."""
    f = layout[name]
    shape = f.shape
    w = shape.width
    v = (word >> f.offset) & ((1 << w) - 1)
    if shape.signed and v >> (w - 1):
        v -= 1 << w
    return v


def simulate(
    graph,
    *,
    intensities: np.ndarray | None = None,
    spikes: np.ndarray | None = None,
    trace: bool = True,
    ready_probability: float = 1.0,
    seed: int = 0,
    max_cycles: int = 10_000_000,
) -> Trace:
    """Simulate the core of ``graph`` on a batch of samples.

    Parameters
    ----------
    graph:
        Quantized graph.
    intensities:
        int ``(batch, n_in)`` (rate coding).
    spikes:
        0/1 ``(batch, T, n_in)`` (spike coding).
    trace:
        Build with the trace stream and collect it.
    ready_probability:
        Probability that the output and trace sinks are ready in a cycle (1.0: never stall), and
        that the input source offers a beat.
    seed:
        Seed of the back-pressure pattern.
    max_cycles:
        Give up (DataError) after this many cycles.

    Returns
    -------
    Trace
        ``spikes``, ``membranes`` and ``saturations`` (trace beats flagged ``saturated``) from the
        trace stream (``None`` per layer without trace), ``output_spikes`` and ``counts`` from the
        ``o_data`` beats, ``cycles`` from the first accepted input beat to the accepted counts beat
        inclusive; ``input_spikes`` is ``None`` (generated inside the core, not observed).

    Raises
    ------
    DataError
        Bad inputs; the core did not finish within ``max_cycles``; a stream broke its protocol
        (beats missing, a ``last`` flag out of place, trace beats out of (step, layer, neuron) order).
    """
    coding = graph.input.quant.coding
    T = graph.timesteps
    n_in = graph.input.size
    if coding is InputCoding.RATE:
        if intensities is None or spikes is not None:
            raise DataError("rate coding needs intensities= (and no spikes=)")
        x = np.asarray(intensities, dtype=np.int64)
        if x.ndim != 2 or x.shape[1] != n_in:
            raise DataError(f"intensities must have shape (batch, {n_in}), got {x.shape}")
        if x.min(initial=0) < 0 or x.max(initial=0) >= 1 << graph.input.quant.input_bits:
            raise DataError(f"intensities must be in 0..{(1 << graph.input.quant.input_bits) - 1}")
        beats = [[int(v) for v in row] for row in x]
    else:
        if spikes is None or intensities is not None:
            raise DataError("spike coding needs spikes= (and no intensities=)")
        s = np.asarray(spikes)
        if s.ndim != 3 or s.shape[1:] != (T, n_in):
            raise DataError(f"spikes must have shape (batch, {T}, {n_in}), got {s.shape}")
        beats = [[int(sum(int(b) << j for j, b in enumerate(step))) for step in sample] for sample in s]
    batch = len(beats)
    dut = NetworkCore(graph, trace=trace)
    olay = output_layout(graph)
    tlay = trace_layout(graph) if trace else None
    layers = graph.layers
    n_out = layers[-1].n_out
    cb = graph.output.count_bits
    rng = np.random.default_rng(seed)
    p = float(ready_probability)

    out_beats: list = []
    trace_beats: list = []
    starts: list = []
    dones: list = []
    cycle = [0]

    async def drive(ctx):
        for sample in beats:
            for v in sample:
                while p < 1.0 and rng.random() >= p:
                    ctx.set(dut.i_data.valid, 0)
                    await ctx.tick()
                ctx.set(dut.i_data.payload, v)
                ctx.set(dut.i_data.valid, 1)
                await ctx.tick().until(dut.i_data.ready)
            ctx.set(dut.i_data.valid, 0)
        while len(dones) < batch:
            await ctx.tick()
            if cycle[0] > max_cycles:
                raise DataError(f"simulation did not finish within {max_cycles} cycles")

    def sink(stream, beats: list):
        """A testbench that offers ``ready`` with probability ``p`` and records the beats that move."""

        async def monitor(ctx):
            while True:
                r = 1 if p >= 1.0 or rng.random() < p else 0
                ctx.set(stream.ready, r)
                _, _, valid, payload = await ctx.tick().sample(stream.valid, stream.payload.as_value())
                if valid and r:
                    beats.append(int(payload))

        return monitor

    async def status(ctx):
        async for _, _, st, dn in ctx.tick().sample(dut.start, dut.done):
            cycle[0] += 1
            if st:
                starts.append(cycle[0])
            if dn:
                dones.append(cycle[0])

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(drive)
    sim.add_testbench(sink(dut.o_data, out_beats), background=True)
    sim.add_testbench(status, background=True)
    if trace:
        sim.add_testbench(sink(dut.trace, trace_beats), background=True)
    sim.run()

    # ---- decode -----------------------------------------------------------------------------
    per_sample = T + 1
    if len(out_beats) != batch * per_sample:
        raise DataError(f"expected {batch * per_sample} output beats, got {len(out_beats)}")
    out_spk = np.zeros((batch, T, n_out), np.uint8)
    counts = np.zeros((batch, n_out), np.int64)
    for bi in range(batch):
        for t in range(T):
            word = out_beats[bi * per_sample + t]
            if decode_field(olay, word, "last") != 0:
                raise DataError(f"sample {bi} step {t}: unexpected counts beat")
            d = decode_field(olay, word, "data")
            out_spk[bi, t] = [(d >> i) & 1 for i in range(n_out)]
        word = out_beats[bi * per_sample + T]
        if decode_field(olay, word, "last") != 1:
            raise DataError(f"sample {bi}: missing counts beat")
        d = decode_field(olay, word, "data")
        counts[bi] = [(d >> (i * cb)) & ((1 << cb) - 1) for i in range(n_out)]

    L = len(layers)
    spk: tuple = (None,) * L
    mem = None
    sat: tuple = (None,) * L
    if trace:
        spk = tuple(np.zeros((batch, T, ly.n_out), np.uint8) for ly in layers)
        mem = tuple(np.zeros((batch, T, ly.n_out), np.int64) for ly in layers)
        sat = tuple(np.zeros(batch, np.int64) for _ in layers)
        per = T * sum(ly.n_out for ly in layers)
        if len(trace_beats) != batch * per:
            raise DataError(f"expected {batch * per} trace beats, got {len(trace_beats)}")
        # the hardware's order: step-major, then layer, then neuron; a beat out of it is a protocol error
        order = [(t, li, i) for t in range(T) for li, ly in enumerate(layers) for i in range(ly.n_out)]
        for bi in range(batch):
            for k, word in enumerate(trace_beats[bi * per : (bi + 1) * per]):
                li = decode_field(tlay, word, "layer")
                ni = decode_field(tlay, word, "neuron")
                t = decode_field(tlay, word, "step")
                if (t, li, ni) != order[k]:
                    raise DataError(f"sample {bi} trace beat {k}: (step, layer, neuron) = {(t, li, ni)}, "
                                    f"expected {order[k]}")
                spk[li][bi, t, ni] = decode_field(tlay, word, "spike")
                mem[li][bi, t, ni] = decode_field(tlay, word, "membrane")
                sat[li][bi] += decode_field(tlay, word, "saturated")
    cycles = np.array([d - s + 1 for s, d in zip(starts, dones)], np.int64)
    winners = winners_of(counts)
    return Trace(layer_names=tuple(ly.name for ly in layers), input_spikes=None, spikes=spk, membranes=mem,
                 saturations=sat, counts=counts, winners=winners,
                 predictions=label_winners(winners, graph.output.class_labels), cycles=cycles,
                 output_spikes=out_spk)

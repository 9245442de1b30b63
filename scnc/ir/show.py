"""``summary``: a readable table of a graph (what ``scnc ir show`` prints)."""

from __future__ import annotations

from functools import singledispatch

from ..kinds import Encoding, Engine, InputCoding
from .graph import DelayDenseNode, Graph, SCLeak, ShiftLeak
from .schedule import overlaps_input_stage, sample_cycles, step_cycles

__all__ = ["summary"]


def _latest(graph: Graph, name: str) -> dict:
    for rec in reversed(graph.passes):
        if rec.get("pass") == name:
            return rec
    return {}


def _rng(a) -> str:
    lo, hi = int(a.min()), int(a.max())
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return [fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


@singledispatch
def _leak_text(leak, L: int) -> str:
    raise TypeError(f"no summary for leak {type(leak).__name__}")


@_leak_text.register
def _(leak: SCLeak, L: int) -> str:
    return f"sc beta_q {_rng(leak.beta_q)}/{L}"


@_leak_text.register
def _(leak: ShiftLeak, L: int) -> str:
    return f"shift k {_rng(leak.shift)}"


def _leak_streams(leak) -> int:
    """SNGs a leak uses (beta and dither for an SC leak)."""
    if isinstance(leak, SCLeak):
        return (leak.beta_sng is not None) + (leak.dither_sng is not None)
    return 0


@singledispatch
def _synapse_lines(syn) -> list[str]:
    """Lines a synapse kind adds below the layer table (dispatch on the node type); none for dense."""
    return []


@_synapse_lines.register
def _(syn: DelayDenseNode) -> list[str]:
    d = syn.delays
    used = int((d > 0).sum())
    text = f"delays '{syn.name}': {_rng(d) if d.size else '-'} steps, {used}/{d.size} synapses delayed"
    if syn.line is not None:
        D = syn.line.max_delay
        text += (f"; delay line depth D={D} (history {syn.n_in}x{D} = {syn.n_in * D} bits, "
                 f"{syn.line.delay_bits}-bit delay beside each weight)")
    return [text]


def _delay_lines(graph: Graph) -> list[str]:
    return [line for l in graph.layers for line in _synapse_lines(l.synapse)]


def summary(graph: Graph) -> str:
    """A multi-line, human-readable summary of ``graph``.

    Float level: layers, shapes, beta / threshold ranges. Quantized level, in addition: stream length,
    encoding, SNG kinds and seed; per layer weight bits, leak, threshold range, current / membrane
    widths, parallelism, streams (kind, count, measured max / mean |SCC|) and the exact cycles per time
    step and per sample of the generated core (:mod:`scnc.ir.schedule`, the figures the manifest states).
    """
    from .serialize import ir_hash

    lines = [f"scnc IR  level={graph.level}  timesteps T={graph.timesteps}  hash={ir_hash(graph)[:16]}"]
    prov = graph.provenance
    if prov.get("checkpoint_hash"):
        lines.append(f"from checkpoint {str(prov['checkpoint_hash'])[:16]}")
    inp, out = graph.input, graph.output
    hw = graph.hardware
    if graph.level != "quantized" or hw is None:
        lines.append(f"input '{inp.name}': {inp.size} features, encoder {inp.encoder.get('kind', '?')}")
        rows = [
            [l.name, f"{l.n_in}x{l.n_out}", f"{float(l.neuron.beta.min()):.4g}..{float(l.neuron.beta.max()):.4g}",
             f"{float(l.neuron.threshold.min()):.4g}..{float(l.neuron.threshold.max()):.4g}", l.neuron.reset]
            for l in graph.layers
        ]
        lines += _table(["layer", "shape", "beta", "threshold", "reset"], rows)
        lines += _delay_lines(graph)
        lines.append(f"output '{out.name}': {len(out.class_labels)} classes")
        return "\n".join(lines) + "\n"

    alloc = _latest(graph, "allocate_streams")
    lines.append(
        f"hardware: encoding={hw.encoding}  stream length L={hw.stream_length} (n={hw.stream_bits} bits)  "
        f"sng={hw.sng}  input_sng={hw.input_sng}  seed={hw.seed}  engine={hw.engine}"
    )
    qi = inp.quant
    if qi.coding is InputCoding.RATE:
        scc = alloc.get("input", {}).get("scc", {})
        scc_s = f", |SCC| max {scc['max_abs_scc']:.3f} mean {scc['mean_abs_scc']:.3f}" if scc else ""
        lines.append(
            f"input '{inp.name}': {inp.size} features, rate coding, {qi.input_bits}-bit intensities, "
            f"{len(qi.sngs)} {hw.input_sng} SNGs (step-rate){scc_s}"
        )
    else:
        lines.append(f"input '{inp.name}': {inp.size} features, spike vectors every step")
    steps = step_cycles(graph)
    cycles = dict(zip((l.name for l in graph.layers), steps["layers"]))
    rows = []
    for l in graph.layers:
        q, nq = l.synapse.quant, l.neuron.quant
        leak = _leak_text(nq.leak, hw.stream_length)
        n_streams = len(q.synapse_sngs) + _leak_streams(nq.leak)
        scc = alloc.get("layers", {}).get(l.name, {}).get("cycle_rate_scc", {})
        scc_s = f"{scc['max_abs_scc']:.2f}/{scc['mean_abs_scc']:.2f}" if scc else "-"
        rows.append([
            l.name, f"{l.n_in}x{l.n_out}", q.weight_bits, leak, _rng(nq.threshold_q), _rng(nq.bias_q), nq.reset,
            q.current_bits, nq.membrane_bits, "yes" if nq.overflow_free else "sat",
            f"{q.parallel_inputs}/{q.parallel_neurons}", f"{n_streams} {hw.sng}", scc_s, cycles[l.name],
        ])
    lines += _table(
        ["layer", "shape", "w bits", "leak", "threshold_q", "bias_q", "reset", "I bits", "v bits",
         "no-ovf", "P_i/P_n", "streams", "|SCC| max/mean", "cycles/step"],
        rows,
    )
    lines += _delay_lines(graph)
    labels = out.class_labels
    lines.append(f"output '{out.name}': {len(labels)} classes, spike counters of {out.count_bits} bits")
    window = "L" if hw.encoding is Encoding.SC else "1"
    sample = sample_cycles(graph)
    if hw.engine is Engine.EVENT:
        lines.append(
            f"cycles (event engine, at most): {steps['total']} per time step (input {steps['input']} + layers "
            f"{' + '.join(map(str, steps['layers']))} + output {steps['output']}; a layer takes "
            f"1 + ceil(n_out/P_n) * (s + 1) + 3 for s row tokens (the most spiking inputs of one of its P_i "
            f"banks), 1 + ceil(n_out/P_n) * (s + 3) + n_out in a trace build; the bound is s = ceil(n_in/P_i)), "
            f"{sample['total']} per sample ({sample['load']} to load + T={graph.timesteps} steps + 1 counts beat"
            + ("; the encoder works a step ahead, hidden behind the layers" if overlaps_input_stage(graph) else "")
            + "; no stalls); the exact count per sample is scnc.ref.cycles"
        )
        return "\n".join(lines) + "\n"
    lines.append(
        f"cycles: {steps['total']} per time step (input {steps['input']} + layers "
        f"{' + '.join(map(str, steps['layers']))} + output {steps['output']}; a layer takes "
        f"{window} * ceil(n_in/P_i) * ceil(n_out/P_n) + 2 * n_out), {sample['total']} per sample "
        f"({sample['load']} to load + T={graph.timesteps} steps + 1 counts beat; no stalls)"
    )
    return "\n".join(lines) + "\n"

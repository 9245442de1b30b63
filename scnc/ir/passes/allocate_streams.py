"""``allocate_streams``: give every stream of the hardware its own SNG, derived from one seed.

Guarantee: for each layer ``l`` (0-based, in order) with ``P_i = min(parallel_inputs, n_in)`` and
``P_n = min(parallel_neurons, n_out)`` -- or layer ``l``'s entry of ``layer_parallel`` when given
(:meth:`~scnc.ir.QuantOptions.layer_pair`) -- (clamped; the report lists clamped layers):

* ``synapse_sngs``: ``P_i`` cycle-rate SNGs of kind ``options.sng``, ``n = log2 L`` bits;
* ``SCLeak.beta_sng`` (an SC leak): one more cycle-rate SNG, allocated together with the synapse
  streams so that it differs from all of them;
* ``SCLeak.dither_sng`` (an SC leak): one step-rate SNG of kind ``options.sng``, ``n`` bits. It is
  kept in the ``"fixed"`` encoding too (unused there: the fixed leak rounds with the leak's
  ``rounding`` constant), so the ``sc`` and ``fixed`` graphs differ only in ``HardwareParams.encoding``;
* the input (``input_coding == "rate"``): one step-rate SNG per input, ``input_bits`` wide, kind
  ``options.input_sng``; ``"spikes"`` has none.

Streams are decorrelated by construction (``scnc.sc.streams``): LFSRs get different feedback
polynomials and per-stream bit selections (width ``max(16, n + 4)`` bits, at most 32), Sobol streams
distinct dimensions and XOR masks, VDC streams distinct XOR masks (while ``2^bits`` allows; beyond
that masks repeat cyclically). VDC streams stay correlated with each other whatever the masks
(``scnc.sc.streams.vdc_streams``); that costs nothing where counts are exact (every VDC window holds
each value once), and the measured SCC says so. Each group's allocation seed is
``sha256("scnc-ir:<seed>:<group>")`` truncated to 63 bits, with ``group`` = ``layer<l>`` or
``dither<l>`` or ``input``: same seed, same streams, everywhere. The measured max / mean ``|SCC|``
of every group (comparator threshold ``2^(bits-1)``, over the first window: ``L`` cycles for
cycle-rate groups, ``T`` steps for the input group) is recorded in the pass report.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from ...kinds import InputCoding
from ..graph import Graph, QuantInput, SCLeak
from ..options import QuantOptions
from ._common import require_quant

__all__ = ["allocate_streams", "group_seed", "make_streams", "LFSR_MIN_WIDTH"]

#: Narrowest LFSR register the allocation uses (bits); wider than the output so windows vary.
LFSR_MIN_WIDTH = 16


def group_seed(seed: int, group: str) -> int:
    """The allocation seed of one stream group: sha256 of ``"scnc-ir:<seed>:<group>"``, 63 bits."""
    digest = hashlib.sha256(f"scnc-ir:{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _distinct_vdc(n_streams: int, bits: int, seed: int) -> list:
    """VDC streams with pairwise distinct XOR masks while ``2^bits`` allows (then masks repeat, cyclically).

    The masks are those of ``scnc.sc.streams.vdc_streams(m, bits, seed)`` in order, duplicates skipped.
    """
    from ...sc.streams import vdc_streams

    want = min(n_streams, 1 << bits)
    m = n_streams
    while True:
        uniq: list = []
        seen: set[int] = set()
        for spec in vdc_streams(m, bits, seed):
            if spec.xor_mask not in seen:
                seen.add(spec.xor_mask)
                uniq.append(spec)
                if len(uniq) == want:
                    return [uniq[i % want] for i in range(n_streams)]
        if m >= 64 * (1 << bits) + n_streams:  # derived masks cover every value long before this
            return [uniq[i % len(uniq)] for i in range(n_streams)]
        m *= 2


def make_streams(kind: str, n_streams: int, bits: int, seed: int) -> list:
    """``n_streams`` decorrelated SNG specs of ``kind`` (``"vdc"``, ``"sobol"``, ``"lfsr"``), ``bits`` wide."""
    from ...sc.streams import lfsr_streams, sobol_streams

    if kind == "vdc":
        return _distinct_vdc(n_streams, bits, seed)
    if kind == "sobol":
        return sobol_streams(n_streams, bits, seed)
    width = min(32, max(LFSR_MIN_WIDTH, bits + 4))
    return lfsr_streams(n_streams, width, bits, seed)


def _scc(specs: list, length: int) -> dict[str, Any]:
    from ...sc.streams import measure_scc

    r = measure_scc(specs, length)
    return {"n_streams": r["n_streams"], "max_abs_scc": r["max_abs_scc"], "mean_abs_scc": r["mean_abs_scc"]}


def allocate_streams(graph: Graph, options: QuantOptions | None = None) -> Graph:
    """Allocate every SNG of the graph (see the module docstring).

    Parameters
    ----------
    graph:
        A graph on which ``quantize_weights`` (and ``quantize_neurons``) ran.
    options:
        ``input_coding``, ``input_bits``, ``parallel_inputs``, ``parallel_neurons`` and ``layer_parallel``; the SNG kinds
        and the seed are read from the graph's hardware params (set by ``quantize_weights``).
    """
    opts = options or QuantOptions()
    require_quant(graph, "allocate_streams")
    hw = graph.hardware
    L, n, T = hw.stream_length, hw.stream_bits, graph.timesteps
    seed = hw.seed
    report: dict = {"seed": seed, "sng": hw.sng, "input_sng": hw.input_sng, "layers": {}, "clamped": []}
    g = graph
    for idx, layer in enumerate(graph.layers):
        q, neurons = layer.synapse.quant, layer.neuron.quant
        want_i, want_n = opts.layer_pair(idx)
        P_i = min(want_i, layer.n_in)
        P_n = min(want_n, layer.n_out)
        if (P_i, P_n) != (want_i, want_n):
            report["clamped"].append(layer.name)
        sc_leak = isinstance(neurons.leak, SCLeak)
        specs = make_streams(hw.sng, P_i + (1 if sc_leak else 0), n, group_seed(seed, f"layer{idx}"))
        leak = neurons.leak
        if sc_leak:
            dither_sng = make_streams(hw.sng, 1, n, group_seed(seed, f"dither{idx}"))[0]
            leak = replace(leak, beta_sng=specs[P_i], dither_sng=dither_sng)
        g = g.replace_layer(
            layer,
            synapse=replace(layer.synapse, quant=replace(q, parallel_inputs=P_i, parallel_neurons=P_n,
                                                          synapse_sngs=tuple(specs[:P_i]))),
            neuron=replace(layer.neuron, quant=replace(neurons, leak=leak)),
        )
        report["layers"][layer.name] = {
            "parallel_inputs": P_i,
            "parallel_neurons": P_n,
            "cycle_rate_scc": _scc(specs, L),
        }
    inp = graph.input
    if InputCoding(opts.input_coding) is InputCoding.RATE:
        sngs = tuple(make_streams(hw.input_sng, inp.size, opts.input_bits, group_seed(seed, "input")))
        qi = QuantInput(coding="rate", input_bits=opts.input_bits, sngs=sngs)
        report["input"] = {"coding": "rate", "input_bits": opts.input_bits, "scc": _scc(list(sngs), T)}
    else:
        qi = QuantInput(coding="spikes", input_bits=0, sngs=())
        report["input"] = {"coding": "spikes"}
    g = g.replace_node(inp.name, replace(inp, quant=qi))
    return g.with_pass("allocate_streams", report)

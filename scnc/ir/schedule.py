"""The schedule of a quantized graph: the one cycle model (``scnc ir show``, the RTL manifest, benches).

The IR decides how the hardware is scheduled (parallelism per layer, stream length, encoding), so
the exact cycle counts are a property of the quantized graph: the gateware implements them
(``scnc.rtl`` builds its state machines from :func:`layer_plan`), the manifest states them,
``scnc ir show`` prints them, and ``tests/test_rtl_network.py`` measures them in simulation.

A layer with ``n_in`` inputs and ``n_out`` neurons is cut into ``G = ceil(n_in / P_i)`` input groups
and ``H = ceil(n_out / P_n)`` neuron groups; block ``(h, g)`` is one window of ``L`` cycles
(encoding ``"sc"``) or one cycle (``"fixed"``). The formulas below are the exact cycle counts of
the generated state machines with every output stream ready (no stall); ``tests/test_rtl_network.py``
measures them in simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import IRError
from ..kinds import Encoding, InputCoding

__all__ = ["LayerPlan", "layer_plan", "input_cycles_per_step", "step_cycles", "sample_cycles", "cdiv"]


def cdiv(a: int, b: int) -> int:
    """Ceiling division of non-negative integers."""
    return -(-a // b)


@dataclass(frozen=True)
class LayerPlan:
    """How one dense LIF layer is scheduled.

    Members
    -------
    n_in, n_out:
        Layer size.
    p_in, p_out:
        Parallel inputs (P_i, also the number of synapse streams) and parallel neurons (P_n).
    groups_in, groups_out:
        G and H.
    window:
        Cycles per block: L (``"sc"``) or 1 (``"fixed"``).
    """

    n_in: int
    n_out: int
    p_in: int
    p_out: int
    groups_in: int
    groups_out: int
    window: int

    @property
    def blocks(self) -> int:
        """Weight blocks per time step (H * G)."""
        return self.groups_in * self.groups_out

    @property
    def cycles_per_step(self) -> int:
        """Cycles of one time step after the ``go`` cycle, up to and including ``done`` (no stall).

        ``blocks * window`` (accumulate) + ``2 * n_out`` (per neuron: read membrane and constants,
        then update/write/trace). The ``go`` cycle itself is the previous stage's ``done`` cycle
        (stages are chained combinationally), so per-stage counts add up to the step total.
        """
        return self.blocks * self.window + 2 * self.n_out


def layer_plan(layer, hw) -> LayerPlan:
    """The :class:`LayerPlan` of a quantized layer (:class:`~scnc.ir.graph.Layer`) under ``hw``.

    The engine's schedule is set by the synapse node (its parallelism); the layer must be quantized
    (the graph validated: :func:`scnc.ir.check_graph`).
    """
    q = layer.synapse.quant
    if q is None:
        raise IRError(layer.synapse.name, "quant", "layer is not quantized")
    p_in, p_out = int(q.parallel_inputs), int(q.parallel_neurons)
    node = layer
    window = hw.stream_length if hw.encoding is Encoding.SC else 1
    return LayerPlan(
        n_in=node.n_in,
        n_out=node.n_out,
        p_in=p_in,
        p_out=p_out,
        groups_in=cdiv(node.n_in, p_in),
        groups_out=cdiv(node.n_out, p_out),
        window=window,
    )


def input_cycles_per_step(graph) -> int:
    """Cycles the input stage takes per time step, not counting waiting for input beats.

    ``"rate"``: n_in + 2 (one cycle to start the encoder, then one input per cycle through a
    one-deep pipeline; its last cycle starts the first layer).
    ``"spikes"``: 2 (the cycle that accepts the step's spike beat, then the cycle that starts the
    first layer).
    """
    q = graph.input.quant
    if q.coding is InputCoding.RATE:
        return graph.input.size + 2
    return 2


def step_cycles(graph) -> dict:
    """Cycles per time step: per layer, the input stage, the output beat, and the total (no stall)."""
    plans = [layer_plan(n, graph.hardware) for n in graph.layers]
    per_layer = [p.cycles_per_step for p in plans]
    inp = input_cycles_per_step(graph)
    out = 1
    return {
        "input": inp,
        "layers": per_layer,
        "output": out,
        "total": inp + sum(per_layer) + out,
    }


def sample_cycles(graph) -> dict:
    """Cycles per sample (no stall, input beats offered every cycle).

    ``"rate"``: n_in cycles to accept the intensities, then T steps, then the counts beat.
    ``"spikes"``: T steps (each accepts its spike beat), then the counts beat.
    Latency is counted from the first accepted input beat to the accepted counts beat, inclusive.
    """
    sc = step_cycles(graph)
    load = graph.input.size if graph.input.quant.coding is InputCoding.RATE else 0
    total = load + graph.timesteps * sc["total"] + 1
    return {"load": load, "per_step": sc["total"], "timesteps": graph.timesteps, "counts_beat": 1, "total": total}

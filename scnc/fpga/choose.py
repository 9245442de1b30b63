"""``--engine auto`` / ``--parallel auto``: the engine and parallelism with the lowest latency that fits.

Every candidate (engine x parallelism) is the same quantized graph with those two hardware choices changed
(:func:`scnc.fpga.capacity.requantize`); the capacity model (:func:`scnc.fpga.capacity.estimate`) says
whether it fits the target -- with the logic-cell model's error as margin, so a choice that "fits" by
the model's optimism is not taken -- and the cycle model (:mod:`scnc.ir.schedule`) gives its latency:
the dense engine's cycles are exact for every sample; the event engine's are the mean of
:func:`scnc.ref.cycles` over calibration samples when given (the spikes do not depend on the
parallelism, so one reference run serves every ``P_i x P_n``: only how they fall into the input banks
does), else its bound with every input spiking.
Candidates are ranked by cycles per sample: the measured Fmax of the cores varies little within an
engine (UP5K: dense 17-20 MHz, pipelined event 27.7-32.1 MHz, docs/rtl.md), and the engine with the
higher Fmax is also the one with fewer cycles on these workloads, so fewer cycles is lower latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, IRError, ScncError
from ..kinds import Engine
from .capacity import LC_ERROR, CapacityEstimate, estimate, requantize

__all__ = ["HardwareTrial", "HardwareChoice", "DENSE_PARALLEL", "EVENT_PARALLEL", "choose_hardware",
           "format_hardware_choice", "parallel_changes", "layer_pairs"]

#: (P_i, P_n) the dense engine is tried with.
DENSE_PARALLEL: tuple[tuple[int, int], ...] = ((8, 2), (8, 4), (16, 4), (8, 8), (16, 8), (32, 8), (16, 16))
#: (P_i, P_n) the event engine is tried with: P_i input banks (rows read per cycle), P_n neurons per row; a
#: tuple of pairs is per layer (the last pair for every later layer). The per-layer candidates bank only
#: the first layer and give the later ones one bank and up to 16 neurons per row: on W-digits the first
#: layer takes ~90 % of the cycles (64 rate-coded inputs, 16 neuron groups), while banking the 10-neuron
#: output layer costs as many adder inputs as banking the first (docs/rtl.md, "Input banks").
EVENT_PARALLEL: tuple = ((1, 2), (1, 4), (1, 8), (1, 16), (1, 32), (2, 4), (2, 8), (2, 16), (4, 4), (4, 8), (4, 16),
                         (8, 4), (8, 8), ((2, 8), (1, 16)), ((4, 4), (1, 16)), ((4, 8), (1, 16)), ((8, 8), (1, 16)))


@dataclass(frozen=True)
class HardwareTrial:
    """One candidate: engine, ``P_i x P_n``, cycles per sample (``mean`` over the calibration samples, or the
    exact / bound figure) and its capacity estimate; ``fits`` includes the logic-cell margin."""

    engine: Engine
    parallel_inputs: int
    parallel_neurons: int
    cycles: float
    cycles_kind: str
    estimate: CapacityEstimate
    fits: bool
    parallel: str = ""

    @property
    def label(self) -> str:
        """``PIxPN`` as asked for (per layer ``PIxPN,PIxPN``), as ``--parallel`` takes it."""
        return self.parallel or f"{self.parallel_inputs}x{self.parallel_neurons}"


def parallel_changes(cand) -> dict:
    """The :class:`~scnc.ir.QuantOptions` changes of a candidate: ``(P_i, P_n)`` (either may be ``None``:
    kept), or per-layer pairs (``layer_parallel``; the first pair is also ``parallel_inputs`` x
    ``parallel_neurons``). A single pair clears any per-layer pairs the graph was quantized with."""
    if cand and not isinstance(cand[0], (tuple, list)):
        p_i, p_n = cand
        changes = {k: v for k, v in (("parallel_inputs", p_i), ("parallel_neurons", p_n)) if v is not None}
        return {**changes, "layer_parallel": ()}
    pairs = tuple((int(a), int(b)) for a, b in cand)
    return {"parallel_inputs": pairs[0][0], "parallel_neurons": pairs[0][1], "layer_parallel": pairs}


def _label(cand) -> str:
    if cand and not isinstance(cand[0], (tuple, list)):
        return "x".join(str(v) for v in cand if v is not None)
    return ",".join(f"{a}x{b}" for a, b in cand)


def layer_pairs(graph) -> tuple:
    """``(P_i, P_n)`` of every layer of a quantized graph (as built, after clamping)."""
    return tuple((l.synapse.quant.parallel_inputs, l.synapse.quant.parallel_neurons) for l in graph.layers)


@dataclass(frozen=True)
class HardwareChoice:
    """What :func:`choose_hardware` decided: the chosen ``graph`` and trial, and every trial (table)."""

    graph: object
    chosen: HardwareTrial
    trials: tuple


def _same_parallel(graph, cand) -> bool:
    """Whether ``graph`` already has the parallelism ``cand`` asks for (every layer, clamped to its size as
    ``allocate_streams`` does)."""
    from ..ir import QuantOptions

    changes = parallel_changes(cand)
    if not {"parallel_inputs", "parallel_neurons"} <= changes.keys():
        return False  # a pair with a kept (None) half: ask quantize
    opts = QuantOptions(**changes)
    return all((layer.synapse.quant.parallel_inputs, layer.synapse.quant.parallel_neurons)
               == (min(opts.layer_pair(i)[0], layer.n_in), min(opts.layer_pair(i)[1], layer.n_out))
               for i, layer in enumerate(graph.layers))


def _fits(est: CapacityEstimate, margin: float) -> bool:
    if not est.fits:
        return False
    avail = est.available.get("logic_cells")
    return not avail or est.logic_cells * (1.0 + margin) <= avail


def choose_hardware(graph, target: str = "ice40-up5k", *, x: np.ndarray | None = None, engine=None,
                    parallel: tuple[int | None, int | None] | None = None, wrapper: str | None = None,
                    margin: float = LC_ERROR) -> HardwareChoice:
    """The engine and parallelism of ``graph`` with the fewest cycles per sample that fit ``target``.

    Parameters
    ----------
    graph:
        A quantized graph (its other options -- L, weight bits, encoding -- are kept).
    target:
        Device of the capacity estimate.
    x:
        Calibration inputs (float ``(B, n_in)``, rate coding): the event engine's mean cycles over them.
        ``None``: the event engine is ranked by its bound (every input spiking).
    engine:
        Fix the engine (``--engine dense|event``); ``None`` tries both.
    parallel:
        Fix ``(P_i, P_n)``, or per-layer pairs (``--parallel``); ``None`` tries :data:`DENSE_PARALLEL` /
        :data:`EVENT_PARALLEL`.
    wrapper:
        As :func:`~scnc.fpga.capacity.estimate` (default: what ``scnc synth`` uses on ``target``).
    margin:
        Logic cells must fit with this relative margin (default: the model's error).

    Raises
    ------
    ConfigError
        No candidate fits (the message names the closest one and what overflows).
    """
    from ..ir.schedule import event_sample_cycles, sample_cycles

    engines = [Engine(engine)] if engine is not None else list(Engine)
    trials = []
    reference = None  # one reference run serves every candidate: the spikes do not depend on the hardware
    for eng in engines:
        if parallel is not None:
            cands = [tuple(parallel)]
        elif eng is Engine.EVENT:
            cands = list(EVENT_PARALLEL)
        else:
            cands = list(DENSE_PARALLEL)
        for cand in cands:
            changes = parallel_changes(cand)
            if eng is graph.hardware.engine and _same_parallel(graph, cand):
                g = graph  # the graph as it is: nothing to quantize again
            else:
                try:
                    g = requantize(graph, engine=eng, **changes)
                except (IRError, ScncError):
                    break  # this engine cannot run this graph (e.g. event + an LFSR stream): no P will help
            if eng is Engine.EVENT:
                if x is not None:
                    from ..ref.cycles import row_token_counts

                    if reference is None:
                        from ..ref import run

                        reference = run(g, x, trace=False)
                    cyc, kind = float(event_sample_cycles(g, row_token_counts(g, reference)).mean()), "mean"
                else:
                    cyc, kind = float(sample_cycles(g)["total"]), "bound"
            else:
                cyc, kind = float(sample_cycles(g)["total"]), "exact"
            est = estimate(g, target, wrapper)
            q = g.layers[0].synapse.quant
            trials.append((HardwareTrial(eng, q.parallel_inputs, q.parallel_neurons, cyc, kind, est,
                                         _fits(est, margin), _label(cand)), g))
    fitting = [t for t in trials if t[0].fits]
    if not fitting:
        if not trials:
            raise ConfigError("no engine can run this graph (see scnc.ir.set_engine)")
        t = min(trials, key=lambda t: sum(u / max(a, 1) for u, a in t[0].estimate.overflow.values()) or 0)[0]
        over = ", ".join(f"{k} {u} of {a}" for k, (u, a) in t.estimate.overflow.items()) or "logic cells within the model's margin"
        raise ConfigError(f"no engine / parallelism tried fits {target}: the smallest, {t.engine} "
                          f"{t.label}, needs {over}; give --target, --engine and "
                          f"--parallel explicitly (scnc synth checks them)")
    best = min(fitting, key=lambda t: (t[0].cycles, t[0].estimate.logic_cells))
    return HardwareChoice(best[1], best[0], tuple(t for t, _ in trials))


def format_hardware_choice(choice: HardwareChoice) -> list[str]:
    """The table the choice was made from (like ``--stream-length auto``'s)."""
    t0 = choice.chosen
    lines = [f"engine / parallelism auto on {t0.estimate.target} ({t0.estimate.wrapper} wrapper): the fewest "
             f"cycles per sample that fit (logic cells with a {100 * LC_ERROR:.0f}% margin)",
             f"  {'engine':<6} {'P':>6} {'cycles/sample':>14} {'BRAM':>9} {'logic cells':>12} {'DSP':>7}  fits"]
    for t in choice.trials:
        a = t.estimate.available
        mark = "  <- chosen" if t is t0 else ""
        p = t.label
        bram = f"{t.estimate.brams}/{a.get('brams', '-')}"
        dsp = f"{t.estimate.dsps}/{a.get('dsps', '-')}"
        lines.append(f"  {str(t.engine):<6} {p:>6} {t.cycles:>9.0f} {t.cycles_kind:<4} {bram:>9} "
                     f"{t.estimate.logic_cells:>12} {dsp:>7}  {'yes' if t.fits else 'no'}{mark}")
    return lines

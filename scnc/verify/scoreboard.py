"""The checker: what a core emitted (raw stream beats) against what :mod:`scnc.ref` expects.

Pure numpy; no cocotb. The bench in ``sim/`` collects raw beats (Python ints) and calls
:func:`compare`; the host can call it too (tests, re-checks of a saved observation).

Everything is compared with ``==``. For every sample ``b``, step ``t``, layer ``l`` and neuron ``i``:
the trace beat's membrane and spike, the per-sample count of trace beats flagged ``saturated``
(per layer), the ``o_data`` step beats (last layer's spikes) and the counts beat. The input beats the
driver saw accepted must equal the case's (so the expectations describe what entered the DUT), and
trace beats must arrive in the hardware's order (step, layer, neuron) with matching headers.

The beats are decoded into a :class:`scnc.trace.Trace` (values of beats that never arrived are
masked) and compared with the case's expected trace by :func:`scnc.trace.compare_traces`, the one
comparison of every engine; the order of divergences is :mod:`scnc.trace`'s. What only a stream can
get wrong is checked here and merged into the same order: the accepted input beats (field
``input``, layer -1; for rate coding ``neuron`` is the intensity's index at step 0), trace beat
headers out of order (field ``trace_order``, ``expected`` / ``actual`` written as
``step * 10**6 + layer * 10**3 + neuron``) and ``last`` flags (field ``o_data_last``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scnc.trace import MAX_EXAMPLES, Divergence, Trace, compare_traces, winners_of
from scnc.manifest import Manifest
from scnc.verify.cases import Case, input_beats

__all__ = ["Divergence", "Comparison", "compare"]

_MAX_EXAMPLES = MAX_EXAMPLES


@dataclass
class Comparison:
    """Result of :func:`compare`.

    Members
    -------
    values_compared:
        Scalars compared (membranes, spikes, o_data spikes, counts, saturation totals, input beats).
    mismatches:
        How many of them differed (a missing value counts as one mismatch).
    first:
        The first divergence, or ``None``.
    examples:
        Up to 20 divergences, in order.
    per_field:
        Mismatches per field name.
    protocol:
        Stream-level problems (beat counts, order), as text.
    """

    values_compared: int = 0
    mismatches: int = 0
    first: Divergence | None = None
    examples: list = field(default_factory=list)
    per_field: dict = field(default_factory=dict)
    protocol: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and not self.protocol

    def _add(self, found: list[Divergence], total: int) -> None:
        if total == 0:
            return
        self.mismatches += total
        self.per_field[found[0].field] = self.per_field.get(found[0].field, 0) + total
        merged = sorted(self.examples + found, key=Divergence.key)[:_MAX_EXAMPLES]
        self.examples = merged
        self.first = merged[0]

    def to_dict(self) -> dict:
        return {
            "values_compared": self.values_compared,
            "mismatches": self.mismatches,
            "first_divergence": self.first.to_dict() if self.first else None,
            "examples": [d.to_dict() for d in self.examples],
            "per_field": dict(self.per_field),
            "protocol": list(self.protocol),
        }


def _masked(data: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``data`` as a masked array when some values never arrived, else as it is."""
    return data if present.all() else np.ma.MaskedArray(data, mask=~present)


def _observed_cycles(observed: dict, samples: int) -> np.ndarray | None:
    """The measured latency per sample (``observed["latency_cycles"]``, given by a bench whose flow
    makes it exact), masked for samples that never finished; ``None`` when not measured."""
    lat = observed.get("latency_cycles")
    if lat is None:
        return None
    got = np.zeros(samples, np.int64)
    present = np.zeros(samples, bool)
    n = min(len(lat), samples)
    got[:n] = np.asarray(lat[:n], dtype=np.int64)
    present[:n] = True
    return _masked(got, present)


def compare(manifest: Manifest, case: Case, observed: dict) -> Comparison:
    """Compare an observation of the core with the case's expectations.

    Parameters
    ----------
    manifest:
        The core's :class:`scnc.manifest.Manifest` (payload layouts, sizes; its beat layouts decode).
    case:
        Inputs and expectations (:mod:`scnc.verify.cases`).
    observed:
        ``{"inputs": [[beat, ...] per sample], "o_data": [beat, ...], "trace": [beat, ...]}``:
        every accepted beat in arrival order (``trace`` may be absent for a build without it).
    """
    res = Comparison()
    B, T = case.samples, case.timesteps
    sizes = list(manifest.layer_sizes)
    L = len(sizes)
    n_out = sizes[-1]

    # ---- input beats: did the DUT receive what the expectations assume? ----------------------
    want_in = input_beats(case)
    got_in = observed.get("inputs", [])
    n_in_vals = sum(len(s) for s in want_in)
    res.values_compared += n_in_vals
    found, total = [], 0
    for b, want in enumerate(want_in):
        got = got_in[b] if b < len(got_in) else []
        for k, w in enumerate(want):
            g = got[k] if k < len(got) else None
            if g != w:
                total += 1
                if len(found) < _MAX_EXAMPLES:
                    step = k if case.coding == "spikes" else 0
                    found.append(Divergence(b, step, -1, -1 if case.coding == "spikes" else k, "input", w, g))
    res._add(found, total)

    # ---- trace beats -> per-layer (B, T, n_l) arrays, masked where beats are missing ----------
    spikes: tuple = (None,) * L
    membranes = None
    saturations: tuple = (None,) * L
    per_sample = T * sum(sizes)
    if manifest.trace is not None and "trace" in observed:
        words = observed["trace"]
        if len(words) != B * per_sample:
            res.protocol.append(f"trace: expected {B * per_sample} beats ({per_sample} per sample), got {len(words)}")
        dec = manifest.trace.payload.decode_many(words[: B * per_sample])
        order = np.array([(t, li, i) for t in range(T) for li in range(L) for i in range(sizes[li])], np.int64)
        n_got = len(dec["layer"])
        exp_hdr = np.tile(order, (B, 1))[:n_got]
        got_hdr = np.stack([dec["step"], dec["layer"], dec["neuron"]], axis=1) if n_got else np.zeros((0, 3), np.int64)
        bad_hdr = np.flatnonzero((got_hdr != exp_hdr).any(axis=1))
        res.values_compared += 3 * per_sample * B
        if len(bad_hdr):
            k = int(bad_hdr[0])
            b, (t, li, i) = k // per_sample, exp_hdr[k]
            res.protocol.append(
                f"trace: {len(bad_hdr)} beats out of order; first at sample {b} beat {k % per_sample}: "
                f"expected (step, layer, neuron) = {tuple(int(v) for v in exp_hdr[k])}, got "
                f"{tuple(int(v) for v in got_hdr[k])}")
            res._add([Divergence(int(b), int(t), int(li), int(i), "trace_order",
                                 int(t * 10**6 + li * 10**3 + i),
                                 int(got_hdr[k][0] * 10**6 + got_hdr[k][1] * 10**3 + got_hdr[k][2]))], len(bad_hdr))
        # place beats by their expected position (order is fixed), so a corrupt header cannot scatter them
        spk, mem, sat = [], [], []
        for li in range(L):
            n = sizes[li]
            pos = np.zeros((T, n), np.int64)
            for t in range(T):
                base = t * sum(sizes) + sum(sizes[:li])
                pos[t] = base + np.arange(n)
            flat = (np.arange(B)[:, None, None] * per_sample + pos[None]).reshape(-1)
            present = (flat < n_got).reshape(B, T, n)
            take = np.minimum(flat, max(n_got - 1, 0))
            got_m = (dec["membrane"][take] if n_got else np.zeros_like(take)).reshape(B, T, n)
            got_s = (dec["spike"][take] if n_got else np.zeros_like(take)).reshape(B, T, n)
            flags = (dec["saturated"][take] if n_got else np.zeros_like(take)).reshape(B, T, n)
            mem.append(_masked(got_m.astype(np.int64), present))
            spk.append(_masked(got_s.astype(np.uint8), present))
            sat.append(np.where(present, flags, 0).sum(axis=(1, 2)).astype(np.int64))
        spikes, membranes, saturations = tuple(spk), tuple(mem), tuple(sat)

    # ---- o_data: T spike beats and one counts beat per sample ---------------------------------
    words = observed.get("o_data", [])
    if len(words) != B * (T + 1):
        res.protocol.append(f"o_data: expected {B * (T + 1)} beats ({T + 1} per sample), got {len(words)}")
    od = manifest.decode_o_data(words[: B * (T + 1)], samples=B)
    got_spk = od.spikes.astype(np.uint8)
    spk_present = np.repeat(od.spikes_present[:, :, None], n_out, axis=2)
    got_cnt = od.counts.astype(np.int64)
    cnt_present = np.repeat(od.counts_present[:, None], n_out, axis=1)
    last_bad = od.bad_last()
    if last_bad:
        res.protocol.append(f"o_data: 'last' flag wrong on {len(last_bad)} beats, first (sample, beat) = {last_bad[0]}")
        b, t = last_bad[0]
        res._add([Divergence(b, t, L - 1, -1, "o_data_last", int(t == T), int(not (t == T)))], len(last_bad))

    # ---- values: one comparison of the observed trace with the expected one ------------------
    got = Trace(layer_names=case.expected.layer_names, input_spikes=None, spikes=spikes, membranes=membranes,
                saturations=saturations, counts=_masked(got_cnt, cnt_present),
                winners=winners_of(got_cnt), predictions=winners_of(got_cnt),
                output_spikes=_masked(got_spk, spk_present), cycles=_observed_cycles(observed, B))
    diff = compare_traces(case.expected, got, limit=_MAX_EXAMPLES)
    res.values_compared += diff.values_compared
    res.mismatches += diff.mismatches
    for name, k in diff.per_field.items():
        res.per_field[name] = res.per_field.get(name, 0) + k
    res.examples = sorted(res.examples + diff.examples, key=Divergence.key)[:_MAX_EXAMPLES]
    res.first = res.examples[0] if res.examples else None
    return res

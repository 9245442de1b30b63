"""A deliberately naive, plain-Python transcription of docs/hardware.md (test-only).

It shares no code with scnc.ref or scnc.sc: every SNG value is generated here from the spec's
fields with Python loops, every cycle of every window and every synapse bit ``[R < m]`` is visited,
and all arithmetic is on Python ints. Slow by design; use it on small graphs.
"""

from __future__ import annotations

import math

from scnc.ir.graph import SCLeak


# ---- SNGs (docs/hardware.md §1), from the spec fields only ----------------------------------------
def _bitreverse(k: int, n: int) -> int:
    r = 0
    for b in range(n):
        if (k >> b) & 1:
            r |= 1 << (n - 1 - b)
    return r


def sng_values(spec, count: int, start: int = 0) -> list[int]:
    """The values ``R[start] .. R[start+count-1]`` of the generator ``spec``."""
    kind = spec.kind
    out = []
    if start:
        return sng_values(spec, start + count)[start:]
    if kind == "vdc":
        n = spec.bits
        for k in range(count):
            out.append(_bitreverse(k % (1 << n), n) ^ spec.xor_mask)
    elif kind == "sobol":
        n = spec.bits
        for k in range(count):
            kk = k % (1 << n)
            v = 0
            for b in range(n):
                if (kk >> b) & 1:
                    v ^= spec.directions[b]
            out.append(v ^ spec.xor_mask)
    elif kind == "lfsr":
        W = spec.width
        state = spec.seed
        for _ in range(count):
            value = 0
            for b, pos in enumerate(spec.select):
                value += ((state >> pos) & 1) << b
            out.append(value)
            fb = 0
            for t in spec.taps:
                fb ^= (state >> (t - 1)) & 1
            state = ((state << 1) | fb) % (1 << W)
    else:
        raise ValueError(f"unknown SNG kind {kind!r}")
    return out


def _floor_shift(a: int, n: int) -> int:
    """floor(a / 2^n) for a Python int, written without >> (a Python int's >> is already floor)."""
    return math.floor(a / (1 << n)) if abs(a) < (1 << 50) else a // (1 << n)


def _sign(q: int) -> int:
    return (q > 0) - (q < 0)


# ---- the network (docs/hardware.md §2-4) ----------------------------------------------------------
def run_naive(graph, intensities=None, spikes=None, layer_input=None) -> dict:
    """Run ``graph`` on ONE sample.

    Parameters
    ----------
    intensities:
        list of ints (rate coding), or None.
    spikes:
        list over t of lists over j of 0/1 (spike coding), or None.
    layer_input:
        list over t of lists over j of 0/1: the spikes entering the first layer, bypassing the input
        stage whatever its coding (for tests of the layers alone), or None.

    Returns
    -------
    dict with ``input_spikes`` [t][j], per layer ``spikes`` [l][t][i], ``membranes`` [l][t][i] (after
    reset), ``currents`` [l][t][i], ``v_sat`` [l][t][i] (before reset, after saturation),
    ``saturations`` [l], ``counts`` [i], ``winner``.
    """
    hw = graph.hardware
    L = hw.stream_length
    n = hw.stream_bits
    T = graph.timesteps
    inp = graph.nodes[0]
    layers = graph.layers

    # input spikes
    if layer_input is not None:
        s_in = [[int(layer_input[t][j]) for j in range(inp.size)] for t in range(T)]
    elif inp.quant.coding == "rate":
        rin = [sng_values(spec, T) for spec in inp.quant.sngs]
        s_in = [[1 if rin[j][t] < intensities[j] else 0 for j in range(inp.size)] for t in range(T)]
    else:
        s_in = [[int(spikes[t][j]) for j in range(inp.size)] for t in range(T)]

    # every generator's values for the whole sample (cycle-rate: T*L values, step-rate: T values)
    streams = []
    for node in layers:
        q, leak = node.synapse.quant, node.neuron.quant.leak
        syn = [sng_values(spec, T * L) for spec in q.synapse_sngs] if hw.encoding == "sc" else None
        sc_leak = hw.encoding == "sc" and isinstance(leak, SCLeak)
        beta = sng_values(leak.beta_sng, T * L) if sc_leak else None
        dither = sng_values(leak.dither_sng, T) if sc_leak else None
        streams.append((syn, beta, dither))

    v = [[0] * node.n_out for node in layers]
    spikes_out = [[] for _ in layers]
    membranes = [[] for _ in layers]
    currents = [[] for _ in layers]
    v_sats = [[] for _ in layers]
    sats = [0 for _ in layers]
    seen = [[] for _ in layers]  # every step's input spikes of each layer (a delay reads the past)
    for t in range(T):
        prev = s_in[t]
        for li, node in enumerate(layers):
            q, nq = node.synapse.quant, node.neuron.quant
            seen[li].append(prev)
            delays = getattr(node.synapse, "delays", None)  # DelayDenseNode: s_j[t - d_ji], 0 before step 0
            syn, beta, dither = streams[li]
            w = q.weight_bits
            n_in, n_out = len(q.weight_q), len(q.weight_q[0])
            M = nq.membrane_bits
            lo, hi = -(2 ** (M - 1)), 2 ** (M - 1) - 1
            s_now = []
            v_now = []
            i_now = []
            vs_now = []
            for i in range(n_out):
                # current: visit every cycle of the window and every synapse bit
                current = 0
                for j in range(n_in):
                    ts = t if delays is None else t - int(delays[j][i])
                    if ts < 0 or not seen[li][ts][j]:
                        continue
                    qij = int(q.weight_q[j][i])
                    m = abs(qij) * 2 ** (n - w)
                    if hw.encoding == "sc":
                        R = syn[j % q.parallel_inputs]
                        ones = 0
                        for k in range(L):
                            if R[t * L + k] < m:
                                ones += 1
                    else:
                        ones = m
                    current += _sign(qij) * ones
                # leak
                vi = v[li][i]
                if isinstance(nq.leak, SCLeak):
                    bq = int(nq.leak.beta_q[i])
                    if hw.encoding == "sc":
                        C = sum(1 for k in range(L) if beta[t * L + k] < bq)
                        d = dither[t]
                    else:
                        C = bq
                        d = L // 2
                    lv = _floor_shift(vi * C + d, n)
                else:
                    k = int(nq.leak.shift[i])
                    lv = vi - _floor_shift(vi, k)
                vpre = lv + current + int(nq.bias_q[i])
                if nq.reset == "subtract_delayed" and vi >= int(nq.threshold_q[i]):
                    vpre -= int(nq.threshold_q[i])  # last step's spike (stored un-reset) resets now
                vsat = min(max(vpre, lo), hi)
                if vsat != vpre:
                    sats[li] += 1
                s = 1 if vsat >= int(nq.threshold_q[i]) else 0
                if nq.reset == "subtract":
                    vnew = vsat - int(nq.threshold_q[i]) * s
                elif nq.reset == "zero":
                    vnew = vsat * (1 - s)
                else:  # subtract_delayed: stored un-reset
                    vnew = vsat
                s_now.append(s)
                v_now.append(vnew)
                i_now.append(current)
                vs_now.append(vsat)
            v[li] = v_now
            spikes_out[li].append(s_now)
            membranes[li].append(v_now)
            currents[li].append(i_now)
            v_sats[li].append(vs_now)
            prev = s_now
    counts = [sum(spikes_out[-1][t][i] for t in range(T)) for i in range(layers[-1].n_out)]
    winner = 0
    for i in range(len(counts)):
        if counts[i] > counts[winner]:
            winner = i
    return {
        "input_spikes": s_in,
        "spikes": spikes_out,
        "membranes": membranes,
        "currents": currents,
        "v_sat": v_sats,
        "saturations": sats,
        "counts": counts,
        "winner": winner,
    }

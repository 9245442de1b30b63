"""The Numba forward/BPTT kernels against a naive, independent numpy implementation (float64 loops)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scnc.errors import ConfigError
from scnc.snn import LIFLayer, Network, output_counts, run_forward, value_and_grad

# ---------------------------------------------------------------------------------------------
# naive reference: written from the dynamics in scnc/snn/network.py, reset detached


def _sg(u: np.ndarray, kind: str, slope: float) -> np.ndarray:
    if kind == "fast_sigmoid":
        return 1.0 / (1.0 + slope * np.abs(u)) ** 2
    return 1.0 / (1.0 + (np.pi * slope * u / 2.0) ** 2)


def _ref_loss(kind: str, out_spk: np.ndarray, out_mem: np.ndarray, y: np.ndarray):
    """Loss and (dL/dspikes, dL/dmem) for output records (T, B, K), written independently."""
    T, B, K = out_spk.shape
    g_spk = np.zeros((T, B, K))
    g_mem = np.zeros((T, B, K))
    total = 0.0
    for b in range(B):
        if kind == "mse_count":
            for k in range(K):
                r = 0.8 if k == y[b] else 0.2
                c = out_spk[:, b, k].sum()
                total += (c / T - r) ** 2 / (B * K)
                g_spk[:, b, k] = 2.0 * (c / T - r) / (T * B * K)
            continue
        if kind == "ce_count":
            z = out_spk[:, b, :].sum(axis=0)
        elif kind == "ce_membrane_mean":
            z = out_mem[:, b, :].mean(axis=0)
        else:
            z = out_mem[:, b, :].max(axis=0)
        p = np.exp(z - z.max())
        p /= p.sum()
        total += -np.log(p[y[b]]) / B
        dz = p.copy()
        dz[y[b]] -= 1.0
        dz /= B
        for k in range(K):
            if kind == "ce_count":
                g_spk[:, b, k] = dz[k]
            elif kind == "ce_membrane_mean":
                g_mem[:, b, k] = dz[k] / T
            else:
                t_star = int(np.argmax(out_mem[:, b, k]))
                g_mem[t_star, b, k] = dz[k]
    return total, g_spk, g_mem


def ref_value_and_grad(net: Network, inputs: np.ndarray, y: np.ndarray, loss: str, surrogate: str, slope: float):
    T, B, _ = inputs.shape
    L = len(net.layers)
    P = []
    for layer in net.layers:
        P.append(
            dict(
                W=layer.weight.astype(np.float64),
                b=np.zeros(layer.n_out) if layer.bias is None else layer.bias.astype(np.float64),
                beta=layer.beta_per_neuron().astype(np.float64),
                th=layer.threshold_per_neuron().astype(np.float64),
                zero=layer.reset == "zero",
                delayed=layer.reset == "subtract_delayed",
            )
        )
    s_in = [inputs.astype(np.float64)]
    vpre, spk, v = [], [], []
    min_margin = np.inf
    for l in range(L):
        p = P[l]
        n = p["W"].shape[1]
        vp_l = np.zeros((T, B, n))
        s_l = np.zeros((T, B, n))
        v_l = np.zeros((T, B, n))
        for b in range(B):
            vm = np.zeros(n)
            for t in range(T):
                cur = s_in[l][t, b] @ p["W"] + p["b"]
                vp = p["beta"] * vm + cur
                if p["delayed"]:  # the previous step's spike is reset now
                    vp = vp - p["th"] * (vm >= p["th"])
                s = (vp >= p["th"]).astype(np.float64)
                min_margin = min(min_margin, float(np.min(np.abs(vp - p["th"]))))
                if p["delayed"]:
                    vm = vp
                else:
                    vm = vp * (1 - s) if p["zero"] else vp - p["th"] * s
                vp_l[t, b], s_l[t, b], v_l[t, b] = vp, s, vm
        vpre.append(vp_l)
        spk.append(s_l)
        v.append(v_l)
        s_in.append(s_l)
    total, g_spk, g_mem = _ref_loss(loss, spk[-1], v[-1], y)
    grads = []
    ds = g_spk
    for l in range(L - 1, -1, -1):
        p = P[l]
        n_in, n = p["W"].shape
        gW = np.zeros((n_in, n))
        gb = np.zeros(n)
        gbeta = np.zeros(n)
        gth = np.zeros(n)
        ds_below = np.zeros((T, B, n_in))
        for b in range(B):
            dvp_next = np.zeros(n)
            for t in range(T - 1, -1, -1):
                dv = p["beta"] * dvp_next + (g_mem[t, b] if l == L - 1 else 0.0)
                sg = _sg(vpre[l][t, b] - p["th"], surrogate, slope)
                s = spk[l][t, b]
                dv_dvpre = (1.0 - s) if p["zero"] else np.ones(n)
                dvp = dv * dv_dvpre + ds[t, b] * sg
                gW += np.outer(s_in[l][t, b], dvp)
                gb += dvp
                if t > 0:
                    gbeta += dvp * v[l][t - 1, b]
                if p["delayed"]:  # theta * s[t] is subtracted inside v_pre[t+1]
                    gth += -ds[t, b] * sg - dvp_next * s
                else:
                    gth += -ds[t, b] * sg - (0.0 if p["zero"] else dv * s)
                ds_below[t, b] = p["W"] @ dvp
                dvp_next = dvp
        grads.append(dict(weight=gW, bias=gb, beta=gbeta, threshold=gth))
        ds = ds_below
    grads.reverse()
    return total, grads, spk, v, min_margin


# ---------------------------------------------------------------------------------------------


def _net(sizes, rng, *, reset="subtract", per_neuron=False, bias=False, timesteps=6):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.normal(0, 1.6 / np.sqrt(a), size=(a, b)).astype(np.float32)
        beta = rng.uniform(0.5, 0.95, size=b if per_neuron else 1).astype(np.float32)
        th = rng.uniform(0.5, 1.2, size=b if per_neuron else 1).astype(np.float32)
        layers.append(
            LIFLayer(
                name=f"l{i}",
                weight=w,
                bias=rng.normal(0, 0.2, size=b).astype(np.float32) if bias else None,
                beta=beta,
                threshold=th,
                reset=reset,
            )
        )
    return Network(layers, timesteps=timesteps)


def _check_against_reference(net, inputs, y, loss, surrogate, slope=5.0, *, property_test=False):
    ref_loss, ref_grads, ref_spk, ref_v, margin = ref_value_and_grad(net, inputs, y, loss, surrogate, slope)
    # the float32 kernel and the float64 reference must take the same spike decisions
    if property_test:
        assume(margin > 1e-4)
    else:
        assert margin > 1e-4, "fixed example too close to threshold: pick another seed"
    res = value_and_grad(net, inputs, y, loss=loss, surrogate=surrogate, slope=slope)
    spk, mem = run_forward(net, inputs)
    for l in range(len(net.layers)):
        np.testing.assert_array_equal(spk[l], ref_spk[l].astype(np.uint8))
        np.testing.assert_allclose(mem[l], ref_v[l], rtol=1e-5, atol=1e-5)
    assert res.loss == pytest.approx(ref_loss, rel=1e-5, abs=1e-6)
    for layer, g, rg in zip(net.layers, res.grads, ref_grads):
        scale = max(1e-3, max(float(np.abs(a).max()) for a in rg.values()))
        tol = dict(rtol=2e-4, atol=2e-5 * scale)
        np.testing.assert_allclose(g.weight, rg["weight"], **tol)
        if layer.bias is None:
            assert g.bias is None
        else:
            np.testing.assert_allclose(g.bias, rg["bias"], **tol)
        for name in ("beta", "threshold"):
            want = rg[name] if getattr(layer, name).shape != (1,) else np.array([rg[name].sum()])
            assert getattr(g, name).shape == getattr(layer, name).shape
            np.testing.assert_allclose(getattr(g, name), want, **tol)


LOSSES = ["ce_count", "ce_membrane_mean", "ce_membrane_max", "mse_count"]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("surrogate", ["fast_sigmoid", "arctan"])
@pytest.mark.parametrize("reset", ["subtract", "zero", "subtract_delayed"])
def test_grads_match_reference_binary(loss, surrogate, reset):
    rng = np.random.default_rng([LOSSES.index(loss), len(surrogate), len(reset)])
    for per_neuron, bias in ((False, False), (True, True)):
        net = _net([7, 6, 5, 3], rng, reset=reset, per_neuron=per_neuron, bias=bias)
        inputs = (rng.random((net.timesteps, 5, 7)) < 0.5).astype(np.float32)
        y = rng.integers(0, 3, size=5)
        _check_against_reference(net, inputs, y, loss, surrogate)


@pytest.mark.parametrize("loss", LOSSES)
def test_grads_match_reference_direct_currents(loss):
    rng = np.random.default_rng(7)
    net = _net([5, 8, 4], rng, per_neuron=True, bias=True)
    inputs = np.broadcast_to(rng.random((1, 4, 5)), (net.timesteps, 4, 5)).astype(np.float32)
    y = rng.integers(0, 4, size=4)
    _check_against_reference(net, inputs, y, loss, "fast_sigmoid")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    seed=st.integers(0, 2**31),
    sizes=st.lists(st.integers(1, 7), min_size=2, max_size=4),
    batch=st.integers(1, 20),
    T=st.integers(1, 7),
    reset=st.sampled_from(["subtract", "zero", "subtract_delayed"]),
    per_neuron=st.booleans(),
    bias=st.booleans(),
    loss=st.sampled_from(LOSSES),
    surrogate=st.sampled_from(["fast_sigmoid", "arctan"]),
)
def test_grads_match_reference_property(seed, sizes, batch, T, reset, per_neuron, bias, loss, surrogate):
    rng = np.random.default_rng(seed)
    net = _net(sizes, rng, reset=reset, per_neuron=per_neuron, bias=bias, timesteps=T)
    inputs = (rng.random((T, batch, sizes[0])) < 0.4).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    _check_against_reference(net, inputs, y, loss, surrogate, slope=float(rng.uniform(0.5, 30)), property_test=True)


def test_output_counts_match_forward_and_threads():
    rng = np.random.default_rng(3)
    net = _net([30, 40, 10], rng, bias=True, timesteps=12)
    inputs = (rng.random((12, 37, 30)) < 0.3).astype(np.float32)
    spk, _ = run_forward(net, inputs)
    counts = output_counts(net, inputs)
    np.testing.assert_array_equal(counts, spk[-1].sum(axis=0))
    y = rng.integers(0, 10, size=37)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        g1 = value_and_grad(net, inputs, y)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        g2 = value_and_grad(net, inputs, y)
    finally:
        numba.set_num_threads(old)
    for a, b in zip(g1.grads, g2.grads):
        assert a.weight.tobytes() == b.weight.tobytes()
        assert a.beta.tobytes() == b.beta.tobytes()


def test_dense_path_equals_sparse_path_on_binary_input():
    rng = np.random.default_rng(5)
    net = _net([20, 16, 4], rng, timesteps=9)
    inputs = (rng.random((9, 6, 20)) < 0.3).astype(np.float32)
    y = rng.integers(0, 4, size=6)
    a = value_and_grad(net, inputs, y, binary=True)
    b = value_and_grad(net, inputs, y, binary=False)
    for ga, gb in zip(a.grads, b.grads):
        np.testing.assert_array_equal(ga.weight, gb.weight)


def test_input_validation():
    rng = np.random.default_rng(0)
    net = _net([4, 3], rng)
    good = np.zeros((6, 2, 4), np.float32)
    with pytest.raises(ConfigError, match="inputs"):
        value_and_grad(net, np.zeros((6, 2, 5), np.float32), np.zeros(2, np.int64))
    with pytest.raises(ConfigError, match="labels"):
        value_and_grad(net, good, np.array([0, 3]))
    with pytest.raises(ConfigError, match="surrogate"):
        value_and_grad(net, good, np.zeros(2, np.int64), surrogate="relu")
    with pytest.raises(ConfigError, match="slope"):
        value_and_grad(net, good, np.zeros(2, np.int64), slope=0.0)
    with pytest.raises(ConfigError, match="loss"):
        value_and_grad(net, good, np.zeros(2, np.int64), loss="hinge")


@pytest.mark.parametrize("binary", [True, False])
def test_grads_match_reference_several_row_blocks_and_chunks(binary):
    # more inputs than one block of weight-gradient rows (32) in every layer, more samples than chunks
    rng = np.random.default_rng(20 + binary)
    net = _net([70, 45, 33, 4], rng, per_neuron=True, bias=True, timesteps=5)
    if binary:
        inputs = (rng.random((5, 21, 70)) < 0.3).astype(np.float32)
    else:
        inputs = (rng.random((5, 21, 70)) * (rng.random((5, 21, 70)) < 0.5)).astype(np.float32)
    y = rng.integers(0, 4, size=21)
    _check_against_reference(net, inputs, y, "ce_count", "fast_sigmoid")


def test_reused_scratch_matches_fresh_buffers():
    from scnc.snn.bptt import _GradBuffers

    rng = np.random.default_rng(4)
    net = _net([40, 36, 6], rng, bias=True, timesteps=7)
    scratch = _GradBuffers()
    for batch in (19, 3, 19):
        inputs = (rng.random((7, batch, 40)) < 0.3).astype(np.float32)
        y = rng.integers(0, 6, size=batch)
        a = value_and_grad(net, inputs, y, _scratch=scratch)
        b = value_and_grad(net, inputs, y)
        assert a.loss == b.loss
        np.testing.assert_array_equal(a.counts, b.counts)
        for ga, gb in zip(a.grads, b.grads):
            assert ga.weight.tobytes() == gb.weight.tobytes()
            assert ga.bias.tobytes() == gb.bias.tobytes()
            assert ga.beta.tobytes() == gb.beta.tobytes()
            assert ga.threshold.tobytes() == gb.threshold.tobytes()


@pytest.mark.parametrize("reset", ["subtract", "zero", "subtract_delayed"])
def test_reference_grads_match_finite_differences_where_no_spike_flips(reset):
    """The naive reference's backward against central differences of its own forward (float64).

    One layer and a membrane loss: no loss term reaches a spike, so the surrogate never enters and,
    as long as no spike decision flips under the perturbation, the detached-reset gradient is the
    exact derivative (a reset's spike is piecewise constant; only its ``theta`` factor varies).
    """
    rng = np.random.default_rng(11)
    net = _net([6, 4], rng, reset=reset, per_neuron=True, bias=True, timesteps=8)
    inputs = (rng.random((8, 3, 6)) < 0.6).astype(np.float32)
    y = rng.integers(0, 4, size=3)
    _, grads, spk, _, _ = ref_value_and_grad(net, inputs, y, "ce_membrane_mean", "fast_sigmoid", 5.0)
    assert spk[0].sum() > 4, "the example must fire (and reset) to test the reset's gradient"
    # a power of two: base +- eps is exact in float32 (the layer stores float32), and small enough
    # that the central difference of this smooth (fixed-spike) loss is accurate to ~1e-7
    eps = 2.0**-12
    layer = net.layers[0]
    for name in ("weight", "bias", "beta", "threshold"):
        base = getattr(layer, name).astype(np.float64)
        fd = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            vals = []
            for sgn in (1.0, -1.0):
                pert = base.copy()
                pert[idx] += sgn * eps
                p_net = net.copy()
                setattr(p_net.layers[0], name, pert.astype(np.float32))
                total, _, p_spk, _, _ = ref_value_and_grad(p_net, inputs, y, "ce_membrane_mean", "fast_sigmoid", 5.0)
                np.testing.assert_array_equal(p_spk[0], spk[0], err_msg=f"a spike flipped: perturb {name}{idx}")
                vals.append(total)
            fd[idx] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(grads[0][name], fd, rtol=1e-4, atol=1e-6, err_msg=name)

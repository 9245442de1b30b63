"""The CoLaNET-style local rule: Numba kernels vs a plain-Python transcription of docs/local_learning.md."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scnc.errors import ConfigError
from scnc.local import LocalClassifier, LocalConfig, RateCoding, resource_from_weight, train_local
from scnc.local import _kernels


# -- the naive model: the rule as the docs state it, one Python loop per sentence -------------------

def _w(r, cfg):
    x = max(r, 0.0)
    d = cfg.w_max - cfg.w_min
    return cfg.w_min + d * x / (d + x)


def _theta(w, j, cfg):
    s = 0.0
    for i in range(len(w)):
        if w[i][j] > 0.0:
            s += w[i][j]
    return cfg.threshold + cfg.adaptive_coef * s


def naive_present(spikes, label, learn, r, stab, cfg, n_classes):
    """One sample; ``r`` (list of lists) and ``stab`` (list) are updated in place. Returns counts."""
    T, n_in = len(spikes), len(spikes[0])
    K = cfg.neurons_per_column
    N = K * n_classes
    w = [[_w(r[i][j], cfg) for j in range(N)] for i in range(n_in)]
    theta = [_theta(w, j, cfg) for j in range(N)]
    free = [0.0] * N
    v = [0.0] * N
    last_in = [None] * n_in
    last_spk = [None] * N
    isi_start = [None] * N
    forced = [False] * N
    updated = [set() for _ in range(N)]
    contrib = [set() for _ in range(N)]
    col_fired = [False] * n_classes
    counts = [0] * n_classes

    def add(i, j, dr):
        r[i][j] += dr
        free[j] -= dr
        w[i][j] = _w(r[i][j], cfg)

    for t in range(T):
        for i in range(n_in):
            if spikes[t][i]:
                last_in[i] = t
        for j in range(N):
            acc = 0.0
            for i in range(n_in):
                if spikes[t][i]:
                    acc += w[i][j]
            v[j] = cfg.beta * v[j] + acc
        for c in range(n_classes):
            members = list(range(c * K, c * K + K))
            firing = [j for j in members if v[j] - theta[j] >= 0.0]
            winner = None
            for j in firing:  # largest margin, ties -> lowest index
                if winner is None or v[j] - theta[j] > v[winner] - theta[winner]:
                    winner = j
            is_forced = False
            if learn and c == label and t == cfg.gate and winner is None and not col_fired[c]:
                for j in members:
                    if winner is None or v[j] - theta[j] > v[winner] - theta[winner]:
                        winner = j
                is_forced = True
                firing.append(winner)
            if winner is not None:
                col_fired[c] = True
                if not is_forced:
                    counts[c] += 1
            for j in firing:
                v[j] = 0.0
            if not learn or winner is None:
                continue
            j = winner
            if last_spk[j] is None or t - last_spk[j] > cfg.isi_max:
                isi_start[j] = t
                updated[j] = set()
                contrib[j] = set()
            contrib[j] |= {i for i in range(n_in) if last_in[i] is not None and t - last_in[i] < cfg.plasticity_period}
            last_spk[j] = t
            if is_forced:
                forced[j] = True
                continue
            factor = min(2.0 ** (-stab[j]), 1.0)
            for i in sorted(contrib[j] - updated[j]):
                add(i, j, cfg.hebbian * factor)
                updated[j].add(i)
            theta[j] = _theta(w, j, cfg)
    if learn:
        for j in range(label * K, label * K + K):
            if last_spk[j] is None or (T - 1) - last_spk[j] > cfg.plasticity_period:
                continue
            factor = min(2.0 ** (-stab[j]), 1.0)
            for i in sorted(contrib[j]):
                add(i, j, cfg.dopamine * factor)
            if forced[j]:
                stab[j] = max(stab[j] - cfg.dopamine * cfg.stability_change, 0.0)
            else:
                lag = abs(float(last_spk[j] - isi_start[j] - cfg.isi_max)) / cfg.isi_max
                stab[j] += cfg.stability_change * cfg.dopamine * max(2.0 - lag, -1.0)
        for j in range(N):
            if free[j] != 0.0:
                dr = free[j] / (n_in + cfg.resource_drain)
                for i in range(n_in):
                    r[i][j] += dr
                free[j] = 0.0
    return counts


def _kernel_present(spikes, label, learn, r, stab, cfg, n_classes):
    w = np.vectorize(lambda x: _w(x, cfg))(r) if r.size else r.copy()
    theta = np.array([_kernels.neuron_threshold(w, j, cfg.threshold, cfg.adaptive_coef) for j in range(r.shape[1])])
    free = np.zeros(r.shape[1])
    counts = np.zeros(n_classes, np.int64)
    _kernels.present(spikes, label, learn, r, w, free, stab, theta, cfg.neurons_per_column,
                     cfg.beta, cfg.threshold, cfg.adaptive_coef, cfg.w_min, cfg.w_max, cfg.hebbian,
                     cfg.dopamine, cfg.stability_change, cfg.isi_max, cfg.plasticity_period,
                     cfg.resource_drain, cfg.gate, counts)
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_kernel_equals_the_naive_rule_on_small_cases(seed):
    rng = np.random.default_rng(seed)
    n_in, n_classes, k, T = int(rng.integers(2, 7)), int(rng.integers(2, 4)), int(rng.integers(1, 4)), int(rng.integers(3, 9))
    cfg = LocalConfig(neurons_per_column=k, timesteps=T, threshold=float(rng.uniform(0.01, 0.1)),
                      isi_max=int(rng.integers(1, 4)), plasticity_period=int(rng.integers(1, 4)),
                      gate_step=int(rng.integers(0, T)), seed=seed)
    r = resource_from_weight(0.0, cfg.w_min, cfg.w_max) + rng.normal(0.5, 1.0, (n_in, k * n_classes))
    stab = rng.uniform(0, 2, k * n_classes)
    r_naive, stab_naive = r.tolist(), stab.tolist()
    fired_any = 0
    for _ in range(12):  # a short stream of samples, the state carried from one to the next
        spikes = (rng.random((T, n_in)) < 0.6).astype(np.uint8)
        label = int(rng.integers(0, n_classes))
        got = _kernel_present(spikes, label, True, r, stab, cfg, n_classes)
        want = naive_present(spikes.tolist(), label, True, r_naive, stab_naive, cfg, n_classes)
        assert got.tolist() == want
        np.testing.assert_array_equal(r, np.array(r_naive))
        np.testing.assert_array_equal(stab, np.array(stab_naive))
        fired_any += sum(want)
    assert fired_any > 0  # the cases exercise self-generated spikes, not only the gate


def test_the_comparison_catches_a_planted_difference():
    """The naive model is not a copy of the kernel: a changed hyper-parameter changes the resources."""
    rng = np.random.default_rng(3)
    cfg = LocalConfig(neurons_per_column=2, timesteps=6, threshold=0.1, seed=0)
    r0 = resource_from_weight(0.0, cfg.w_min, cfg.w_max) + 0.5 * rng.standard_normal((4, 4))
    spikes = (rng.random((6, 4)) < 0.7).astype(np.uint8)
    r_k, s_k = r0.copy(), np.zeros(4)
    _kernel_present(spikes, 1, True, r_k, s_k, cfg, 2)
    planted = LocalConfig(neurons_per_column=2, timesteps=6, threshold=0.1, seed=0, dopamine=0.2)
    r_n = r0.tolist()
    naive_present(spikes.tolist(), 1, True, r_n, [0.0] * 4, planted, 2)
    assert not np.array_equal(r_k, np.array(r_n))


def test_resource_is_conserved_and_weights_saturate():
    cfg = LocalConfig()
    r = resource_from_weight(np.array([-0.2, 0.0, 0.09]), cfg.w_min, cfg.w_max)
    back = np.array([_kernels.weight_of(x, cfg.w_min, cfg.w_max) for x in r])
    np.testing.assert_allclose(back, [-0.2, 0.0, 0.09], rtol=0, atol=1e-15)
    assert _kernels.weight_of(-5.0, cfg.w_min, cfg.w_max) == cfg.w_min
    assert _kernels.weight_of(1e12, cfg.w_min, cfg.w_max) < cfg.w_max
    # one learning step moves resource between synapses of a neuron; the total stays
    rng = np.random.default_rng(0)
    cfg = LocalConfig(neurons_per_column=2, timesteps=5, threshold=0.1, resource_drain=0.0)
    r = resource_from_weight(0.0, cfg.w_min, cfg.w_max) + 0.1 * rng.standard_normal((5, 4))
    before = r.sum(axis=0).copy()
    _kernel_present((rng.random((5, 5)) < 0.7).astype(np.uint8), 0, True, r, np.zeros(4), cfg, 2)
    np.testing.assert_allclose(r.sum(axis=0), before, rtol=0, atol=1e-12)


def _toy(seed=0, n=60):
    """Two classes of 6 features: class 0 lights features 0-2, class 1 features 3-5."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 0.1 * rng.random((n, 6))
    x[y == 0, :3] += 0.8
    x[y == 1, 3:] += 0.8
    return x, y


def test_training_is_deterministic_and_learns_a_toy_task():
    x, y = _toy()
    cfg = LocalConfig(neurons_per_column=2, threshold=0.3, epochs=3, seed=4)
    runs = []
    for _ in range(2):
        clf = LocalClassifier.new(cfg, [0, 1], RateCoding.fit(x))
        train_local(clf, x, y)
        runs.append(clf)
    np.testing.assert_array_equal(runs[0].r, runs[1].r)
    np.testing.assert_array_equal(runs[0].stab, runs[1].stab)
    xt, yt = _toy(seed=1, n=200)
    assert runs[0].accuracy(xt, yt, seed=0) >= 0.95
    other = LocalClassifier.new(LocalConfig(neurons_per_column=2, threshold=0.3, epochs=3, seed=5), [0, 1], RateCoding.fit(x))
    train_local(other, x, y)
    assert not np.array_equal(other.r, runs[0].r)  # the seed matters


def test_checkpoint_round_trip_keeps_the_inference_network(tmp_path):
    from scnc.transfer import load_checkpoint, save_checkpoint

    x, y = _toy()
    clf = LocalClassifier.new(LocalConfig(neurons_per_column=2, threshold=0.3, epochs=1), [3, 7], RateCoding.fit(x))
    train_local(clf, x, np.where(y == 0, 3, 7))
    save_checkpoint(clf.to_checkpoint(), tmp_path / "clf")
    back = LocalClassifier.from_checkpoint(load_checkpoint(tmp_path / "clf"))
    assert back.class_labels == [3, 7]
    np.testing.assert_array_equal(back.to_network().layers[0].weight, clf.to_network().layers[0].weight)
    np.testing.assert_array_equal(back.stab, clf.stab)
    np.testing.assert_array_equal(back.predict(x, seed=2), clf.predict(x, seed=2))


def test_add_classes_keeps_old_columns():
    x, y = _toy()
    clf = LocalClassifier.new(LocalConfig(neurons_per_column=3), [0, 1], RateCoding.fit(x))
    more = clf.add_classes([1, 5, 2])
    assert more.class_labels == [0, 1, 2, 5]
    np.testing.assert_array_equal(more.r[:, :6], clf.r)
    later = LocalClassifier.new(LocalConfig(neurons_per_column=3), [5, 9], RateCoding.fit(x)).add_classes([0, 7])
    assert later.class_labels == [0, 5, 7, 9]  # ascending: output i is the i-th smallest label
    np.testing.assert_array_equal(later.r[:, 3:6], LocalClassifier.new(LocalConfig(neurons_per_column=3), [5, 9], RateCoding.fit(x)).r[:, :3])
    with pytest.raises(ConfigError, match="already a class"):
        clf.add_classes([0])


@pytest.mark.parametrize("bad", [{"beta": 1.5}, {"threshold": 0}, {"neurons_per_column": 0},
                                 {"gate_step": 10}, {"w_min": 0.1}, {"epochs": True}, {"hebbian": math.nan}])
def test_config_refuses_bad_values(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        LocalConfig(**bad)

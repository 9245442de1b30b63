"""NIR ``Delay`` nodes <-> scnc's per-synapse delays (``DelayDenseLIFRecord`` / ``DelayDenseNode``).

NIR's ``Delay`` is ``y(t) = x(t - delay)`` per channel: before a synapse matrix it delays each input
(synapse ``(j, i)`` gets ``delay[j]``), right after it each output (``delay[i]``); the time unit is
the file's, so ``delay / dt`` whole steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nir

from scnc.ir import DelayDenseNode, from_checkpoint
from scnc.nir import NIRError, import_graph, read_nir, write_nir
from scnc.snn.network import EncoderConfig, LIFLayer, Network
from scnc.transfer import SNNCheckpoint
from scnc.transfer.records import DelayDenseLIFRecord, DenseLIFRecord

DT = 1e-3


def _lif(n: int) -> nir.LIF:
    return nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n),
                   v_reset=np.zeros(n))


def _chain(*nodes, n_in: int = 4, n_out: int = 3) -> nir.NIRGraph:
    named = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    for i, node in enumerate(nodes):
        named[f"n{i}"] = node
    named["output"] = nir.Output(output_type={"output": np.array([n_out])})
    names = list(named)
    return nir.NIRGraph(nodes=named, edges=list(zip(names, names[1:])), type_check=False)


def _w(n_out: int, n_in: int) -> np.ndarray:
    return np.random.default_rng(0).normal(0, 0.7, (n_out, n_in)).astype(np.float32)


def _import(g, **kw):
    return import_graph(g, source="model.nir", producer="nir", dt=DT, **kw)


def test_delay_before_the_matrix_is_per_input() -> None:
    d = np.array([0.0, 1.0, 2.0, 5.0]) * DT
    res = _import(_chain(nir.Delay(delay=d), nir.Linear(weight=_w(3, 4)), _lif(3)))
    rec = res.checkpoint.layers[0]
    assert isinstance(rec, DelayDenseLIFRecord)
    assert rec.delays.tolist() == [[0] * 3, [1] * 3, [2] * 3, [5] * 3]
    assert any("per input" in a for a in res.layers[0].assumptions)
    assert isinstance(from_checkpoint(res.checkpoint).layers[0].synapse, DelayDenseNode)


def test_delays_before_and_after_add_up_per_synapse() -> None:
    pre, post = np.array([0.0, 1.0, 0.0, 2.0]) * DT, np.array([3.0, 0.0, 1.0]) * DT
    res = _import(_chain(nir.Delay(delay=pre), nir.Affine(weight=_w(3, 4), bias=np.zeros(3, np.float32)),
                         nir.Delay(delay=post), _lif(3)))
    assert res.checkpoint.layers[0].delays.tolist() == (np.array([0, 1, 0, 2])[:, None] + np.array([3, 0, 1])).tolist()
    assert not res.warnings or all("rounded" not in w for w in res.warnings)


def test_layers_without_delay_nodes_stay_plain() -> None:
    res = _import(_chain(nir.Linear(weight=_w(3, 4)), _lif(3)))
    assert type(res.checkpoint.layers[0]) is DenseLIFRecord


def test_a_delay_off_the_step_grid_is_rounded_with_a_warning() -> None:
    res = _import(_chain(nir.Delay(delay=np.array([0.0, 1.4, 2.6, 3.0]) * DT), nir.Linear(weight=_w(3, 4)), _lif(3)))
    assert res.checkpoint.layers[0].delays[:, 0].tolist() == [0, 1, 3, 3]
    assert any("rounded to whole time steps" in w for w in res.warnings)


@pytest.mark.parametrize("nodes, match, field", [
    (lambda: (nir.Delay(delay=np.array([0.0, -1.0, 0.0, 0.0]) * DT), nir.Linear(weight=_w(3, 4)), _lif(3)),
     "must be >= 0", "delay"),
    (lambda: (nir.Delay(delay=np.full(4, 2000.0) * DT), nir.Linear(weight=_w(3, 4)), _lif(3)), "MAX_DELAY", "delay"),
    (lambda: (nir.Delay(delay=np.zeros(3)), nir.Linear(weight=_w(3, 4)), _lif(3)), "expected a scalar", "delay"),
    (lambda: (nir.Linear(weight=_w(4, 4)), nir.Delay(delay=np.ones(4) * DT), nir.Linear(weight=_w(3, 4)), _lif(3)),
     "between two matrices", None),
])
def test_unrepresentable_delays_are_refused(nodes, match: str, field) -> None:
    with pytest.raises(NIRError, match=match) as info:
        _import(_chain(*nodes()))
    assert "model.nir" in str(info.value) and info.value.field == field


def _delay_net(delays: np.ndarray) -> Network:
    rng = np.random.default_rng(1)
    return Network([LIFLayer(name="h", weight=rng.normal(0, 0.5, (4, 3)).astype(np.float32), beta=0.75,
                             threshold=1.0, delays=delays.astype(np.int16)),
                    LIFLayer(name="o", weight=rng.normal(0, 0.5, (3, 2)).astype(np.float32), beta=0.75,
                             threshold=1.0)], 6, EncoderConfig())


@pytest.mark.parametrize("delays", [np.array([[0] * 3, [2] * 3, [1] * 3, [4] * 3]),  # per input
                                    np.array([[3, 0, 1]] * 4)])  # per output
def test_write_then_read_gives_the_same_delays(tmp_path: Path, delays: np.ndarray) -> None:
    net = _delay_net(delays)
    res = read_nir(write_nir(SNNCheckpoint.from_network(net), tmp_path / "m.nir"), timesteps=6)
    layers = res.checkpoint.layers
    assert layers[0].delays.tolist() == delays.tolist() and type(layers[1]) is DenseLIFRecord
    assert np.array_equal(layers[0].weight, net.layers[0].weight)


def test_per_synapse_delays_have_no_nir_form(tmp_path: Path) -> None:
    from scnc.errors import ConfigError

    with pytest.raises(ConfigError, match="layer 'h'.*differ per synapse"):
        write_nir(_delay_net(np.arange(12).reshape(4, 3)), tmp_path / "m.nir")
    assert not (tmp_path / "m.nir").exists()

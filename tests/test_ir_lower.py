"""scnc.ir.lower: float networks and checkpoints to float-level graphs."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.errors import IRError
from scnc.ir import DenseNode, InputNode, LIFNode, OutputNode, check_graph, from_checkpoint, from_network, validate
from scnc.snn.network import EncoderConfig, LIFLayer, Network


def test_lowered_chain_names_shapes_and_dtypes():
    net = Network.dense([6, 5, 3], seed=1, beta=0.8, threshold=1.5, timesteps=7,
                        encoder=EncoderConfig(kind="rate", seed=3, gain=2.0))
    g = from_network(net)
    assert g.level == "float" and g.timesteps == 7 and g.hardware is None
    # synapses and neurons are separate nodes, as in NIR; a layer is the pair
    assert [type(n) for n in g.nodes] == [InputNode, DenseNode, LIFNode, DenseNode, LIFNode, OutputNode]
    assert [n.name for n in g.nodes] == ["input", "hidden.synapses", "hidden", "output.synapses", "output", "readout"]
    assert g.input.size == 6 and g.input.encoder == {"kind": "rate", "seed": 3, "gain": 2.0, "latency_floor": 0.0}
    hidden, out = g.layers
    assert hidden.synapse.source == "input" and hidden.neuron.source == "hidden.synapses"
    assert out.synapse.source == "hidden" and g.output.source == "output"
    for layer, src in zip(g.layers, net.layers):
        w = layer.synapse.weight
        assert w.dtype == np.float32 and np.array_equal(w, src.weight)
        for f, v in (("beta", 0.8), ("threshold", 1.5), ("bias", 0.0)):
            a = getattr(layer.neuron, f)
            assert a.dtype == np.float32 and a.shape == (layer.n_out,)
            assert np.all(a == np.float32(v))
        assert not w.flags.writeable  # graphs are immutable
    assert g.output.class_labels == (0, 1, 2)
    assert g.provenance == {"source": "network"}
    check_graph(g)


def test_lowering_copies_parameters():
    net = Network.dense([4, 2], seed=0)
    g = from_network(net)
    net.layers[0].weight[0, 0] = 123.0
    assert g.layers[0].synapse.weight[0, 0] != 123.0


def test_per_neuron_params_bias_and_reset_are_kept():
    layer = LIFLayer("only", weight=np.ones((3, 2), np.float32), bias=np.array([0.5, -0.25], np.float32),
                     beta=np.array([0.1, 0.9], np.float32), threshold=np.array([2.0, 3.0], np.float32), reset="zero")
    g = from_network(Network([layer], timesteps=4), class_labels=["a", "b"], provenance={"note": "x"})
    node = g.layers[0].neuron
    assert node.reset == "zero"
    assert np.array_equal(node.bias, [0.5, -0.25]) and np.array_equal(node.beta, np.float32([0.1, 0.9])) and np.array_equal(node.threshold, [2.0, 3.0])
    assert g.output.class_labels == ("a", "b") and g.provenance == {"note": "x"}


def test_validate_records_itself():
    g = validate(from_network(Network.dense([3, 2], seed=0)))
    assert g.passes == ({"pass": "validate", "level": "float", "nodes": 4},)


def test_reserved_layer_names_and_bad_labels():
    net = Network([LIFLayer("input", weight=np.ones((2, 2), np.float32))])
    with pytest.raises(IRError, match="reserved") as e:
        from_network(net)
    assert e.value.where == "input" and e.value.field == "name"
    with pytest.raises(IRError, match="one label per output neuron") as e:
        from_network(Network.dense([3, 2], seed=0), class_labels=[1, 2, 3])
    assert e.value.field == "class_labels"
    with pytest.raises(IRError, match="integers or strings"):
        from_network(Network.dense([3, 2], seed=0), class_labels=[1.5, 2.5])


class _FakeCheckpoint:
    """What from_checkpoint relies on (duck-typed; scnc.ir must not import scnc.transfer)."""

    def __init__(self, net):
        self._net = net
        self.class_labels = (7, 3)
        self.content_hash = "abc123"
        self.layer_names = ["hidden", "output"]

    def to_network(self):
        return self._net


def test_from_checkpoint_carries_provenance_and_labels():
    g = from_checkpoint(_FakeCheckpoint(Network.dense([4, 3, 2], seed=2)))
    assert g.provenance == {"source": "checkpoint", "checkpoint_hash": "abc123", "layer_names": ["hidden", "output"]}
    assert g.output.class_labels == (7, 3)
    check_graph(g)


def test_from_real_checkpoint():
    from scnc import transfer
    net = Network.dense([4, 3, 2], seed=2)
    try:
        ckpt = transfer.SNNCheckpoint.from_network(net)
    except TypeError:
        pytest.skip("SNNCheckpoint.from_network takes other arguments")
    g = from_checkpoint(ckpt)
    assert g.provenance["checkpoint_hash"] == ckpt.content_hash
    assert [n.name for n in g.layers] == list(ckpt.layer_names)
    check_graph(g)

"""Editing quantized graphs in tests: change a layer's hardware fields wherever they live."""

from __future__ import annotations

from dataclasses import fields, replace

from scnc.ir.graph import Graph, QuantDense, QuantLIF

_DENSE = {f.name for f in fields(QuantDense)}
_LIF = {f.name for f in fields(QuantLIF)}


def with_quant(graph: Graph, layer: int = 0, **changes) -> Graph:
    """``graph`` with fields of layer ``layer``'s hardware form replaced.

    A field goes to the synapse node's :class:`QuantDense` or the neuron node's :class:`QuantLIF`,
    whichever has it; ``leak__x=v`` replaces field ``x`` of the neuron's leak. Fields neither has
    (e.g. a misspelt or removed one) raise ``TypeError``, as ``dataclasses.replace`` does.
    """
    lay = graph.layers[layer]
    syn, neu = lay.synapse.quant, lay.neuron.quant
    dense, lif = {}, {}
    for key, value in changes.items():
        if key.startswith("leak__"):
            lif["leak"] = replace(lif.get("leak", neu.leak), **{key[len("leak__"):]: value})
        elif key in _DENSE:
            dense[key] = value
        elif key in _LIF:
            lif[key] = value
        else:
            raise TypeError(f"neither QuantDense nor QuantLIF has a field {key!r}")
    return graph.replace_layer(
        lay,
        synapse=replace(lay.synapse, quant=replace(syn, **dense)) if dense else None,
        neuron=replace(lay.neuron, quant=replace(neu, **lif)) if lif else None,
    )

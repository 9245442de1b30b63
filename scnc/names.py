"""The rule for layer and node names, shared by checkpoints and the IR (a leaf module).

A layer name travels from the checkpoint into the IR graph (``DenseLIFNode.name``), ``ir.json``,
the manifest, reports and the terminal. One rule decides which names are legal, so that a
checkpoint that loads is never refused later for its names:

- a ``str`` of 1 .. :data:`MAX_NAME_CHARS` characters;
- printable (``str.isprintable``): no control characters, line breaks or unpaired surrogates,
  which would break one-line reports or cannot be written as UTF-8;
- not one of :data:`RESERVED_NODE_NAMES`, the names of the IR's own input and read-out nodes
  (``scnc.ir.lower.INPUT_NODE`` / ``OUTPUT_NODE``);
- not ending in one of :data:`RESERVED_SUFFIXES`: the IR (node-kind split) names a layer's
  synapse node ``<layer name>.synapses``, so a layer called ``x.synapses`` beside a layer ``x``
  would give two nodes one name.

Uniqueness within a network is the caller's rule (it needs all names).
"""

from __future__ import annotations

from typing import Any

__all__ = ["RESERVED_NODE_NAMES", "RESERVED_SUFFIXES", "MAX_NAME_CHARS", "name_problem"]

#: Names the IR gives its own input and read-out nodes; a layer may not take them.
RESERVED_NODE_NAMES = ("input", "readout")
#: Name endings the IR uses for the nodes it derives from a layer (``scnc.ir.lower.SYNAPSE_SUFFIX``).
RESERVED_SUFFIXES = (".synapses",)
#: Longest name, in characters: names label report columns and log lines, not documents.
MAX_NAME_CHARS = 64


def name_problem(name: Any) -> str | None:
    """Why ``name`` is not a legal layer / node name, or ``None`` if it is (rule in the module doc)."""
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME_CHARS:
        return f"is {len(name)} characters long; names have at most {MAX_NAME_CHARS}"
    if not name.isprintable():
        return f"{name!r} holds a control character, line break or unpaired surrogate; names are printable text"
    if name in RESERVED_NODE_NAMES:
        return f"{name!r} is reserved for the IR's own nodes {RESERVED_NODE_NAMES}"
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"{name!r} ends in {suffix!r}, which the IR reserves for the synapse node it derives from a layer"
    return None

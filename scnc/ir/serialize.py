"""IR files: ``ir.json`` (structure, scalars, SNG specs, provenance, pass log, content hash) and
``ir.npz`` (every array), and the IR content hash.

``ir.json`` layout (canonical JSON: sorted keys, fixed indentation)::

    {"format": "scnc-ir", "schema_version": 2, "ir_hash": "<sha256>",
     "graph": {"level", "timesteps", "hardware": {...} | null, "provenance": {...}, "passes": [...],
               "nodes": [{"kind": "input", "name", "size", "encoder", "quant": null | {...}},
                         {"kind": "dense", "name", "source", "n_out", "quant": null | {...}},
                         {"kind": "lif", "name", "source", "size", "reset", "quant": null | {..., "leak"}},
                         ...,
                         {"kind": "output", "name", "source", "readout", "class_labels", "count_bits"}]}}

A dense synapse node with per-synapse delays is ``{"kind": "delay_dense", ..., "line": null |
{"max_delay", "delay_bits"}}`` (the dense node's keys plus its delay line) with its int16 delays in
``n<i>.delays``; a new kind tag in schema 2, so files without delays are unchanged.

``ir.npz`` holds, for node ``i``: a dense node's ``n<i>.weight`` (float32) and ``n<i>.quant.weight_q``
(int32); a LIF node's ``n<i>.bias``, ``n<i>.beta``, ``n<i>.threshold`` (float32) and
``n<i>.quant.bias_q``, ``.threshold_q`` and the leak's array (``n<i>.quant.leak.beta_q`` or
``n<i>.quant.leak.shift``) (int32). A layer's leak is a
tagged object in ``ir.json``: ``{"kind": "sc", "beta_sng", "dither_sng", "rounding"}`` or
``{"kind": "shift"}``. It is written without pickles and read with ``allow_pickle=False``.

Schema 1 files (scnc 0.1: one fused ``dense_lif`` node per layer, the leak as flat fields ``leak``,
``beta_q``, ``leak_shift``, ``beta_sng``, ``dither_sng``; no ``compare_shift``) are read and converted
to a ``dense`` node ``<name>.synapses`` feeding a ``lif`` node ``<name>``; the fixed-encoding rounding
constant and the comparator shift they left implicit are the ones scnc 0.1 used (``L / 2``,
``log2 L - w``).
Their stored hash is checked against the schema-1 form of the content.

Both files are written atomically, the arrays first; a crash between the two leaves a pair whose
hash does not match, which :func:`load_ir` rejects.
"""

from __future__ import annotations

import math
import os
from functools import singledispatch
from pathlib import Path
from typing import Any

import numpy as np

from .._io import (
    JSONLimitError,
    NPZError,
    atomic_write_bytes,
    atomic_write_text,
    canonical_json,
    hash_arrays,
    npz_bytes,
    read_json,
    read_npz,
)
from ..errors import ConfigError, IRError
from ..kinds import Engine
from .graph import (
    SCHEMA_VERSION,
    DelayDenseNode,
    DelayLine,
    DenseNode,
    Graph,
    HardwareParams,
    InputNode,
    LIFNode,
    OutputNode,
    QuantDense,
    QuantInput,
    QuantLIF,
    SCLeak,
    ShiftLeak,
)
from .lower import SYNAPSE_SUFFIX
from .passes.validate import check_graph

__all__ = ["save_ir", "load_ir", "ir_hash", "graph_to_dict", "graph_from_dict", "IR_JSON", "IR_NPZ", "FORMAT"]

FORMAT = "scnc-ir"
#: Schema versions :func:`load_ir` reads (1 is converted on load).
READABLE_SCHEMAS = (1, SCHEMA_VERSION)
IR_JSON = "ir.json"
IR_NPZ = "ir.npz"

_LIF_ARRAYS = ("bias", "beta", "threshold")
_LIF_QUANT_ARRAYS = ("bias_q", "threshold_q")
_DENSE_SCALARS = ("weight_bits", "compare_shift", "scale", "current_bits", "parallel_inputs", "parallel_neurons")
_LIF_SCALARS = ("reset", "membrane_bits", "overflow_free")
#: Schema 1 (scnc 0.1) stored a fused dense LIF layer with the leak as flat fields.
_V1_QUANT_ARRAYS = ("weight_q", "bias_q", "beta_q", "leak_shift", "threshold_q")
_V1_QUANT_SCALARS = (
    "weight_bits", "leak", "reset", "membrane_bits", "current_bits", "scale",
    "parallel_inputs", "parallel_neurons", "overflow_free",
)
_LEAK_ARRAY = {SCLeak: "beta_q", ShiftLeak: "shift"}
_HW_KEYS = ("stream_length", "encoding", "sng", "input_sng", "seed")
# Hardware keys added after schema 2 was fixed: optional on reading (absent = the default), and written
# only when they differ from that default, so a graph that does not use them keeps its bytes and hash.
_HW_OPTIONAL = {"engine": Engine.DENSE}


def _hardware_to_dict(hw: HardwareParams) -> dict:
    d = {k: _jsonable(getattr(hw, k), f"hardware.{k}") for k in _HW_KEYS}
    for k, default in _HW_OPTIONAL.items():
        if getattr(hw, k) != default:
            d[k] = _jsonable(getattr(hw, k), f"hardware.{k}")
    return d


# ---- to JSON-ready structure -------------------------------------------------------------------
def _jsonable(obj: Any, path: str) -> Any:
    """A JSON-native copy of ``obj`` (tuples become lists, numpy scalars Python ones)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        if not math.isfinite(float(obj)):
            raise IRError("graph", path, f"cannot store a non-finite number ({obj!r}) in ir.json")
        return float(obj)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise IRError("graph", path, f"JSON keys must be strings, got {k!r}")
            out[k] = _jsonable(v, f"{path}.{k}")
        return out
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(obj)]
    raise IRError("graph", path, f"cannot store a {type(obj).__name__} in ir.json")


def _spec_dict(spec: Any) -> dict | None:
    return None if spec is None else spec.to_dict()


def _leak_to_dict(leak: SCLeak | ShiftLeak, arrays: dict, prefix: str) -> dict:
    """The tagged JSON object of a leak; its array goes to ``arrays[prefix + "." + name]``."""
    name = _LEAK_ARRAY[type(leak)]
    arrays[f"{prefix}.{name}"] = getattr(leak, name)
    if isinstance(leak, SCLeak):
        return {"kind": "sc", "beta_sng": _spec_dict(leak.beta_sng), "dither_sng": _spec_dict(leak.dither_sng),
                "rounding": int(leak.rounding)}
    return {"kind": "shift"}


@singledispatch
def _node_to_dict(node: Any, i: int, arrays: dict) -> dict:
    raise IRError("graph", f"nodes[{i}]", f"no file form for node type {type(node).__name__}")


@_node_to_dict.register
def _(node: InputNode, i: int, arrays: dict) -> dict:
    qi = node.quant
    return {
        "kind": "input", "name": node.name, "size": int(node.size),
        "encoder": _jsonable(node.encoder, f"nodes[{i}].encoder"),
        "quant": None if qi is None else {
            "coding": qi.coding, "input_bits": int(qi.input_bits), "sngs": [s.to_dict() for s in qi.sngs],
        },
    }


@_node_to_dict.register
def _(node: DenseNode, i: int, arrays: dict) -> dict:
    arrays[f"n{i}.weight"] = node.weight
    q = node.quant
    qd = None
    if q is not None:
        arrays[f"n{i}.quant.weight_q"] = q.weight_q
        qd = {f: _jsonable(getattr(q, f), f"nodes[{i}].quant.{f}") for f in _DENSE_SCALARS}
        qd["synapse_sngs"] = [sp.to_dict() for sp in q.synapse_sngs]
    return {"kind": "dense", "name": node.name, "source": node.source, "n_out": node.n_out, "quant": qd}


@_node_to_dict.register
def _(node: DelayDenseNode, i: int, arrays: dict) -> dict:
    # a dense node's fields, plus the int16 delays (npz) and the delay line (json); a new kind tag,
    # so schema 2 stays as it was and files without delays are unchanged
    out = _node_to_dict.dispatch(DenseNode)(node, i, arrays)
    arrays[f"n{i}.delays"] = node.delays
    line = node.line
    out["kind"] = "delay_dense"
    out["line"] = None if line is None else {"max_delay": int(line.max_delay), "delay_bits": int(line.delay_bits)}
    return out


@_node_to_dict.register
def _(node: LIFNode, i: int, arrays: dict) -> dict:
    for f in _LIF_ARRAYS:
        arrays[f"n{i}.{f}"] = getattr(node, f)
    q = node.quant
    qd = None
    if q is not None:
        for f in _LIF_QUANT_ARRAYS:
            arrays[f"n{i}.quant.{f}"] = getattr(q, f)
        qd = {f: _jsonable(getattr(q, f), f"nodes[{i}].quant.{f}") for f in _LIF_SCALARS}
        qd["leak"] = _leak_to_dict(q.leak, arrays, f"n{i}.quant.leak")
    return {"kind": "lif", "name": node.name, "source": node.source, "size": node.size, "reset": node.reset,
            "quant": qd}


@_node_to_dict.register
def _(node: OutputNode, i: int, arrays: dict) -> dict:
    return {
        "kind": "output", "name": node.name, "source": node.source, "readout": node.readout,
        "class_labels": _jsonable(node.class_labels, f"nodes[{i}].class_labels"),
        "count_bits": int(node.count_bits),
    }


def graph_to_dict(graph: Graph) -> tuple[dict, dict[str, np.ndarray]]:
    """``(structure, arrays)``: the JSON-ready structure of ``graph`` and its arrays by npz name."""
    arrays: dict[str, np.ndarray] = {}
    nodes = [_node_to_dict(node, i, arrays) for i, node in enumerate(graph.nodes)]
    hw = graph.hardware
    structure = {
        "level": graph.level,
        "timesteps": int(graph.timesteps),
        "hardware": None if hw is None else _hardware_to_dict(hw),
        "provenance": _jsonable(graph.provenance, "provenance"),
        "passes": _jsonable(list(graph.passes), "passes"),
        "nodes": nodes,
    }
    return structure, arrays


def _hash(structure: dict, arrays: dict[str, np.ndarray], schema_version: int = SCHEMA_VERSION) -> str:
    return hash_arrays(arrays, extra={"format": FORMAT, "schema_version": schema_version, "graph": structure})


def ir_hash(graph: Graph) -> str:
    """SHA-256 (hex) of the graph's content: every array (name, dtype, shape, bytes) and the whole
    structure (scalars, SNG specs, provenance, pass log) in canonical form.

    Stable and independent of the file layout: a graph and its save/load round trip hash equal; the RTL
    manifest carries it to tie a netlist to the IR it came from.
    """
    structure, arrays = graph_to_dict(graph)
    return _hash(structure, arrays)


# ---- from structure ----------------------------------------------------------------------------
class _Reader:
    """Typed access to the JSON structure; every error names the file and the JSON path."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, msg: str) -> IRError:
        return IRError(self.where, path, msg)

    def obj(self, d: Any, path: str, keys: tuple, optional: tuple = ()) -> dict:
        if not isinstance(d, dict):
            raise self.fail(path, f"expected a JSON object, got {type(d).__name__}")
        for k in keys:
            if k not in d:
                raise self.fail(f"{path}.{k}" if path else k, "missing")
        extra = sorted(set(d) - set(keys) - set(optional))
        if extra:
            raise self.fail(f"{path}.{extra[0]}" if path else extra[0], "unknown key")
        return d

    def int_(self, v: Any, path: str) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.fail(path, f"expected an integer, got {v!r}")
        return v

    def str_(self, v: Any, path: str) -> str:
        if not isinstance(v, str):
            raise self.fail(path, f"expected a string, got {v!r}")
        return v

    def spec(self, d: Any, path: str) -> Any:
        from ..sc.sng import spec_from_dict

        try:
            return spec_from_dict(d)
        except ConfigError as e:
            raise self.fail(path, f"bad SNG spec: {e}") from None

    def specs(self, v: Any, path: str) -> tuple:
        if not isinstance(v, list):
            raise self.fail(path, f"expected a list of SNG specs, got {type(v).__name__}")
        return tuple(self.spec(d, f"{path}[{i}]") for i, d in enumerate(v))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _leak_from_dict(r: "_Reader", d: Any, path: str, arr) -> SCLeak | ShiftLeak:
    if not isinstance(d, dict) or d.get("kind") not in ("sc", "shift"):
        raise r.fail(f"{path}.kind", f"expected a leak object of kind 'sc' or 'shift', got {d!r}")
    if d["kind"] == "sc":
        r.obj(d, path, ("kind", "beta_sng", "dither_sng", "rounding"))
        return SCLeak(
            beta_q=arr("beta_q"),
            beta_sng=None if d["beta_sng"] is None else r.spec(d["beta_sng"], f"{path}.beta_sng"),
            dither_sng=None if d["dither_sng"] is None else r.spec(d["dither_sng"], f"{path}.dither_sng"),
            rounding=r.int_(d["rounding"], f"{path}.rounding"),
        )
    r.obj(d, path, ("kind",))
    return ShiftLeak(shift=arr("shift"))


class _NodeReader:
    """Reads the nodes of one structure: typed access, array bookkeeping, sizes along the chain."""

    def __init__(self, r: _Reader, arrays: dict[str, np.ndarray], where: str, hw: HardwareParams | None) -> None:
        self.r, self.arrays, self.hw = r, arrays, hw
        self.npz = where.replace(IR_JSON, IR_NPZ)
        self.used: set[str] = set()
        self.size: int | None = None  # width of the previous node's output

    def arr(self, name: str, shape: tuple | None = None, what: str = "") -> np.ndarray:
        if name not in self.arrays:
            raise IRError(self.npz, name, "array missing")
        self.used.add(name)
        a = _frozen(self.arrays[name])
        if shape is not None and a.shape != shape:
            raise IRError(self.npz, name, f"shape {a.shape} is inconsistent with {what or shape}")
        return a

    def guard(self, path: str, build):
        """``build()``, with an IRError raised by a node's own checks re-raised naming the JSON path."""
        try:
            return build()
        except IRError as e:
            raise self.r.fail(f"{path}.{e.field}", str(e).split(": ", 2)[-1]) from None


def _read_input(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    r = c.r
    r.obj(nd, p, ("kind", "name", "size", "encoder", "quant"))
    if not isinstance(nd["encoder"], dict):
        raise r.fail(f"{p}.encoder", "expected a JSON object")
    qi = None
    if nd["quant"] is not None:
        qd = r.obj(nd["quant"], f"{p}.quant", ("coding", "input_bits", "sngs"))
        qi = c.guard(f"{p}.quant", lambda: QuantInput(
            coding=r.str_(qd["coding"], f"{p}.quant.coding"), input_bits=r.int_(qd["input_bits"], f"{p}.quant.input_bits"),
            sngs=r.specs(qd["sngs"], f"{p}.quant.sngs")))
    c.size = r.int_(nd["size"], f"{p}.size")
    return [InputNode(name=r.str_(nd["name"], f"{p}.name"), size=c.size, encoder=nd["encoder"], quant=qi)]


def _number(r: _Reader, v: Any, path: str) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise r.fail(path, f"expected a number, got {v!r}")
    return float(v)


def _bool(r: _Reader, v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        raise r.fail(path, f"expected true or false, got {v!r}")
    return v


def _dense_quant(c: _NodeReader, qd: dict, qp: str, weight_q: np.ndarray, compare_shift: int) -> QuantDense:
    r = c.r
    for f in ("weight_bits", "current_bits", "parallel_inputs", "parallel_neurons"):
        r.int_(qd[f], f"{qp}.{f}")
    return QuantDense(
        weight_bits=qd["weight_bits"], weight_q=weight_q, compare_shift=compare_shift,
        scale=_number(r, qd["scale"], f"{qp}.scale"), current_bits=qd["current_bits"],
        parallel_inputs=qd["parallel_inputs"], parallel_neurons=qd["parallel_neurons"],
        synapse_sngs=r.specs(qd["synapse_sngs"], f"{qp}.synapse_sngs"),
    )


def _lif_quant(c: _NodeReader, qd: dict, qp: str, n_out: int, bias_q, threshold_q, leak) -> QuantLIF:
    r = c.r
    r.int_(qd["membrane_bits"], f"{qp}.membrane_bits")
    leak_array = getattr(leak, "beta_q", getattr(leak, "shift", None))
    if leak_array is not None and leak_array.shape != (n_out,):
        raise r.fail(f"{qp}.leak", f"array shape {leak_array.shape} is inconsistent with the layer's {(n_out,)}")
    return c.guard(qp, lambda: QuantLIF(
        bias_q=bias_q, leak=leak, threshold_q=threshold_q, reset=qd["reset"], membrane_bits=qd["membrane_bits"],
        overflow_free=_bool(r, qd["overflow_free"], f"{qp}.overflow_free")))


def _read_dense(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    r = c.r
    r.obj(nd, p, ("kind", "name", "source", "n_out", "quant"))
    n_out = r.int_(nd["n_out"], f"{p}.n_out")
    shape = (c.size, n_out) if c.size is not None else None
    weight = c.arr(f"n{i}.weight", shape, f"the sizes in ir.json {shape}")
    q = None
    if nd["quant"] is not None:
        qp = f"{p}.quant"
        qd = r.obj(nd["quant"], qp, _DENSE_SCALARS + ("synapse_sngs",))
        wq = c.arr(f"n{i}.quant.weight_q", weight.shape, f"the layer's {weight.shape}")
        q = _dense_quant(c, qd, qp, wq, r.int_(qd["compare_shift"], f"{qp}.compare_shift"))
    c.size = n_out
    return [DenseNode(name=r.str_(nd["name"], f"{p}.name"), source=r.str_(nd["source"], f"{p}.source"),
                      weight=weight, quant=q)]


def _read_delay_dense(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    r = c.r
    r.obj(nd, p, ("kind", "name", "source", "n_out", "quant", "line"))
    line = None
    if nd["line"] is not None:
        ld = r.obj(nd["line"], f"{p}.line", ("max_delay", "delay_bits"))
        line = DelayLine(max_delay=r.int_(ld["max_delay"], f"{p}.line.max_delay"),
                         delay_bits=r.int_(ld["delay_bits"], f"{p}.line.delay_bits"))
    (dense,) = _read_dense(c, {k: v for k, v in nd.items() if k != "line"}, i, p)
    delays = c.arr(f"n{i}.delays", dense.weight.shape, f"the weight's {dense.weight.shape}")
    return [DelayDenseNode(name=dense.name, source=dense.source, weight=dense.weight, delays=delays,
                           quant=dense.quant, line=line)]


def _read_lif(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    r = c.r
    r.obj(nd, p, ("kind", "name", "source", "size", "reset", "quant"))
    n = r.int_(nd["size"], f"{p}.size")
    if c.size is not None and n != c.size:
        raise r.fail(f"{p}.size", f"expected {c.size} (the width of its synapse node), got {n}")
    fl = {f: c.arr(f"n{i}.{f}", (n,), f"size = {n} in ir.json") for f in _LIF_ARRAYS}
    q = None
    if nd["quant"] is not None:
        qp = f"{p}.quant"
        qd = r.obj(nd["quant"], qp, _LIF_SCALARS + ("leak",))
        qa = {f: c.arr(f"n{i}.quant.{f}", (n,), f"the layer's {(n,)}") for f in _LIF_QUANT_ARRAYS}
        leak = _leak_from_dict(r, qd["leak"], f"{qp}.leak", lambda name: c.arr(f"n{i}.quant.leak.{name}"))
        q = _lif_quant(c, qd, qp, n, qa["bias_q"], qa["threshold_q"], leak)
    return [c.guard(p, lambda: LIFNode(name=r.str_(nd["name"], f"{p}.name"), source=r.str_(nd["source"], f"{p}.source"),
                                       reset=nd["reset"], quant=q, **fl))]


def _v1_leak(c: _NodeReader, qd: dict, qa: dict, qp: str) -> SCLeak | ShiftLeak:
    """The leak of a schema-1 layer (flat fields) as a tagged leak; scnc 0.1 rounded the fixed
    encoding's leak with L / 2."""
    r = c.r
    if qd["leak"] == "sc":
        L = c.hw.stream_length if c.hw is not None else 2
        return SCLeak(
            beta_q=qa["beta_q"],
            beta_sng=None if qd["beta_sng"] is None else r.spec(qd["beta_sng"], f"{qp}.beta_sng"),
            dither_sng=None if qd["dither_sng"] is None else r.spec(qd["dither_sng"], f"{qp}.dither_sng"),
            rounding=L // 2,
        )
    if qd["leak"] == "shift":
        return ShiftLeak(shift=qa["leak_shift"])
    raise r.fail(f"{qp}.leak", f"expected 'sc' or 'shift', got {qd['leak']!r}")


def _read_v1_dense_lif(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    """A schema-1 fused layer as a DenseNode (``<name>.synapses``) feeding a LIFNode (``<name>``)."""
    r = c.r
    r.obj(nd, p, ("kind", "name", "source", "n_out", "reset", "quant"))
    n_out = r.int_(nd["n_out"], f"{p}.n_out")
    name = r.str_(nd["name"], f"{p}.name")
    shape = (c.size, n_out) if c.size is not None else None
    weight = c.arr(f"n{i}.weight", shape, f"the sizes in ir.json {shape}")
    fl = {f: c.arr(f"n{i}.{f}", (n_out,), f"n_out = {n_out} in ir.json") for f in _LIF_ARRAYS}
    dq = lq = None
    if nd["quant"] is not None:
        qp = f"{p}.quant"
        qd = r.obj(nd["quant"], qp, _V1_QUANT_SCALARS + ("synapse_sngs", "beta_sng", "dither_sng"))
        qa = {f: c.arr(f"n{i}.quant.{f}", weight.shape if f == "weight_q" else (n_out,), "the layer's shape")
              for f in _V1_QUANT_ARRAYS}
        wb = r.int_(qd["weight_bits"], f"{qp}.weight_bits")
        dq = _dense_quant(c, qd, qp, qa["weight_q"], (c.hw.stream_bits if c.hw is not None else 1) - wb)
        lq = _lif_quant(c, qd, qp, n_out, qa["bias_q"], qa["threshold_q"], _v1_leak(c, qd, qa, qp))
    synapses = f"{name}{SYNAPSE_SUFFIX}"
    c.size = n_out
    return [DenseNode(name=synapses, source=r.str_(nd["source"], f"{p}.source"), weight=weight, quant=dq),
            c.guard(p, lambda: LIFNode(name=name, source=synapses, reset=nd["reset"], quant=lq, **fl))]


def _read_output(c: _NodeReader, nd: dict, i: int, p: str) -> list:
    r = c.r
    r.obj(nd, p, ("kind", "name", "source", "readout", "class_labels", "count_bits"))
    if not isinstance(nd["class_labels"], list):
        raise r.fail(f"{p}.class_labels", "expected a list")
    return [OutputNode(name=r.str_(nd["name"], f"{p}.name"), source=r.str_(nd["source"], f"{p}.source"),
                       readout=nd["readout"], class_labels=tuple(nd["class_labels"]),
                       count_bits=r.int_(nd["count_bits"], f"{p}.count_bits"))]


#: The reader of each node kind tag, per schema version (a file format's tags, read once, here).
_READERS = {
    1: {"input": _read_input, "dense_lif": _read_v1_dense_lif, "output": _read_output},
    2: {"input": _read_input, "dense": _read_dense, "lif": _read_lif, "output": _read_output,
        "delay_dense": _read_delay_dense},
}


def graph_from_dict(
    structure: Any, arrays: dict[str, np.ndarray], where: str = "ir.json", schema_version: int = SCHEMA_VERSION
) -> Graph:
    """Rebuild a graph from :func:`graph_to_dict` output (or a schema-1 structure), checking keys and
    types (not values: :func:`~scnc.ir.passes.check_graph` does that). Raises IRError naming
    ``where`` and the field."""
    r = _Reader(where)
    s = r.obj(structure, "graph", ("level", "timesteps", "hardware", "provenance", "passes", "nodes"))
    hw = None
    if s["hardware"] is not None:
        h = r.obj(s["hardware"], "graph.hardware", _HW_KEYS, optional=tuple(_HW_OPTIONAL))
        hw = _NodeReader(r, arrays, where, None).guard("graph.hardware", lambda: HardwareParams(**h))
    if not isinstance(s["provenance"], dict):
        raise r.fail("graph.provenance", "expected a JSON object")
    if not isinstance(s["passes"], list) or not all(isinstance(p, dict) for p in s["passes"]):
        raise r.fail("graph.passes", "expected a list of JSON objects")
    if not isinstance(s["nodes"], list) or not s["nodes"]:
        raise r.fail("graph.nodes", "expected a non-empty list")
    readers = _READERS[schema_version]
    c = _NodeReader(r, arrays, where, hw)
    nodes: list = []
    for i, nd in enumerate(s["nodes"]):
        p = f"graph.nodes[{i}]"
        if not isinstance(nd, dict) or "kind" not in nd:
            raise r.fail(f"{p}.kind", "missing")
        read = readers.get(nd["kind"]) if isinstance(nd["kind"], str) else None
        if read is None:
            raise r.fail(f"{p}.kind", f"expected one of {', '.join(map(repr, readers))}, got {nd['kind']!r}")
        nodes += read(c, nd, i, p)
    extra = sorted(set(arrays) - c.used)
    if extra:
        raise IRError(c.npz, extra[0], "unexpected array (not referenced by ir.json)")
    return c.guard("graph", lambda: Graph(
        nodes=tuple(nodes),
        timesteps=r.int_(s["timesteps"], "graph.timesteps"),
        level=s["level"],
        hardware=hw,
        provenance=s["provenance"],
        passes=tuple(s["passes"]),
    ))


# ---- files -------------------------------------------------------------------------------------
def save_ir(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``<path>/ir.json`` and ``<path>/ir.npz`` (the folder is created if needed).

    The graph is checked first (:func:`~scnc.ir.passes.check_graph`), so a saved IR always loads.
    Identical graphs give byte-identical files.

    Raises
    ------
    IRError
        The graph is malformed, or holds something JSON cannot store.
    """
    check_graph(graph)
    structure, arrays = graph_to_dict(graph)
    doc = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "ir_hash": _hash(structure, arrays), "graph": structure}
    folder = Path(path)
    atomic_write_bytes(folder / IR_NPZ, npz_bytes(arrays))
    atomic_write_text(folder / IR_JSON, canonical_json(doc))


def _read_npz(npz_path: Path) -> dict[str, np.ndarray]:
    """The IR's arrays, through the one bounded .npz reader (sizes checked before inflating)."""
    if not npz_path.is_file():
        raise IRError(npz_path, None, "file missing")
    try:
        return read_npz(npz_path)
    except NPZError as e:
        raise IRError(npz_path, getattr(e, "member", None), str(e)) from None
    except OSError as e:
        raise IRError(npz_path, None, f"cannot be read: {e.strerror or e}") from None


def load_ir(path: str | os.PathLike) -> Graph:
    """Read and fully check an IR folder written by :func:`save_ir`.

    Checks: format and schema version, every JSON key (missing / unknown) and type, every array
    (missing / extra / shape against the sizes / dtype), every value range
    (:func:`~scnc.ir.passes.check_graph`) and the content hash.

    Raises
    ------
    IRError
        Naming the file and the field that is wrong.
    """
    folder = Path(path)
    json_path, npz_path = folder / IR_JSON, folder / IR_NPZ
    if not json_path.is_file():
        raise IRError(json_path, None, "file missing")
    try:
        doc = read_json(json_path)
    except JSONLimitError as e:
        raise IRError(json_path, None, str(e)) from None
    r = _Reader(str(json_path))
    if not isinstance(doc, dict):
        raise r.fail("", "expected a JSON object at the top level")
    if doc.get("format") != FORMAT:
        raise r.fail("format", f"expected {FORMAT!r}, got {doc.get('format')!r}")
    version = doc.get("schema_version")
    if version not in READABLE_SCHEMAS or isinstance(version, bool):
        raise r.fail("schema_version", f"unknown schema version {version!r}; this scnc reads versions "
                     f"{', '.join(map(str, READABLE_SCHEMAS))}")
    r.obj(doc, "", ("format", "schema_version", "ir_hash", "graph"))
    stored_hash = r.str_(doc["ir_hash"], "ir_hash")
    arrays = _read_npz(npz_path)
    try:
        graph = graph_from_dict(doc["graph"], arrays, str(json_path), schema_version=version)
        check_graph(graph)
    except IRError as e:
        if e.where.startswith((str(json_path), str(npz_path))):
            raise
        prefix = e.where + (f": field '{e.field}'" if e.field else "") + ": "
        msg = str(e)[len(prefix):] if str(e).startswith(prefix) else str(e)
        raise IRError(f"{json_path} (node {e.where!r})", e.field, msg) from None
    except (ConfigError, TypeError, ValueError, AttributeError) as e:
        raise IRError(json_path, None, f"malformed content: {e}") from None
    # a schema-1 file's hash covers its own (flat) form of the content
    actual = ir_hash(graph) if version == SCHEMA_VERSION else _hash(doc["graph"], arrays, version)
    if actual != stored_hash:
        raise r.fail("ir_hash", f"the file says {stored_hash} but the content hashes to {actual} (edited or corrupted)")
    return graph

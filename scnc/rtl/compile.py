"""``compile_graph``: a quantized graph -> ``<top>.v`` + ``manifest.json`` + the IR + a README.

The output folder is built in a temporary sibling folder and renamed into place, so a failed build
never leaves a half-written folder that looks valid. Identical inputs give byte-identical files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import amaranth
from amaranth.back import verilog
from amaranth.hdl import Value
from amaranth.lib import data
from amaranth.lib.wiring import In

from .. import __version__ as scnc_version
from .._io import atomic_write_text, canonical_json
from ..errors import ConfigError, IRError
from ..ir import ir_hash, save_ir
from ..ir.schedule import layer_plan, sample_cycles, step_cycles
from ..kinds import InputCoding
from .lint import WAIVERS
from .network import NetworkCore, check_buildable, input_shape, output_layout, trace_layout

__all__ = ["compile_graph", "build_manifest", "MANIFEST_FORMAT"]

MANIFEST_FORMAT = "scnc-rtl-manifest/1"


def _layout_doc(shape) -> dict:
    if isinstance(shape, data.StructLayout):
        fields = []
        for name, f in shape:
            fields.append({"name": name, "offset": f.offset, "width": f.shape.width,
                           "signed": bool(f.shape.signed)})
        return {"width": shape.size, "fields": fields}
    return {"width": shape.width, "fields": [{"name": "value", "offset": 0, "width": shape.width,
                                              "signed": bool(shape.signed)}]}


def _ports(core: NetworkCore) -> list:
    ports = [
        {"name": "clk", "direction": "input", "width": 1},
        {"name": "rst", "direction": "input", "width": 1},
    ]
    for path, member, value in core.signature.flatten(core):
        ports.append({
            "name": "__".join(str(p) for p in path),
            "direction": "input" if member.flow == In else "output",
            "width": len(Value.cast(value)),
        })
    return ports


def build_manifest(graph, core: NetworkCore, *, top_name: str, trace: bool, ir_digest: str) -> dict:
    """The manifest of a core (everything a testbench, driver or integrator needs)."""
    q = graph.input.quant
    T = graph.timesteps
    n_in = graph.input.size
    last = graph.layers[-1]
    cb = graph.output.count_bits
    steps = step_cycles(graph)
    sample = sample_cycles(graph)
    streams = {
        "i_data": {
            "direction": "input",
            "payload": _layout_doc(input_shape(graph)),
            "beats_per_sample": n_in if q.coding is InputCoding.RATE else T,
            "beat": ("intensity x_j of input j (unsigned input_bits), beats j = 0..n_in-1"
                     if q.coding is InputCoding.RATE else "spike vector of step t: bit j = s0_j[t], beats t = 0..T-1"),
        },
        "o_data": {
            "direction": "output",
            "payload": _layout_doc(output_layout(graph)),
            "beats_per_sample": T + 1,
            "beat": (f"beats t = 0..T-1: last = 0, data bit i = spike of output neuron i at step t; then one "
                     f"beat with last = 1, data[i*{cb}:(i+1)*{cb}] = spike count N_i of neuron i"),
        },
    }
    if trace:
        streams["trace"] = {
            "direction": "output",
            "payload": _layout_doc(trace_layout(graph)),
            "beats_per_sample": T * sum(n.n_out for n in graph.layers),
            "beat": ("one neuron update: layer index, neuron index, step t, membrane after reset (signed, "
                     "sign-extended), spike, saturated (the membrane was clamped); order: step, layer, neuron"),
        }
    layers = []
    for idx, node in enumerate(graph.layers):
        p = layer_plan(node, graph.hardware)
        qq, nq = node.synapse.quant, node.neuron.quant
        layers.append({
            "index": idx,
            "name": node.name,
            "n_in": p.n_in,
            "n_out": p.n_out,
            "parallel_inputs": p.p_in,
            "parallel_neurons": p.p_out,
            "input_groups": p.groups_in,
            "neuron_groups": p.groups_out,
            "blocks_per_step": p.blocks,
            "cycles_per_block": p.window,
            "cycles_per_step": p.cycles_per_step,
            "weight_rom": {"depth": p.blocks, "width": p.p_in * p.p_out * (qq.weight_bits + 1)},
            "membrane_ram": {"depth": p.n_out, "width": nq.membrane_bits},
            "weight_bits": qq.weight_bits,
            "membrane_bits": nq.membrane_bits,
            "current_bits": qq.current_bits,
            "leak": nq.leak.kind,
            "reset": nq.reset,
            "multipliers": nq.leak.multipliers,
        })
    hw = graph.hardware
    return {
        "format": MANIFEST_FORMAT,
        "top": top_name,
        "files": {"verilog": f"{top_name}.v", "ir": ["ir/ir.json", "ir/ir.npz"], "readme": "README.md"},
        "clock": {"port": "clk", "edge": "rising", "domain": "sync"},
        "reset": {"port": "rst", "kind": "synchronous", "active": "high"},
        "ports": _ports(core),
        "streams": streams,
        "status": {
            "start": "one-cycle strobe: a sample began (its first i_data beat was accepted)",
            "busy": "high from the first accepted input beat of a sample until its counts beat is accepted",
            "done": "one-cycle strobe: the sample's counts beat was accepted",
        },
        "handshake": "amaranth.lib.stream: a beat transfers on a rising clk edge where valid & ready; a stalled "
        "o_data or trace stream stalls the core (nothing is dropped)",
        "graph": {
            "timesteps": T,
            "stream_length": hw.stream_length,
            "encoding": hw.encoding,
            "sng": hw.sng,
            "input_sng": hw.input_sng,
            "input_coding": q.coding,
            "input_bits": q.input_bits if q.coding is InputCoding.RATE else None,
            "n_inputs": n_in,
            "n_outputs": last.n_out,
            "count_bits": cb,
            "class_labels": list(graph.output.class_labels),
        },
        "layers": layers,
        "cycles": {
            "per_step": steps,
            "per_sample": sample["total"],
            "latency_per_sample": sample["total"],
            "note": "exact for the generated state machines with every stream ready and input beats offered "
            "every cycle; latency counts from the first accepted input beat to the accepted counts "
            "beat, inclusive; a new sample is accepted the cycle after",
        },
        "ir_hash": ir_digest,
        "versions": {"scnc": scnc_version, "amaranth": amaranth.__version__},
        "options": {"top_name": top_name, "trace": bool(trace)},
        "lint": {"tool": "verilator --lint-only -Wall", "waived": sorted(WAIVERS)},
    }


def _readme(man: dict) -> str:
    top = man["top"]
    g = man["graph"]
    lines = [
        f"# {top}: scnc spiking-network core",
        "",
        f"Generated by scnc {man['versions']['scnc']} (Amaranth {man['versions']['amaranth']}) from the quantized",
        f"IR `{man['ir_hash']}` (saved in `ir/`). `manifest.json` is the machine-readable version of this page.",
        "",
        f"- Network: {g['n_inputs']} inputs -> "
        + " -> ".join(str(ly["n_out"]) for ly in man["layers"])
        + f", T = {g['timesteps']} time steps, L = {g['stream_length']}, encoding `{g['encoding']}`.",
        "- Clock `clk` (rising edge), reset `rst` (synchronous, active high).",
        f"- Cycles per time step: {man['cycles']['per_step']['total']}; per sample (latency): "
        f"{man['cycles']['per_sample']} (no stall).",
        "",
        "## Streams (valid/ready; a beat moves when both are high at a rising edge)",
        "",
    ]
    for name, s in man["streams"].items():
        fields = ", ".join(f"{f['name']}[{f['offset']}+:{f['width']}]" for f in s["payload"]["fields"])
        lines += [f"- `{name}` ({s['direction']}, payload {s['payload']['width']} bits: {fields}), "
                  f"{s['beats_per_sample']} beats per sample: {s['beat']}."]
    lines += [
        "",
        "## Status",
        "",
        *(f"- `{k}`: {v}." for k, v in man["status"].items()),
        "",
        "Back-pressure on `o_data` or `trace` stalls the core; nothing is dropped. Tie `trace__ready` high",
        "when the trace is not observed. The predicted class is the arg-max of the counts (ties to the",
        "lowest index); `graph.class_labels` in the manifest maps it to the original label.",
        "",
    ]
    return "\n".join(lines)


def compile_graph(graph, out_dir: str | os.PathLike, *, top_name: str = "scnc_core", trace: bool = True) -> dict:
    """Generate the Verilog core of a quantized graph into ``out_dir``.

    Writes ``<top_name>.v``, ``manifest.json``, ``ir/ir.json`` + ``ir/ir.npz`` and ``README.md``.
    An existing ``out_dir`` is replaced only once the new build is complete.

    Parameters
    ----------
    graph:
        A quantized ``Graph``.
    out_dir:
        Destination folder.
    top_name:
        Verilog module name of the top (a Verilog identifier).
    trace:
        Include the trace stream (verification builds).

    Returns
    -------
    dict
        The manifest (as written to ``manifest.json``).

    Raises
    ------
    IRError
        The graph cannot be built (not quantized, not a chain, inconsistent fields).
    ConfigError
        ``top_name`` is not a Verilog identifier, or ``out_dir`` is a file.
    """
    if not (isinstance(top_name, str) and top_name.isidentifier() and top_name.isascii()):
        raise ConfigError(f"top_name must be a Verilog identifier, got {top_name!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out_dir {str(out)!r} exists and is not a folder")
    check_buildable(graph)
    core = NetworkCore(graph, trace=trace)
    text = verilog.convert(core, name=top_name, emit_src=False)
    digest = ir_hash(graph)
    manifest = build_manifest(graph, core, top_name=top_name, trace=trace, ir_digest=digest)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        atomic_write_text(tmp / f"{top_name}.v", text)
        save_ir(graph, tmp / "ir")
        atomic_write_text(tmp / "manifest.json", canonical_json(manifest))
        atomic_write_text(tmp / "README.md", _readme(manifest))
        for f in tmp.rglob("*"):
            os.chmod(f, 0o755 if f.is_dir() else 0o644)
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def load_build(build_dir: str | os.PathLike) -> tuple[dict, "object"]:
    """Read a folder written by :func:`compile_graph`: ``(manifest, graph)``, checked.

    Raises
    ------
    ConfigError
        No such folder, no or unreadable ``manifest.json``, a field missing, or the Verilog file the
        manifest names is missing.
    IRError
        The IR in ``ir/`` is malformed or does not hash to the manifest's ``ir_hash``.
    """
    import json

    from ..ir import load_ir

    d = Path(build_dir)
    if not d.is_dir():
        raise ConfigError(f"build folder {str(d)!r} does not exist: expected a folder with manifest.json "
                          "written by scnc compile")
    man_path = d / "manifest.json"
    if not man_path.is_file():
        raise ConfigError(f"{d} has no manifest.json: not a build folder written by scnc compile")
    try:
        manifest = json.loads(man_path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{man_path}: not readable JSON ({exc})") from None
    for key in ("top", "files", "streams", "layers", "graph", "cycles", "ir_hash"):
        if key not in manifest:
            raise ConfigError(f"{man_path}: field {key!r} is missing")
    verilog = manifest["files"].get("verilog") if isinstance(manifest["files"], dict) else None
    if not verilog or not (d / verilog).is_file():
        raise ConfigError(f"{man_path}: field 'files.verilog' must name the core's Verilog file in {d}, got {verilog!r}")
    graph = load_ir(d / "ir")
    digest = ir_hash(graph)
    if digest != manifest["ir_hash"]:
        raise IRError(str(d / "ir"), "ir_hash",
                      f"the IR hashes to {digest[:16]}..., the manifest names {str(manifest['ir_hash'])[:16]}...")
    return manifest, graph

"""``compile_graph``: a quantized graph -> ``<top>.v`` + ``manifest.json`` + the IR + a README.

The output folder is built in a temporary sibling folder and renamed into place, so a failed build
never leaves a half-written folder that looks valid; only an empty folder or a previous scnc build is
ever replaced. Identical inputs give byte-identical files. :func:`load_build` is the reader.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import amaranth
from amaranth.back import verilog
from amaranth.hdl import Value
from amaranth.lib import data
from amaranth.lib.wiring import In

from .. import __version__ as scnc_version
from .._io import atomic_write_text
from ..errors import BuildError, IRError
from ..ir import ir_hash, save_ir
from ..ir.schedule import event_layer_plan, layer_plan, sample_cycles, step_cycles
from ..kinds import Encoding, Engine, InputCoding, ResetMode, SNGKind
from .lint import WAIVERS
from ..manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    BeatField,
    BeatLayout,
    Cycles,
    Files,
    GraphInfo,
    LayerInfo,
    Manifest,
    Memory,
    Port,
    StepCycles,
    Stream,
    check_top_name,
    is_build_folder,
    sha256_file,
)
from .network import NetworkCore, check_buildable, input_shape, output_layout, trace_layout

__all__ = ["compile_graph", "build_manifest", "load_build", "check_out_dir", "MANIFEST_FORMAT"]


def _layout(shape) -> BeatLayout:
    """The :class:`BeatLayout` of an Amaranth payload shape (a struct layout, or a plain value)."""
    if isinstance(shape, data.StructLayout):
        return BeatLayout(shape.size, tuple(BeatField(name, f.offset, f.shape.width, bool(f.shape.signed))
                                            for name, f in shape))
    return BeatLayout(shape.width, (BeatField("value", 0, shape.width, bool(shape.signed)),))


def _ports(core: NetworkCore) -> tuple[Port, ...]:
    ports = [Port("clk", "input", 1), Port("rst", "input", 1)]
    for path, member, value in core.signature.flatten(core):
        ports.append(Port("__".join(str(p) for p in path), "input" if member.flow == In else "output",
                          len(Value.cast(value))))
    return tuple(ports)


def build_manifest(graph, core: NetworkCore, *, top_name: str, trace: bool, ir_digest: str,
                   sha256: dict[str, str] | None = None) -> Manifest:
    """The manifest of a core (everything a testbench, driver or integrator needs).

    ``sha256``: the hashes of ``<top>.v``, ``ir/ir.json`` and ``ir/ir.npz`` (:func:`compile_graph` fills
    them in once the files are written; until then they are empty).
    """
    man = _describe(graph, top_name=top_name, trace=trace, ir_digest=ir_digest)
    return replace(man, ports=_ports(core), files=replace(man.files, sha256=dict(sha256 or {})))


#: Manifest fields that follow from the IR alone (everything but ports, files, versions): what
#: :func:`load_build` recomputes from a build's IR and requires the manifest to state.
_FROM_IR = ("clock", "reset", "streams", "status", "handshake", "graph", "layers", "cycles", "lint", "options")


def _dense_layer_info(idx: int, node, hw) -> LayerInfo:
    """A dense engine's manifest entry: ``H*G`` blocks of ``P_i x P_n`` weights, one membrane per word."""
    p = layer_plan(node, hw)
    qq, nq = node.synapse.quant, node.neuron.quant
    return LayerInfo(
        index=idx, name=node.name, n_in=p.n_in, n_out=p.n_out, parallel_inputs=p.p_in,
        parallel_neurons=p.p_out, input_groups=p.groups_in, neuron_groups=p.groups_out,
        blocks_per_step=p.blocks, cycles_per_block=p.window, cycles_per_step=p.cycles_per_step,
        weight_rom=Memory(p.blocks, p.p_in * p.p_out * (qq.weight_bits + 1)),
        membrane_ram=Memory(p.n_out, nq.membrane_bits),
        weight_bits=qq.weight_bits, membrane_bits=nq.membrane_bits, current_bits=qq.current_bits,
        leak=nq.leak.kind, reset=ResetMode(nq.reset), multipliers=nq.leak.multipliers)


def _event_layer_info(idx: int, node, hw) -> LayerInfo:
    """An event engine's manifest entry: ``P_i`` input banks (``input_groups`` = inputs per bank), each a
    ROM of rows of ``P_n`` weights (``weight_rom``: all banks' rows), a membrane word per neuron group,
    ``P_n`` leak lanes; ``blocks_per_step`` and ``cycles_per_step`` are the bound with every input
    spiking (the exact figure depends on the spikes)."""
    p = event_layer_plan(node, hw)
    qq, nq = node.synapse.quant, node.neuron.quant
    return LayerInfo(
        index=idx, name=node.name, n_in=p.n_in, n_out=p.n_out, parallel_inputs=p.p_in,
        parallel_neurons=p.p_out, input_groups=p.bank_inputs, neuron_groups=p.groups_out,
        blocks_per_step=p.rows, cycles_per_block=1, cycles_per_step=p.worst_cycles_per_step,
        weight_rom=Memory(p.rows, p.p_out * (qq.weight_bits + 1)),
        membrane_ram=Memory(p.groups_out, p.p_out * nq.membrane_bits),
        weight_bits=qq.weight_bits, membrane_bits=nq.membrane_bits, current_bits=qq.current_bits,
        leak=nq.leak.kind, reset=ResetMode(nq.reset), multipliers=p.p_out * nq.leak.multipliers)


#: The manifest entry of a layer, by engine (a new engine: one function above, one entry here).
_LAYER_INFO = {Engine.DENSE: _dense_layer_info, Engine.EVENT: _event_layer_info}
#: What the ``cycles`` figures mean, by engine (prefixed to the note).
_CYCLES_NOTE = {
    Engine.DENSE: "",
    Engine.EVENT: "event engine: per-step and per-sample figures are upper bounds (every input of every layer "
                  "spiking every step, no trace port); the exact count of a sample is "
                  "scnc.ir.schedule.event_sample_cycles of its spike counts (scnc.ref.cycles); otherwise ",
}


def _describe(graph, *, top_name: str, trace: bool, ir_digest: str) -> Manifest:
    """The manifest fields that follow from the graph (ports left empty: they need the elaborated core)."""
    q = graph.input.quant
    T = graph.timesteps
    n_in = graph.input.size
    last = graph.layers[-1]
    cb = graph.output.count_bits
    steps = step_cycles(graph)
    sample = sample_cycles(graph)
    rate = q.coding is InputCoding.RATE
    streams = [
        Stream("i_data", "input", _layout(input_shape(graph)), n_in if rate else T,
               "intensity x_j of input j (unsigned input_bits), beats j = 0..n_in-1"
               if rate else "spike vector of step t: bit j = s0_j[t], beats t = 0..T-1"),
        Stream("o_data", "output", _layout(output_layout(graph)), T + 1,
               f"beats t = 0..T-1: last = 0, data bit i = spike of output neuron i at step t; then one "
               f"beat with last = 1, data[i*{cb}:(i+1)*{cb}] = spike count N_i of neuron i"),
    ]
    if trace:
        streams.append(Stream(
            "trace", "output", _layout(trace_layout(graph)), T * sum(n.n_out for n in graph.layers),
            "one neuron update: layer index, neuron index, step t, membrane after reset (signed, "
            "sign-extended), spike, saturated (the membrane was clamped); order: step, layer, neuron"))
    layers = [_LAYER_INFO[graph.hardware.engine](idx, node, graph.hardware) for idx, node in enumerate(graph.layers)]
    hw = graph.hardware
    return Manifest(
        format=MANIFEST_FORMAT,
        top=top_name,
        files=Files(f"{top_name}.v", ("ir/ir.json", "ir/ir.npz"), "README.md", {}),
        clock={"port": "clk", "edge": "rising", "domain": "sync"},
        reset={"port": "rst", "kind": "synchronous", "active": "high"},
        ports=(),
        streams=tuple(streams),
        status={
            "start": "one-cycle strobe: a sample began (its first i_data beat was accepted)",
            "busy": "high from the first accepted input beat of a sample until its counts beat is accepted",
            "done": "one-cycle strobe: the sample's counts beat was accepted",
        },
        handshake="amaranth.lib.stream: a beat transfers on a rising clk edge where valid & ready; a stalled "
        "o_data or trace stream stalls the core (nothing is dropped)",
        graph=GraphInfo(
            timesteps=T, stream_length=hw.stream_length, encoding=Encoding(hw.encoding), sng=SNGKind(hw.sng),
            input_sng=SNGKind(hw.input_sng), input_coding=InputCoding(q.coding),
            input_bits=q.input_bits if rate else None, n_inputs=n_in, n_outputs=last.n_out, count_bits=cb,
            class_labels=tuple(graph.output.class_labels), engine=Engine(hw.engine)),
        layers=tuple(layers),
        cycles=Cycles(
            per_step=StepCycles(steps["input"], tuple(steps["layers"]), steps["output"], steps["total"]),
            per_sample=sample["total"], latency_per_sample=sample["total"],
            note=_CYCLES_NOTE[hw.engine] + "exact for the generated state machines with every stream ready and input beats offered "
            "every cycle; latency counts from the first accepted input beat to the accepted counts "
            "beat, inclusive; a new sample is accepted the cycle after"),
        ir_hash=ir_digest,
        versions={"scnc": scnc_version, "amaranth": amaranth.__version__},
        options={"top_name": top_name, "trace": bool(trace)},
        lint={"tool": "verilator --lint-only -Wall", "waived": tuple(sorted(WAIVERS))},
    )


def _readme(man: Manifest) -> str:
    g = man.graph
    lines = [
        f"# {man.top}: scnc spiking-network core",
        "",
        f"Generated by scnc {man.versions['scnc']} (Amaranth {man.versions['amaranth']}) from the quantized",
        f"IR `{man.ir_hash}` (saved in `ir/`). `manifest.json` is the machine-readable version of this page.",
        "",
        f"- Network: {g.n_inputs} inputs -> "
        + " -> ".join(str(n) for n in man.layer_sizes)
        + f", T = {g.timesteps} time steps, L = {g.stream_length}, encoding `{g.encoding}`.",
        "- Clock `clk` (rising edge), reset `rst` (synchronous, active high).",
        f"- Cycles per time step: {man.cycles.per_step.total}; per sample (latency): "
        f"{man.cycles.per_sample} (no stall).",
        "",
        "## Streams (valid/ready; a beat moves when both are high at a rising edge)",
        "",
    ]
    for s in man.streams:
        fields = ", ".join(f"{f.name}[{f.offset}+:{f.width}]" for f in s.payload.fields)
        lines += [f"- `{s.name}` ({s.direction}, payload {s.payload.width} bits: {fields}), "
                  f"{s.beats_per_sample} beats per sample: {s.beat}."]
    lines += [
        "",
        "## Status",
        "",
        *(f"- `{k}`: {v}." for k, v in man.status.items()),
        "",
        "Back-pressure on `o_data` or `trace` stalls the core; nothing is dropped. Tie `trace__ready` high",
        "when the trace is not observed. The predicted class is the arg-max of the counts (ties to the",
        "lowest index); `graph.class_labels` in the manifest maps it to the original label.",
        "",
        "`manifest.json` records the SHA-256 of the Verilog and IR files; scnc refuses a build whose files",
        "no longer match (re-run `scnc compile` after changing anything).",
        "",
    ]
    return "\n".join(lines)


def check_out_dir(out_dir: str | os.PathLike) -> Path:
    """The destination folder of a build, refused when replacing it could destroy something else.

    Refused: an empty path; the filesystem root, the home folder, the working folder or any folder
    above it; a path under an existing file; an existing file; an existing folder that is not empty
    and not recognisably a build scnc wrote (:func:`is_build_folder`). Nothing is deleted here.
    """
    if str(out_dir).strip() == "":
        raise BuildError("''", None, "the output folder path is empty; name a folder, e.g. -o build/")
    out = Path(out_dir)
    real = out.expanduser().resolve()
    protected = {Path(real.anchor), Path.home().resolve()}
    cwd = Path.cwd().resolve()
    if real in protected or real == cwd or real in cwd.parents:
        raise BuildError(out, None, "is the filesystem root, the home folder, the working folder or a folder "
                                    "above it; scnc compile replaces its output folder, so name a new folder "
                                    "(e.g. -o build/)")
    for parent in real.parents:
        if parent.exists() and not parent.is_dir():
            raise BuildError(out, None, f"cannot be created: {parent} is a file, not a folder")
        if parent.exists():
            break
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(out, None, "exists and is not a folder (or is a symlink); choose another output path")
    if out.is_dir() and any(out.iterdir()) and not is_build_folder(out):
        raise BuildError(out, None, "exists and is not a build folder written by scnc compile (it has no scnc "
                                    "manifest.json); scnc compile replaces only its own builds, so nothing was "
                                    "changed: choose a new or empty folder")
    return out


def compile_graph(graph, out_dir: str | os.PathLike, *, top_name: str = "scnc_core", trace: bool = True) -> Manifest:
    """Generate the Verilog core of a quantized graph into ``out_dir``.

    Writes ``<top_name>.v``, ``manifest.json``, ``ir/ir.json`` + ``ir/ir.npz`` and ``README.md`` into a
    temporary sibling folder, then renames it into place. An existing ``out_dir`` is replaced only if
    it is empty or recognisably a previous scnc build (its ``manifest.json``), and only once the new
    build is complete; any other existing folder is refused and left untouched.

    Parameters
    ----------
    graph:
        A quantized ``Graph``.
    out_dir:
        Destination folder.
    top_name:
        Verilog module name of the top (a Verilog identifier, not a keyword, at most 128 characters).
    trace:
        Include the trace stream (verification builds).

    Returns
    -------
    Manifest
        The manifest, as written to ``manifest.json``.

    Raises
    ------
    IRError
        The graph cannot be built (not quantized, not a chain, inconsistent fields).
    BuildError
        ``top_name`` is not a legal Verilog identifier, or ``out_dir`` must not be replaced (see above).
    """
    check_top_name(top_name)
    out = check_out_dir(out_dir)
    check_buildable(graph)
    core = NetworkCore(graph, trace=trace)
    text = verilog.convert(core, name=top_name, emit_src=False)
    digest = ir_hash(graph)
    manifest = build_manifest(graph, core, top_name=top_name, trace=trace, ir_digest=digest)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    try:
        atomic_write_text(tmp / manifest.files.verilog, text)
        save_ir(graph, tmp / "ir")
        manifest = manifest.with_hashes({rel: sha256_file(tmp / rel) for rel in (manifest.files.verilog,
                                                                                  *manifest.files.ir)})
        # what the compiler writes must be what every reader accepts
        Manifest.from_dict(manifest.to_dict(), path=tmp / MANIFEST_NAME)
        atomic_write_text(tmp / MANIFEST_NAME, manifest.to_json())
        atomic_write_text(tmp / manifest.files.readme, _readme(manifest))
        for f in tmp.rglob("*"):
            os.chmod(f, 0o755 if f.is_dir() else 0o644)
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            # re-checked just before the swap: the folder may have changed while the core was generated
            check_out_dir(out)
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


def load_build(build_dir: str | os.PathLike) -> tuple[Manifest, "object"]:
    """Read a folder written by :func:`compile_graph`: ``(manifest, graph)``, checked.

    :meth:`Manifest.load` checks every manifest field, the files' locations and SHA-256 and the
    Verilog's ports; then the IR is loaded, its semantic hash compared with ``ir_hash``, and every
    manifest field that follows from the IR (streams and their layouts, graph, layers, cycles, ...)
    compared with what this scnc derives from it, so a hand-edited manifest cannot misdescribe the core.

    Raises
    ------
    BuildError
        Not a build folder, or the manifest or a file it names fails a check (names file and field),
        or a field disagrees with the IR (a build written by an scnc with another cycle model or
        layout included: re-run ``scnc compile``).
    IRError
        The IR in ``ir/`` is malformed or does not hash to the manifest's ``ir_hash``.
    """
    from ..ir import load_ir

    d = Path(build_dir)
    manifest = Manifest.load(d)
    graph = load_ir(d / Path(manifest.files.ir[0]).parent)
    digest = ir_hash(graph)
    if digest != manifest.ir_hash:
        raise IRError(str(d / "ir"), "ir_hash",
                      f"the IR hashes to {digest[:16]}..., the manifest names {manifest.ir_hash[:16]}...")
    want = _describe(graph, top_name=manifest.top, trace=manifest.has_trace, ir_digest=digest).to_dict()
    got = manifest.to_dict()
    for key in _FROM_IR:
        if got[key] != want[key]:
            sub = _first_difference(got[key], want[key], key)
            raise BuildError(d / MANIFEST_NAME, sub, "does not match the build's IR (ir/): the manifest was edited, or "
                                                     "written by an scnc that derives it differently; re-run scnc compile")
    return manifest, graph


def _first_difference(got, want, path: str) -> str:
    """Dotted path of the first place two JSON values differ (for the error message)."""
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            if got.get(k) != want.get(k):
                return _first_difference(got.get(k), want.get(k), f"{path}.{k}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for i, (a, b) in enumerate(zip(got, want)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return path

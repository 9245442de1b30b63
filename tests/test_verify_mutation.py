"""A verifier that cannot fail proves nothing: planted differences must be caught and located.

Each test builds a core whose Verilog differs from its manifest's IR in one place (a flipped weight
bit in the ROM initialiser, a leak beta_q off by one, a threshold off by one), runs ``verify`` and
checks: exit code 1 / ``ok`` False, mismatches > 0, and the reported first divergence equals the one
predicted by running scnc.ref on the mutated graph (what the planted hardware really computes).
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from scnc.cli import main
from scnc.ir import QuantOptions, from_network, quantize
from scnc.rtl import compile_graph
from scnc.snn.network import Network
from scnc.verify import compare, find_verilator, make_case, verify_build

from support.build import reseal
from support.graphs import with_quant
from test_verify_bench import _encode

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")]


def base_graph(leak: str = "sc"):
    net = Network.dense([6, 5, 3], seed=2, timesteps=4)
    return quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=2, parallel_neurons=1,
                                                    leak=leak))


def with_layer0(graph, **changes):
    """``graph`` with hardware fields of its first layer replaced (``leak__x``: field x of the leak)."""
    return with_quant(graph, 0, **changes)


INPUTS = {"intensities": np.full((3, 6), 255, np.int64)}  # every input spikes at (almost) every step


def planted_build(tmp_path, good, bad):
    """A build folder with ``good``'s manifest and IR but ``bad``'s Verilog, re-sealed (the manifest's
    SHA-256 of the Verilog updated: without it the build check refuses the folder before simulation)."""
    d = tmp_path / "build"
    man = compile_graph(good, d)
    compile_graph(bad, tmp_path / "bad")
    shutil.copyfile(man.verilog_path(tmp_path / "bad"), man.verilog_path(d))
    return d, reseal(d)


def predicted_first(man, good, bad) -> dict:
    """First divergence of scnc.ref(bad) against scnc.ref(good), in the bench's order."""
    want = make_case(good, **INPUTS)
    res = compare(man, want, _encode(man, make_case(bad, **INPUTS)))
    assert res.mismatches > 0, "the mutation changes nothing on these inputs: pick another"
    f = res.first
    return {"sample": f.sample, "step": f.step, "layer": f.layer, "neuron": f.neuron, "field": f.field,
            "expected": f.expected, "actual": f.actual}


def check_caught(tmp_path, good, bad, sim="icarus"):
    d, man = planted_build(tmp_path, good, bad)
    rep = verify_build(d, sim=sim, inputs=INPUTS, build_root=tmp_path / "simbuilds")
    assert not rep.ok and rep.mismatches > 0
    assert rep.first_divergence == predicted_first(man, good, bad)
    assert rep.waves_file is not None and rep.waves_file.is_file()  # kept for the failure
    return d, rep


def test_wrong_leak_is_caught(tmp_path) -> None:
    good = base_graph("sc")
    bq = good.layers[0].neuron.quant.leak.beta_q.copy()
    bq[0] = bq[0] - 1 if bq[0] > 0 else 1
    check_caught(tmp_path, good, with_layer0(good, leak__beta_q=bq))


def test_wrong_threshold_is_caught_and_cli_exits_1(tmp_path, capsys) -> None:
    good = base_graph("shift")
    th = good.layers[0].neuron.quant.threshold_q.copy()
    th[1] += 1
    d, rep = check_caught(tmp_path, good, with_layer0(good, threshold_q=th))
    capsys.readouterr()
    rc = main(["verify", str(d), "--sim", "icarus", "--samples", "2", "--json", "--no-progress"])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 1 and line["mismatches"] > 0 and line["first_divergence"] is not None


def _flip_first_weight_lsb(text: str) -> str:
    """Flip bit 0 (|q| LSB of entry 0) of word 0 of layer 0's weight ROM initialiser (the ``rom``
    memory of the module ``<top>.layer0.weights``, scnc.rtl.engine.WeightROM)."""
    start = text.index(".layer0.weights ")  # the module declaration of layer 0's WeightROM
    m = re.compile(r"rom\[0\] = (\d+)'h([0-9a-f]+);").search(text, start)
    assert m, "no weight ROM initialiser found"
    width, value = int(m.group(1)), int(m.group(2), 16) ^ 1
    new = f"rom[0] = {width}'h{value:0{(width + 3) // 4}x};"
    return text[: m.start()] + new + text[m.end():]


def test_flipped_weight_bit_in_verilog_is_caught_by_verilator(tmp_path) -> None:
    try:
        find_verilator()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no usable Verilator: {exc}")
    good = base_graph("sc")
    d = tmp_path / "build"
    man = compile_graph(good, d)
    v = man.verilog_path(d)
    v.write_text(_flip_first_weight_lsb(v.read_text()))
    man = reseal(d)
    # what the flipped ROM word means: entry 0 = input 0 -> neuron 0, |q| in the low w bits
    wq = good.layers[0].synapse.quant.weight_q.copy()
    mag = abs(int(wq[0, 0])) ^ 1
    wq[0, 0] = mag if wq[0, 0] >= 0 else -mag
    bad = with_layer0(good, weight_q=wq)
    rep = verify_build(d, sim="verilator", inputs=INPUTS, build_root=tmp_path / "simbuilds")
    assert not rep.ok and rep.mismatches > 0
    assert rep.first_divergence == predicted_first(man, good, bad)
    assert (rep.first_divergence["layer"], rep.first_divergence["neuron"]) == (0, 0)
    assert rep.waves_file is not None and rep.waves_file.is_file()

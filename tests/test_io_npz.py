"""scnc._io.read_npz: sizes checked before inflating, no pickles, every corruption a NPZError."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scnc._io import MAX_ARRAY_BYTES, NPZError, max_array_bytes, npz_bytes, read_npz
from scnc.errors import ConfigError


def _zip(members: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy(a: np.ndarray, allow_pickle: bool = False) -> bytes:
    m = io.BytesIO()
    np.lib.format.write_array(m, a, allow_pickle=allow_pickle)
    return m.getvalue()


def test_round_trip_matches_np_load(tmp_path: Path) -> None:
    arrays = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "b": np.array([1, -2], np.int64),
        "big_endian": np.arange(3, dtype=">f8"),
        "scalar": np.array(7, np.int16),
        "empty": np.zeros((0, 5), np.float32),
    }
    path = tmp_path / "a.npz"
    path.write_bytes(npz_bytes(arrays))
    got = read_npz(path)
    with np.load(path, allow_pickle=False) as ref:
        assert sorted(got) == sorted(ref.files)
        for k in got:
            assert got[k].dtype == ref[k].dtype and got[k].shape == ref[k].shape
            assert got[k].tobytes() == ref[k].tobytes()
    assert got["w"].flags.writeable
    # Fortran-ordered members keep their values
    path.write_bytes(_zip({"f.npy": _npy(np.asfortranarray(arrays["w"]))}))
    assert np.array_equal(read_npz(path)["f"], arrays["w"])


def test_limit_default_argument_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCNC_MAX_ARRAY_BYTES", raising=False)
    assert max_array_bytes() == MAX_ARRAY_BYTES == 1 << 30
    path = tmp_path / "a.npz"
    path.write_bytes(npz_bytes({"x": np.zeros(1000, np.float32)}))  # 4000 data bytes + header
    with pytest.raises(NPZError, match="limit is 1000"):
        read_npz(path, max_bytes=1000)
    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", "1000")
    with pytest.raises(NPZError, match="SCNC_MAX_ARRAY_BYTES"):
        read_npz(path)
    assert read_npz(path, max_bytes=5000)["x"].shape == (1000,)  # the argument wins
    for bad in ("0", "-5", "1e9", "lots"):
        monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", bad)
        with pytest.raises(ConfigError, match="SCNC_MAX_ARRAY_BYTES"):
            read_npz(path)
    with pytest.raises(ConfigError, match="max_bytes"):
        read_npz(path, max_bytes=0)


@pytest.mark.parametrize(
    "members, member, expect",
    [
        ({"x.npy": _npy(np.array([{"a": 1}], dtype=object), allow_pickle=True)}, "x", "object array"),
        ({"x.npy": _npy(np.zeros(2, dtype=[("a", "O")]), allow_pickle=True)}, "x", "object array"),
        ({"notes.txt": b"hello"}, "notes.txt", "not a '<name>.npy'"),
        ({"x.npy": b"\x93NUMPY\x01"}, "x", "bad .npy header"),
        ({"x.npy": b"PK garbage"}, "x", "bad .npy header"),
        ({"x.npy": _npy(np.zeros(4, np.float32))[:-3]}, "x", "header declares 16 data bytes"),
        ({"x.npy": _npy(np.zeros(4, np.float32)) + b"\0" * 4}, "x", "header declares 16 data bytes"),
    ],
)
def test_bad_members(tmp_path: Path, members: dict, member: str, expect: str) -> None:
    path = tmp_path / "a.npz"
    path.write_bytes(_zip(members))
    with pytest.raises(NPZError, match=expect) as info:
        read_npz(path)
    assert info.value.member == member


def test_duplicate_members_and_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("x.npy", _npy(np.zeros(1)))
        zf.writestr("x.npy", _npy(np.ones(1)))
    path.write_bytes(buf.getvalue())
    with pytest.raises(NPZError, match="more than once"):
        read_npz(path)
    for data in (b"", b"PK\x03\x04", _npy(np.zeros(3))):
        path.write_bytes(data)
        with pytest.raises(NPZError, match="not a readable .npz") as info:
            read_npz(path)
        assert info.value.member is None


def test_crc_and_deflate_corruption(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    good = npz_bytes({"w": np.arange(64, dtype=np.float32)})
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo("w.npy")
    start = info.header_offset + 30 + len(info.filename)
    detected = 0
    for k in range(info.compress_size):
        data = bytearray(good)
        data[start + k] ^= 0x55
        path.write_bytes(bytes(data))
        try:
            got = read_npz(path)
        except NPZError as exc:
            detected += 1
            assert exc.member == "w"
        else:  # a flip in the deflate stream's padding bits changes nothing: the data must be intact
            assert got["w"].tobytes() == np.arange(64, dtype=np.float32).tobytes(), f"flipped byte {k} undetected"
    assert detected >= info.compress_size - 2


def test_inflating_member_is_never_expanded(tmp_path: Path) -> None:
    """A member whose zip entry declares 10 bytes but whose deflate stream holds 64 MB of zeros."""
    import tracemalloc
    import zlib

    payload = _npy(np.zeros(2, np.uint8))  # header + 2 data bytes
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = comp.compress(payload + bytes(64 << 20)) + comp.flush()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.npy", payload)
    data = bytearray(buf.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("x.npy")
    # splice the bomb in place of the member's compressed bytes; keep the declared sizes and CRC
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    rest = bytes(data[start + info.compress_size:])
    cd = rest.find(b"PK\x01\x02")
    bomb = bytes(data[:start]) + stream + rest
    # fix the local header's and the central directory's compressed size, and the directory offset
    import struct

    bomb = bytearray(bomb)
    struct.pack_into("<I", bomb, info.header_offset + 18, len(stream))
    cd_off = start + len(stream) + cd
    struct.pack_into("<I", bomb, cd_off + 20, len(stream))
    eocd = bomb.rfind(b"PK\x05\x06")
    struct.pack_into("<I", bomb, eocd + 16, cd_off)
    path = tmp_path / "bomb.npz"
    path.write_bytes(bytes(bomb))
    tracemalloc.start()
    try:
        got = read_npz(path)  # reads exactly the declared bytes; the rest of the stream stays compressed
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"inflating used {peak} bytes"
    assert got["x"].tolist() == [0, 0]

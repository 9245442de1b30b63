"""scnc._io.read_json (size / depth / syntax limits) and scnc.kinds (the variant enums)."""

from __future__ import annotations

import json

import pytest

from scnc import kinds
from scnc._io import JSONLimitError, read_json


def test_read_json_accepts_bom_and_brackets_inside_strings(tmp_path):
    p = tmp_path / "a.json"
    p.write_text('\ufeff{"a": "x\\"[[[[", "b": [[1]]}', encoding="utf-8")
    assert read_json(p) == {"a": 'x"[[[[', "b": [[1]]}


@pytest.mark.parametrize("depth, ok", [(64, True), (65, False), (100_000, False)])
def test_read_json_depth_limit(tmp_path, depth, ok):
    p = tmp_path / "deep.json"
    p.write_text("[" * depth + "]" * depth)
    if ok:
        read_json(p)
    else:
        with pytest.raises(JSONLimitError, match="levels"):
            read_json(p)


def test_read_json_size_checked_before_reading(tmp_path):
    p = tmp_path / "big.json"
    p.write_text(json.dumps({"a": "x" * 1000}))
    with pytest.raises(JSONLimitError, match="at most 100 bytes"):
        read_json(p, max_bytes=100)


@pytest.mark.parametrize("text, what", [('{"a": NaN}', "NaN"), ("{", "not valid JSON"), (b"\xff\xfe", "UTF-8")])
def test_read_json_refuses_invalid(tmp_path, text, what):
    p = tmp_path / "bad.json"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(JSONLimitError, match=what):
        read_json(p)


def test_enums_serialise_as_their_values():
    assert json.dumps({"e": kinds.Encoding.SC}) == '{"e": "sc"}'
    assert f"{kinds.SNGKind.LFSR}" == "lfsr"
    assert kinds.choices(kinds.LeakKind) == ("sc", "shift")
    assert kinds.parse(kinds.ResetMode, "zero", "reset") is kinds.ResetMode.ZERO
    with pytest.raises(ValueError, match=r"reset must be one of \('subtract', 'zero', 'subtract_delayed'\), got 'one'"):
        kinds.parse(kinds.ResetMode, "one", "reset")


@pytest.mark.parametrize("text, what", [('{"a": 1e400}', "overflows"), ('{"a": ' + "9" * 5000 + "}", "cannot read")])
def test_read_json_refuses_numbers_it_cannot_hold(tmp_path, text, what):
    p = tmp_path / "n.json"
    p.write_text(text)
    with pytest.raises(JSONLimitError, match=what):
        read_json(p)


def test_npz_bytes_keeps_zero_d_arrays(tmp_path):
    import numpy as np

    from scnc._io import npz_bytes

    p = tmp_path / "a.npz"
    p.write_bytes(npz_bytes({"s": np.array("rate"), "x": np.arange(6).reshape(2, 3).T}))
    with np.load(p, allow_pickle=False) as z:
        assert z["s"].shape == () and str(z["s"]) == "rate"
        assert z["x"].tolist() == [[0, 3], [1, 4], [2, 5]]

"""Tests for scnc.data: bundled digits split, optdigits CSV, MNIST IDX, class selection, few-shot."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scnc.data import DATASETS, Dataset, few_shot, few_shot_index, load_dataset, parse_classes, select_classes
from scnc.data.idx import IDX_DTYPES, parse_idx, read_idx
from scnc.data.optdigits import DIGITS_TEST_SIZE, read_optdigits_file, stratified_split
from scnc.errors import ConfigError, DataError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def shared_optdigits() -> Path:
    folder = SHARED_DATA / "optdigits"
    if not (folder / "optdigits.tra").is_file() or not (folder / "optdigits.tes").is_file():
        pytest.skip("needs ../shared/data/optdigits (CI has it)")
    return folder


@pytest.fixture(scope="module")
def digits_train() -> Dataset:
    return load_dataset("digits", split="train")


@pytest.fixture(scope="module")
def digits_test() -> Dataset:
    return load_dataset("digits", split="test")


# ---------------------------------------------------------------------------- digits


def test_digits_split_sizes_and_types(digits_train: Dataset, digits_test: Dataset) -> None:
    assert (digits_train.n, digits_test.n) == (1257, 540)
    for ds in (digits_train, digits_test):
        assert ds.x.dtype == np.float32 and ds.y.dtype == np.int64
        assert ds.x.shape[1] == 64 and ds.image_shape == (8, 8)
        assert ds.classes == tuple(range(10))
        assert ds.x.min() >= 0.0 and ds.x.max() <= 1.0
        # values are counts / 16 exactly
        assert np.array_equal(ds.x * 16, np.round(ds.x * 16))
        assert not ds.x.flags.writeable and not ds.y.flags.writeable


def test_digits_split_is_stratified_disjoint_and_complete(digits_train: Dataset, digits_test: Dataset) -> None:
    from sklearn.datasets import load_digits

    raw = load_digits()
    total = np.bincount(raw.target, minlength=10)
    test_counts = np.bincount(digits_test.y, minlength=10)
    assert np.all(np.abs(test_counts - total * DIGITS_TEST_SIZE / total.sum()) < 1)
    assert np.array_equal(np.bincount(digits_train.y, minlength=10) + test_counts, total)
    # rows of train + test are exactly the 1797 rows of load_digits
    both = np.concatenate([digits_train.x, digits_test.x]) * 16
    labels = np.concatenate([digits_train.y, digits_test.y])
    key = lambda rows, ys: sorted(map(bytes, np.column_stack([rows.astype(np.uint8), ys.astype(np.uint8)])))  # noqa: E731
    assert key(both, labels) == key(raw.data, raw.target)


def test_digits_split_does_not_depend_on_seed(digits_train: Dataset) -> None:
    again = load_dataset("digits", split="train", seed=123)
    assert np.array_equal(again.x, digits_train.x) and np.array_equal(again.y, digits_train.y)
    assert again.identity() == digits_train.identity()


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 30), min_size=1, max_size=6),
    frac=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_properties(counts: list[int], frac: float, seed: int) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(0).shuffle(y)
    n_test = int(round(frac * y.size))
    train, test = stratified_split(y, n_test, seed)
    assert test.size == n_test
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(y.size))
    assert np.all(np.diff(test) > 0) and np.all(np.diff(train) > 0)
    per = np.bincount(y[test], minlength=len(counts))
    assert np.all(np.abs(per - np.array(counts) * n_test / y.size) < 1)
    again = stratified_split(y, n_test, seed)
    assert np.array_equal(again[1], test)


# ---------------------------------------------------------------------------- optdigits


def _write_csv(path: Path, rows: list[list[int]] | str) -> Path:
    text = rows if isinstance(rows, str) else "".join(",".join(map(str, r)) + "\n" for r in rows)
    path.write_text(text)
    return path


def _rows(n: int, seed: int = 0) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(rng.integers(0, 17, 64)) + [i % 10] for i in range(n)]


def test_optdigits_from_files(tmp_path: Path) -> None:
    rows = _rows(20)
    _write_csv(tmp_path / "optdigits.tra", rows)
    _write_csv(tmp_path / "optdigits.tes", _rows(10, 1))
    ds = load_dataset("optdigits", split="train", data_dir=tmp_path)
    assert ds.n == 20 and ds.name == "optdigits" and ds.image_shape == (8, 8)
    assert np.array_equal(ds.x, np.array(rows)[:, :64].astype(np.float32) / 16)
    assert np.array_equal(ds.y, np.array(rows)[:, 64])
    assert set(ds.identity()["sources"]) == {"optdigits.tra"}
    assert load_dataset("optdigits", split="test", data_dir=tmp_path).n == 10
    # the data_dir/optdigits/ layout is found too
    sub = tmp_path / "nested"
    (sub / "optdigits").mkdir(parents=True)
    _write_csv(sub / "optdigits" / "optdigits.tes", rows)
    assert load_dataset("optdigits", split="test", data_dir=sub).n == 20


@pytest.mark.parametrize(
    "mutate, expect",
    [
        (lambda r: r[:3] + [r[3][:64]] + r[4:], r"line 4: expected 65"),
        (lambda r: r[:1] + [r[1][:10] + ["x"] + r[1][11:]] + r[2:], r"line 2, column 11: 'x'"),
        (lambda r: r[:1] + [r[1][:10] + ["1.5"] + r[1][11:]] + r[2:], r"line 2, column 11"),
        (lambda r: r[:1] + [r[1][:10] + ["-1"] + r[1][11:]] + r[2:], r"line 2, column 11"),
        (lambda r: r[:2] + [r[2][:5] + [17] + r[2][6:]] + r[3:], r"line 3, column 6: feature 17 is out of range"),
        (lambda r: r[:4] + [r[4][:64] + [10]] + r[5:], r"line 5, column 65: label 10"),
    ],
)
def test_optdigits_rejects_bad_lines(tmp_path: Path, mutate, expect: str) -> None:
    rows = [[str(v) for v in r] for r in _rows(6)]
    path = _write_csv(tmp_path / "optdigits.tra", mutate(rows))
    with pytest.raises(DataError, match=expect) as info:
        load_dataset("optdigits", split="train", data_dir=tmp_path)
    assert str(path) in str(info.value)


def test_optdigits_blank_line_inside_and_empty_file(tmp_path: Path) -> None:
    text = "".join(",".join(map(str, r)) + "\n" for r in _rows(3))
    lines = text.splitlines(keepends=True)
    path = _write_csv(tmp_path / "optdigits.tra", lines[0] + "\n" + "".join(lines[1:]) + "\n\n")
    with pytest.raises(DataError, match="line 2: expected 65"):
        read_optdigits_file(path)
    _write_csv(path, "\n")
    with pytest.raises(DataError, match="no examples"):
        read_optdigits_file(path)
    # trailing blank lines and CRLF are fine
    _write_csv(path, text.replace("\n", "\r\n") + "\r\n")
    assert read_optdigits_file(path)[0].shape == (3, 64)


def test_optdigits_missing_file_and_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"optdigits\.tra.*optdigits/optdigits\.tra"):
        load_dataset("optdigits", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="data_dir"):
        load_dataset("optdigits")
    with pytest.raises(ConfigError, match="not a folder"):
        load_dataset("optdigits", data_dir=tmp_path / "nope")


def test_shared_optdigits_files(shared_optdigits: Path) -> None:
    tra = load_dataset("optdigits", split="train", data_dir=shared_optdigits.parent)
    tes = load_dataset("optdigits", split="test", data_dir=shared_optdigits)
    assert (tra.n, tes.n) == (3823, 1797)
    assert tra.classes == tes.classes == tuple(range(10))


def test_sklearn_digits_is_exactly_optdigits_tes(shared_optdigits: Path) -> None:
    from sklearn.datasets import load_digits

    raw = load_digits()
    counts, labels, _ = read_optdigits_file(shared_optdigits / "optdigits.tes")
    assert np.array_equal(raw.data, counts) and np.array_equal(raw.target, labels)


# ---------------------------------------------------------------------------- IDX


def _idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    dtype = IDX_DTYPES[code]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=dtype).tobytes()


def _write_mnist(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool, dotted=False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    sep = "." if dotted else "-"
    for kind, arr, nd in (("images", images, 3), ("labels", labels, 1)):
        data = _idx_bytes(arr)
        name = f"{prefix}-{kind}{sep}idx{nd}-ubyte"
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / name).write_bytes(data)


def _tiny(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 4, 3), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_mnist_idx_raw_and_gzip(tmp_path: Path, gz: bool, name: str) -> None:
    images, labels = _tiny(12)
    _write_mnist(tmp_path, "train", images, labels, gz)
    _write_mnist(tmp_path, "t10k", images[:5], labels[:5], gz)
    ds = load_dataset(name, split="train", data_dir=tmp_path)
    assert ds.name == name and ds.image_shape == (4, 3) and ds.n == 12
    assert np.array_equal(ds.x, images.reshape(12, 12).astype(np.float32) / np.float32(255))
    assert ds.x.max() <= 1.0 and np.array_equal(ds.y, labels)
    assert len(ds.identity()["sources"]) == 2
    assert load_dataset(name, split="test", data_dir=tmp_path).n == 5


def test_mnist_dotted_names(tmp_path: Path) -> None:
    images, labels = _tiny(4)
    _write_mnist(tmp_path, "t10k", images, labels, gz=False, dotted=True)
    assert load_dataset("mnist", split="test", data_dir=tmp_path).n == 4


def test_mnist_missing_file_lists_names(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte, train-images-idx3-ubyte\.gz"):
        load_dataset("mnist", data_dir=tmp_path)
    images, labels = _tiny(4)
    _write_mnist(tmp_path, "train", images, labels, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"labels file not found.*train-labels-idx1-ubyte\.gz"):
        load_dataset("mnist", data_dir=tmp_path)


def test_mnist_count_mismatch(tmp_path: Path) -> None:
    images, labels = _tiny(6)
    _write_mnist(tmp_path, "train", images, labels[:5], gz=True)
    with pytest.raises(DataError, match="6 images but .* 5 labels"):
        load_dataset("mnist", data_dir=tmp_path)


def test_mnist_wrong_dtype_or_rank(tmp_path: Path) -> None:
    images, labels = _tiny(3)
    _write_mnist(tmp_path, "train", images, labels, gz=False)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_bytes(images.reshape(3, 12)))
    with pytest.raises(DataError, match="3 dimensions"):
        load_dataset("mnist", data_dir=tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx_bytes(images.astype(np.int16), 0x0B))
    with pytest.raises(DataError, match="uint8 images"):
        load_dataset("mnist", data_dir=tmp_path)


@pytest.mark.parametrize(
    "corrupt, expect",
    [
        (lambda b: b"\x01" + b[1:], "bad IDX magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
        (lambda b: b[:-1], "truncated IDX data"),
        (lambda b: b[:9], "truncated IDX header"),
        (lambda b: b[:2], "truncated IDX header"),
        (lambda b: b + b"\x00", "unexpected bytes after"),
        (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
    ],
)
def test_idx_corruption_is_reported(tmp_path: Path, corrupt, expect: str) -> None:
    images, _ = _tiny(3)
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(corrupt(_idx_bytes(images)))
    with pytest.raises(DataError, match=expect) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_gzip_problems(tmp_path: Path) -> None:
    images, _ = _tiny(3)
    data = gzip.compress(_idx_bytes(images), mtime=0)
    path = tmp_path / "a.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt or truncated gzip"):
        read_idx(path)
    path.write_bytes(_idx_bytes(images))
    with pytest.raises(DataError, match="not gzip data"):
        read_idx(path)


@pytest.mark.parametrize("code", sorted(IDX_DTYPES))
def test_idx_dtypes_round_trip(code: int) -> None:
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(IDX_DTYPES[code].newbyteorder("="))
    if code == 0x08:
        arr = np.abs(arr).astype(np.uint8)
    out = parse_idx(_idx_bytes(arr, code))
    assert out.dtype == IDX_DTYPES[code].newbyteorder("=") and np.array_equal(out, arr)


# ---------------------------------------------------------------------------- classes


@pytest.mark.parametrize(
    "spec, expected",
    [("0-4", [0, 1, 2, 3, 4]), ("1,3,5-7", [1, 3, 5, 6, 7]), (" 9 , 2 ", [2, 9]), ("5-5", [5]), ("7", [7])],
)
def test_parse_classes(spec: str, expected: list[int]) -> None:
    assert parse_classes(spec) == expected


@pytest.mark.parametrize("spec, expect", [("5-3", "descending"), ("a", "'a'"), ("", "empty"), ("  ", "empty"),
                                          ("1,,2", "''"), ("1-2-3", "1-2-3"), ("-1", "-1"), ("1,1", "more than once"),
                                          ("0-3,2", "more than once")])
def test_parse_classes_errors(spec: str, expect: str) -> None:
    with pytest.raises(ConfigError, match=expect):
        parse_classes(spec)


def test_select_classes_remaps(digits_train: Dataset) -> None:
    ds = select_classes(digits_train, [9, 5, 7])
    assert ds.classes == (5, 7, 9)
    orig = np.asarray(digits_train.classes)[digits_train.y]
    keep = np.isin(orig, [5, 7, 9])
    assert np.array_equal(ds.x, digits_train.x[keep])
    assert np.array_equal(np.asarray(ds.classes)[ds.y], orig[keep])
    assert load_dataset("digits", classes="5-9").classes == (5, 6, 7, 8, 9)
    with pytest.raises(ConfigError, match=r"no class \[11\]"):
        select_classes(digits_train, [1, 11])
    with pytest.raises(ConfigError, match="more than once"):
        select_classes(digits_train, [1, 1])


# ---------------------------------------------------------------------------- few-shot


def test_few_shot_total_balances_with_remainder_to_lowest(digits_train: Dataset) -> None:
    ds = load_dataset("digits", classes=[2, 4, 6, 8], shots=10, seed=5)
    assert ds.counts() == {2: 3, 4: 3, 6: 2, 8: 2}
    assert ds.identity()["shots"] == 10 and ds.identity()["seed"] == 5
    per = few_shot(digits_train, per_class=3, seed=0)
    assert per.counts() == {c: 3 for c in range(10)} and per.shots == 30


def test_few_shot_index_is_what_few_shot_keeps(digits_train: Dataset) -> None:
    idx = few_shot_index(digits_train, total=23, seed=4)
    kept = few_shot(digits_train, total=23, seed=4)
    assert idx.dtype == np.int64 and (np.diff(idx) > 0).all() and idx.size == 23
    assert np.array_equal(digits_train.x[idx], kept.x) and np.array_equal(digits_train.y[idx], kept.y)
    assert digits_train.subset(idx).sha256 == kept.sha256


def test_few_shot_is_seeded_and_checks_arguments(digits_train: Dataset) -> None:
    a = few_shot(digits_train, total=50, seed=1)
    b = few_shot(digits_train, total=50, seed=1)
    c = few_shot(digits_train, total=50, seed=2)
    assert np.array_equal(a.x, b.x) and a.identity() == b.identity()
    assert not np.array_equal(a.x, c.x) and a.identity()["sha256"] != c.identity()["sha256"]
    with pytest.raises(ConfigError, match="exactly one"):
        few_shot(digits_train, total=5, per_class=1)
    with pytest.raises(ConfigError, match="exactly one"):
        few_shot(digits_train)
    with pytest.raises(ConfigError, match="positive integer"):
        few_shot(digits_train, total=0)
    with pytest.raises(ConfigError, match=r"class 0 .* has 124 examples, 125 requested"):
        few_shot(digits_train, per_class=125)


@settings(max_examples=25, deadline=None)
@given(small=st.integers(1, 40), extra=st.integers(0, 40), seed=st.integers(0, 1000))
def test_few_shot_smaller_selection_is_a_subset(digits_test: Dataset, small: int, extra: int, seed: int) -> None:
    a = few_shot(digits_test, total=small, seed=seed)
    b = few_shot(digits_test, total=small + extra, seed=seed)
    rows = lambda d: {bytes(r) + bytes([int(c)]) for r, c in zip(d.x, d.y)}  # noqa: E731
    assert a.n == small and b.n == small + extra
    assert rows(a) <= rows(b)


# ---------------------------------------------------------------------------- Dataset


def test_dataset_validation() -> None:
    x = np.zeros((3, 4), np.float32)
    y = np.array([0, 1, 0])
    ok = Dataset(x=x, y=y, classes=(3, 7), name="t", split="train", image_shape=(2, 2))
    assert x.flags.writeable  # the caller's array is not made read-only
    assert ok.n == 3 and ok.n_features == 4 and ok.n_classes == 2 and ok.counts() == {3: 2, 7: 1}
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        Dataset(x=x + 2, y=y, classes=(3, 7), name="t", split="train", image_shape=(2, 2))
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        Dataset(x=np.full((3, 4), np.nan), y=y, classes=(3, 7), name="t", split="train", image_shape=(2, 2))
    with pytest.raises(ConfigError, match="index classes"):
        Dataset(x=x, y=y + 1, classes=(3, 7), name="t", split="train", image_shape=(2, 2))
    with pytest.raises(ConfigError, match="ascending"):
        Dataset(x=x, y=y, classes=(7, 3), name="t", split="train", image_shape=(2, 2))
    with pytest.raises(ConfigError, match="image_shape"):
        Dataset(x=x, y=y, classes=(3, 7), name="t", split="train", image_shape=(2, 3))
    with pytest.raises(ConfigError, match="split"):
        Dataset(x=x, y=y, classes=(3, 7), name="t", split="val", image_shape=(2, 2))


def test_load_dataset_rejects_unknown_names() -> None:
    assert set(DATASETS) == {"digits", "optdigits", "mnist", "fashion-mnist"}
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset("cifar")
    with pytest.raises(ConfigError, match="split"):
        load_dataset("digits", split="valid")


def test_identity_is_json_ready(digits_test: Dataset) -> None:
    import json

    ident = digits_test.identity()
    assert set(ident) == {"name", "split", "classes", "shots", "seed", "n", "sha256", "sources"}
    assert json.loads(json.dumps(ident)) == ident
    assert len(ident["sha256"]) == 64


# ---------------------------------------------------------------------------- hardening (issue 16, defect 7)


@pytest.mark.parametrize(
    "field, what",
    [
        ("99999999999999999999", "feature count"),  # today: OverflowError into the int64 row
        ("1" * 5000, "feature count"),  # today: ValueError from Python's integer digit limit
        ("007", "feature count"),
        ("\u0661", "feature count"),  # ARABIC-INDIC DIGIT ONE: isdigit() but not ASCII
    ],
)
def test_optdigits_fields_must_be_small_integers(tmp_path: Path, field: str, what: str) -> None:
    rows = [[str(v) for v in r] for r in _rows(4)]
    rows[2][7] = field
    text = "".join(",".join(r) + "\n" for r in rows)
    path = tmp_path / "optdigits.tra"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(DataError, match=rf"line 3, column 8: .*{what}|not an ASCII CSV") as info:
        load_dataset("optdigits", split="train", data_dir=tmp_path)
    assert str(path) in str(info.value)


def test_optdigits_label_must_be_a_small_integer(tmp_path: Path) -> None:
    rows = [[str(v) for v in r] for r in _rows(3)]
    rows[1][64] = "123456789012345678901234567890"
    path = _write_csv(tmp_path / "optdigits.tes", "".join(",".join(r) + "\n" for r in rows))
    with pytest.raises(DataError, match=r"line 2, column 65: '12345678901234567890\.\.\.' is not a label 0\.\.9"):
        read_optdigits_file(path)


@pytest.mark.parametrize("dims", [(3, 0, 4), (0, 4, 3), (3, 4, 0)])
def test_idx_zero_sized_dimension_is_refused(tmp_path: Path, dims: tuple[int, ...]) -> None:
    images = np.zeros(dims, np.uint8)
    _write_mnist(tmp_path, "train", images, np.arange(dims[0], dtype=np.uint8) % 10, gz=False)
    with pytest.raises(DataError, match=r"field 'dims'.*zero-sized") as info:
        load_dataset("mnist", data_dir=tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_idx_dims_that_do_not_match_the_file_name_the_field(tmp_path: Path) -> None:
    images, _ = _tiny(3)
    path = tmp_path / "x-idx3-ubyte"
    data = bytearray(_idx_bytes(images))
    data[4:8] = struct.pack(">I", 4)  # says 4 images, holds 3
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"x-idx3-ubyte: field 'dims': truncated IDX data"):
        read_idx(path)
    # sizes whose product overflows int64 are compared exactly, not wrapped
    data[4:16] = struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**32 - 1)
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="field 'dims'"):
        read_idx(path)


def _gz_stream(header_dims: tuple[int, ...], payload_bytes: int) -> bytes:
    """A gzip IDX whose header declares ``header_dims`` (uint8) followed by ``payload_bytes`` zeros."""
    import zlib

    header = bytes([0, 0, 0x08, len(header_dims)]) + struct.pack(f">{len(header_dims)}I", *header_dims)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    out = [comp.compress(header)]
    chunk = bytes(1 << 20)
    left = payload_bytes
    while left:
        n = min(left, len(chunk))
        out.append(comp.compress(chunk[:n]))
        left -= n
    out.append(comp.flush())
    return b"".join(out)


def test_gzip_bomb_is_refused_from_the_idx_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 24 MB of images in a ~25 kB file; with a 1 MB limit it must be refused before inflating.
    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", str(1 << 20))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_gz_stream((30_000, 28, 28), 30_000 * 28 * 28))
    assert path.stat().st_size < 100_000
    with pytest.raises(DataError, match=r"field 'dims'.*declare 23520000 bytes.*limit is 1048576") as info:
        read_idx(path)
    assert str(path) in str(info.value)
    # an explicit argument overrides the environment: the same file loads under a larger limit
    assert read_idx(path, max_bytes=1 << 25)[0].shape == (30_000, 28, 28)


def test_gzip_that_inflates_past_its_header_is_not_expanded(tmp_path: Path) -> None:
    """A header declaring 12 bytes followed by 64 MB of zeros: refused after reading 13 bytes."""
    import tracemalloc

    path = tmp_path / "a-idx1-ubyte.gz"
    path.write_bytes(_gz_stream((12,), 64 << 20))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="field 'dims': .*unexpected bytes after"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"inflating used {peak} bytes"  # today's gzip.decompress: > 64 MB


def test_array_limit_environment_variable_must_be_a_positive_integer(tmp_path: Path, monkeypatch) -> None:
    images, _ = _tiny(3)
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(_idx_bytes(images))
    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", "lots")
    with pytest.raises(ConfigError, match="SCNC_MAX_ARRAY_BYTES='lots'"):
        read_idx(path)
    monkeypatch.setenv("SCNC_MAX_ARRAY_BYTES", "10")
    with pytest.raises(DataError, match="file is 52 bytes; the limit is 10"):
        read_idx(path)

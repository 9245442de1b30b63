"""scnc.data.augment: shifted copies of images, checked against a naive per-pixel loop."""

from __future__ import annotations

import numpy as np
import pytest

from scnc.data import Dataset
from scnc.data.augment import affine_copies, augment_affine, augment_shifts, shift_images, shifts_within
from scnc.errors import ConfigError


def _naive_shift(img: np.ndarray, dr: int, dc: int) -> np.ndarray:
    rows, cols = img.shape
    out = np.zeros_like(img)
    for r in range(rows):
        for c in range(cols):
            if 0 <= r - dr < rows and 0 <= c - dc < cols:
                out[r, c] = img[r - dr, c - dc]
    return out


@pytest.mark.parametrize("shape", [(8, 8), (3, 5)])
def test_shift_images_matches_a_naive_loop(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((4, shape[0] * shape[1])).astype(np.float32)
    for dr in range(-(shape[0] - 1), shape[0]):
        for dc in range(-(shape[1] - 1), shape[1]):
            got = shift_images(x, shape, dr, dc)
            assert got.dtype == np.float32 and got.shape == x.shape
            for i in range(x.shape[0]):
                want = _naive_shift(x[i].reshape(shape), dr, dc).reshape(-1)
                assert got[i].tobytes() == want.tobytes(), (dr, dc)


def test_shift_moves_content_down_and_right() -> None:
    img = np.zeros((1, 9), np.float32)
    img[0, 4] = 1.0  # centre of a 3x3 image
    assert np.flatnonzero(shift_images(img, (3, 3), 1, 0)).tolist() == [7]
    assert np.flatnonzero(shift_images(img, (3, 3), 0, -1)).tolist() == [3]
    assert shift_images(img, (3, 3), 0, 0).tobytes() == img.tobytes()


def test_shifts_within() -> None:
    assert shifts_within(0) == [(0, 0)]
    s = shifts_within(1)
    assert s[0] == (0, 0) and len(s) == 9 and len(set(s)) == 9
    assert len(shifts_within(2)) == 25
    for bad in (-1, 1.0, True):
        with pytest.raises(ConfigError, match="max_shift"):
            shifts_within(bad)


def test_shift_errors() -> None:
    x = np.zeros((2, 64), np.float32)
    with pytest.raises(ConfigError, match="dr"):
        shift_images(x, (8, 8), 8, 0)
    with pytest.raises(ConfigError, match="dc"):
        shift_images(x, (8, 8), 0, 1.5)
    with pytest.raises(ConfigError, match="image_shape"):
        shift_images(x, (8, 7), 0, 0)
    with pytest.raises(ConfigError, match="2-D"):
        shift_images(np.zeros(64), (8, 8), 0, 0)


def test_augment_shifts_dataset() -> None:
    rng = np.random.default_rng(1)
    ds = Dataset(x=rng.random((6, 16)).astype(np.float32), y=np.array([0, 1, 2, 0, 1, 2]), classes=(3, 5, 7),
                 name="toy", split="train", image_shape=(4, 4))
    aug = augment_shifts(ds, 1)
    assert aug.n == 9 * ds.n and aug.classes == ds.classes and aug.image_shape == (4, 4)
    assert aug.x[:6].tobytes() == ds.x.tobytes()
    assert aug.y.tolist() == ds.y.tolist() * 9
    for j, (dr, dc) in enumerate(shifts_within(1)):
        assert aug.x[6 * j:6 * (j + 1)].tobytes() == shift_images(ds.x, (4, 4), dr, dc).tobytes()
    assert aug.sha256 != ds.sha256
    assert augment_shifts(ds, 0) is ds
    assert augment_shifts(ds, 1).x.tobytes() == aug.x.tobytes()  # deterministic


def test_affine_copies_with_no_spread_are_the_originals() -> None:
    x = np.random.default_rng(2).random((5, 16))
    same = affine_copies(x, (4, 4), 2, seed=0, matrix_std=0.0, shift_std=0.0)
    assert same.shape == (10, 16) and same.dtype == np.float32
    np.testing.assert_allclose(same, np.tile(x, (2, 1)).astype(np.float32), atol=1e-6)


def _naive_affine(img: np.ndarray, a: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """out[p] = bilinear(img, a @ p + offset), pixels outside the image are 0."""
    rows, cols = img.shape

    def at(r: int, c: int) -> float:
        return float(img[r, c]) if 0 <= r < rows and 0 <= c < cols else 0.0

    out = np.zeros_like(img)
    for r in range(rows):
        for c in range(cols):
            pr, pc = a @ np.array([r, c], dtype=float) + offset
            r0, c0 = int(np.floor(pr)), int(np.floor(pc))
            fr, fc = pr - r0, pc - c0
            out[r, c] = ((1 - fr) * (1 - fc) * at(r0, c0) + (1 - fr) * fc * at(r0, c0 + 1)
                         + fr * (1 - fc) * at(r0 + 1, c0) + fr * fc * at(r0 + 1, c0 + 1))
    return out


def test_affine_copies_match_a_naive_bilinear_resampler() -> None:
    x = np.random.default_rng(3).random((3, 36))
    got = affine_copies(x, (6, 6), 2, seed=11)
    rng = np.random.default_rng(11)  # the documented draw order: matrix, then shift, image by image
    centre = np.array([2.5, 2.5])
    for k in range(6):
        a = np.eye(2) + rng.normal(0.0, 0.12, (2, 2))
        offset = centre - a @ centre + rng.normal(0.0, 0.5, 2)
        want = _naive_affine(x[k % 3].reshape(6, 6), a, offset).ravel()
        np.testing.assert_allclose(got[k], want, atol=1e-5)


def test_augment_affine_dataset_is_seeded_and_bounded() -> None:
    rng = np.random.default_rng(4)
    ds = Dataset(x=rng.random((6, 16)).astype(np.float32), y=np.array([0, 1, 2, 0, 1, 2]), classes=(3, 5, 7),
                 name="toy", split="train", image_shape=(4, 4))
    aug = augment_affine(ds, 3, seed=7)
    assert aug.n == 4 * ds.n and aug.classes == ds.classes and aug.y.tolist() == ds.y.tolist() * 4
    assert aug.x[:6].tobytes() == ds.x.tobytes()
    assert aug.x.min() >= 0.0 and aug.x.max() <= 1.0  # bilinear resampling stays inside the pixels' range
    assert not np.allclose(aug.x[6:12], ds.x)
    assert augment_affine(ds, 3, seed=7).x.tobytes() == aug.x.tobytes()
    assert augment_affine(ds, 3, seed=8).x.tobytes() != aug.x.tobytes()
    assert augment_affine(ds, 0) is ds


@pytest.mark.parametrize("kwargs, match", [
    ({"copies": -1}, "copies"), ({"copies": 1.5}, "copies"), ({"copies": 1, "matrix_std": float("nan")}, "matrix_std"),
    ({"copies": 1, "shift_std": -1.0}, "shift_std")])
def test_affine_copies_errors(kwargs, match) -> None:
    with pytest.raises(ConfigError, match=match):
        affine_copies(np.zeros((2, 16)), (4, 4), seed=0, **kwargs)

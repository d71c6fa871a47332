"""hw5.data: the NIST36 row layout, seeded subsets and holdouts, where the data root is found, the NIST36 loader."""
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import savemat

from datafixture import NIST_PER_CLASS
from hw5.data import (LETTERS, candidate_roots, describe_source, images_to_rows, load_nist36, resolve_data_root,
                      rows_to_images, seeded_subset, stratified_holdout)
from hw5.errors import DataError


def bar_in_column(col=5):
    """An upright 32x32 image, white with ink 0 down column `col`, and its NIST36 row (stored transposed)."""
    image = np.ones((32, 32), np.float32)
    image[:, col] = 0.0
    row = np.ones(1024, np.float32)
    row[32 * col:32 * (col + 1)] = 0.0                   # column-major: the column is 32 consecutive pixels
    return image, row


def test_rows_to_images_makes_rows_upright():
    image, row = bar_in_column()
    out = rows_to_images(row[None])
    assert out.shape == (1, 32, 32)
    np.testing.assert_array_equal(out[0], image)
    assert np.shares_memory(out, row)                    # a view, not a copy


def test_images_to_rows_is_the_inverse(rng):
    image, row = bar_in_column()
    rows = images_to_rows(image[None])
    assert rows.shape == (1, 1024) and rows.flags.c_contiguous
    np.testing.assert_array_equal(rows[0], row)
    x = rng.random((3, 1024))
    np.testing.assert_array_equal(images_to_rows(rows_to_images(x)), x)
    images = rng.random((3, 32, 32))
    np.testing.assert_array_equal(rows_to_images(images_to_rows(images)), images)


def test_images_to_rows_of_no_images():
    assert images_to_rows(np.zeros((0, 32, 32))).shape == (0, 1024)


def test_rows_to_images_works_on_torch_tensors():
    image, row = bar_in_column(col=30)
    out = rows_to_images(torch.from_numpy(np.stack([row, np.ones(1024, np.float32)])))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 32, 32)
    assert torch.equal(out[0], torch.from_numpy(image)) and bool(out[1].eq(1).all())


@pytest.mark.parametrize("limit", [0, 10, 25], ids=["zero", "equal", "more"])
def test_seeded_subset_zero_or_too_large_means_all(limit):
    np.testing.assert_array_equal(seeded_subset(10, limit, seed=3), np.arange(10))


def test_seeded_subset_is_a_sorted_seeded_sample():
    a = seeded_subset(100, 7, seed=1)
    assert len(a) == len(set(a.tolist())) == 7 and a.min() >= 0 and a.max() < 100
    assert a.tolist() == sorted(a.tolist())
    np.testing.assert_array_equal(seeded_subset(100, 7, seed=1), a)
    assert seeded_subset(100, 7, seed=2).tolist() != a.tolist()


def test_stratified_holdout_takes_a_share_of_every_class():
    y = np.repeat(np.arange(4), 10)
    fit, hold = stratified_holdout(y, 0.2, np.random.default_rng(0))
    assert np.bincount(y[hold]).tolist() == [2, 2, 2, 2]
    assert sorted(np.concatenate([fit, hold]).tolist()) == list(range(40))
    assert hold.tolist() == sorted(hold.tolist())


def test_stratified_holdout_keeps_at_least_one_per_class():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    fit, hold = stratified_holdout(y, 0.01, np.random.default_rng(0))
    assert np.bincount(y[hold]).tolist() == [1, 1, 1]
    assert len(fit) == 7 and not set(fit) & set(hold)


def test_candidate_roots_order(tmp_path, monkeypatch):
    monkeypatch.delenv("HW5_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert candidate_roots("/some/dir", tmp_path) == [("--data", Path("/some/dir"))]
    project = tmp_path / "proj"
    assert [how for how, _ in candidate_roots(None, project)] == ["./hw5data", "./hw5data", "../shared/hw5data"]
    assert candidate_roots(None, project)[2][1] == tmp_path / "shared" / "hw5data"
    monkeypatch.setenv("HW5_DATA", str(tmp_path / "env"))
    assert candidate_roots(None, project) == [("$HW5_DATA", tmp_path / "env")]
    assert candidate_roots(str(tmp_path / "cli"), project) == [("--data", tmp_path / "cli")]   # --data wins


def test_resolve_data_root_finds_the_first_existing_or_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("HW5_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "proj"
    with pytest.raises(DataError, match=r"looked at .*\.\./shared/hw5data .*Pass --data DIR"):
        resolve_data_root(None, project)
    (tmp_path / "shared" / "hw5data").mkdir(parents=True)
    assert resolve_data_root(None, project) == (tmp_path / "shared" / "hw5data").resolve()
    (project / "hw5data").mkdir(parents=True)
    assert resolve_data_root(None, project) == (project / "hw5data").resolve()
    with pytest.raises(DataError, match="--data"):
        resolve_data_root(str(tmp_path / "nowhere"), project)


def test_load_nist36_split(fixture_root):
    x, y = load_nist36(fixture_root, "valid")
    n = NIST_PER_CLASS["valid"]
    assert x.shape == (36 * n, 1024) and y.shape == (36 * n, 36)
    assert x.dtype == y.dtype == np.float32 and x.flags.c_contiguous and y.flags.c_contiguous
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(y.sum(1), 1.0)
    assert np.bincount(y.argmax(1), minlength=36).tolist() == [n] * 36
    assert len(LETTERS) == 36 and LETTERS[0] == "A" and LETTERS[26] == "0"


def test_load_nist36_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"missing .*nist36_train\.mat"):
        load_nist36(tmp_path, "train")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nist36_train.mat").write_bytes(b"not a mat file")
    with pytest.raises(DataError, match=r"cannot read .*nist36_train\.mat"):
        load_nist36(tmp_path, "train")
    savemat(tmp_path / "data" / "nist36_valid.mat", {"valid_data": np.zeros((4, 100)), "valid_labels": np.zeros((4, 36))})
    with pytest.raises(DataError, match=r"expected valid_data \(N, 1024\)"):
        load_nist36(tmp_path, "valid")


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("array", ["data", "labels"])
def test_load_nist36_refuses_values_that_are_not_finite(tmp_path, bad, array):
    arrays = {"test_data": np.full((3, 1024), 0.5), "test_labels": np.eye(36)[:3]}
    arrays[f"test_{array}"][1, 7] = bad
    (tmp_path / "data").mkdir()
    savemat(tmp_path / "data" / "nist36_test.mat", arrays)
    with pytest.raises(DataError, match=rf"nist36_test\.mat: test_{array} holds NaN or infinite values; re-copy"):
        load_nist36(tmp_path, "test")


def test_describe_source(tmp_path):
    assert "no data root" in describe_source(None)
    assert describe_source(tmp_path) == f"course data folder {tmp_path.name}/"
    (tmp_path / "README.md").write_text("NIST36 from EMNIST letters and digits")
    assert describe_source(tmp_path).startswith("EMNIST-derived NIST36")

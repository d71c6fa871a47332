"""The generated data root itself: the loaders read it, it is small, and the same seeds give the same files."""
import numpy as np
from scipy.io import loadmat

from datafixture import NIST_PER_CLASS, make_fixture_root
from hw5.data import describe_source, load_nist36, rows_to_images
from hw5.image_data import SUN_CLASSES, load_cifar, load_flowers, load_sun


def test_loaders_read_the_fixture(fixture_root):
    for split, n in NIST_PER_CLASS.items():
        x, y = load_nist36(fixture_root, split)
        assert x.shape == (36 * n, 1024) and y.sum(0).tolist() == [n] * 36, split
        assert x.min() == 0.0 and x.max() == 1.0 and np.median(x) == 1.0       # ink 0 on white 1
    labels = load_nist36(fixture_root, "valid")[1].argmax(1)
    assert (np.diff(labels) >= 0).all()                                          # sorted by class, as the course's
    x, y, names = load_cifar(fixture_root, "train")
    assert x.shape == (500, 32, 32, 3) and len(names) == 10 and np.bincount(y).tolist() == [50] * 10
    x, y, names = load_sun(fixture_root, "train", 24)
    assert x.shape == (8 * 8, 24, 24, 3) and names == SUN_CLASSES
    x, y, names = load_flowers(fixture_root, "train", 32)
    assert len(names) == 17 and np.bincount(y).tolist() == [3] * 17
    assert "EMNIST" not in describe_source(fixture_root)


def test_glyphs_are_stored_transposed(fixture_root):
    """The class strokes are drawn taller than wide: upright only after undoing the NIST36 transposition."""
    x, _ = load_nist36(fixture_root, "train")
    ink = rows_to_images(x[:200]) < 0.5
    tall = [np.ptp(np.nonzero(im)[0]) > np.ptp(np.nonzero(im)[1]) for im in ink]
    assert np.mean(tall) > 0.9


def test_fixture_is_small_and_deterministic(fixture_root, tmp_path):
    files = sorted(p.relative_to(fixture_root) for p in fixture_root.rglob("*") if p.is_file())
    assert sum((fixture_root / f).stat().st_size for f in files) < 10e6
    again = make_fixture_root(tmp_path / "again")
    assert sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file()) == files
    for f in files:
        if f.suffix == ".mat":                       # the .mat header holds a timestamp: compare the arrays
            a, b = loadmat(fixture_root / f), loadmat(again / f)
            assert all(np.array_equal(a[k], b[k]) for k in a if not k.startswith("__")), f
        else:
            assert (fixture_root / f).read_bytes() == (again / f).read_bytes(), f

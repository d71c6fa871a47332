"""hw5.image_data: the CIFAR-10, SUN and Flowers-17 loaders (layout, labels, crops) and their errors."""
import pickle

import numpy as np
import pytest
from PIL import Image

from datafixture import SUN_PER_CLASS
from hw5.errors import DataError
from hw5.image_data import (CIFAR_DIR, FLOWERS_DIR, SUN_CLASSES, SUN_DIR, cifar_batches, load_cifar, load_flowers,
                            load_sun, load_sun_whole, sun_labels)


def write_cifar(root, batches):
    """A CIFAR-10 folder whose image i of each batch has R = i, G = 100 + i, B = 200 + i in every pixel."""
    folder = root / CIFAR_DIR
    folder.mkdir(parents=True)
    for name, labels in batches.items():
        planes = [np.repeat(np.arange(len(labels))[:, None] + 100 * c, 1024, axis=1) for c in range(3)]
        data = np.concatenate(planes, axis=1).astype(np.uint8)                     # (N, 3072): R, G, B planes
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": labels}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [f"class{i}".encode() for i in range(10)]}, f)


def test_load_cifar_makes_rgb_images_from_planes(tmp_path):
    write_cifar(tmp_path, {"data_batch_2": [3, 4], "data_batch_1": [1, 2, 0], "test_batch": [9]})
    x, y, names = load_cifar(tmp_path, "train")
    assert x.shape == (5, 32, 32, 3) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [1, 2, 0, 3, 4]                    # batches in sorted order
    np.testing.assert_array_equal(x[:, 5, 7], [[0, 100, 200], [1, 101, 201], [2, 102, 202], [0, 100, 200],
                                               [1, 101, 201]])
    assert names == tuple(f"class{i}" for i in range(10))
    xt, yt, _ = load_cifar(tmp_path, "test")
    assert xt.shape == (1, 32, 32, 3) and yt.tolist() == [9]
    assert [p.name for p in cifar_batches(tmp_path)] == ["data_batch_1", "data_batch_2"]


def test_cifar_errors_name_the_folder(tmp_path):
    with pytest.raises(DataError, match=r"no data_batch_\* in .*cifar-10-batches-py"):
        load_cifar(tmp_path, "train")
    write_cifar(tmp_path, {"data_batch_1": [0]})
    with pytest.raises(DataError, match=r"missing .*test_batch"):
        load_cifar(tmp_path, "test")
    (tmp_path / CIFAR_DIR / "test_batch").write_bytes(b"truncated")
    with pytest.raises(DataError, match=r"cannot read .*test_batch"):
        load_cifar(tmp_path, "test")


def test_load_sun_slice(fixture_root):
    x, y, names = load_sun(fixture_root, "test", 24, per_class=1)
    assert x.shape == (8, 24, 24, 3) and x.dtype == np.uint8 and list(y) == list(range(8)) and len(names) == 8


def test_sun_labels_need_no_decoding(fixture_root):
    y = sun_labels(fixture_root, "test")
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [SUN_PER_CLASS["test"]] * 8
    assert sun_labels(fixture_root, "test", per_class=2).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
    assert SUN_CLASSES[0] == "aquarium" and len(SUN_CLASSES) == 8


def halves(path, size=(60, 20)):
    """A JPEG (width, height) = size, black on its left half and white on its right half."""
    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[:, size[0] // 2:] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, quality=95)


def write_sun(root, files, labels):
    folder = root / SUN_DIR
    for f in files:
        halves(folder / f)
    (folder / "train_files.txt").write_text("\n".join(files) + "\n")
    (folder / "train_labels.txt").write_text("\n".join(map(str, labels)) + "\n\n")


def test_load_sun_crops_the_centre_of_the_short_side(tmp_path):
    write_sun(tmp_path, ["park/a.jpg", "desert/b.jpg", "park/c.jpg"], [5, 1, 5])
    x, y, names = load_sun(tmp_path, "train", 10)
    assert x.shape == (3, 10, 10, 3) and y.tolist() == [5, 1, 5] and names == SUN_CLASSES
    # 60 x 20 -> 30 x 10 -> columns 10..19 kept: the last 5 of the black half, the first 5 of the white
    assert (x[:, :, :4] < 30).all() and (x[:, :, 6:] > 225).all()
    x1, y1, _ = load_sun(tmp_path, "train", 10, per_class=1)
    assert y1.tolist() == [1, 5] and len(x1) == 2


def test_load_sun_whole_keeps_the_aspect(tmp_path):
    write_sun(tmp_path, ["park/a.jpg"], [5])
    images, y = load_sun_whole(tmp_path, "train", 10)
    assert images[0].shape == (10, 30, 3) and images[0].dtype == np.float32 and y.tolist() == [5]
    assert images[0].min() >= 0.0 and images[0].max() <= 1.0 and images[0][:, -1].min() > 0.9


def test_sun_list_errors(tmp_path):
    with pytest.raises(DataError, match=r"missing .*train_files\.txt"):
        sun_labels(tmp_path, "train")
    write_sun(tmp_path, ["park/a.jpg", "park/b.jpg"], [5])
    with pytest.raises(DataError, match="has 2 lines but train_labels.txt 1"):
        sun_labels(tmp_path, "train")
    (tmp_path / SUN_DIR / "train_labels.txt").write_text("5\n8\n")
    with pytest.raises(DataError, match=r"labels must be 0\.\.7"):
        sun_labels(tmp_path, "train")
    (tmp_path / SUN_DIR / "train_labels.txt").write_text("5\n5\n")
    (tmp_path / SUN_DIR / "park" / "b.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match=r"cannot decode .*b\.jpg"):
        load_sun(tmp_path, "train", 10)


def test_load_flowers_labels_follow_sorted_folders(tmp_path):
    folder = tmp_path / FLOWERS_DIR / "val"
    for name in ("tulip/x.jpg", "daisy/y.jpg", "daisy/z.jpg"):
        halves(folder / name, size=(20, 40))                  # portrait: the crop keeps the middle rows
    x, y, names = load_flowers(tmp_path, "val", 10)
    assert names == ("daisy", "tulip") and y.tolist() == [0, 0, 1] and x.shape == (3, 10, 10, 3)
    assert (x[:, :, :4] < 30).all() and (x[:, :, 6:] > 225).all()
    with pytest.raises(DataError, match=r"no class folders in .*oxford-flowers17.*test"):
        load_flowers(tmp_path, "test", 10)

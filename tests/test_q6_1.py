"""Q6.1: model shapes, the NIST36 CNN artifact, augmentation, the HW1 BoW/SPM pieces, and a smoke run."""
import numpy as np
import pytest
import torch

from experiments import q6_1_torch
from hw5 import bow_spm
from hw5.image_data import load_sun
from hw5.pytorch.models import (NistCNN, NistEnsemble, NistFC, ResNetSmall, load_nist36_cnn, nist_rows_to_images,
                                save_nist36_cnn)
from hw5.pytorch.train import fit, seed_everything
from hw5.pytorch.transforms import random_crop, random_resized_crop


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second thread only waits; and if torch loaded before OMP_WAIT_POLICY=PASSIVE was set,
    a waiting OpenMP thread spins and steals the shared core from the one working."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("model, shape, classes", [
    (NistFC(), (3, 1024), 36),
    (NistCNN(), (3, 1, 32, 32), 36),
    (ResNetSmall(10), (3, 3, 32, 32), 10),
    (ResNetSmall(8, stem_stride=2), (3, 3, 64, 64), 8),
], ids=["fc", "nist-cnn", "cifar-resnet", "scene-resnet"])
def test_model_output_shapes(model, shape, classes):
    assert model.eval()(torch.zeros(shape)).shape == (shape[0], classes)


def test_nist_rows_are_made_upright_with_ink_one():
    upright = np.ones((32, 32), np.float32)
    upright[:, 5] = 0.0                                   # a dark vertical bar in column 5, white page
    row = upright.T.reshape(1, 1024)                      # the .mat stores each image transposed
    img = nist_rows_to_images(torch.from_numpy(row))[0, 0]
    assert img[:, 5].eq(1).all() and img[:, 6].eq(0).all()


def test_tiny_training_beats_chance():
    """4 classes = which quadrant of a 16x16 image is bright; 40 images, a few epochs of fit()."""
    rng = np.random.default_rng(0)
    y = np.arange(80) % 4
    x = rng.normal(0, 0.3, (80, 3, 16, 16)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, :, (c // 2) * 8:(c // 2) * 8 + 8, (c % 2) * 8:(c % 2) * 8 + 8] += 1.0
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    gen = seed_everything(0)
    model = ResNetSmall(4, (8, 16))
    hist = fit(model, (x[:40], y[:40]), (x[40:], y[40:]), epochs=6, batch_size=8, device="cpu", generator=gen,
               optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert hist.valid_acc[-1] >= 0.75 > 0.25              # chance is 0.25
    assert hist.train_loss[-1] < hist.train_loss[0]


def test_cnn_artifact_reloads_and_classifies_raw_rows(tmp_path):
    torch.manual_seed(0)
    model = NistCNN((4, 8, 8)).eval()
    save_nist36_cnn(model, tmp_path / "cnn.pt", classes=["A"] * 36)
    classify = load_nist36_cnn(tmp_path / "cnn.pt")
    rows = np.random.default_rng(1).random((5, 1024)).astype(np.float32)
    probs = classify(rows)
    assert probs.shape == (5, 36)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    with torch.no_grad():
        expected = torch.softmax(model(nist_rows_to_images(torch.from_numpy(rows))), 1).numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-6)


def test_ensemble_averages_member_probabilities_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = NistEnsemble(3, widths=(4, 8, 8)).eval()
    save_nist36_cnn(model, tmp_path / "ens.pt")
    rows = np.random.default_rng(2).random((4, 1024)).astype(np.float32)
    images = nist_rows_to_images(torch.from_numpy(rows))
    with torch.no_grad():
        members = torch.stack([torch.softmax(m(images), 1) for m in model.members]).mean(0).numpy()
    np.testing.assert_allclose(load_nist36_cnn(tmp_path / "ens.pt")(rows), members, atol=1e-6)
    torch.save({"class": "Other"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="NistCNN or NistEnsemble"):
        load_nist36_cnn(tmp_path / "other.pt")


def test_augmentations_keep_shape_and_are_seeded():
    x = torch.rand(6, 3, 20, 20)
    a = random_crop(x, 3, torch.Generator().manual_seed(1))
    b = random_crop(x, 3, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert random_resized_crop(x, 12, torch.Generator().manual_seed(0)).shape == (6, 3, 12, 12)
    whole = random_resized_crop(x, 20, torch.Generator().manual_seed(0), min_scale=1.0, max_aspect=1.0, flip=False)
    torch.testing.assert_close(whole, x, atol=1e-5, rtol=0)   # scale 1, no flip: the identity


@pytest.mark.parametrize("k, layers", [(5, 0), (5, 2), (3, 3)], ids=["L0", "L2", "L3"])
def test_spm_histogram_sums_to_one_with_pyramid_dimension(rng, k, layers):
    wordmap = rng.integers(0, k, (37, 50))               # sizes not divisible by 2^L
    h = bow_spm.get_feature_from_wordmap_SPM(wordmap, k, layers)
    assert h.shape == (k * (4 ** (layers + 1) - 1) // 3,)
    assert h.min() >= 0 and h.sum() == pytest.approx(1.0, abs=1e-6)
    level0 = np.bincount(wordmap.ravel(), minlength=k) / wordmap.size
    np.testing.assert_allclose(h[:k], bow_spm.spm_layer_weights(layers)[0] * level0, atol=1e-7)


def test_spm_layer_weights_follow_hw1():
    np.testing.assert_allclose(bow_spm.spm_layer_weights(2), [0.25, 0.25, 0.5])
    assert bow_spm.spm_layer_weights(3).sum() == pytest.approx(1.0)


def test_filter_bank_and_visual_words(rng):
    img = rng.random((24, 30, 3))
    resp = bow_spm.extract_filter_responses(img, (1, 2))
    assert resp.shape == (24, 30, 3 * 4 * 2)
    flat = np.full((10, 12, 3), 0.5)                      # constant image: derivatives and LoG vanish
    r = bow_spm.extract_filter_responses(flat, (1,))
    np.testing.assert_allclose(r[..., 3:], 0, atol=0.02)  # float32 round-off on Lab values ~50
    dictionary = resp.reshape(-1, resp.shape[-1])[[0, 100, 500]]
    words = bow_spm.get_visual_words(resp, dictionary)
    assert words.shape == (24, 30) and words.flat[0] == 0 and words.flat[100] == 1 and words.flat[500] == 2


def test_histogram_classifiers_on_separable_toy():
    h = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.8, 0.2]], np.float32)
    y = np.array([0, 0, 1, 1])
    probe = np.array([[0.8, 0.2, 0], [0.1, 0.9, 0]], np.float32)
    k = bow_spm.intersection_kernel(probe, h)
    assert list(bow_spm.nearest_neighbour(k, y)) == [0, 1]
    assert list(bow_spm.kernel_ridge(bow_spm.intersection_kernel(h, h), y, k, 2, 0.1)) == [0, 1]


def test_load_sun_slice(data_root):
    x, y, names = load_sun(data_root, "test", 24, per_class=1)
    assert x.shape == (8, 24, 24, 3) and x.dtype == np.uint8 and list(y) == list(range(8)) and len(names) == 8


def test_smoke_run_produces_metrics_figures_and_artifact(run_section, tmp_path):
    result = run_section(q6_1_torch)
    m = result.metrics
    for key in ("fc_valid_accuracy", "cnn_valid_accuracy", "cifar_test_accuracy", "sun_test_accuracy",
                "sun_bow_test_accuracy"):
        assert 0.0 <= m[key] <= 1.0, key
    assert set(m["seconds"]) >= {"fc", "cnn", "cifar", "sun_cnn", "sun_bow", "total"}
    assert len(m["cifar"]["per_class"]) == 10 and np.asarray(m["sun"]["confusion"]).shape == (8, 8)
    out = tmp_path / "q6_1"
    assert all((out / f.file).is_file() for f in result.figures)
    classify = load_nist36_cnn(out / result.artifacts["q6_cnn_nist36"])
    assert classify(np.ones((2, 1024), np.float32)).shape == (2, 36)

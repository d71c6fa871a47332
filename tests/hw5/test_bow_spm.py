"""hw5.bow_spm, the HW1 scene recogniser: filter bank, dictionary, visual words, spatial pyramids, classifiers."""
import numpy as np
import pytest

from hw5 import bow_spm


@pytest.mark.parametrize("k, layers", [(5, 0), (5, 2), (3, 3)], ids=["L0", "L2", "L3"])
def test_spm_histogram_sums_to_one_with_pyramid_dimension(rng, k, layers):
    wordmap = rng.integers(0, k, (37, 50))               # sizes not divisible by 2^L
    h = bow_spm.get_feature_from_wordmap_SPM(wordmap, k, layers)
    assert h.shape == (k * (4 ** (layers + 1) - 1) // 3,)
    assert h.min() >= 0 and h.sum() == pytest.approx(1.0, abs=1e-6)
    level0 = np.bincount(wordmap.ravel(), minlength=k) / wordmap.size
    np.testing.assert_allclose(h[:k], bow_spm.spm_layer_weights(layers)[0] * level0, atol=1e-7)


def test_spm_histogram_by_hand():
    wordmap = np.array([[0, 1], [1, 1]])
    h = bow_spm.get_feature_from_wordmap_SPM(wordmap, 2, 1)
    # level 0 (weight 1/2): words (1/4, 3/4); level 1 (weight 1/2): one pixel per cell, cells row by row
    expected = [0.125, 0.375, 0.125, 0, 0, 0.125, 0, 0.125, 0, 0.125]
    np.testing.assert_allclose(h, expected)
    assert h.dtype == np.float32


def test_spm_layer_weights_follow_hw1():
    np.testing.assert_allclose(bow_spm.spm_layer_weights(2), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(bow_spm.spm_layer_weights(3), [0.125, 0.125, 0.25, 0.5])
    np.testing.assert_allclose(bow_spm.spm_layer_weights(0), [1.0])


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


def test_filter_bank_orders_filters_then_lab_channels():
    red = np.zeros((9, 9, 3))
    red[..., 0] = 1.0                                    # Lab (53.24, 80.09, 67.20), constant
    r = bow_spm.extract_filter_responses(red, (1, 2))
    for scale in range(2):                               # per scale: the Gaussian of L, a, b, then 9 zeros
        first = 12 * scale
        np.testing.assert_allclose(r[0, 0, first:first + 3], [53.24, 80.09, 67.20], atol=0.01)
        np.testing.assert_allclose(r[..., first + 3:first + 12], 0, atol=0.05)


def test_compute_dictionary_finds_two_clusters():
    resp = np.zeros((4, 4, 2))
    resp[:2] = 10.0                                      # top half at (10, 10), bottom half at (0, 0)
    dictionary = bow_spm.compute_dictionary([resp, resp + 0.01], 2, 16, np.random.default_rng(0))
    assert dictionary.shape == (2, 2) and dictionary.dtype == np.float32
    np.testing.assert_allclose(sorted(dictionary[:, 0]), [0.005, 10.005], atol=1e-4)
    words = bow_spm.get_visual_words(resp, dictionary)
    assert len(set(words[:2].ravel())) == 1 and len(set(words[2:].ravel())) == 1 and words[0, 0] != words[3, 0]


def test_intersection_kernel_by_hand_and_in_chunks():
    a = np.array([[1.0, 2.0, 0.0], [0.5, 0.5, 0.5]])
    b = np.array([[2.0, 1.0, 1.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    expected = [[1 + 1 + 0, 0 + 0 + 0, 1 + 1 + 0], [1.5, 0.5, 1.5]]
    np.testing.assert_allclose(bow_spm.intersection_kernel(a, b), expected)
    np.testing.assert_allclose(bow_spm.intersection_kernel(a, b, max_elements=1), expected)   # one row at a time


def test_histogram_classifiers_on_separable_toy():
    h = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.8, 0.2]], np.float32)
    y = np.array([0, 0, 1, 1])
    probe = np.array([[0.8, 0.2, 0], [0.1, 0.9, 0]], np.float32)
    k = bow_spm.intersection_kernel(probe, h)
    assert list(bow_spm.nearest_neighbour(k, y)) == [0, 1]
    assert list(bow_spm.kernel_ridge(bow_spm.intersection_kernel(h, h), y, k, 2, 0.1)) == [0, 1]


def toy_maps():
    """Class c's wordmaps are all word c; the second validation map is labelled 1 but is all word 0."""
    fit = [np.full((8, 8), c) for c in (0, 0, 1, 1)]
    val = [np.full((8, 8), 1), np.full((8, 8), 0)]
    return fit, np.array([0, 0, 1, 1]), val, np.array([1, 1])


@pytest.mark.parametrize("choice", [{"layers": 1, "lam": None}, {"layers": 2, "lam": 0.1}], ids=["1nn", "ridge"])
def test_classify_reads_the_words(choice):
    fit, y_fit, val, _ = toy_maps()
    assert bow_spm.classify(fit, y_fit, val, 2, choice).tolist() == [1, 0]


def test_validation_grid_scores_every_classifier_and_depth():
    fit, y_fit, val, y_val = toy_maps()
    rows = bow_spm.validation_grid(fit, y_fit, val, y_val, 2, (0, 1), (0.1, 1.0))
    assert [(r["classifier"], r["layers"], r["lam"]) for r in rows] == [
        ("nearest neighbour", 0, None), ("kernel ridge", 0, 0.1), ("kernel ridge", 0, 1.0),
        ("nearest neighbour", 1, None), ("kernel ridge", 1, 0.1), ("kernel ridge", 1, 1.0)]
    assert [r["valid_accuracy"] for r in rows] == [0.5] * 6

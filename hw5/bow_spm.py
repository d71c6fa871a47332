"""The HW1 scene recogniser, reproduced: filter bank -> k-means visual words -> spatial pyramid -> classifier.

Pure numpy/scipy/scikit-image, HW1's function names where it had them (extract_filter_responses,
compute_dictionary, get_visual_words, get_feature_from_wordmap_SPM; HW1's distance_to_set is one row of
intersection_kernel). Two classifiers share
the SPM features: HW1's 1-nearest neighbour under histogram intersection, and kernel ridge regression with
the histogram-intersection kernel (a linear classifier in that kernel's feature space).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.cluster.vq import kmeans2
from skimage.color import rgb2lab

from hw5.runtime import blas_threads

FILTERS_PER_SCALE = 4          # Gaussian, Laplacian of Gaussian, d/dx and d/dy of Gaussian


def extract_filter_responses(img: np.ndarray, scales: tuple[float, ...]) -> np.ndarray:
    """HW1 filter bank on the Lab image.

    img: (H, W, 3) float RGB in [0, 1]. Returns (H, W, 3 * 4 * len(scales)) float32, ordered scale, filter,
    Lab channel (HW1's order).
    """
    lab = rgb2lab(img).astype(np.float32)                            # (H, W, 3)
    out = []
    for s in scales:
        for c in range(3):
            ch = lab[..., c]
            out.append([ndimage.gaussian_filter(ch, s), ndimage.gaussian_laplace(ch, s),
                        ndimage.gaussian_filter(ch, s, order=(0, 1)), ndimage.gaussian_filter(ch, s, order=(1, 0))])
    # out[scale * 3 + channel][filter] -> (scale, filter, channel) order, stacked last
    stacked = np.stack(out).reshape(len(scales), 3, FILTERS_PER_SCALE, *lab.shape[:2])
    return np.ascontiguousarray(stacked.transpose(3, 4, 0, 2, 1).reshape(*lab.shape[:2], -1))


def compute_dictionary(responses: list[np.ndarray], k: int, alpha: int, rng: np.random.Generator,
                       iterations: int = 30) -> np.ndarray:
    """k-means on `alpha` random pixels of each image's responses.

    responses: list of (H_i, W_i, F). Returns the dictionary (k, F) float32 (k-means++ start, seeded).
    """
    samples = np.concatenate([r.reshape(-1, r.shape[-1])[rng.choice(r.shape[0] * r.shape[1], alpha, replace=False)]
                              for r in responses])                   # (alpha * N, F)
    centers, _ = kmeans2(samples.astype(np.float64), k, iter=iterations, minit="++", seed=rng)
    return centers.astype(np.float32)


def get_visual_words(response: np.ndarray, dictionary: np.ndarray) -> np.ndarray:
    """Nearest dictionary word per pixel: response (H, W, F), dictionary (K, F) -> wordmap (H, W) int."""
    flat = response.reshape(-1, response.shape[-1])                  # (P, F)
    d2 = (dictionary ** 2).sum(1)[None, :] - 2.0 * flat @ dictionary.T   # (P, K), ||x||^2 dropped: same argmin
    return d2.argmin(1).reshape(response.shape[:2])


def wordmap(img: np.ndarray, scales: tuple[float, ...], dictionary: np.ndarray) -> np.ndarray:
    """An image's visual words (H, W), computed on one BLAS thread wherever it runs: a job for hw5.parallel."""
    with blas_threads(1):
        return get_visual_words(extract_filter_responses(img, scales), dictionary)


def spm_layer_weights(layers: int) -> np.ndarray:
    """HW1/Lazebnik weights for levels l = 0..L: 2^-L for l <= 1, else 2^(l-L-1); they sum to 1."""
    return np.array([2.0 ** -layers if l <= 1 else 2.0 ** (l - layers - 1) for l in range(layers + 1)])


def get_feature_from_wordmap_SPM(wordmap: np.ndarray, k: int, layers: int) -> np.ndarray:
    """Spatial pyramid histogram of a wordmap (H, W) with levels 0..layers.

    Level l splits the image into 2^l x 2^l cells; each cell's histogram counts its pixels over all the
    image's pixels (so a level sums to 1) and is scaled by its level weight. Returns (K * (4^(L+1) - 1) / 3,)
    float32 summing to 1, coarsest level first.
    """
    h, w = wordmap.shape
    finest = 2 ** layers
    cell_r = np.minimum(np.arange(h) * finest // h, finest - 1)       # (H,) cell row of each pixel row
    cell_c = np.minimum(np.arange(w) * finest // w, finest - 1)
    index = (cell_r[:, None] * finest + cell_c[None, :]) * k + wordmap   # (H, W) into finest x finest x K
    hist = np.bincount(index.ravel(), minlength=finest * finest * k).reshape(finest, finest, k) / (h * w)
    parts, weights = [], spm_layer_weights(layers)
    for l in range(layers, -1, -1):                                  # finest -> coarsest, summing 2x2 blocks
        parts.append(weights[l] * hist.reshape(-1))
        if l:
            side = hist.shape[0] // 2
            hist = hist.reshape(side, 2, side, 2, k).sum((1, 3))
    return np.concatenate(parts[::-1]).astype(np.float32)


def intersection_kernel(a: np.ndarray, b: np.ndarray, max_elements: int = 2 ** 24) -> np.ndarray:
    """K[i, j] = sum_d min(a[i, d], b[j, d]) for a (M, D), b (T, D) -> (M, T), a few rows of a at a time so
    the (rows, T, D) temporary stays under max_elements floats (64 MiB) whatever T and D are."""
    rows = max(1, max_elements // max(1, b.shape[0] * b.shape[1]))
    return np.concatenate([np.minimum(a[i:i + rows, None, :], b[None, :, :]).sum(2) for i in range(0, len(a), rows)])


def nearest_neighbour(k_eval_train: np.ndarray, y_train: np.ndarray) -> np.ndarray:
    """HW1's classifier: the label of the most similar training image. k_eval_train (M, T) -> (M,)."""
    return y_train[k_eval_train.argmax(1)]


def kernel_ridge(k_train: np.ndarray, y_train: np.ndarray, k_eval_train: np.ndarray, n_classes: int,
                 lam: float) -> np.ndarray:
    """One-vs-all kernel ridge regression on +-1 targets: (K + lam I) A = Y, scores = K_eval A -> labels (M,)."""
    targets = 2.0 * np.eye(n_classes)[y_train] - 1.0                 # (T, C)
    coef = np.linalg.solve(k_train + lam * np.eye(len(k_train)), targets)   # (T, C)
    return (k_eval_train @ coef).argmax(1)


def spm_features(wordmaps: list[np.ndarray], k: int, layers: int) -> np.ndarray:
    """Stack of SPM histograms: N wordmaps -> (N, K * (4^(L+1) - 1) / 3)."""
    return np.stack([get_feature_from_wordmap_SPM(w, k, layers) for w in wordmaps])


def classify(maps_fit: list, y_fit: np.ndarray, maps_eval: list, k: int, choice: dict) -> np.ndarray:
    """Labels (M,) for maps_eval from the classifier `choice` ({"layers", "lam": None for nearest neighbour})."""
    h_fit, h_eval = spm_features(maps_fit, k, choice["layers"]), spm_features(maps_eval, k, choice["layers"])
    k_eval = intersection_kernel(h_eval, h_fit)
    if choice["lam"] is None:
        return nearest_neighbour(k_eval, y_fit)
    return kernel_ridge(intersection_kernel(h_fit, h_fit), y_fit, k_eval, int(y_fit.max()) + 1, choice["lam"])


def validation_grid(maps_fit: list, y_fit: np.ndarray, maps_val: list, y_val: np.ndarray, k: int,
                    layer_grid: tuple[int, ...], lambdas: tuple[float, ...]) -> list[dict]:
    """Validation accuracy of nearest neighbour and of kernel ridge (each lambda), for every pyramid depth."""
    rows = []
    for layers in layer_grid:
        h_fit, h_val = spm_features(maps_fit, k, layers), spm_features(maps_val, k, layers)
        k_fit, k_val = intersection_kernel(h_fit, h_fit), intersection_kernel(h_val, h_fit)
        preds = [("nearest neighbour", None, nearest_neighbour(k_val, y_fit))]
        n_classes = int(y_fit.max()) + 1
        preds += [("kernel ridge", lam, kernel_ridge(k_fit, y_fit, k_val, n_classes, lam)) for lam in lambdas]
        rows += [{"classifier": name, "layers": layers, "lam": lam, "valid_accuracy": float(np.mean(p == y_val))}
                 for name, lam, p in preds]
    return rows

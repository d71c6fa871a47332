"""Q5 parts: the two autoencoder trainings and PCA-32 on NIST36 slices, the saved weights and reconstructions,
the figures; and the section's helpers (pick_images)."""
import numpy as np
import pytest

from experiments import q5_autoencoder as q5
from hw5 import autoencoder as ae
from hw5.data import LETTERS, load_nist36, seeded_subset

SMOKE = q5.SECTION.parts[0].make_config("smoke")


@pytest.fixture(scope="module")
def train(smoke):
    return smoke("q5.train")


@pytest.fixture(scope="module")
def data(fixture_root):
    x, _ = load_nist36(fixture_root, "train")
    xv, yv = load_nist36(fixture_root, "valid")
    return x[seeded_subset(len(x), SMOKE.train_limit, 0)], xv[::SMOKE.valid_stride], yv[::SMOKE.valid_stride]


def psnr(x, x_hat):
    """Mean per-image PSNR (peak 1), by hand."""
    mse = ((x.astype(np.float64) - x_hat) ** 2).mean(1)
    return float(np.mean(10 * np.log10(1 / mse)))


def test_slices_and_sizes(train):
    m = train[0].metrics
    assert m["n_train"] == SMOKE.train_limit == 720
    assert m["n_valid"] == 36 * 40 // SMOKE.valid_stride               # the fixture's 40 per class, every 20th
    assert m["params"] == {"autoencoder": 1024 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 1024 + 1024,
                           "pca": 32 * 1024 + 1024, "input_mean": 1024}


def test_saved_weights_reproduce_the_validation_psnr(train, data):
    result, up = train
    m = result.metrics
    _, xv, _ = data
    with np.load(up.path(result.artifacts["q5_handout_weights"])) as w:
        handout = dict(w)
    with np.load(up.path(result.artifacts["q5_improved_weights"])) as w:
        improved = dict(w)
    assert m["psnr_valid"] == pytest.approx(psnr(xv, ae.reconstruct(xv, handout)), abs=1e-4)
    assert m["psnr_valid_improved"] == pytest.approx(psnr(xv, ae.reconstruct(xv, improved)), abs=1e-4)
    for k in ae.KEYS:
        assert handout["m_" + k].shape == handout[k].shape and handout["m_" + k].any(), k   # trained momentum
    epochs, batch = SMOKE.improved.epochs, SMOKE.improved.batch_size
    assert int(improved["adam_t"]) == epochs * -(-720 // batch)                            # one step per batch
    assert improved["adam_m"].size == m["params"]["autoencoder"]


def test_pca_baseline_recomputed_by_svd(train, data):
    m = train[0].metrics
    x, xv, _ = data
    mean = x.astype(np.float64).mean(0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    recon = (xv - mean) @ vt[:32].T @ vt[:32] + mean
    assert m["psnr_pca_unclipped"] == pytest.approx(psnr(xv, recon), abs=1e-6)
    assert m["psnr_pca32"] == pytest.approx(psnr(xv, np.clip(recon, 0, 1)), abs=1e-6)
    assert m["psnr_pca32"] >= m["psnr_pca_unclipped"]                  # clipping to [0, 1] can only help
    assert m["psnr_pca32"] > m["psnr_valid"]                             # 3 epochs of the handout run: PCA wins


def test_losses_and_their_summary(train):
    m = train[0].metrics
    losses = m["losses"]
    assert len(losses) == SMOKE.handout.epochs == 3 and losses[-1] < losses[0] and m["final_loss"] == losses[-1]
    assert m["final_loss_per_pixel"] == pytest.approx(losses[-1] / (720 * 1024))
    assert m["loss_rises"] == int(np.sum(np.diff(losses) > 0)) and m["first_epoch_loss"] == losses[0]
    assert max(c["measured"] for c in m["checks"].values()) < 1e-7 and all(c["passed"] for c in m["checks"].values())
    assert m["checks"]["gradient_sse"]["measured"] == m["gradcheck"]["sse"]["norm_rel_error"]
    assert set(m["gradcheck"]) == {"sse", "ce"}


def test_reconstructions_are_of_the_picked_validation_images(train, data):
    up = train[1]
    _, xv, yv = data
    idx = q5.pick_images(yv, SMOKE.classes)
    assert len(idx) == 10                                                # 2 of each of the 5 classes
    with np.load(up.path("reconstructions.npz")) as a:
        r = dict(a)
    np.testing.assert_array_equal(r["images"], xv[idx])
    with np.load(up.path("q5_handout_weights.npz")) as w:
        np.testing.assert_allclose(r["handout"], ae.reconstruct(xv[idx], dict(w)), atol=1e-6)
    assert len(r["improved_losses"]) == SMOKE.improved.epochs


def test_figures_are_drawn_from_the_training_files_alone(train, run_part, check_figures):
    result, drawn = run_part(q5, "figures", None, inputs={"train": train[1]})      # no data root
    check_figures(result, drawn, ["q5-loss", "q5-loss-improved", "q5-pairs", "q5-compare"])
    caption = next(f.caption for f in result.figures if f.label == "q5-loss")
    assert f"epoch {train[0].metrics['flat_epoch']}," in caption


# ---------------------------------------------------------------- helpers
def test_pick_images_takes_the_first_two_of_each_class():
    labels = np.array([LETTERS.index(c) for c in "BAGAAGSM4MS44"])
    y = np.eye(36)[labels]
    assert q5.pick_images(y, ("A", "G", "M", "S", "4")) == [1, 3, 2, 5, 7, 9, 6, 10, 8, 11]
    assert q5.pick_images(y, ("B", "Z")) == [0]                         # one B, no Z

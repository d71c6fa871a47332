"""hw5.autoencoder: backprop vs finite differences, the handout's momentum step, both trainings, PCA, PSNR, unit stats."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from hw5 import autoencoder as ae
from hw5 import nn, optim

TINY = (12, 4, 4, 4, 12)


@pytest.mark.parametrize("loss", ["sse", "ce"], ids=["squared-error", "pixel-cross-entropy"])
def test_backprop_matches_finite_differences(loss, rng):
    check = ae.gradient_check(rng, loss, dims=TINY)
    assert check["scalars"] == sum(a * b + b for a, b in zip(TINY[:-1], TINY[1:]))
    assert check["norm_rel_error"] < 1e-7
    assert check["max_rel_error"] < 1e-3          # elementwise: round-off on gradients near 1e-7 dominates


def test_gradient_check_catches_a_wrong_output_delta(rng):
    """Backprop of the cross-entropy delta scored against the squared error must fail the check."""
    x = rng.random((3, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    ae.backprop(x, params, "ce")
    numeric = nn.numerical_grad(lambda: ae.objective(x, ae.reconstruct(x, params), "sse"), params["Woutput"])
    assert nn.relative_error(params["grad_Woutput"], numeric).max() > 0.1


def test_momentum_buffers_start_at_zero_and_follow_the_update_rule(rng):
    x = rng.random((5, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    assert all(params["m_" + k].shape == params[k].shape and not params["m_" + k].any() for k in ae.KEYS)
    w0 = params["Whidden"].copy()
    ae.backprop(x, params)
    g1 = params["grad_Whidden"].copy()
    optim.handout_momentum(params, ae.KEYS, lr=0.1, momentum=0.9)
    assert_allclose(params["Whidden"], w0 - 0.1 * g1)                 # first step: plain gradient descent
    ae.backprop(x, params)
    g2 = params["grad_Whidden"].copy()
    optim.handout_momentum(params, ae.KEYS, lr=0.1, momentum=0.9)
    assert_allclose(params["m_Whidden"], 0.9 * (-0.1 * g1) - 0.1 * g2)
    assert_allclose(params["Whidden"], w0 - 0.1 * g1 + params["m_Whidden"])


def test_init_handout_has_run_q5s_shapes(rng):
    params = ae.init_handout((1024, 32, 32, 32, 1024), rng)
    assert sum(params[k].size for k in ae.KEYS) == 68704            # 32800 + 1056 + 1056 + 33792
    assert params["Wlayer1"].shape == (1024, 32) and params["Woutput"].shape == (32, 1024)
    assert all(params[k].dtype == np.float32 for k in ae.KEYS) and not params["boutput"].any()


def test_objective_by_hand():
    x, out = np.array([[1.0, 0.0]]), np.array([[0.5, 0.25]])
    assert ae.objective(x, out) == pytest.approx(0.25 + 0.0625)
    assert ae.objective(x, out, "ce") == pytest.approx(-np.log(0.5) - np.log(0.75))


def test_backprop_returns_the_squared_error_for_either_loss(rng):
    params = ae.init_handout(TINY, rng, np.float64)
    for k in ae.KEYS:
        params[k][:] = 0.0                                             # every output is sigmoid(0) = 1/2
    x = np.ones((4, TINY[0]))
    assert ae.backprop(x, params) == pytest.approx(48 * 0.25)
    assert ae.backprop(x, params, "ce") == pytest.approx(48 * 0.25)


def test_improved_init_outputs_the_mean_image_for_the_mean_image(rng):
    x_mean = np.linspace(0.0, 1.0, TINY[0])
    params = ae.init_improved(TINY, x_mean, rng)
    out = ae.reconstruct(x_mean[None].astype(np.float32), params)       # centred input 0: every ReLU is 0
    assert_allclose(out[0], np.clip(x_mean, 0.01, 0.99), rtol=1e-5)
    assert params["Wlayer1"].std() == pytest.approx(np.sqrt(2 / 12), rel=0.35)   # He: Var = 2 / n_in


def handout_cfg(**kw):
    return ae.HandoutTraining(**{"batch_size": 5, "epochs": 6, "learning_rate": 3e-3, "lr_every": 2, **kw})


def test_train_handout_lowers_the_loss(rng):
    x = rng.random((20, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    losses = ae.train_handout(x, params, handout_cfg(), np.random.default_rng(0)).train_loss
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert any(params["m_" + k].any() for k in ae.KEYS)


def test_train_handout_at_rate_zero_changes_nothing(rng):
    x = rng.random((20, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    before = {k: params[k].copy() for k in ae.KEYS}
    losses = ae.train_handout(x, params, handout_cfg(learning_rate=0.0, epochs=3), np.random.default_rng(0)).train_loss
    assert losses == [losses[0]] * 3
    for k in ae.KEYS:
        assert_allclose(params[k], before[k], atol=0)


def test_train_improved_runs_adam_on_a_flat_buffer(rng):
    x = rng.random((30, TINY[0])).astype(np.float32)
    params = ae.init_improved(TINY, x.mean(0), rng)
    cfg = ae.ImprovedTraining(batch_size=8, epochs=5, warmup=1, lr=1e-2, loss="ce")
    history, state = ae.train_improved(x, params, cfg, np.random.default_rng(0))
    losses = history.train_loss
    assert len(losses) == 5 and losses[-1] < losses[0]
    assert state["t"] == 5 * 4                                         # ceil(30 / 8) = 4 batches an epoch
    assert state["adam_m"].size == sum(params[k].size for k in ae.KEYS)


def test_pca_reconstructs_low_rank_data_exactly(rng):
    basis = rng.random((3, 64))
    x = 0.2 + 0.2 * rng.random((50, 3)) @ basis                       # rank 3 around a mean, inside [0, 1]
    assert x.max() < 1
    mean, comps = ae.pca_fit(x, 3)
    assert_allclose(comps @ comps.T, np.eye(3), atol=1e-10)           # orthonormal directions
    assert_allclose(ae.pca_reconstruct(x, mean, comps), x, atol=1e-10)
    errors = [np.sum((x - ae.pca_reconstruct(x, *ae.pca_fit(x, k))) ** 2) for k in (1, 2, 3)]
    assert errors[0] > errors[1] > errors[2]


def test_pca_finds_the_direction_of_largest_variance():
    x = np.array([[0.5, 0.5], [0.9, 0.5], [0.1, 0.5], [0.5, 0.52]])  # spread along the first axis
    mean, comps = ae.pca_fit(x, 1)
    assert_allclose(mean, [0.5, 0.505])
    assert_allclose(np.abs(comps), [[1.0, 0.0]], atol=1e-3)
    assert_allclose(ae.pca_reconstruct(np.array([[2.0, 0.5]]), mean, comps), [[1.0, 0.505]], atol=1e-3)  # clipped


def test_mean_psnr_of_a_constant_error_is_20_db(rng):
    x = rng.random((4, 16)) * 0.8
    assert ae.mean_psnr(x, x + 0.1) == pytest.approx(20.0)            # MSE 0.01 -> 20 dB


def test_mean_psnr_averages_the_images_decibels():
    x = np.full((2, 8), 0.5)
    x_hat = x + np.array([[0.1], [0.01]])                              # 20 dB and 40 dB
    assert ae.mean_psnr(x, x_hat) == pytest.approx(30.0)


def test_unit_stats_counts_dead_and_one_sided_units(rng):
    x = rng.random((40, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    params["blayer1"][:] = [-1e3, 1e3, 0.0, 0.0]        # unit 0 never fires, unit 1 always does
    stats = ae.unit_stats(x, params)
    assert stats["dead"][0] == 1 and stats["one_sided"][0] >= 2

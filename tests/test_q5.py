"""Q5: autoencoder backprop vs finite differences, momentum buffers, Adam and its schedule, PCA, PSNR, smoke run."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from experiments import q5_autoencoder as q5
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


def test_adam_first_step_moves_every_weight_by_the_learning_rate():
    w, g = np.zeros(4, np.float32), np.array([3.0, -0.5, 1e-3, -20.0], np.float32)
    state = {"t": 0, "adam_m": np.zeros(4, np.float32), "adam_v": np.zeros(4, np.float32)}
    optim.adam_step(w, g, state, lr=0.01)
    assert_allclose(w, -0.01 * np.sign(g), rtol=1e-3)               # bias-corrected m/sqrt(v) = sign(g), up to eps
    assert state["t"] == 1


def test_flatten_makes_params_views_of_one_buffer(rng):
    params = ae.init_handout(TINY, rng)
    before = {k: params[k].copy() for k in ae.KEYS}
    flat = optim.flatten(params, ae.KEYS)
    assert flat.size == sum(v.size for v in before.values())
    flat += 1.0
    for k in ae.KEYS:
        assert_allclose(params[k], before[k] + 1.0)


def test_schedule_warms_up_then_decays_to_zero():
    lrs = [optim.cosine(1.0, t, 100, 10) for t in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0) and lrs[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] < 1e-3


def test_pca_reconstructs_low_rank_data_exactly(rng):
    basis = rng.random((3, 64))
    x = 0.2 + 0.2 * rng.random((50, 3)) @ basis                       # rank 3 around a mean, inside [0, 1]
    assert x.max() < 1
    mean, comps = ae.pca_fit(x, 3)
    assert_allclose(comps @ comps.T, np.eye(3), atol=1e-10)           # orthonormal directions
    assert_allclose(ae.pca_reconstruct(x, mean, comps), x, atol=1e-10)
    errors = [np.sum((x - ae.pca_reconstruct(x, *ae.pca_fit(x, k))) ** 2) for k in (1, 2, 3)]
    assert errors[0] > errors[1] > errors[2]


def test_mean_psnr_of_a_constant_error_is_20_db(rng):
    x = rng.random((4, 16)) * 0.8
    assert ae.mean_psnr(x, x + 0.1) == pytest.approx(20.0)            # MSE 0.01 -> 20 dB


def test_curve_summary_finds_where_the_curve_flattens():
    losses = 1.0 + 99.0 * np.exp(-np.arange(100) / 5.0)               # falls 99, flat by about epoch 16
    s = q5.curve_summary(losses, 0.05)
    assert s["flat_epoch"] == 16                                      # exp(-t/5) <= 0.05 from t = 15
    assert s["half_epoch"] == 5 and s["rises"] == 0
    assert 0 < s["tail_drop"] < 1e-4                                  # 99 e^-15.8 / 1 over the last 20


def test_smoke_run_metrics_and_saved_momentum(run_section, tmp_path):
    result = run_section(q5)
    m = result.metrics
    for key in ("psnr_valid", "psnr_valid_improved", "psnr_pca32", "final_loss", "seconds"):
        assert np.isfinite(m[key]), key
    assert m["psnr_pca32"] > 12                    # PCA-32 needs no training: far above the mean image
    assert m["losses"][-1] < m["losses"][0] and m["final_loss"] == m["losses"][-1]
    assert m["params"]["autoencoder"] == 68704
    assert {f.label for f in result.figures} == {"q5-loss", "q5-pairs", "q5-compare"}
    saved = np.load(tmp_path / "q5" / result.artifacts["q5_handout_weights"])     # run_section's folder
    for k in ae.KEYS:
        assert saved["m_" + k].shape == saved[k].shape and saved["m_" + k].any()   # trained: no longer zero


def test_unit_stats_counts_dead_and_one_sided_units(rng):
    x = rng.random((40, TINY[0]))
    params = ae.init_handout(TINY, rng, np.float64)
    params["blayer1"][:] = [-1e3, 1e3, 0.0, 0.0]        # unit 0 never fires, unit 1 always does
    stats = ae.unit_stats(x, params)
    assert stats["dead"][0] == 1 and stats["one_sided"][0] >= 2

"""Q2 parts: run_q2 on the four-Gaussian toy problem, and its figures drawn from the saved arrays alone."""
import numpy as np
import pytest

from experiments import q2_numpy_net as q2
from hw5 import mlp
from reportkit.section import Context


def toy_rng():
    """The generator run_toy draws its points and initialisation from (seed 0)."""
    return Context("q2.toy", None, "smoke", 0, "cpu", None, None).rng("toy data")


@pytest.fixture(scope="module")
def toy(smoke):
    result, up = smoke("q2.toy")
    with np.load(up.path("toy.npz")) as a:
        return result.metrics, dict(a), up


def test_saved_data_are_the_seeded_toy_points(toy):
    m, arrays, _ = toy
    x, y = q2.toy_data(toy_rng(), 10)                               # seed 0: the part's first draws
    np.testing.assert_array_equal(arrays["x"], x)
    np.testing.assert_array_equal(arrays["y"], y)
    assert m["n_points"] == 40 and y.sum(0).tolist() == [10, 10, 10, 10]
    assert m["chance_loss"] == pytest.approx(40 * np.log(4))


def test_initialisation_and_the_starting_loss(toy):
    m, arrays, _ = toy
    rng = toy_rng()
    x, y = q2.toy_data(rng, 10)
    params = q2.init_params(25, rng)                                 # the part's next draws: Xavier init
    for k in mlp.KEYS:
        np.testing.assert_array_equal(arrays["initial_" + k], params[k])        # saved for the findings
    probs = mlp.predict(x, params)
    h = 1 / (1 + np.exp(-(x @ params["Wlayer1"] + params["blayer1"])))     # by hand, not through hw5.nn
    z = h @ params["Woutput"] + params["boutput"]
    by_hand = np.exp(z - z.max(1, keepdims=True))
    by_hand /= by_hand.sum(1, keepdims=True)
    np.testing.assert_allclose(probs, by_hand, rtol=1e-12)
    assert m["start_loss"] == pytest.approx(-np.sum(y * np.log(by_hand)), rel=1e-12)
    assert m["start_acc"] == np.mean(probs.argmax(1) == y.argmax(1))
    assert m["init"]["bias_sum"] == 0 and m["init"]["w_var_expected"] == pytest.approx(2 / 27)
    assert m["init"]["w_var"] == pytest.approx(2 / 27, rel=0.5)       # 50 weights: a sample variance
    assert m["run_q2"]["sigmoid_extremes"] == [0.0, 1.0] and m["run_q2"]["probs_shape"] == [40, 4]
    assert m["run_q2"]["probs_row_sum_error"] < 1e-12


def test_gradient_check_and_training(toy):
    m, arrays, _ = toy
    assert m["gradcheck"]["scalars"] == 2 * 25 + 25 + 25 * 4 + 4
    assert m["gradcheck_max_rel_error"] < 1e-5 and m["gradcheck"]["norm_rel_error"] < 1e-8
    epochs = q2.SECTION.parts[0].make_config("smoke").epochs
    assert len(arrays["loss"]) == len(arrays["acc"]) == len(arrays["zero_loss"]) == epochs == 60
    assert arrays["loss"][-1] < 0.95 * arrays["loss"][0] and m["toy_final_loss"] == arrays["loss"][-1]
    params = {k: arrays[k] for k in mlp.KEYS}
    final = np.mean(mlp.predict(arrays["x"], params).argmax(1) == arrays["y"].argmax(1))
    assert final > 0.25 + 0.1                                          # the saved weights beat chance
    assert m["zero_init"]["hidden_spread"] == 0.0                      # zero init: every hidden unit the same


def test_seed_study_compares_the_two_epoch_counts(toy):
    study = toy[0]["seed_study"]
    assert [r["epochs"] for r in study] == [30, 60]                    # smoke: handout_epochs, epochs
    for r in study:
        assert r["min"] <= r["mean"] <= r["max"] and 0 <= r["below_75"] <= 2


def test_gradient_check_catches_a_wrong_gradient(rng, monkeypatch):
    x, y = q2.toy_data(rng, 3)
    params = q2.init_params(5, rng)
    good = q2.gradient_check(x, y, params, 1e-5)["max_rel_error"]
    original = mlp.backprop

    def broken(x, y, params, batch_mean=False):                        # output gradient off by a factor 2
        probs = original(x, y, params, batch_mean)
        params["grad_Woutput"] *= 2
        return probs
    monkeypatch.setattr(mlp, "backprop", broken)
    bad = q2.gradient_check(x, y, params, 1e-5)["max_rel_error"]
    assert good < 1e-5 and bad > 0.1


def test_figures_are_drawn_from_the_saved_arrays_alone(toy, run_part, check_figures):
    result, drawn = run_part(q2, "figures", None, inputs={"toy": toy[2]})      # no data root
    check_figures(result, drawn, ["q2-toy-training", "q2-toy-data"])

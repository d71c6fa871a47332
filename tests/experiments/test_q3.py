"""Q3 parts: the learning-rate study on NIST36 slices, the saved raw-input weights, the test pass, the figures;
and the section's helpers (reached_at, border_ratio, smoothness, load)."""
import pickle
from dataclasses import replace

import numpy as np
import pytest

from experiments import q3_nist_mlp as q3
from hw5 import mlp
from hw5.data import LETTERS, load_nist36, seeded_subset
from hw5.history import History
from reportkit.section import Context


@pytest.fixture(scope="module")
def train(smoke):
    result, up = smoke("q3.train")
    return result, up


def test_saved_weights_reproduce_the_test_accuracy(train, fixture_root):
    result, up = train
    m = result.metrics
    with np.load(up.path(result.artifacts["q3_weights"])) as w:
        weights = dict(w)
    assert {k: v.shape for k, v in weights.items()} == {"Wlayer1": (1024, 64), "blayer1": (64,),
                                                        "Woutput": (64, 36), "boutput": (36,)}
    x, y = load_nist36(fixture_root, "test")
    preds = mlp.predict(x, dict(weights)).argmax(1)                 # float32 rows: the same network
    assert np.mean(preds == y.argmax(1)) == pytest.approx(m["test_accuracy"], abs=1 / len(y))
    h = 1 / (1 + np.exp(-(x.astype(np.float64) @ weights["Wlayer1"] + weights["blayer1"])))   # by hand
    by_hand = (h @ weights["Woutput"] + weights["boutput"]).argmax(1)
    assert np.mean(by_hand == y.argmax(1)) == pytest.approx(m["test_accuracy"], abs=1 / len(y))
    assert m["test_accuracy"] > 0.5                                  # learnable fixture glyphs; chance is 1/36


def test_the_handout_pickle_gives_the_test_accuracy_through_the_handouts_forward(train, fixture_root):
    """The handout's contract: run_q4.py loads q3_weights.pickle and applies forward(x, params, 'layer1'), then
    forward(h, params, 'output', softmax), to rows as the .mat file holds them; that is the reported accuracy."""
    from scipy.io import loadmat

    from hw5 import nn

    result, up = train
    with open(up.path(result.artifacts["q3_weights_pickle"]), "rb") as f:
        params = pickle.load(f)
    assert type(params) is dict and set(params) == {"Wlayer1", "blayer1", "Woutput", "boutput"}
    assert all(type(v) is np.ndarray and v.dtype == np.float64 for v in params.values())
    with np.load(up.path("q3_weights.npz")) as w:                     # Q4 and `report.py ocr` read the same network
        assert all(np.array_equal(w[k], params[k]) for k in params)
    mat = loadmat(fixture_root / "data" / "nist36_test.mat")
    x, y = mat["test_data"], mat["test_labels"]
    assert x.dtype == np.float64
    h = nn.forward(x, params, "layer1")
    probs = nn.forward(h, params, "output", nn.softmax)
    _, acc = nn.compute_loss_and_acc(y, probs)
    assert acc == result.metrics["test_accuracy"]
    assert int(np.sum(probs.argmax(1) != y.argmax(1))) == result.metrics["test_errors"]


def test_confusion_matrix_agrees_with_the_reported_numbers(train):
    result, up = train
    m = result.metrics
    with np.load(up.path("analysis.npz")) as a:
        cm = a["confusion"]
    assert cm.shape == (36, 36) and cm.sum(1).tolist() == [12] * 36      # the fixture's 12 test images per class
    assert np.trace(cm) / cm.sum() == m["test_accuracy"]
    assert cm.sum() - np.trace(cm) == m["test_errors"]
    assert m["test_per_class"] == {c: cm[i, i] / 12 for i, c in enumerate(LETTERS)}
    both = cm + cm.T
    for a, b, n in m["confused_pairs"]:
        assert both[LETTERS.index(a), LETTERS.index(b)] == n
    counts = [n for *_, n in m["confused_pairs"]]
    off = np.triu(both, 1)
    assert counts == sorted(counts, reverse=True) and counts[0] == off.max()
    assert m["pairs_letter_digit"] == sum(a.isdigit() != b.isdigit() for a, b, _ in m["confused_pairs"])


def test_learning_rate_study(train):
    m = train[0].metrics
    grid = q3.Config().learning_rates
    best = m["best_learning_rate"]
    finals = {float(lr): acc for lr, acc in m["sweep"].items()}
    assert set(grid) <= set(finals) and best == max(finals, key=lambda lr: finals[lr])
    assert m["valid_accuracy"] == finals[best] == m["shown"]["best"]["history"]["valid_acc"][-1]
    assert m["shown"]["high"]["lr"] == pytest.approx(10 * best) and m["shown"]["low"]["lr"] == pytest.approx(best / 10)
    assert set(finals) == set(grid) | {m["shown"][k]["lr"] for k in ("high", "low")}
    assert m["runs_trained"] == len(finals) + 1                         # and the ablation without augmentation
    assert [r["in_grid"] for r in m["sweep_runs"]] == [lr in grid for lr in sorted(finals)]
    epochs = q3.SECTION.parts[0].make_config("smoke").training.epochs
    for shown in m["shown"].values():
        assert len(shown["history"]["valid_acc"]) == epochs
    assert set(m["no_augment"]) == {"train_acc", "valid_acc"}


def test_slices_and_source(train, fixture_root):
    m = train[0].metrics
    assert m["sizes"] == {"train": 720, "valid": 360, "test": 36 * 12}
    assert m["source"] == f"course data folder {fixture_root.name}/"         # its README names no EMNIST


def test_initial_weights_are_the_training_draw(train):
    with np.load(train[1].path("analysis.npz")) as a:
        w_init = a["w_init"]
    init_seed = Context("q3.train", None, "smoke", 0, "cpu", None, None).seed_for("init")       # seed 0's "init"
    expected = mlp.init_training(64, np.random.default_rng(init_seed))["Wlayer1"]
    np.testing.assert_array_equal(w_init, expected)
    with np.load(train[1].path("q3_weights.npz")) as w:
        assert not np.allclose(w["Wlayer1"], w_init)                    # trained


def test_same_seed_same_numbers_on_a_two_rate_grid(run_part, fixture_root):
    a, _ = run_part(q3, "train", fixture_root, learning_rates=(0.1, 0.3), ablation=False)
    b, _ = run_part(q3, "train", fixture_root, learning_rates=(0.1, 0.3), ablation=False)
    assert a.metrics["best_learning_rate"] in (0.1, 0.3) and set(a.metrics["sweep"]) >= {"0.1", "0.3"}
    assert a.metrics["no_augment"] is None
    for key in ("sweep", "valid_accuracy", "test_accuracy", "confused_pairs", "shown"):
        assert a.metrics[key] == b.metrics[key], key
    c, _ = run_part(q3, "train", fixture_root, seed=1, learning_rates=(0.1, 0.3), ablation=False)
    assert c.metrics["sweep"] != a.metrics["sweep"]


def test_figures_are_drawn_from_the_training_files_and_the_test_glyphs(train, run_part, check_figures,
                                                                       fixture_root):
    result, drawn = run_part(q3, "figures", fixture_root, inputs={"train": train[1]})
    check_figures(result, drawn, ["q3-lr-curves", "q3-weights", "q3-confusion", "q3-misread"])


# ---------------------------------------------------------------- helpers
def test_load_takes_seeded_slices(fixture_root):
    cfg = replace(q3.Config(), train_limit=100, valid_limit=50)
    data = q3.load(fixture_root, cfg, seed=5)
    full_x, full_y = load_nist36(fixture_root, "train")
    keep = seeded_subset(len(full_x), 100, 5)
    np.testing.assert_array_equal(data["train"][0], full_x[keep])
    np.testing.assert_array_equal(data["train"][1], full_y[keep])
    assert len(data["valid"][0]) == 50 and len(data["test"][0]) == 36 * 12
    assert not np.array_equal(q3.load(fixture_root, cfg, seed=6)["train"][0], data["train"][0])


def test_reached_at_is_when_the_best_run_got_there():
    reference = History(valid_acc=[0.3, 0.62, 0.7, 0.7, 0.7])
    assert q3.reached_at(reference, 0.6) == 2                                 # the reference's 0.62 >= 0.6
    assert q3.reached_at(History(valid_acc=[0.1] * 5), 0.6) is None
    assert q3.reached_at(reference, None) is None                             # a diverged run has no final value


def test_border_ratio_and_smoothness_of_weight_images(rng):
    ring = np.ones((32, 32))
    ring[3:-3, 3:-3] = 0.1
    W = np.repeat(ring.reshape(1024, 1), 4, axis=1)
    assert q3.border_ratio(W) == pytest.approx(10.0)
    assert q3.border_ratio(np.ones((1024, 4))) == pytest.approx(1.0)
    yy, xx = np.mgrid[0:32, 0:32]
    smooth = np.stack([np.sin(xx / 6 + k) + np.cos(yy / 7) for k in range(3)], -1).reshape(1024, 3)
    noise = rng.normal(size=(1024, 3))
    assert (q3.smoothness(smooth) > 0.9).all() and (np.abs(q3.smoothness(noise)) < 0.15).all()

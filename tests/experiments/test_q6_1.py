"""Q6.1 parts: the NIST36 FC and CNN (and the checkpoint Q4 reads), CIFAR-10, the SUN split, the SUN CNN and bag
of words, their comparison, and the figures drawn from the saved results alone."""
import pickle

import numpy as np
import pytest
import torch

from experiments import q6_1_torch as q61
from hw5.data import LETTERS, load_nist36, seeded_subset
from hw5.image_data import SUN_CLASSES
from hw5.pytorch.models import NistCNN, ResNetSmall, load_nist36_cnn, nist_rows_to_images
from hw5.history import History
from reportkit.section import Upstream

NIST_LIMIT = q61.SECTION.parts[0].make_config("smoke").nist_limit


@pytest.fixture(autouse=True)
def _one_thread(torch_one_thread):
    pass


@pytest.fixture(scope="module")
def valid(fixture_root):
    """The seeded validation slice every NIST36 part of the smoke profile scores on."""
    x, y = load_nist36(fixture_root, "valid")
    keep = seeded_subset(len(x), NIST_LIMIT, 0)
    return x[keep], y[keep].argmax(1)


def confusion_consistent(block, n_test):
    cm = np.asarray(block["confusion"])
    assert cm.sum() == n_test
    assert block["test_accuracy"] == pytest.approx(np.trace(cm) / cm.sum(), abs=1e-12)
    np.testing.assert_allclose(block["per_class"], np.diag(cm) / cm.sum(1))
    off = cm - np.diag(np.diag(cm))
    assert block["largest_confusion"]["count"] == off.max()
    return cm


# ---------------------------------------------------------------- NIST36
def test_fc_history_and_validation_errors(smoke, valid):
    fc = smoke("q6_1.nist_fc")[0].metrics["fc"]
    epochs = q61.SECTION.parts[0].make_config("smoke").epochs
    assert {k: len(v) for k, v in fc["history"].items() if k != "diverged_epoch"} == dict.fromkeys(
        ("train_loss", "train_acc", "valid_loss", "valid_acc", "seconds"), epochs)
    assert fc["history"]["diverged_epoch"] is None
    assert fc["parameters"] == 1024 * 64 + 64 + 64 * 36 + 36
    errors = fc["valid_errors"]
    assert errors["accuracy"] == fc["final_valid_acc"]                     # evaluated again after training: same
    assert errors["errors"] == round((1 - errors["accuracy"]) * len(valid[1]))
    assert errors["merged_accuracy"] >= errors["accuracy"]             # O = 0 and I = 1 can only remove errors


def test_fc_learns_the_glyphs_in_a_few_more_epochs(run_part, fixture_root):
    result, _ = run_part(q61, "nist_fc", fixture_root, epochs=8)
    fc = result.metrics["fc"]
    assert fc["final_valid_acc"] > 0.3                                      # chance is 1/36
    assert fc["history"]["train_loss"][-1] < fc["history"]["train_loss"][0] - 0.3


def test_first_reaching():
    hist = History(valid_acc=[0.5, 0.92, 0.91], seconds=[1.0, 2.5, 4.0])
    assert q61.first_reaching(hist, 0.9) == {"epoch": 2, "seconds": 2.5}
    assert q61.first_reaching(hist, 0.95) == {"epoch": None, "seconds": None}


def test_nist_errors_merges_o_with_0_and_i_with_1():
    truth, read = ["O", "0", "I", "A"], ["0", "O", "1", "B"]

    class Fixed(torch.nn.Module):                        # answers `read`, whatever the image
        def forward(self, x):
            return torch.eye(36)[[LETTERS.index(c) for c in read]][: len(x)] * 10
    y = torch.tensor([LETTERS.index(c) for c in truth])
    e = q61.nist_errors(Fixed(), torch.zeros(4, 1024), y, "cpu", top=2)
    assert (e["accuracy"], e["errors"], e["ambiguous_errors"], e["merged_accuracy"]) == (0.0, 4, 3, 0.75)
    assert e["pairs"][0] == ["O", "0", 2]


def test_cnn_history_errors_and_the_checkpoint_q4_reads(smoke, valid):
    result, up = smoke("q6_1.nist_cnn")
    cnn, cfg = result.metrics["cnn"], up.config
    assert len(cnn["history"]["valid_acc"]) == cfg["epochs"] and cnn["history"]["diverged_epoch"] is None
    assert cnn["parameters"] == sum(p.numel() for p in NistCNN(tuple(cfg["widths"]), cfg["dropout"]).parameters())
    assert cnn["train_seconds"] == cnn["history"]["seconds"][-1]
    errors = cnn["valid_errors"]
    assert errors["accuracy"] == cnn["final_valid_acc"]                    # evaluated again after training: same
    assert errors["errors"] == round((1 - errors["accuracy"]) * len(valid[1]))
    assert len(errors["pairs"]) <= cfg["top_pairs"]
    x, labels = valid
    classify = load_nist36_cnn(up.path(result.artifacts["q6_cnn_nist36"]))
    probs = classify(x)
    assert probs.shape == (len(x), 36)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert np.mean(probs.argmax(1) == labels) == pytest.approx(cnn["final_valid_acc"], abs=1 / len(x))
    blob = torch.load(up.path("q6_cnn_nist36.pt"), weights_only=True)
    assert blob["class"] == "NistCNN" and blob["classes"] == LETTERS
    assert blob["kwargs"] == {"widths": tuple(cfg["widths"]), "dropout": cfg["dropout"]}
    assert blob["valid_accuracy"] == cnn["final_valid_acc"]
    net = NistCNN(**blob["kwargs"])
    net.load_state_dict(blob["state_dict"])
    with torch.no_grad():
        again = torch.softmax(net.eval()(nist_rows_to_images(torch.from_numpy(x[:50]))), 1).numpy()
    np.testing.assert_allclose(probs[:50], again, atol=1e-5)


# ---------------------------------------------------------------- CIFAR-10
def test_cifar_confusion_and_counts(smoke, fixture_root):
    c = smoke("q6_1.cifar")[0].metrics["cifar"]
    folder = fixture_root / "data" / "cifar-10-batches-py"
    with open(folder / "test_batch", "rb") as f:
        test_labels = np.array(pickle.load(f, encoding="bytes")[b"labels"])
    with open(folder / "batches.meta", "rb") as f:
        names = [n.decode() for n in pickle.load(f, encoding="bytes")[b"label_names"]]
    cm = confusion_consistent(c, len(test_labels))
    assert c["n_test"] == len(test_labels) == 200
    assert cm.sum(1).tolist() == np.bincount(test_labels, minlength=10).tolist()
    assert c["names"] == names and c["n_batch_files"] == 2
    assert c["n_valid"] == 200 and c["n_train"] + c["n_valid"] == 500    # both fixture batches, 200 held out
    off = cm - np.diag(np.diag(cm))
    assert [t["count"] for t in c["taken_for"]] == off.max(1).tolist()
    assert c["parameters"] == sum(p.numel() for p in ResNetSmall(10, (16, 32, 64, 128)).parameters())


# ---------------------------------------------------------------- SUN-8
def test_sun_split_is_a_stratified_partition(smoke, fixture_root):
    up = smoke("q6_1.sun_split")[1]
    per_class = up.config["per_class"]
    with np.load(up.path("split.npz")) as a:
        fit, hold = a["fit"], a["hold"]
    labels = np.array([int(v) for v in (fixture_root / "data/sun/train_labels.txt").read_text().split()])
    kept = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(8)])
    y = labels[kept]
    assert sorted(np.concatenate([fit, hold]).tolist()) == list(range(8 * per_class))
    assert np.bincount(y[hold]).tolist() == [1] * 8                    # round(0.15 * 6) = 1 per class


def test_sun_cnn_scores_the_test_slice(smoke):
    sun = smoke("q6_1.sun_cnn")[0].metrics["sun"]
    per_class = smoke("q6_1.sun_split")[1].config["per_class"]
    cm = confusion_consistent(sun, 8 * per_class)
    assert sun["n_test"] == 48
    assert cm.sum(1).tolist() == [per_class] * 8
    assert sun["names"] == list(SUN_CLASSES) and (sun["n_fit"], sun["n_valid"]) == (40, 8)


def test_sun_bow_choice_and_features(smoke):
    result, up = smoke("q6_1.sun_bow")
    bow, cfg = result.metrics["bow"], up.config
    cm = confusion_consistent(bow, 48)
    assert cm.sum(1).tolist() == [6] * 8
    rows = bow["validation"]
    assert len(rows) == len(cfg["layers"]) * (1 + len(cfg["lambdas"]))
    assert bow["chosen"] == next(r for r in rows if r["valid_accuracy"] == max(x["valid_accuracy"] for x in rows))
    assert bow["feature_dim"] == cfg["k"] * (4 ** (bow["chosen"]["layers"] + 1) - 1) // 3
    assert bow["filters"] == 12 * len(cfg["scales"]) and bow["dict_pixels"] == cfg["alpha"] * cfg["dict_images"]
    with np.load(up.path("example.npz")) as a:
        image, wordmap = a["image"], a["wordmap"]
    assert wordmap.shape == image.shape[:2] and min(image.shape[:2]) == cfg["short_side"]
    assert 0 <= wordmap.min() and wordmap.max() < cfg["k"] and len(np.unique(wordmap)) > 1


def test_sun_compare_on_given_results(run_part, tmp_path):
    def up(key, block):
        return Upstream({key: block}, {}, tmp_path, (), {})
    sun = {"names": ["a", "b", "c"], "per_class": [0.5, 0.2, 0.9], "test_accuracy": 0.6}
    bow = {"per_class": [0.4, 0.7, 0.9], "test_accuracy": 0.45}
    result, _ = run_part(q61, "sun_compare", None, inputs={"sun_cnn": up("sun", sun), "sun_bow": up("bow", bow)})
    assert result.metrics["sun_vs_bow"]["test_gap"] == pytest.approx(0.15)
    assert result.metrics["sun_vs_bow"]["bow_better_classes"] == ["b"]             # ties are not wins


# ---------------------------------------------------------------- figures
@pytest.mark.parametrize("name, reads, labels", [
    ("nist_figures", ("nist_fc", "nist_cnn"), ["q6_1-nist-curves"]),
    ("cifar_figures", ("cifar",), ["q6_1-cifar-curves"]),
    ("sun_figures", ("sun_cnn", "sun_bow"), ["q6_1-sun-curves", "q6_1-sun-confusion", "q6_1-wordmap"]),
])
def test_figures_are_drawn_from_the_saved_results_alone(smoke, run_part, check_figures, name, reads, labels):
    inputs = {r: smoke(f"q6_1.{r}")[1] for r in reads}
    result, drawn = run_part(q61, name, None, inputs=inputs)                        # no data root
    check_figures(result, drawn, labels)

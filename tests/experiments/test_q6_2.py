"""Q6.2 parts: SqueezeNet features fine-tuned on Flowers-17, the network from scratch, the SUN linear probe,
their comparison and figures; and the section's per_class_table."""
import json

import numpy as np
import pytest
import torch

from experiments import q6_2_finetune as q62
from hw5.errors import DataError as LibraryDataError
from hw5.pytorch.models import scratch_net
from hw5.pytorch.squeezenet import WEIGHTS, SqueezeNet
from reportkit.errors import DataError
from reportkit.section import Upstream

FLOWERS = sorted(("bluebell", "buttercup", "colts_foot", "cowslip", "crocus", "daffodil", "daisy", "dandelion",
                  "fritillary", "iris", "lily_valley", "pansy", "snowdrop", "sunflower", "tigerlily", "tulip",
                  "windflower"))


def config(name):
    return next(p for p in q62.SECTION.parts if p.name == name).make_config("smoke")


@pytest.fixture(autouse=True)
def _one_thread(torch_one_thread):
    pass


@pytest.fixture(scope="module")
def finetune(smoke):
    result, up = smoke("q6_2.finetune")
    return result.metrics, up, np.load(up.path("y_test.npy")), np.load(up.path("pred.npy"))


def test_finetune_uses_per_class_slices_of_every_split(finetune):
    m, _, y, pred = finetune
    per_class = config("finetune").per_class
    assert m["classes"] == FLOWERS and m["n_classes"] == 17
    assert m["n_train"] == m["n_val"] == m["n_test"] == 17 * per_class            # the fixture has 3 in train
    assert y.tolist() == np.repeat(np.arange(17), per_class).tolist() and len(pred) == len(y)


def test_finetune_test_numbers_come_from_its_predictions(finetune):
    m, _, y, pred = finetune
    ft = m["finetune"]
    assert m["finetune_test_accuracy"] == np.mean(pred == y)
    assert ft["test_errors"] == int(np.sum(pred != y))
    assert ft["valid_accuracy"] == ft["stages"][ft["chosen"]]["best_valid_acc"]
    gain = ft["stages"]["fire"]["best_valid_acc"] - ft["stages"]["head"]["best_valid_acc"]
    assert ft["fire_gain_images"] == round(gain * m["n_val"])
    assert ft["chosen"] == ("fire" if gain > 0 else "head")


def test_finetune_stages_shapes_and_sizes(finetune):
    m, up, _, _ = finetune
    ft, cfg = m["finetune"], config("finetune")
    stages = json.loads(up.path("history.json").read_text())
    assert {k: len(v["valid_acc"]) for k, v in stages.items()} == {"head": cfg.head_epochs, "fire": cfg.fire_epochs}
    assert {k: v["epochs"] for k, v in ft["stages"].items()} == {"head": cfg.head_epochs, "fire": cfg.fire_epochs}
    for k, v in stages.items():
        assert v["best_valid_acc"] == max(v["valid_acc"]) and 1 <= v["best_epoch"] <= len(v["valid_acc"]), k
    with torch.no_grad():
        side = SqueezeNet(17).features(torch.zeros(1, 3, cfg.image_size, cfg.image_size)).shape[1:]
    assert ft["map_shape"] == list(side)
    assert ft["trainable"]["head"] == 512 * 17 + 17                                  # Conv2d(512, 17, 1)
    fire = sum(p.numel() for p in SqueezeNet(17).features[13 - cfg.fire_modules:].parameters())
    assert ft["trainable"]["fire"] == fire + 512 * 17 + 17
    assert m["squeezenet_parameters"] == sum(p.numel() for p in SqueezeNet(17).parameters())


def test_scratch_predictions_and_size(smoke, finetune):
    result, up = smoke("q6_2.scratch")
    m, cfg = result.metrics, config("scratch")
    y = finetune[2]                                      # the same test images, in the same order
    pred = np.load(up.path("pred.npy"))
    assert m["scratch_test_accuracy"] == np.mean(pred == y)
    assert m["scratch"]["test_errors"] == int(np.sum(pred != y))
    hist = json.loads(up.path("history.json").read_text())
    assert m["scratch"]["epochs"] == len(hist["valid_acc"]) == cfg.epochs
    assert m["scratch"]["valid_accuracy"] == max(hist["valid_acc"]) == hist["valid_acc"][m["scratch"]["best_epoch"] - 1]
    net = scratch_net(cfg.width, 17, [0] * 3, [1] * 3)
    assert m["scratch"]["parameters"] == sum(p.numel() for p in net.parameters())


def test_sun_probe_choice_and_counts(smoke):
    result, up = smoke("q6_2.sun")
    sun, cfg = result.metrics["sun"], config("sun")
    assert (sun["n_train"], sun["n_test"]) == (8 * cfg.per_class, 8 * cfg.per_class)
    assert sun["n_holdout"] == 8                                                  # max(1, round(0.2 * 2)) per class
    scores = {r["weight_decay"]: r["accuracy"] for r in sun["holdout_accuracy"]}
    assert list(scores) == list(cfg.weight_decays)
    best = max(scores.values())
    assert sun["weight_decay"] == min(wd for wd, acc in scores.items() if acc == best)   # ties: the weaker one


def test_missing_weights_is_a_data_error_that_says_where(run_part, tmp_path):
    with pytest.raises(DataError, match=r"weights/squeezenet1_1_imagenet_features\.pt"):
        run_part(q62, "finetune", tmp_path)


def test_fixture_weights_are_what_the_parts_load(fixture_root):
    state = torch.load(fixture_root / WEIGHTS, weights_only=True)
    assert set(state) == {f"features.{k}" for k in SqueezeNet(17).features.state_dict()}


# ---------------------------------------------------------------- comparison
def test_per_class_table():
    names = ["a_b", "c", "d"]
    y = np.array([0, 0, 1, 1, 2, 2])
    ft = np.array([0, 1, 1, 1, 0, 0])
    sc = np.array([2, 2, 1, 0, 2, 2])
    rows = q62.per_class_table(names, y, ft, sc)
    assert rows == [
        {"name": "a b", "finetune": 0.5, "finetune_confused_with": "c", "scratch": 0.0, "scratch_confused_with": "d"},
        {"name": "c", "finetune": 1.0, "finetune_confused_with": "", "scratch": 0.5, "scratch_confused_with": "a b"},
        {"name": "d", "finetune": 0.0, "finetune_confused_with": "a b", "scratch": 1.0, "scratch_confused_with": ""},
    ]


def test_compare_on_given_predictions(run_part, tmp_path):
    for part, preds in (("ft", [0, 1, 1, 1, 0, 0]), ("sc", [2, 2, 1, 0, 2, 2])):
        (tmp_path / part).mkdir()
        np.save(tmp_path / part / "pred.npy", np.array(preds))
    np.save(tmp_path / "ft" / "y_test.npy", np.array([0, 0, 1, 1, 2, 2]))
    ft = Upstream({"classes": ["a_b", "c", "d"], "finetune_test_accuracy": 0.5, "squeezenet_parameters": 1000,
                   "n_train": 6, "n_classes": 3,
                   "finetune": {"seconds": {"features": 1.0, "head": 2.0, "fire": 3.5}, "fire_gain_images": 0,
                                "trainable": {"head": 10, "fire": 100}, "chosen": "head"}},
                  {"fire_modules": 2, "head_lr": 1e-3, "fire_lr": 1e-4}, tmp_path / "ft", ("pred.npy", "y_test.npy"), {})
    sc = Upstream({"scratch_test_accuracy": 0.5, "scratch": {"best_train_acc": 0.9, "valid_accuracy": 0.5,
                                                             "seconds": 5.0}},
                  {"width": 8}, tmp_path / "sc", ("pred.npy",), {})
    result, _ = run_part(q62, "compare", None, inputs={"finetune": ft, "scratch": sc})
    m = result.metrics
    assert m["gap"] == 0.0 and m["transfer_seconds"] == 6.5
    assert m["scratch_better_classes"] == ["d"]
    assert m["hardest"]["finetune"]["name"] == "d" and m["hardest"]["scratch"]["name"] == "a b"
    f = m["findings"]
    assert f["test"] == "equal" and f["hardest"]["finetune"]["names"] == ["d"] and f["scratch_overfits"]
    assert f["hardest"]["scratch"]["names"] == ["a b"] and not f["transfer_fewer_seconds"]     # 1 + 6 against 5 s


def test_compare_of_the_smoke_runs_recounts_the_classes(smoke, finetune):
    m = smoke("q6_2.compare")[0].metrics
    _, _, y, pred_ft = finetune
    pred_sc = np.load(smoke("q6_2.scratch")[1].path("pred.npy"))
    assert len(m["per_class"]) == 17
    for c, row in enumerate(m["per_class"]):
        assert row["name"] == FLOWERS[c].replace("_", " ")
        assert row["finetune"] == np.mean(pred_ft[y == c] == c) and row["scratch"] == np.mean(pred_sc[y == c] == c)


def test_figures_need_only_the_training_files_and_the_test_images(smoke, run_part, check_figures, fixture_root):
    inputs = {"finetune": smoke("q6_2.finetune")[1], "scratch": smoke("q6_2.scratch")[1]}
    result, drawn = run_part(q62, "figures", fixture_root, inputs=inputs)
    check_figures(result, drawn, ["q6_2-curves", "q6_2-per-class", "q6_2-grid"])
    with pytest.raises((DataError, LibraryDataError), match="oxford-flowers17"):   # it declares FLOWERS
        run_part(q62, "figures", fixture_root / "nowhere", inputs=inputs)

"""The findings behind the prose: differences of printed values, ties, verdicts at their thresholds."""
import pytest

from experiments import findings as fd


def test_points_are_the_difference_of_the_printed_percentages():
    assert fd.points(0.8556, 0.8032) == 5.3          # unrounded 5.24 points; printed 85.6 % and 80.3 %
    assert fd.points(0.85649, 0.80251) == 5.3        # unrounded 5.398
    assert fd.points(0.8032, 0.8556) == -5.3         # a negative gain
    assert fd.points(0.5, 0.5) == 0.0
    assert fd.points(0.12345, 0.1, digits=2) == 2.35


def test_shown_rounds_like_the_filters():
    from reportkit.templating import pct, unit
    for v in (0.85649, 0.12345, 0.5, 0.0005, 0.99995):
        assert pct(v) == f"{fd.shown_pct(v):.1f}\u00a0%"
    for v in (455.5, 456.49, 119.6):
        assert unit(v, "s") == f"{fd.shown(v):.0f}\u00a0s"


def test_ratio_is_of_the_printed_values():
    assert fd.ratio(456.4, 120.3) == 3.8              # 456 s against 120 s
    assert fd.ratio(455.6, 119.5) == 3.8              # printed 456 and 120 as well
    assert fd.ratio(10.0, 0.4) is None                # the divisor prints as 0
    assert fd.ratio(1.0, 1.0) == 1.0


def test_direction_and_band_boundaries():
    assert fd.direction(2, 1) == "above" and fd.direction(1, 2) == "below" and fd.direction(1, 1) == "equal"
    assert fd.band(3.0, -1.0, 3.0) == "within"        # the boundaries belong to the band
    assert fd.band(-1.0, -1.0, 3.0) == "within"
    assert fd.band(3.1, -1.0, 3.0) == "above" and fd.band(-1.1, -1.0, 3.0) == "below"


def test_extremes_name_every_class_that_ties_as_printed():
    names = ["daisy", "bluebell", "tulip", "iris"]
    found = fd.extremes([0.9, 0.8, 0.80004, 0.95], names)
    assert found["lowest"] == {"value": 0.8, "names": ["bluebell", "tulip"], "tie": True}
    assert found["highest"] == {"value": 0.95, "names": ["iris"], "tie": False}
    assert fd.extremes([0.8, 0.806], ["a", "b"])["lowest"]["names"] == ["a"]      # 80.0 against 80.6
    assert fd.extremes([0.8, 0.804], ["a", "b"], digits=0)["lowest"]["names"] == ["a", "b"]   # both 80
    same = fd.extremes([0.5, 0.5], ["a", "b"])
    assert same["lowest"]["names"] == same["highest"]["names"] == ["a", "b"]


def test_lowest_ranked_keeps_a_shared_last_place():
    acc = {"A": 0.9, "B": 0.5, "C": 0.7, "D": 0.7, "E": 0.6}
    assert fd.lowest_ranked(acc, 3) == [["B", 0.5], ["E", 0.6], ["C", 0.7], ["D", 0.7]]
    assert fd.lowest_ranked(acc, 2) == [["B", 0.5], ["E", 0.6]]
    assert fd.lowest_ranked({"A": 0.1}, 3) == [["A", 0.1]]


def test_top_ties_and_largest_cells():
    assert fd.top_ties([["O", "0", 9], ["I", "1", 9], ["S", "5", 4]]) == [["O", "0", 9], ["I", "1", 9]]
    assert fd.top_ties([["O", "0", 9], ["I", "1", 8]]) == [["O", "0", 9]]
    assert fd.top_ties([]) == []
    cm = [[5, 2, 0], [0, 5, 2], [1, 0, 5]]
    found = fd.largest_cells(cm, ["a", "b", "c"])
    assert found["tie"] and [(c["true"], c["predicted"]) for c in found["cells"]] == [("a", "b"), ("b", "c")]
    assert fd.largest_cells([[3, 0], [0, 3]], ["a", "b"]) == {"cells": [], "tie": False}


def test_difference_and_significant():
    assert fd.difference(17.004, 16.996, 2) == 0.0     # both print as 17.00
    assert fd.difference(16.40, 17.05, 2) == -0.65
    assert fd.significant(0.012345, 3) == 0.0123
    assert fd.mean([0.9, 0.92, 0.94]) == pytest.approx(0.92)


def test_two_columns_and_call():
    assert fd.two_columns([1, 2, 3], None) == [(1, 3), (2, None)]
    assert fd.two_columns([1, 2, 3, 4], None) == [(1, 3), (2, 4)]
    assert fd.call("NistCNN", widths=[16, 32, 64], dropout=0.5) == "NistCNN(widths=(16, 32, 64), dropout=0.5)"
    assert fd.call("ResNetSmall", 10, [16, 32]) == "ResNetSmall(10, (16, 32))"


# ---------------------------------------------------------------- the sections' finding functions
def test_fit_verdicts_at_their_thresholds():
    from experiments.q6_1_torch import fit_verdict, overfit_verdict

    assert fit_verdict(0.830, 0.800, 3.0, 1.0) == "close"          # exactly 3.0 points: not more than 3
    assert fit_verdict(0.831, 0.800, 3.0, 1.0) == "fits"
    assert fit_verdict(0.790, 0.800, 3.0, 1.0) == "close"          # exactly 1.0 below
    assert fit_verdict(0.789, 0.800, 3.0, 1.0) == "harder"
    assert fit_verdict(0.8, 0.8, 3.0, 1.0) == "close"
    assert overfit_verdict(0.88, 0.80, 8.0) == "a little"          # 8.0 points: not more than 8
    assert overfit_verdict(0.881, 0.80, 8.0) == "clearly"
    assert overfit_verdict(0.80, 0.80, 8.0) == "no" and overfit_verdict(0.79, 0.80, 8.0) == "no"
    assert overfit_verdict(0.80049, 0.8, 8.0) == "no"              # both print as 80.0 %


def run(lr, final_valid, final_train, loss, rises=0, max_rise=0.0, last_gain=0.01, diverged=False):
    return {"lr": lr, "final_valid_acc": final_valid, "final_train_acc": final_train, "final_train_loss": loss,
            "loss_rises": rises, "max_rise": max_rise, "last_gain": last_gain, "diverged": diverged}


def test_learning_rate_findings():
    from experiments.q3_nist_mlp import FindingsConfig, rate_findings

    best = run(0.3, 0.856, 0.88, 0.4, rises=1, max_rise=0.01)
    shown = {"best": best, "high": run(3, 0.8032, 0.8, 0.6, rises=5, max_rise=0.03),
             "low": run(0.03, 0.80, 0.80, 0.8, rises=1, last_gain=-0.0123)}
    f = rate_findings(shown, 50, FindingsConfig())
    assert f["steps"] == 49 and f["best_gap"] == "above" and f["best_gap_points"] == 2.4
    assert f["high_vs_best"] == "below" and f["high_vs_best_points"] == 5.3      # 85.6 against 80.3
    assert not f["high_overshoots"]                                              # 0.03 is 3x, not more
    shown["high"]["max_rise"] = 0.0301
    assert rate_findings(shown, 50, FindingsConfig())["high_overshoots"]
    assert f["low_smooth"] and f["low_undertrained"] and f["low_loss_ratio"] == 2.0
    assert not f["low_gained"] and f["low_last_gain_points"] == 1.23
    shown["high"] = run(3, None, None, None, diverged=True)
    diverged = rate_findings(shown, 50, FindingsConfig())
    assert diverged["high_overshoots"] and "high_vs_best" not in diverged
    equal = rate_findings({**shown, "best": run(0.3, 0.8, 0.8, 0.4)}, 50, FindingsConfig())
    assert equal["best_gap"] == "equal"


def test_hardest_flower_class_names_ties_and_the_confusion_of_a_single_one():
    from experiments.q6_2_finetune import hardest

    rows = [{"name": "daisy", "finetune": 0.9, "finetune_confused_with": "iris"},
            {"name": "bluebell", "finetune": 0.8, "finetune_confused_with": "crocus"},
            {"name": "tulip", "finetune": 0.8, "finetune_confused_with": "daisy"}]
    h = hardest(rows, "finetune")
    assert h["names"] == ["bluebell", "tulip"] and h["tie"] and h["value"] == 0.8
    rows[2]["finetune"] = 0.85
    assert hardest(rows, "finetune") == {"value": 0.8, "names": ["bluebell"], "tie": False, "confused_with": "crocus"}


def test_ocr_text_rows_keep_extra_lines():
    from experiments.q4_ocr import text_rows

    rows = text_rows(["AB", "CD"], [[["A", True], ["B", True]], [["C", True], ["0", False]]], ["AB", "C0", "EXTRA"])
    assert [r["truth"] for r in rows] == ["AB", "CD", ""] and rows[2] == {"truth": "", "extra": "EXTRA"}
    assert text_rows(["AB"], [[["A", True]]], ["A"]) == [{"truth": "AB", "marked": [["A", True]]}]


def q5_findings(tail_drop=0.004, psnr=(16.40, 17.05, 16.90), train=(16.60, 17.60, 17.00), seconds=(30.0, 90.0, 0.5)):
    from pathlib import Path

    from experiments.q5_autoencoder import FindingsConfig, findings
    from reportkit.section import Context, Upstream

    handout, improved, pca = psnr
    metrics = {"psnr_valid": handout, "psnr_valid_improved": improved, "psnr_pca32": pca, "tail_drop": tail_drop,
               "psnr_train": dict(zip(("handout", "improved", "pca"), train)), "final_loss": 10.0,
               "improved_final_loss": 8.0, "params": {"autoencoder": 69728, "input_mean": 1024, "pca": 33792},
               "units": {"handout": {"dead": [1, 0, 2]}, "improved": {"dead": [0, 0, 0]}},
               "train_seconds": dict(zip(("handout", "improved", "pca"), seconds))}
    up = Upstream(metrics, {"flat_fraction": 0.05, "handout": {"epochs": 100}, "hidden": 32}, Path("."), (), {})
    ctx = Context("q5.findings", FindingsConfig(), "full", 0, "cpu", None, Path("."), {"train": up})
    return findings(ctx).metrics["findings"]


def test_autoencoder_findings():
    f = q5_findings()
    assert f["converged"] and not q5_findings(tail_drop=0.005)["converged"]      # the threshold is not below itself
    assert f["improved_vs_pca"] == "above" and f["improved_vs_pca_db"] == 0.15    # 17.05 - 16.90
    assert f["handout_vs_pca"] == "below" and f["handout_vs_pca_db"] == 0.5       # a negative gain, printed positive
    assert q5_findings(psnr=(16.9, 16.9, 16.9))["improved_vs_pca"] == "equal"
    assert f["gap_db"] == 0.55 and f["pca_gap_db"] == 0.1 and f["improved_fits_training"]
    assert not q5_findings(train=(16.6, 17.35, 17.0))["improved_fits_training"]   # 0.30 is not above 0.10 + 0.2
    assert f["dead_handout"] == 3 and f["dead_improved"] == 0 and f["hidden_units"] == 96
    assert f["improved_params"] == 70752 and f["epoch_steps"] == 99 and f["pca_fewer_seconds"]


def test_nist_findings_ratios_are_of_the_printed_times():
    from experiments.q6_1_torch import FindingsConfig, nist_findings

    history = {"valid_loss": [1.0, 0.5]}
    fc = {"final_train_acc": 0.80, "final_valid_acc": 0.81, "train_seconds": 40.0, "parameters": 67940, "history": history,
          "reach_90": {"epoch": None}, "valid_errors": {"pairs": [["O", "0", 9], ["I", "1", 5], ["S", "5", 3], ["Z", "2", 1]]}}
    cnn = {"train_seconds": 120.3, "parameters": 108916, "final_valid_acc": 0.9251, "reach_90": {"epoch": 3}}
    f = nist_findings(fc, cnn, {"epochs": 40, "hidden": 64, "dropout": 0.0},
                      {"epochs": 12, "widths": [16, 32, 64], "dropout": 0.5}, 0.856, 0.771, FindingsConfig())
    assert f["fc_seconds_per_epoch"] == 1.0 and f["epoch_seconds_ratio"] == 10.0     # 10 s against 1.0 s
    assert f["cnn_vs_fc"] == "above" and f["cnn_vs_fc_points"] == 11.5           # 92.5 against 81.0
    assert f["fc_fit"] == "close" and f["fc_vs_q3"] == "below" and f["fc_vs_q3_points"] == 4.6
    assert f["q3_plain_below_fc"] and f["only_cnn_reaches_90"]
    assert f["fc_worst_pairs"] == [["O", "0", 9], ["I", "1", 5], ["S", "5", 3]]
    assert f["cnn_call"] == "NistCNN(widths=(16, 32, 64), dropout=0.5)"
    tie = nist_findings(fc, {**cnn, "final_valid_acc": 0.8104}, {"epochs": 40, "hidden": 64, "dropout": 0.0},
                        {"epochs": 12, "widths": [16, 32], "dropout": 0.5}, 0.81, None, FindingsConfig())
    assert tie["cnn_vs_fc"] == "equal"                      # 81.0 % equals the FC's 81.0 % as printed
    assert tie["fc_vs_q3"] == "equal" and not tie["q3_plain_below_fc"]


def test_the_toy_gradient_check_per_parameter_uses_the_one_relative_error():
    import numpy as np

    from experiments.q2_numpy_net import init_params, norm_errors, toy_data
    from hw5 import nn

    rng = np.random.default_rng(3)
    x, y = toy_data(rng, 5)
    errors = norm_errors(x, y, init_params(6, rng), 1e-5)
    assert set(errors) == {"Wlayer1", "blayer1", "Woutput", "boutput"} and max(errors.values()) < 1e-6
    assert nn.norm_relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert nn.norm_relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(np.sqrt(2))   # its largest


def test_flower_comparison_findings():
    from experiments.q6_2_finetune import CompareConfig, comparison_findings

    rows = [{"name": "daisy", "finetune": 0.9, "scratch": 0.95, "finetune_confused_with": "", "scratch_confused_with": ""},
            {"name": "iris", "finetune": 0.85, "scratch": 0.85, "finetune_confused_with": "", "scratch_confused_with": ""}]
    ft = {"finetune_test_accuracy": 0.8556, "squeezenet_parameters": 731000, "n_train": 680, "n_classes": 17,
          "finetune": {"fire_gain_images": -2, "trainable": {"head": 8721, "fire": 394897}, "chosen": "head",
                       "seconds": {"features": 30.4, "head": 5.2, "fire": 60.1}}}
    sc = {"scratch_test_accuracy": 0.8032, "scratch": {"best_train_acc": 0.90, "valid_accuracy": 0.80, "seconds": 95.6}}
    f = comparison_findings(ft, sc, {"fire_modules": 2, "head_lr": 1e-3, "fire_lr": 1e-4}, {"width": 32}, rows,
                            CompareConfig())
    assert f["test"] == "above" and f["test_points"] == 5.3                 # 85.6 % against 80.3 %
    assert f["first_fire_module"] == 11 and f["lr_ratio"] == pytest.approx(10)
    assert f["scratch_channels"] == [32, 64, 128, 256] and f["fire_gain_images"] == 2
    assert f["scratch_better_count"] == 1 and f["frozen_weights"] == 731000 - 8721 and f["train_per_class"] == 40
    assert not f["scratch_overfits"] and f["scratch_gap_points"] == 10.0     # 10 points is not above 10
    assert f["transfer_fewer_seconds"]                                            # printed 30 + 65 = 95 against 96
    sc["scratch"]["seconds"] = 95.4                                         # 95 against 95: not cheaper
    assert not comparison_findings(ft, sc, {"fire_modules": 2, "head_lr": 1e-3, "fire_lr": 1e-4}, {"width": 32},
                                   rows, CompareConfig())["transfer_fewer_seconds"]


def test_cifar_and_sun_findings_name_ties_and_verdicts():
    from experiments.q6_1_torch import FindingsConfig, cifar_findings, sun_findings

    names = [f"c{i}" for i in range(4)]
    cm = [[8, 2, 0, 0], [0, 8, 0, 2], [0, 0, 10, 0], [0, 0, 0, 10]]
    cf = {"names": names, "per_class": [0.8, 0.8, 1.0, 1.0], "taken_for": [{"name": "c1", "count": 2}] * 4,
          "n_batch_files": 2, "n_train": 900, "n_valid": 100, "n_test": 40, "final_train_acc": 0.70, "final_valid_acc": 0.75,
          "history": {"valid_acc": [0.3, 0.75]}, "confusion": cm}
    f = cifar_findings(cf, {"widths": [16, 32]}, FindingsConfig())
    assert not f["all_batches"] and f["n_images"] == 1000 and f["test_per_class"] == 10
    assert f["fit"] == "harder" and f["gap_points"] == 5.0
    assert f["lowest"]["names"] == ["c0", "c1"] and f["highest"]["names"] == ["c2", "c3"]
    assert f["largest_confusions"]["tie"] and len(f["class_rows"]) == 2
    sun = {"names": names, "per_class": [0.5, 0.8, 0.9, 1.0], "test_accuracy": 0.80, "n_fit": 170, "n_valid": 30,
           "n_test": 40, "final_train_acc": 0.95, "final_valid_acc": 0.87, "confusion": cm}
    rows = [{"layers": 1, "lam": None, "valid_accuracy": 0.7}, {"layers": 2, "lam": None, "valid_accuracy": 0.7},
            {"layers": 2, "lam": 0.1, "valid_accuracy": 0.75}]
    bow = {"per_class": [0.5, 0.9, 0.9, 0.95], "test_accuracy": 0.80, "chosen": rows[2], "nearest_neighbour_best": 0.7,
           "best_by_depth": {"1": 0.7, "2": 0.75}, "validation": rows, "confusion": cm}
    s = sun_findings(sun, bow, {"widths": [16], "dropout": 0.0}, {"layers": [1, 2], "scales": [1, 2.8284]},
                     FindingsConfig())
    assert s["cnn_vs_bow"] == "equal" and s["cnn_vs_bow_points"] == 0.0
    assert s["overfit"] == "a little" and s["ridge_better"] and s["ridge_gain_points"] == 5.0
    assert s["depth"]["finer_better"] and s["bow_better_classes"] == ["c1"]
    assert [c["chosen"] for c in s["valid_rows"][1]["cells"]] == [False, True] and s["fit_per_class"] == 42

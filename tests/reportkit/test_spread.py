"""reportkit.spread: a part's metrics over seeds. Numbers get mean, sample sd, extremes and n; verdicts how many
seeds agree with the shown one; one seed, ties, a seed without a value and values of another kind."""
import math

import pytest

from reportkit.spread import aggregate


def test_one_seed_has_no_standard_deviation():
    found = aggregate([(0, {"acc": 0.85, "ok": True})], 0)
    assert found["acc"] == {"mean": 0.85, "sd": None, "min": 0.85, "max": 0.85, "n": 1, "seeds": [0], "values": [0.85]}
    assert found["ok"] == {"n": 1, "agree": 1, "counts": {"true": 1}}


def test_numbers_get_mean_sample_sd_and_extremes_in_seed_order():
    found = aggregate([(2, {"acc": 0.86}), (0, {"acc": 0.85}), (1, {"acc": 0.87})], 0)["acc"]
    assert found["seeds"] == [0, 1, 2] and found["values"] == [0.85, 0.87, 0.86]
    assert found["mean"] == pytest.approx(0.86) and found["sd"] == pytest.approx(0.01)      # n - 1
    assert (found["min"], found["max"], found["n"]) == (0.85, 0.87, 3)


def test_equal_values_have_zero_spread():
    found = aggregate([(s, {"n_test": 400}) for s in range(5)], 0)["n_test"]
    assert found["sd"] == 0 and found["mean"] == 400 and found["min"] == found["max"] == 400


def test_a_value_missing_none_or_not_finite_at_a_seed_is_taken_over_the_others():
    runs = [(0, {"acc": 0.8, "gap": {"points": 1.0}}), (1, {"acc": None, "gap": {}}), (2, {"acc": math.nan}),
            (3, {"acc": 0.9, "gap": {"points": 3.0}})]
    found = aggregate(runs, 0)
    assert found["acc"]["seeds"] == [0, 3] and found["acc"]["mean"] == pytest.approx(0.85)
    assert found["gap"]["points"]["n"] == 2


def test_a_verdict_counts_the_seeds_that_agree_with_the_shown_one():
    runs = [(0, {"v": "above", "ok": False}), (1, {"v": "below", "ok": True}), (2, {"v": "above", "ok": False}),
            (3, {"v": "equal", "ok": 1})]                                   # 1 is a number, not a verdict
    found = aggregate(runs, 2)
    assert found["v"] == {"n": 4, "agree": 2, "counts": {"above": 2, "below": 1, "equal": 1}}
    assert found["ok"] == {"n": 3, "agree": 2, "counts": {"false": 2, "true": 1}}


def test_lists_and_the_shown_seeds_nones_have_no_spread():
    found = aggregate([(0, {"curve": [1, 2], "x": None, "rows": [{"a": 1}]}), (1, {"curve": [2, 3], "x": 1.0})], 0)
    assert found == {}


def test_the_shown_seed_must_be_among_the_runs():
    with pytest.raises(ValueError, match="shown seed 4"):
        aggregate([(0, {"acc": 0.8})], 4)

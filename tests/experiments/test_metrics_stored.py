"""Every part's metrics reach the template as the part returned them: the cache stores them as JSON and the
templates read them back, so a value that is not strict JSON (a numpy integer, a NaN, an infinity) or that JSON
changes (a number used as a key) is caught here, for every part of every section (smoke profile, generated
data root). Tuples come back as lists and numpy floats as floats, which no template can tell apart."""
import json

import numpy as np
import pytest

from report import project


def changed(before, after, path="metrics"):
    """Paths (with the value) where after is not before."""
    if isinstance(before, dict) and isinstance(after, dict) and list(before) == list(after):
        return [p for k in before for p in changed(before[k], after[k], f"{path}[{k!r}]")]
    if isinstance(before, (list, tuple)) and isinstance(after, list) and len(before) == len(after):
        return [p for i, (b, a) in enumerate(zip(before, after)) for p in changed(b, a, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {type(before).__name__} {before!r}"]


def json_problems(metrics) -> list[str]:
    """What the way through strict JSON would refuse or change."""
    try:
        back = json.loads(json.dumps(metrics, allow_nan=False))
    except (TypeError, ValueError) as e:
        return [f"not strict JSON: {e}"]
    return changed(metrics, back)


@pytest.mark.parametrize("part_id", [s.part_id(p) for s in project().sections for p in s.parts])
def test_metrics_come_back_from_json_as_the_part_returned_them(smoke, part_id):
    assert json_problems(smoke(part_id)[0].metrics) == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.int64(3), np.float32(0.5), {1: "a"}, {"b", "a"}],
                         ids=["nan", "inf", "int64", "float32", "int-key", "set"])   # a set's repr varies by run
def test_what_json_refuses_or_changes_is_caught(value):
    assert json_problems({"x": value}) != []


def test_what_json_keeps_passes():
    assert json_problems({"x": [0.5, "a", None, True, (1, 2), np.float64(0.25)], "y": {"z": -3}}) == []

"""Listings show what ran: a listing of a model ends with the constructor call its part used, and that call
agrees with the part's config and with the call in the training function (read from the frozen results)."""
import ast
import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FROZEN = json.loads((ROOT / "tests" / "golden" / "results.json").read_text())


def call_of(source: str, name: str) -> ast.Call:
    return next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name) and n.func.id == name)


def bound(cls, call: ast.Call, value) -> dict:
    """The call's arguments by parameter name, each turned into a value by `value(expression)`."""
    args = [value(a) for a in call.args]
    kwargs = {k.arg: value(k.value) for k in call.keywords}
    return dict(inspect.signature(cls).bind(*args, **kwargs).arguments)


def config_field(expr: ast.expr):
    """`cfg.widths` -> ("cfg", "widths"); anything else -> ("other", source)."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "cfg":
        return ("cfg", expr.attr)
    return ("other", ast.unparse(expr))


# (model class, training function that builds it, the findings' call, the part whose config it used)
CASES = [("NistFC", "train_fc", ("nist", "fc_call"), "nist_fc"),
         ("NistCNN", "train_cnn", ("nist", "cnn_call"), "nist_cnn"),
         ("ResNetSmall", "train_cifar", ("cifar", "call"), "cifar"),
         ("ResNetSmall", "train_sun_cnn", ("sun", "call"), "sun_cnn")]


@pytest.mark.parametrize("cls_name, trainer, where, part", CASES)
def test_the_listed_call_is_the_config_that_ran(cls_name, trainer, where, part):
    from experiments import q6_1_torch
    from hw5.pytorch import models

    cls = getattr(models, cls_name)
    shown = FROZEN["q6_1"]["findings"][where[0]][where[1]]
    listed = bound(cls, call_of(shown, cls_name), ast.literal_eval)
    used = bound(cls, call_of(inspect.getsource(getattr(q6_1_torch, trainer)), cls_name), config_field)
    config = FROZEN["q6_1"]["config"][part]
    for param, source in used.items():
        if source[0] == "cfg":                          # every config value the trainer passes is listed, equal
            assert param in listed, (cls_name, param)
            expected = config[source[1]]
            assert listed[param] == (tuple(expected) if isinstance(expected, list) else expected), (cls_name, param)


"""Q1 parts: the numerical checks of the theory answers, and the figures drawn from them alone."""
import pytest

from experiments import q1_theory as q1


def test_every_identity_is_confirmed(smoke):
    result, _ = smoke("q1.checks")
    m = result.metrics
    assert m["checks_total"] == len(m["checks"]) == 13
    assert all(c["what"].startswith("Q1.") for c in m["checks"].values())
    failed = [name for name, c in m["checks"].items() if not c["passed"]]
    assert failed == [] and m["checks_passed"] == 13


def test_checks_measure_what_the_maths_says(smoke):
    c = smoke("q1.checks")[0].metrics["checks"]
    samples = q1.SECTION.parts[0].make_config("smoke").samples
    assert c["softmax_overflow"]["measured"] == samples == c["softmax_overflow"]["rows"]   # exp(x + 1000) overflows
    assert c["softmax_overflow"]["stable_max_sum_error"] < 1e-12
    assert c["sigmoid_deriv_max"]["value"] == pytest.approx(0.25, abs=1e-12)             # sigma'(0) = 1/4
    assert c["sigmoid_deriv_max"]["argmax"] == pytest.approx(0.0, abs=1e-9)
    assert c["tanh_slope"]["ratio"] == pytest.approx(4.0, rel=1e-8)                      # tanh'(0) / sigma'(0)
    assert 0 < c["softmax_range"]["min"] and c["softmax_range"]["max"] < 1
    for name, shape in (("grad_W", [5, 7]), ("grad_x", [7, 1]), ("grad_b", [5, 1])):
        assert c[name]["shape"] == shape and c[name]["measured"] < 1e-8, name


def test_vanishing_gradients_sigmoid_shrinks_towards_the_input(smoke):
    m = smoke("q1.checks")[0].metrics
    norms, depth = m["vanishing"]["norms"], q1.Config().depth
    assert {k: len(v) for k, v in norms.items()} == {"sigmoid": depth, "tanh": depth}
    assert all(v > 0 for vs in norms.values() for v in vs)
    assert norms["sigmoid"][0] < 0.1 * norms["sigmoid"][-1]        # sigma' <= 1/4 per layer, ten layers
    assert m["vanishing"]["ratio"]["tanh"] > 10 * m["vanishing"]["ratio"]["sigmoid"]


def test_config_and_seed_drive_the_checks(run_part):
    small, _ = run_part(q1, "checks", None, samples=50, depth=4)
    assert small.metrics["checks"]["softmax_overflow"]["rows"] == 50
    assert [len(v) for v in small.metrics["vanishing"]["norms"].values()] == [4, 4]
    a, _ = run_part(q1, "checks", None, seed=3)
    b, _ = run_part(q1, "checks", None, seed=3)
    c, _ = run_part(q1, "checks", None, seed=4)
    assert a.metrics == b.metrics                                         # same seed, same numbers
    assert a.metrics["vanishing"]["norms"] != c.metrics["vanishing"]["norms"]


def test_figures_are_drawn_from_the_checks_alone(run_part, check_figures):
    _, up = run_part(q1, "checks", None, depth=6)
    result, drawn = run_part(q1, "figures", None, inputs={"checks": up})      # no data root
    check_figures(result, drawn, ["q1-activations", "q1-vanishing"])
    caption = next(f.caption for f in result.figures if f.label == "q1-vanishing")
    assert "6-layer network" in caption                                      # the upstream's depth, not the default
    with pytest.raises(KeyError, match="checks"):
        run_part(q1, "figures", None)

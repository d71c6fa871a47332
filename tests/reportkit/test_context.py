"""Random streams by name: Context.rng and Context.seed_for, as every part derives its generators."""
from pathlib import Path

from reportkit.section import Context


def ctx(part="q6_1.nist_cnn", seed=0):
    return Context(part, None, "smoke", seed, "cpu", None, Path("."))


def draws(generator, n=8):
    return generator.integers(0, 2 ** 62, n).tolist()


def test_the_same_name_gives_the_same_stream_every_time():
    assert draws(ctx().rng("init")) == draws(ctx().rng("init"))
    assert ctx().seed_for("torch") == ctx().seed_for("torch")


def test_streams_are_the_same_in_every_process():
    """Pinned values: a salted hash() (it differs per process) or another derivation would change them."""
    assert ctx("q3.train").seed_for("init") == 4122032556
    assert draws(ctx("q3.train").rng("init"), 2) == [821512268896512205, 308650706490906560]


def test_streams_differ_by_name_seed_and_part():
    base = draws(ctx().rng("init"))
    assert draws(ctx().rng("batch order")) != base
    assert draws(ctx(seed=1).rng("init")) != base
    assert draws(ctx(part="q6_1.nist_fc").rng("init")) != base
    assert len({ctx(seed=s).seed_for(n) for s in range(3) for n in ("a", "b", "c")}) == 9


def test_numbered_streams_do_not_collide_across_seeds():
    """With offsets, seed 0's stream 1 (seed + 1) was seed 1's stream 0 (seed + 0)."""
    assert ctx(seed=0).seed_for("run1") != ctx(seed=1).seed_for("run0")
    assert draws(ctx(seed=0).rng("run1")) != draws(ctx(seed=1).rng("run0"))


def test_seed_for_fits_torch_manual_seed():
    import torch

    seed = ctx().seed_for("torch")
    assert isinstance(seed, int) and 0 <= seed < 2 ** 32
    assert torch.manual_seed(seed).initial_seed() == seed

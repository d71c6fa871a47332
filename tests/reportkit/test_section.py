"""reportkit.section: how a part's config is made (smoke values, overrides) and the one-line error for a key the
config does not have."""
import dataclasses

import pytest

from reportkit.errors import ConfigError
from reportkit.section import Part


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    epochs: int = 50
    rate: float = 0.01


def train(ctx):
    pass


PART = Part("train", train, TrainConfig, smoke={"epochs": 2, "rate": 0.1})


def test_smoke_values_apply_to_the_smoke_profile_only_and_overrides_to_every_profile():
    assert PART.make_config("full") == TrainConfig()
    assert PART.make_config("smoke") == TrainConfig(epochs=2, rate=0.1)
    assert PART.make_config("smoke", {"rate": 0.5}) == TrainConfig(epochs=2, rate=0.5)
    assert PART.make_config("full", {"rate": 0.5}) == TrainConfig(rate=0.5)


def test_an_unknown_override_names_it_and_the_known_keys():
    with pytest.raises(ConfigError) as error:
        PART.make_config("full", {"epoch": 3, "lr": 0.1})
    assert str(error.value) == ("part train: unknown config keys ['epoch', 'lr']; "
                                "known keys are ['epochs', 'rate']")


def test_a_part_without_a_config_takes_no_values():
    drawing = Part("figures", train)
    assert drawing.make_config("smoke") is None
    with pytest.raises(ConfigError, match=r"part figures has no config, but got \['dpi'\]"):
        drawing.make_config("full", {"dpi": 300})
    with pytest.raises(ConfigError, match=r"part figures has no config, but got \['epochs'\]"):
        Part("figures", train, smoke={"epochs": 1}).make_config("smoke")

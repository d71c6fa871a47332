"""Q6.2: the plain-torch SqueezeNet 1.1 takes torchvision's ImageNet weights; the section runs end to end (smoke)."""
from pathlib import Path

import numpy as np
import pytest
import torch

from experiments import q6_2_finetune as q62
from hw5.data import stratified_holdout
from hw5.errors import DataError
from hw5.pytorch.squeezenet import WEIGHTS, SqueezeNet, extract, imagenet_normalise, load_features
from reportkit.result import Context

FLOWERS = "data/oxford-flowers17/train"


def centre_crops(root: Path, files: list[str]) -> torch.Tensor:
    """(N, 3, 224, 224) uint8 centre crops of the shared flower images (short side 224 already)."""
    from PIL import Image

    crops = []
    for f in files:
        with Image.open(root / FLOWERS / f) as im:
            w, h = im.size
            left, top = (w - 224) // 2, (h - 224) // 2
            crops.append(np.array(im.convert("RGB").crop((left, top, left + 224, top + 224))))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)


@pytest.fixture(scope="module")
def pretrained(data_root) -> SqueezeNet:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    return load_features(SqueezeNet(17), data_root / WEIGHTS)


def test_shared_weights_load_strictly_into_features(pretrained, data_root):
    state = torch.load(data_root / WEIGHTS, weights_only=True)
    ours = pretrained.state_dict()
    assert {k for k in ours if k.startswith("features.")} == set(state)
    for key, value in state.items():
        assert torch.equal(ours[key], value), key
    assert pretrained.classifier[1].weight.shape == (17, 512, 1, 1)     # the handout's Conv2d(512, 17, 1)


def test_feature_map_of_a_224_input_is_512_by_13_by_13():
    net = SqueezeNet(17).eval()
    with torch.no_grad():
        maps = net.features(torch.zeros(2, 3, 224, 224))
        logits = net(torch.zeros(2, 3, 224, 224))
    assert maps.shape == (2, 512, 13, 13)
    assert logits.shape == (2, 17)


def test_pretrained_features_of_real_flowers_are_sparse_and_discriminative(pretrained, data_root):
    x = centre_crops(data_root, ["sunflower/image_0721.jpg", "sunflower/image_0722.jpg",
                                 "bluebell/image_0241.jpg", "bluebell/image_0244.jpg"])
    torch.manual_seed(0)
    stats = {}
    for name, net in (("pretrained", pretrained), ("random", SqueezeNet(17))):
        maps = extract(net.features, x, "cpu", prepare=imagenet_normalise())                                 # (4, 512, 13, 13)
        pooled = torch.nn.functional.normalize(maps.mean((2, 3)), dim=1)
        stats[name] = {"active": float((maps > 0).float().mean()), "cos": pooled @ pooled.T, "maps": maps}
    pre, rnd = stats["pretrained"], stats["random"]
    # Known statistic of this build (measured once): the pooled mean of the first sunflower, and ReLU sparsity.
    assert float(pre["maps"][0].mean()) == pytest.approx(2.133, rel=2e-3)
    assert pre["active"] < 0.15 < 0.3 < rnd["active"]
    # ImageNet features group the two sunflowers and the two bluebells; random weights see four equal images.
    same, cross = (pre["cos"][0, 1] + pre["cos"][2, 3]) / 2, pre["cos"][:2, 2:].mean()
    assert same > cross + 0.2
    assert float(rnd["cos"].min()) > 0.99
    assert float((pre["maps"] - rnd["maps"]).norm() / pre["maps"].norm()) > 0.5


def test_missing_weights_is_a_data_error_that_says_where(tmp_path):
    with pytest.raises(DataError, match=r"place .*squeezenet1_1_imagenet_features\.pt"):
        load_features(SqueezeNet(17), tmp_path / WEIGHTS)
    ctx = Context(q62.SECTION.make_config("smoke"), "smoke", 0, "cpu", tmp_path, tmp_path, {})
    from reportkit.errors import DataError as MissingInput
    with pytest.raises(MissingInput, match=r"weights/squeezenet1_1_imagenet_features\.pt"):
        q62.run(ctx)


def test_foreign_state_dict_is_a_data_error(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)          # incomplete: strict load fails
    with pytest.raises(DataError, match="cannot load"):
        load_features(SqueezeNet(17), path)


def test_random_crops_are_in_range_and_the_holdout_is_stratified():
    from hw5.pytorch.transforms import random_brightness, random_resized_crop
    x = torch.randint(0, 256, (5, 3, 40, 40), dtype=torch.uint8).float()
    out = random_brightness(random_resized_crop(x, 24, torch.Generator().manual_seed(0)), torch.Generator(), 0.2)
    assert out.shape == (5, 3, 24, 24) and 0 <= float(out.min()) and float(out.max()) <= 255
    y = np.repeat(np.arange(4), 10)
    fit, hold = stratified_holdout(y, 0.2, np.random.default_rng(0))
    assert np.bincount(y[hold]).tolist() == [2, 2, 2, 2]
    assert sorted(np.concatenate([fit, hold]).tolist()) == list(range(40))


def test_smoke_run_produces_the_metrics_and_figures(run_section, tmp_path):
    result = run_section(q62)
    m = result.metrics
    for key in ("finetune_test_accuracy", "scratch_test_accuracy", "sun_pretrained_test_accuracy"):
        assert 0.0 <= m[key] <= 1.0, key
    assert set(m["seconds"]) >= {"features", "head", "fire", "scratch", "sun", "total"}
    assert m["finetune"]["chosen"] in ("head", "fire")
    assert m["gap"] == pytest.approx(m["finetune_test_accuracy"] - m["scratch_test_accuracy"])
    assert len(m["per_class"]) == m["n_classes"] == 17
    assert m["sun"]["weight_decay"] in q62.SECTION.make_config("smoke").sun_weight_decays
    labels = {f.label for f in result.figures}
    assert labels == {"q6_2-curves", "q6_2-per-class", "q6_2-grid"}
    for fig in result.figures:
        assert (tmp_path / "q6_2" / fig.file).is_file()                        # run_section writes there

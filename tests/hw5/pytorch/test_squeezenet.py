"""hw5.pytorch.squeezenet: torchvision's SqueezeNet 1.1 layout, the shared ImageNet weights, feature extraction."""
from pathlib import Path

import numpy as np
import pytest
import torch

from hw5.errors import DataError
from hw5.pytorch.squeezenet import WEIGHTS, Fire, SqueezeNet, extract, imagenet_normalise, load_features

FLOWERS = "data/oxford-flowers17/train"


def centre_crops(paths: list[Path]) -> torch.Tensor:
    """(N, 3, 224, 224) uint8 centre crops of the shared flower images (short side 224 already)."""
    from PIL import Image

    crops = []
    for path in paths:
        with Image.open(path) as im:
            w, h = im.size
            left, top = (w - 224) // 2, (h - 224) // 2
            crops.append(np.array(im.convert("RGB").crop((left, top, left + 224, top + 224))))
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)


@pytest.fixture(scope="module")
def weights(real_file) -> Path:
    return real_file(WEIGHTS)


@pytest.fixture(scope="module")
def pretrained(weights) -> SqueezeNet:
    return load_features(SqueezeNet(17), weights)


def test_shared_weights_load_strictly_into_features(pretrained, weights):
    state = torch.load(weights, weights_only=True)
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


def test_fire_concatenates_both_expansions():
    fire = Fire(8, 2, 3, 5)
    with torch.no_grad():
        out = fire(torch.randn(1, 8, 6, 6))
    assert out.shape == (1, 8, 6, 6) and float(out.min()) >= 0.0
    assert [name for name, _ in fire.named_parameters()] == [
        "squeeze.weight", "squeeze.bias", "expand1x1.weight", "expand1x1.bias", "expand3x3.weight", "expand3x3.bias"]


def test_imagenet_normalise_by_hand():
    norm = imagenet_normalise()
    pixels = torch.tensor([0.485, 0.456, 0.406]).mul(255).view(1, 3, 1, 1)     # the mean image: 0
    torch.testing.assert_close(norm(pixels), torch.zeros(1, 3, 1, 1), atol=1e-6, rtol=0)
    white = torch.full((1, 3, 1, 1), 255, dtype=torch.uint8)
    expected = torch.tensor([(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(norm(white), expected)


def test_extract_matches_one_pass_in_any_batch_size():
    torch.manual_seed(0)
    layers = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    x = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8)
    prepare = imagenet_normalise()
    with torch.no_grad():
        expected = layers(prepare(x))
    out = extract(layers, x, "cpu", batch_size=2, prepare=prepare)
    assert out.shape == (5, 4, 6, 6) and out.dtype == torch.float32 and out.is_contiguous()
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    maps = extract(torch.nn.Identity(), torch.ones(3, 2, 2, 2, dtype=torch.float16), "cpu")
    assert maps.dtype == torch.float32 and bool(maps.eq(1).all())            # feature maps: only made float


def test_pretrained_features_of_real_flowers_are_sparse_and_discriminative(pretrained, real_file):
    files = ("sunflower/image_0721.jpg", "sunflower/image_0722.jpg", "bluebell/image_0241.jpg", "bluebell/image_0244.jpg")
    x = centre_crops([real_file(f"{FLOWERS}/{f}") for f in files])
    torch.manual_seed(0)
    stats = {}
    for name, net in (("pretrained", pretrained), ("random", SqueezeNet(17))):
        maps = extract(net.features, x, "cpu", prepare=imagenet_normalise())                                 # (4, 512, 13, 13)
        pooled = torch.nn.functional.normalize(maps.mean((2, 3)), dim=1)
        stats[name] = {"active": float((maps > 0).float().mean()), "cos": pooled @ pooled.T, "maps": maps}
    pre, rnd = stats["pretrained"], stats["random"]
    # Known statistic of this build (measured once): the pooled mean of the first sunflower, and ReLU sparsity.
    assert float(pre["maps"][0].mean()) == pytest.approx(2.133, rel=2e-3)
    assert pre["active"] < 0.15 and rnd["active"] > 0.3          # ReLU sparsity: ImageNet features, random weights
    # ImageNet features group the two sunflowers and the two bluebells; random weights see four equal images.
    same, cross = (pre["cos"][0, 1] + pre["cos"][2, 3]) / 2, pre["cos"][:2, 2:].mean()
    assert same > cross + 0.2
    assert float(rnd["cos"].min()) > 0.99
    assert float((pre["maps"] - rnd["maps"]).norm() / pre["maps"].norm()) > 0.5


def test_missing_weights_is_a_data_error_that_says_where(tmp_path):
    with pytest.raises(DataError, match=r"place .*squeezenet1_1_imagenet_features\.pt"):
        load_features(SqueezeNet(17), tmp_path / WEIGHTS)


def test_foreign_state_dict_is_a_data_error(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)          # incomplete: strict load fails
    with pytest.raises(DataError, match="cannot load"):
        load_features(SqueezeNet(17), path)


def test_a_file_that_is_not_a_state_dict_is_a_data_error(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(DataError, match="cannot load"):
        load_features(SqueezeNet(17), path)

"""hw5.pytorch.models: output shapes, NIST36 rows made upright, Normalise, the residual skip, saved NIST36 CNNs,
the mirror average."""
import numpy as np
import pytest
import torch

from hw5.pytorch.models import (MirrorAverage, NistCNN, NistFC, Normalise, Residual, ResNetSmall, ToFloat,
                                load_nist36_cnn, nist_rows_to_images, save_nist36_cnn, scratch_net)


@pytest.mark.parametrize("model, shape, classes", [
    (NistFC(), (3, 1024), 36),
    (NistCNN(), (3, 1, 32, 32), 36),
    (ResNetSmall(10), (3, 3, 32, 32), 10),
    (ResNetSmall(8, stem_stride=2), (3, 3, 64, 64), 8),
], ids=["fc", "nist-cnn", "cifar-resnet", "scene-resnet"])
def test_model_output_shapes(model, shape, classes):
    assert model.eval()(torch.zeros(shape)).shape == (shape[0], classes)


def test_nist_rows_are_made_upright_with_ink_one():
    upright = np.ones((32, 32), np.float32)
    upright[:, 5] = 0.0                                   # a dark vertical bar in column 5, white page
    row = upright.T.reshape(1, 1024)                      # the .mat stores each image transposed
    img = nist_rows_to_images(torch.from_numpy(row))
    assert img.shape == (1, 1, 32, 32) and img.is_contiguous()
    assert img[0, 0, :, 5].eq(1).all() and img[0, 0, :, 6].eq(0).all()


def test_normalise_by_hand_for_uint8_and_float():
    norm = Normalise((0.1, 0.5), (0.2, 0.25))
    pixels = torch.full((1, 2, 1, 1), 51, dtype=torch.uint8)                  # 51 / 255 = 0.2
    expected = torch.tensor([(0.2 - 0.1) / 0.2, (0.2 - 0.5) / 0.25]).view(1, 2, 1, 1)
    torch.testing.assert_close(norm(pixels), expected)
    torch.testing.assert_close(norm(pixels.float()), expected)
    assert norm(pixels).dtype == torch.float32
    assert set(norm.state_dict()) == {"mean", "std"}                          # saved with the model


def test_normalise_treats_uint8_and_float_images_alike():
    x = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    norm = Normalise((0.4, 0.5, 0.6), (0.2, 0.3, 0.4))
    torch.testing.assert_close(norm(x), norm(x.float()), rtol=0, atol=0)


def test_to_float():
    out = ToFloat()(torch.ones(2, 3, dtype=torch.float16))
    assert out.dtype == torch.float32 and bool(out.eq(1).all())


def test_residual_is_the_identity_when_its_branch_is_silent():
    block = Residual(4).eval()
    bn = block.f[1][1]
    torch.nn.init.zeros_(bn.weight)
    torch.nn.init.zeros_(bn.bias)
    x = torch.randn(2, 4, 5, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(block(x), x)


def test_scratch_net_takes_pixels_and_has_the_described_layers():
    net = scratch_net(4, 5, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    assert isinstance(net[0], Normalise)
    x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    assert net(x).shape == (2, 5)
    # convs 3x3 without bias + batch norms (4, 8, 16, 32 channels), then 32 -> 16 -> 5
    expected = (27 * 4 + 8) + (36 * 8 + 16) + (72 * 16 + 32) + (144 * 32 + 64) + (32 * 16 + 16) + (16 * 5 + 5)
    assert sum(p.numel() for p in net.parameters()) == expected == 6889


def test_cnn_artifact_reloads_and_classifies_raw_rows(tmp_path):
    torch.manual_seed(0)
    model = NistCNN((4, 8, 8)).eval()
    save_nist36_cnn(model, tmp_path / "cnn.pt", classes=["A"] * 36)
    classify = load_nist36_cnn(tmp_path / "cnn.pt")
    rows = np.random.default_rng(1).random((5, 1024)).astype(np.float32)
    probs = classify(rows)
    assert probs.shape == (5, 36)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    with torch.no_grad():
        expected = torch.softmax(model(nist_rows_to_images(torch.from_numpy(rows))), 1).numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-6)
    assert classify(np.zeros((0, 1024), np.float32)).shape == (0, 36)


def test_a_checkpoint_of_another_class_is_refused_by_name(tmp_path):
    torch.save({"class": "Other"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other\.pt: expected a NistCNN checkpoint, found 'Other'"):
        load_nist36_cnn(tmp_path / "other.pt")


def test_mirror_average_is_the_model_in_training_and_averages_both_views_evaluated():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
    model = MirrorAverage(net)
    x = torch.rand(6, 3, 8, 8)
    assert torch.equal(model.train()(x), net(x))
    with torch.no_grad():
        out = model.eval()(x)
        expected = (torch.softmax(net(x), 1) + torch.softmax(net(x.flip(3)), 1)) / 2
    torch.testing.assert_close(torch.softmax(out, 1), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(6), atol=1e-6, rtol=0)   # log-probabilities
    assert not torch.allclose(expected, torch.softmax(net(x), 1), atol=1e-3)         # the mirror counts

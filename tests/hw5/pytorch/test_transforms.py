"""hw5.pytorch.transforms: layout, resizing, and the seeded random crops, flips, affine warps and brightness."""
import numpy as np
import pytest
import torch

from hw5.pytorch.transforms import (random_affine, random_brightness, random_crop, random_flip, random_resized_crop,
                                    resize, to_nchw)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_to_nchw_moves_channels_first():
    h, w, c = np.meshgrid(np.arange(4), np.arange(5), np.arange(3), indexing="ij")
    x = (100 * c + 10 * h + w).astype(np.uint8)[None]                 # (1, 4, 5, 3): pixel value names its place
    out = to_nchw(x)
    assert out.shape == (1, 3, 4, 5) and out.dtype == torch.uint8 and out.is_contiguous()
    assert int(out[0, 2, 3, 1]) == 231 and int(out[0, 0, 1, 4]) == 14


def test_resize_keeps_the_pixel_range():
    x = torch.full((2, 3, 40, 30), 200, dtype=torch.uint8)
    out = resize(x, 16)
    assert out.shape == (2, 3, 16, 16) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.full((2, 3, 16, 16), 200.0))


def test_augmentations_keep_shape_and_are_seeded():
    x = torch.rand(6, 3, 20, 20)
    a = random_crop(x, 3, gen(1))
    b = random_crop(x, 3, gen(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert random_resized_crop(x, 12, gen()).shape == (6, 3, 12, 12)
    whole = random_resized_crop(x, 20, gen(), min_scale=1.0, max_aspect=1.0, flip=False)
    torch.testing.assert_close(whole, x, atol=1e-5, rtol=0)   # scale 1, no flip: the identity


def test_random_crop_is_a_window_of_the_padded_image():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6)
    out = random_crop(x, 2, gen(3), fill=-1.0)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), value=-1.0)
    for i in range(2):
        windows = [(dy, dx) for dy in range(5) for dx in range(5) if torch.equal(out[i], padded[i, :, dy:dy + 6, dx:dx + 6])]
        assert len(windows) == 1
    assert torch.equal(random_crop(x, 0, gen()), x)


@pytest.mark.parametrize("shape, pad, fill", [((5, 3, 7, 9), 2, None), ((4, 1, 8, 8), 1, 1.0), ((3, 2, 5, 6), 3, -2.0)])
def test_random_crop_takes_the_window_at_the_generators_offsets(shape, pad, fill):
    """Image i is the window at (dy[i], dx[i]) of its padded image, dy then dx drawn from the generator, every
    channel alike: the same pixels the cached builds trained on (the gather is only a faster way to take them)."""
    x = torch.rand(*shape, generator=gen(2)) * 255
    n, _, h, w = shape
    out = random_crop(x, pad, gen(5), fill)
    padded = torch.nn.functional.pad(x, (pad,) * 4, **({"mode": "reflect"} if fill is None else {"value": fill}))
    g = gen(5)
    dy, dx = torch.randint(0, 2 * pad + 1, (n,), generator=g), torch.randint(0, 2 * pad + 1, (n,), generator=g)
    expected = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    assert torch.equal(out, expected)


def test_random_flip_mirrors_some_images_and_keeps_the_others():
    x = torch.arange(40 * 4, dtype=torch.float32).view(40, 1, 1, 4)
    out = random_flip(x, gen(0))
    flipped = [bool(torch.equal(o, xi.flip(2))) for o, xi in zip(out, x)]
    kept = [bool(torch.equal(o, xi)) for o, xi in zip(out, x)]
    assert all(f != k for f, k in zip(flipped, kept))                  # each image is one or the other
    assert 10 <= sum(flipped) <= 30


def test_random_affine_without_motion_is_the_identity_and_fills_uncovered_pixels():
    x = torch.rand(3, 2, 12, 12, generator=gen(1))
    torch.testing.assert_close(random_affine(x, gen(), degrees=0, scale=0, shift=0), x, atol=1e-5, rtol=0)
    flat = torch.full((3, 1, 12, 12), 100.0)
    turned = random_affine(flat, gen(), degrees=40, scale=0.3, shift=3, fill=100.0)
    torch.testing.assert_close(turned, flat)                           # fill = the image's value: nothing shows
    dark = random_affine(flat, gen(), degrees=40, scale=0.3, shift=3, fill=0.0)
    assert float(dark.min()) < 50 and float(dark.max()) == pytest.approx(100.0)


def test_random_brightness_scales_each_image_within_the_range():
    x = torch.full((50, 3, 2, 2), 100.0)
    out = random_brightness(x, gen(0), 0.2)
    per_image = out.view(50, -1)
    assert torch.equal(per_image, per_image[:, :1].expand(-1, 12))      # one factor per image
    factors = per_image[:, 0] / 100
    assert float(factors.min()) >= 0.8 and float(factors.max()) <= 1.2
    assert float(factors.min()) < 0.85 and float(factors.max()) > 1.15  # the draws span the range
    assert torch.equal(random_brightness(x, gen(0), 0.0), x)


def test_random_brightness_clamps_to_the_pixel_range():
    x = torch.tensor([0.0, 128.0, 250.0]).view(1, 1, 1, 3).repeat(20, 1, 1, 1)
    out = random_brightness(x, gen(1), 0.5)
    assert float(out.max()) == 255.0
    brightened = out[:, 0, 0, 1] > 128 * 1.1                           # factor above 1.1: 250 clamps to 255
    assert brightened.any() and bool(out[brightened, 0, 0, 2].eq(255).all())
    wild = random_brightness(torch.full((20, 1, 1, 1), 100.0), gen(1), 1.5)   # factors in [-0.5, 2.5]
    assert float(wild.min()) == 0.0 and float(wild.max()) <= 250.0 and bool((wild > 0).any())


def test_random_crops_and_brightness_stay_in_range():
    x = torch.randint(0, 256, (5, 3, 40, 40), dtype=torch.uint8, generator=gen(2)).float()
    out = random_brightness(random_resized_crop(x, 24, gen(0)), torch.Generator(), 0.2)
    assert out.shape == (5, 3, 24, 24) and 0 <= float(out.min()) and float(out.max()) <= 255

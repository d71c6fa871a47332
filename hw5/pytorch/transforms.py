"""Image tensors for the Q6 networks: layout, resizing and random augmentation of whole batches.

Images are (N, C, H, W) with pixel values 0..255 (uint8, or float once resampled); random draws come from a
CPU `torch.Generator`, so a run is reproducible on any device.
"""
from __future__ import annotations

import numpy as np
import torch


def to_nchw(x: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 array -> (N, 3, H, W) uint8 tensor."""
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, W) -> float (N, C, size, size) in the same 0..255 range, bilinear and antialiased: the
    evaluation view of images that train on random crops."""
    return torch.nn.functional.interpolate(x.float(), size=(size, size), mode="bilinear", antialias=True)


def random_crop(x: torch.Tensor, pad: int, generator: torch.Generator, fill: float | None = None) -> torch.Tensor:
    """Per-image random crop of x (N, C, H, W) padded by `pad` on each side (reflect, or constant `fill`).

    Same (N, C, H, W) out; offsets come from `generator` (CPU) so runs are reproducible on any device.
    """
    n, c, h, w = x.shape
    mode = "reflect" if fill is None else "constant"
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), mode=mode, **({} if fill is None else {"value": fill}))
    dy, dx = (torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device) for _ in range(2))
    # one gather of flat pixel indices, (N, C, H*W) into the padded images: a few times faster on a CPU than
    # advanced indexing with four index tensors, and the same pixels
    wide = w + 2 * pad
    window = (torch.arange(h, device=x.device)[:, None] * wide + torch.arange(w, device=x.device)).reshape(1, -1)
    index = (window + (dy * wide + dx)[:, None])[:, None, :].expand(n, c, h * w)
    return padded.reshape(n, c, -1).gather(2, index).reshape(n, c, h, w)


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror a random half of the images x (N, C, H, W) left-right."""
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)[:, None, None, None]
    return torch.where(flip, x.flip(3), x)


def random_resized_crop(x: torch.Tensor, size: int, generator: torch.Generator, min_scale: float = 0.35,
                        max_aspect: float = 4 / 3, flip: bool = True) -> torch.Tensor:
    """Per-image random crop (area share in [min_scale, 1], aspect in [1/max_aspect, max_aspect]) resized to size.

    x (N, C, H, W) float -> (N, C, size, size), bilinear through one affine grid for the whole batch; with
    `flip`, half the crops are mirrored. Random numbers come from `generator` (CPU).
    """
    n = len(x)
    area = min_scale + (1 - min_scale) * torch.rand(n, generator=generator)
    log_r = (torch.rand(n, generator=generator) * 2 - 1) * torch.log(torch.tensor(max_aspect))
    sx = torch.sqrt(area * torch.exp(log_r)).clamp(max=1.0)         # crop width / image width
    sy = torch.sqrt(area / torch.exp(log_r)).clamp(max=1.0)
    tx = (torch.rand(n, generator=generator) * 2 - 1) * (1 - sx)      # centre offset keeps the crop inside
    ty = (torch.rand(n, generator=generator) * 2 - 1) * (1 - sy)
    mirror = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx * mirror, tx, sy, ty
    grid = torch.nn.functional.affine_grid(theta.to(x.device), [n, x.shape[1], size, size], align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_affine(x: torch.Tensor, generator: torch.Generator, degrees: float, scale: float, shift: float,
                  fill: float = 0.0) -> torch.Tensor:
    """Per-image random rotation (+-degrees), zoom (1 +- scale) and translation (+-shift pixels) of x (N, C, H, W).

    One affine grid for the batch (bilinear); uncovered pixels get `fill`. Random numbers come from `generator`.
    """
    n, _, h, w = x.shape
    u = lambda: torch.rand(n, generator=generator) * 2 - 1            # uniform in [-1, 1], (N,)
    angle, zoom = u() * degrees * torch.pi / 180, 1 + u() * scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, u() * 2 * shift / w], 1),
                         torch.stack([sin, cos, u() * 2 * shift / h], 1)], 1)   # (N, 2, 3)
    grid = torch.nn.functional.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    out = torch.nn.functional.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill



def random_brightness(x: torch.Tensor, generator: torch.Generator, amount: float) -> torch.Tensor:
    """Each image of float x (N, C, H, W) scaled by a random factor in [1 - amount, 1 + amount], kept in 0..255."""
    factor = 1 + amount * (2 * torch.rand(len(x), generator=generator) - 1)
    return (x * factor.view(-1, 1, 1, 1).to(x.device)).clamp(0, 255)

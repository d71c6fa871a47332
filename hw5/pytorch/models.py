"""The Q6 networks in plain torch (no torchvision), and the saved NIST36 CNN that Q4's OCR reuses.

Image models take tensors (N, C, H, W). Colour images hold pixel values 0..255 (uint8, or float after
augmentation) until the network's first layer, `Normalise`. NIST36 rows come in the .mat's own layout
(N, 1024) on a white background; `nist_rows_to_images` turns them into upright images with ink 1, for training
here and in `load_nist36_cnn` for OCR, so the two can never disagree.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from hw5.data import rows_to_images
from hw5.errors import DataError

N_NIST = 36


def nist_rows_to_images(x: torch.Tensor) -> torch.Tensor:
    """(N, 1024) raw .mat rows in [0, 1], white background -> (N, 1, 32, 32) upright float, ink = 1."""
    return (1.0 - rows_to_images(x))[:, None].contiguous()


class NistFC(torch.nn.Module):
    """The Q3 network: 1024 -> hidden (sigmoid) -> 36; softmax lives in the loss. Input: raw rows (N, 1024)."""

    def __init__(self, hidden: int = 64, dropout: float = 0.0):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Dropout(dropout), torch.nn.Linear(1024, hidden), torch.nn.Sigmoid(), torch.nn.Linear(hidden, N_NIST))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 1024) -> (N, 36) logits
        return self.net(x)


def conv_bn(cin: int, cout: int, stride: int = 1) -> torch.nn.Sequential:
    """3x3 convolution (no bias: BatchNorm has one), BatchNorm, ReLU."""
    return torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False), torch.nn.BatchNorm2d(cout), torch.nn.ReLU(inplace=True))


class Residual(torch.nn.Module):
    """x + f(x) with f two conv_bn at constant width (the ResNet-9 block)."""

    def __init__(self, width: int):
        super().__init__()
        self.f = torch.nn.Sequential(conv_bn(width, width), conv_bn(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.f(x)


class NistCNN(torch.nn.Module):
    """Two conv_bn per stage, max-pool 32 -> 16 -> 8 -> 4, dropout, linear. Input (N, 1, 32, 32), ink = 1."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128), dropout: float = 0.3):
        super().__init__()
        self.kwargs = {"widths": tuple(widths), "dropout": dropout}   # saved with the weights to rebuild the net
        layers, cin = [], 1
        for w in widths:
            layers += [conv_bn(cin, w), conv_bn(w, w), torch.nn.MaxPool2d(2)]
            cin = w
        self.features = torch.nn.Sequential(*layers)
        side = 32 // 2 ** len(widths)
        self.head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(dropout), torch.nn.Linear(cin * side * side, N_NIST))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 1, 32, 32) -> (N, 36) logits
        return self.head(self.features(x))


class ResNetSmall(torch.nn.Module):
    """ResNet-9 layout at any width: stem, then per stage conv_bn + max-pool (+ a Residual where asked), global max pool, linear.

    Input (N, 3, H, W) already normalised. `stem_stride` 2 halves large inputs before the first stage.
    Used for CIFAR-10 (widths 16..128, 32 px) and for SUN scenes (larger inputs, stride-2 stem).
    """

    def __init__(self, n_classes: int, widths: tuple[int, ...] = (16, 32, 64, 128), residual=(1, 3),
                 stem_stride: int = 1, dropout: float = 0.0):
        super().__init__()
        layers, cin = [conv_bn(3, widths[0], stem_stride)], widths[0]
        for i, w in enumerate(widths[1:], start=1):
            layers += [conv_bn(cin, w), torch.nn.MaxPool2d(2)]
            if i in residual:
                layers.append(Residual(w))
            cin = w
        self.features = torch.nn.Sequential(*layers)
        self.head = torch.nn.Sequential(torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(), torch.nn.Dropout(dropout), torch.nn.Linear(cin, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 3, H, W) -> (N, n_classes) logits
        return self.head(self.features(x))


class MirrorAverage(torch.nn.Module):
    """A classifier of images that also trained on their mirror images. In training it is `model`; evaluated,
    it averages the class probabilities of each image and its left-right mirror (one forward pass of both)
    and returns their log, which works as logits (cross-entropy, argmax).

    (N, C, H, W) -> (N, classes).
    """

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.model(x)
        image, mirror = torch.log_softmax(self.model(torch.cat([x, x.flip(3)])), 1).chunk(2)
        return torch.logaddexp(image, mirror) - math.log(2)


class Normalise(torch.nn.Module):
    """Images with pixel values 0..255 (N, C, H, W), uint8 or float -> (x / 255 - mean) / std per channel.

    mean and std are per-channel statistics of pixels in [0, 1], saved with the model as buffers.
    """

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() / 255.0 - self.mean) / self.std


class ToFloat(torch.nn.Module):
    """Cached float16 feature maps -> float32, so a head trains on them without a per-batch transform."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float()


def scratch_net(width: int, n_classes: int, mean, std) -> torch.nn.Sequential:
    """Q6.2's network from scratch: Normalise, 4 conv blocks (3x3 conv, batch norm, ReLU, 2x2 max pool;
    width, 2w, 4w, 8w channels), global average pool, 2 fully connected layers with dropout.
    (N, 3, S, S) pixels 0..255 -> (N, n_classes) logits."""
    def block(cin, cout):
        return [torch.nn.Conv2d(cin, cout, 3, padding=1, bias=False), torch.nn.BatchNorm2d(cout),
                torch.nn.ReLU(inplace=True), torch.nn.MaxPool2d(2)]
    w = width
    return torch.nn.Sequential(Normalise(mean, std), *block(3, w), *block(w, 2 * w), *block(2 * w, 4 * w),
                               *block(4 * w, 8 * w), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                               torch.nn.Dropout(0.3), torch.nn.Linear(8 * w, 4 * w), torch.nn.ReLU(inplace=True),
                               torch.nn.Dropout(0.3), torch.nn.Linear(4 * w, n_classes))


def save_nist36_cnn(model: NistCNN, path: Path, **meta) -> None:
    """Write the state dict with what rebuilds it: class name, constructor arguments, input layout."""
    torch.save({"class": type(model).__name__, "kwargs": model.kwargs, "state_dict": model.state_dict(),
                "input": "raw .mat rows (N, 1024) in [0, 1]: white background, 32x32 stored transposed",
                **meta}, path)


def load_nist36_cnn(path: Path, device: str = "cpu") -> Callable[[np.ndarray], np.ndarray]:
    """The saved NIST36 CNN as a function: X (N, 1024) float32 raw .mat rows -> class probabilities (N, 36).

    Rows use the .mat layout (white background, image transposed), exactly what Q4 builds from its crops.
    Columns follow hw5.data.LETTERS (A-Z, then 0-9).
    """
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob.get("class") != "NistCNN":
        raise DataError(f"{path}: expected a NistCNN checkpoint, found {blob.get('class')!r}")
    model = NistCNN(**blob["kwargs"]).to(device).eval()
    model.load_state_dict(blob["state_dict"])

    @torch.no_grad()
    def classify(x: np.ndarray) -> np.ndarray:
        rows = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1024).to(device)
        probs = [torch.softmax(model(nist_rows_to_images(rows[i:i + 512])), 1) for i in range(0, len(rows), 512)]
        return torch.cat(probs).cpu().numpy() if probs else np.zeros((0, N_NIST), np.float32)

    return classify

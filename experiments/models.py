"""The Q6.1 networks in plain torch (no torchvision), and the saved NIST36 CNN that Q4's OCR reuses.

Every image model takes float tensors (N, C, H, W). NIST36 rows come in the .mat's own layout (N, 1024),
each 32x32 image stored transposed on a white background; `nist_rows_to_images` is the one conversion,
used for training here and by `load_nist36_cnn` for OCR, so the two can never disagree.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

N_NIST = 36


def nist_rows_to_images(x: torch.Tensor) -> torch.Tensor:
    """(N, 1024) raw .mat rows in [0, 1], white background, transposed -> (N, 1, 32, 32) upright, ink = 1."""
    return (1.0 - x.reshape(-1, 1, 32, 32)).transpose(2, 3).contiguous()


class NistFC(nn.Module):
    """The Q3 network: 1024 -> hidden (sigmoid) -> 36; softmax lives in the loss. Input: raw rows (N, 1024)."""

    def __init__(self, hidden: int = 64, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(dropout), nn.Linear(1024, hidden), nn.Sigmoid(), nn.Linear(hidden, N_NIST))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 1024) -> (N, 36) logits
        return self.net(x)


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """3x3 convolution (no bias: BatchNorm has one), BatchNorm, ReLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Residual(nn.Module):
    """x + f(x) with f two conv_bn at constant width (the ResNet-9 block)."""

    def __init__(self, width: int):
        super().__init__()
        self.f = nn.Sequential(conv_bn(width, width), conv_bn(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.f(x)


class NistCNN(nn.Module):
    """Two conv_bn per stage, max-pool 32 -> 16 -> 8 -> 4, dropout, linear. Input (N, 1, 32, 32), ink = 1."""

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128), dropout: float = 0.3):
        super().__init__()
        self.kwargs = {"widths": tuple(widths), "dropout": dropout}   # saved with the weights to rebuild the net
        layers, cin = [], 1
        for w in widths:
            layers += [conv_bn(cin, w), conv_bn(w, w), nn.MaxPool2d(2)]
            cin = w
        self.features = nn.Sequential(*layers)
        side = 32 // 2 ** len(widths)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin * side * side, N_NIST))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 1, 32, 32) -> (N, 36) logits
        return self.head(self.features(x))


class NistEnsemble(nn.Module):
    """`members` NistCNNs trained from different seeds; the output is the log of their mean softmax, so it
    works as logits (cross-entropy, argmax) and its softmax is the averaged probabilities."""

    def __init__(self, members: int = 1, **kwargs):
        super().__init__()
        self.kwargs = {"members": members, **kwargs}
        self.members = nn.ModuleList(NistCNN(**kwargs) for _ in range(members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 1, 32, 32) -> (N, 36) log mean probabilities
        probs = torch.stack([torch.softmax(m(x), 1) for m in self.members]).mean(0)
        return torch.log(probs.clamp_min(1e-12))


class ResNetSmall(nn.Module):
    """ResNet-9 layout at any width: stem, then per stage conv_bn + max-pool (+ a Residual where asked), global max pool, linear.

    Input (N, 3, H, W) already normalised. `stem_stride` 2 halves large inputs before the first stage.
    Used for CIFAR-10 (widths 16..128, 32 px) and for SUN scenes (larger inputs, stride-2 stem).
    """

    def __init__(self, n_classes: int, widths: tuple[int, ...] = (16, 32, 64, 128), residual=(1, 3),
                 stem_stride: int = 1, dropout: float = 0.0):
        super().__init__()
        layers, cin = [conv_bn(3, widths[0], stem_stride)], widths[0]
        for i, w in enumerate(widths[1:], start=1):
            layers += [conv_bn(cin, w), nn.MaxPool2d(2)]
            if i in residual:
                layers.append(Residual(w))
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # (N, 3, H, W) -> (N, n_classes) logits
        return self.head(self.features(x))


class Normalise(nn.Module):
    """uint8-range images (N, 3, H, W) -> (x / 255 - mean) / std, per channel; mean and std are saved buffers."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() / 255.0 - self.mean) / self.std


CHECKPOINT_CLASSES = {"NistCNN": NistCNN, "NistEnsemble": NistEnsemble}


def save_nist36_cnn(model: NistCNN | NistEnsemble, path: Path, **meta) -> None:
    """Write the state dict with what rebuilds it: class name, constructor arguments, input layout."""
    torch.save({"class": type(model).__name__, "kwargs": model.kwargs, "state_dict": model.state_dict(),
                "input": "raw .mat rows (N, 1024) in [0, 1]: white background, 32x32 stored transposed",
                **meta}, path)


def load_nist36_cnn(path: Path, device: str = "cpu") -> Callable[[np.ndarray], np.ndarray]:
    """The saved NIST36 CNN (one network or an ensemble) as a function: X (N, 1024) float32 raw .mat rows ->
    class probabilities (N, 36).

    Rows use the .mat layout (white background, image transposed), exactly what Q4 builds from its crops.
    Columns follow experiments.data.LETTERS (A-Z, then 0-9).
    """
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob.get("class") not in CHECKPOINT_CLASSES:
        raise ValueError(f"{path}: expected a NistCNN or NistEnsemble checkpoint, found {blob.get('class')!r}")
    model = CHECKPOINT_CLASSES[blob["class"]](**blob["kwargs"]).to(device).eval()
    model.load_state_dict(blob["state_dict"])

    @torch.no_grad()
    def classify(x: np.ndarray) -> np.ndarray:
        rows = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1, 1024).to(device)
        probs = [torch.softmax(model(nist_rows_to_images(rows[i:i + 512])), 1) for i in range(0, len(rows), 512)]
        return torch.cat(probs).cpu().numpy() if probs else np.zeros((0, N_NIST), np.float32)

    return classify

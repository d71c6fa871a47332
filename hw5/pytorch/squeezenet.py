"""SqueezeNet 1.1 (Iandola et al. 2016) in plain torch, with torchvision's module layout and parameter names.

The network is rebuilt here in plain torch (torchvision does not import beside this build's torch): `features` is the same
Sequential (indices 0..12) as torchvision's `squeezenet1_1`, so the course's ImageNet state dict
(`weights/squeezenet1_1_imagenet_features.pt`, keys `features.0.weight` ... `features.12.expand3x3.bias`) loads
with `strict=True`. The classifier is the handout's: Dropout, Conv2d(512, classes, 1), ReLU, global average pool.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import torch

from hw5.errors import DataError
from hw5.pytorch.models import Normalise

WEIGHTS = "weights/squeezenet1_1_imagenet_features.pt"
IMAGENET_MEAN = (0.485, 0.456, 0.406)   # torchvision's ImageNet normalisation, which the weights expect
IMAGENET_STD = (0.229, 0.224, 0.225)


class Fire(torch.nn.Module):
    """squeeze 1x1 -> ReLU -> [expand 1x1, expand 3x3] -> ReLU, concatenated on channels (torchvision names)."""

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int):
        super().__init__()
        self.squeeze = torch.nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = torch.nn.ReLU(inplace=True)
        self.expand1x1 = torch.nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = torch.nn.ReLU(inplace=True)
        self.expand3x3 = torch.nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = torch.nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, inplanes, H, W) -> (N, expand1x1_planes + expand3x3_planes, H, W)."""
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def make_features() -> torch.nn.Sequential:
    """SqueezeNet 1.1's feature extractor: (N, 3, 224, 224) -> (N, 512, 13, 13)."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 64, kernel_size=3, stride=2), torch.nn.ReLU(inplace=True),
        torch.nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(64, 16, 64, 64), Fire(128, 16, 64, 64),
        torch.nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(128, 32, 128, 128), Fire(256, 32, 128, 128),
        torch.nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
    )


def make_classifier(num_classes: int, dropout: float = 0.5) -> torch.nn.Sequential:
    """The handout's head: (N, 512, H, W) -> (N, num_classes, 1, 1); torchvision's `classifier` layout."""
    return torch.nn.Sequential(torch.nn.Dropout(p=dropout), torch.nn.Conv2d(512, num_classes, kernel_size=1),
                         torch.nn.ReLU(inplace=True), torch.nn.AdaptiveAvgPool2d((1, 1)))


class SqueezeNet(torch.nn.Module):
    """SqueezeNet 1.1 with a `num_classes` head: (N, 3, H, W) normalised images -> (N, num_classes) logits."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = make_features()
        self.classifier = make_classifier(num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


def load_features(model: SqueezeNet, path: Path) -> SqueezeNet:
    """Load the shared ImageNet feature weights into `model.features` (strict); DataError if missing/foreign."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"missing SqueezeNet weights {path}: place torchvision's ImageNet SqueezeNet 1.1 feature "
                        f"extractor state dict (keys features.0.weight ... features.12.expand3x3.bias) at "
                        f"<data root>/{WEIGHTS}, e.g. saved with torch.save({{k: v for k, v in "
                        f"squeezenet1_1(weights='DEFAULT').state_dict().items() if k.startswith('features.')}}, ...)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.features.load_state_dict({k.removeprefix("features."): v for k, v in state.items()}, strict=True)
    except (RuntimeError, OSError, AttributeError, ValueError, EOFError, pickle.UnpicklingError) as e:
        raise DataError(f"cannot load {path} into SqueezeNet 1.1 features ({type(e).__name__}: {e}); "
                        f"expected torchvision's squeezenet1_1 feature state dict") from e
    return model


def imagenet_normalise() -> Normalise:
    """The normalisation the ImageNet weights expect, for images with pixel values 0..255."""
    return Normalise(IMAGENET_MEAN, IMAGENET_STD)


@torch.no_grad()
def extract(layers: torch.nn.Module, x: torch.Tensor, device, batch_size: int = 50, prepare=None) -> torch.Tensor:
    """Run frozen `layers` over x (N, C, H, W) in batches -> float32 maps (N, C', h, w) on CPU.

    prepare: a module applied to each batch first (`imagenet_normalise()` for images), None for feature maps.
    Channels-last memory is ~1.7x faster for these convolutions on CPU (oneDNN); the result is contiguous NCHW.
    """
    layers.eval().to(memory_format=torch.channels_last)
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device)
        xb = (prepare(xb) if prepare is not None else xb.float()).contiguous(memory_format=torch.channels_last)
        out.append(layers(xb).cpu().contiguous())
    return torch.cat(out)

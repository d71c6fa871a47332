"""Reading page images: a file into an array (EXIF orientation applied), and any array into grey in [0, 1]."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hw5.errors import DataError

LUMA = (0.2125, 0.7154, 0.0721)   # skimage.color.rgb2gray's weights
MAX_PIXELS = 40_000_000           # a 40 MP page decodes to ~160 MB of RGBA; larger is refused before decoding


def to_grey(image: np.ndarray) -> np.ndarray:
    """(M, N) float32 grey in [0, 1] of an (M, N) grey, (M, N, 3) RGB or (M, N, 4) RGBA image.

    uint8/uint16 are scaled to [0, 1]; alpha is composited over white paper; RGB uses Rec. 709 luma
    weights as skimage.color.rgb2gray does (in float32, which is 3x faster on a 12 MP photo).
    """
    img = np.asarray(image)
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(img.dtype, 1.0)
    if img.ndim == 3 and img.shape[2] in (1, 3, 4):
        grey = img[..., 0] if img.shape[2] == 1 else img[..., :3] @ np.array(LUMA, np.float32)
        grey = grey.astype(np.float32) / np.float32(scale)
        if img.shape[2] == 4:
            alpha = img[..., 3].astype(np.float32) / np.float32(scale)
            grey = grey * alpha + (1 - alpha)
    elif img.ndim == 2:
        grey = img.astype(np.float32) / np.float32(scale)
    else:
        raise ValueError(f"expected a grey, RGB or RGBA image, got shape {img.shape}")
    return np.clip(grey, 0.0, 1.0)


def check_image(path: str) -> tuple[int, int]:
    """(width, height) of the image at path, read from its header alone; DataError naming the file in one line
    if it is missing, a folder, not an image, or over MAX_PIXELS (a decompression bomb is never decoded)."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    if Path(path).is_dir():
        raise DataError(f"{path}: is a directory; give image files")
    if not Path(path).is_file():
        raise DataError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)     # our own limit is lower
            with Image.open(path) as img:
                width, height = img.size
    except Image.DecompressionBombError:
        width, height = _header_size(path)                # over Pillow's own limit: far over ours
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read it as an image ({type(e).__name__})") from e
    if width * height > MAX_PIXELS:
        raise DataError(f"{path}: {width} x {height} pixels is over the {MAX_PIXELS // 10 ** 6} MP limit; "
                         "scale the photo down")
    return width, height


def _header_size(path: str) -> tuple[int, int]:
    """(width, height) that a PNG or JPEG header states, read by Pillow's plugin itself: Image.open refuses a
    header over its own bomb limit before saying the size, and the refusal should name the size the file claims."""
    from PIL import JpegImagePlugin, PngImagePlugin

    for kind in (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile):
        try:
            with kind(path) as img:
                return img.size
        except (SyntaxError, OSError, ValueError):
            continue
    raise DataError(f"{path}: its header claims more pixels than Pillow opens, far over the "
                    f"{MAX_PIXELS // 10 ** 6} MP limit; scale the photo down")


def read_image(path: str) -> np.ndarray:
    """The image at path as (M, N) grey, (M, N, 3) RGB or (M, N, 4) RGBA, upright as the camera's EXIF
    orientation says; DataError naming the file in one line if it is missing, not an image or too large."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    check_image(path)
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode not in ("L", "I;16", "RGB", "RGBA"):      # to_grey scales 8 and 16 bits
                has_alpha = "A" in img.mode or "transparency" in img.info
                img = img.convert("RGBA" if has_alpha else "RGB")
            return np.asarray(img)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read it as an image ({type(e).__name__})") from e

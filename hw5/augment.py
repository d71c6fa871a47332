"""Random warps of NIST36 rows for the numpy training of Q3: rotation, zoom and shift in one resampling."""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def warp_images(x: np.ndarray, rng, *, max_shift: float, max_rotate: float, max_zoom: float) -> np.ndarray:
    """Each image of x (N, 1024) rotated by up to +-max_rotate degrees, zoomed by 1 +- max_zoom and shifted by
    up to +-max_shift pixels about its centre (uniform draws), bilinear, white outside: (N, 1024) float32.

    The rows keep NIST36's layout: the warp acts on the stored (transposed) 32x32 grid, which is the same warp
    of the upright image with rows and columns exchanged. One map_coordinates call over the stack.
    """
    n = len(x)
    angle = np.deg2rad(rng.uniform(-max_rotate, max_rotate, n))[:, None, None]
    zoom = 1 + rng.uniform(-max_zoom, max_zoom, n)[:, None, None]
    dr, dc = rng.uniform(-max_shift, max_shift, (2, n, 1, 1))
    r, c = np.meshgrid(np.arange(32) - 15.5, np.arange(32) - 15.5, indexing="ij")     # output pixel, centred
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom                            # inverse map: output -> input
    src = [np.broadcast_to(np.arange(n)[:, None, None], (n, 32, 32)),
           cos * r - sin * c + 15.5 + dr, sin * r + cos * c + 15.5 + dc]
    out = ndi.map_coordinates(x.reshape(n, 32, 32), src, order=1, mode="constant", cval=1.0)
    return out.reshape(n, 1024).astype(np.float32, copy=False)

"""findLetters: find and group handwritten capitals on a photographed page (scikit-image style).

One pipeline serves every page. Every size below is relative to the page: the working resolution to the pixel
count, and the morphology, speck, merge, line and word thresholds to the median character height `h`, which
is measured on the page itself. Boxes are ``(min_row, min_col, max_row, max_col)`` (regionprops, exclusive
max), and ``bw`` is float with ink 0 on white 1, as in the handout's ``findLetters`` contract.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, transform

from hw5.ocr.image import to_grey


@dataclass(frozen=True)
class OcrConfig:
    max_pixels: float = 4.0e6   # work on at most this many pixels (integer block-mean downscale): fast, and
                                # phone-photo characters stay tens of pixels tall
    bg_window: float = 1 / 30  # background = closing over this fraction of the short side (>> a stroke)
    min_contrast: float = 0.12  # ink must be this much darker than the paper, relative (blank page -> no ink)
    noise_sigmas: float = 6.0   # ... and this many robust noise sigmas darker
    speck: float = 0.25         # components smaller than this x h in both directions are specks or periods
    merge_gap: float = 0.35     # parts closer than this x h vertically, overlapping in columns, are one glyph
    merge_max: float = 1.6      # ... unless the merged glyph would be taller than this x h
    line_gap: float = 0.5       # sorted box centres further apart than this x h start a new line
    word_gap: float = 2.1       # a space is wider than this x the median gap between neighbours
    min_word_gap: float = 0.7   # ... and than this x h (touching writing has tiny median gaps)
    glyph: int = 26             # glyph's longer side in the 32 x 32 crop (NIST36 training median: 26 px)
    stroke: float = 3.6         # pen width in crop pixels; it measures 4.1 px like NIST36 (ink area / skeleton)



# ---------------------------------------------------------------- image -> ink mask -> glyph boxes
def downscale_factor(shape, max_pixels: float) -> int:
    """Smallest integer k such that an (M, N) image shrunk k times in each direction has <= max_pixels."""
    return max(1, int(np.ceil(np.sqrt(shape[0] * shape[1] / max_pixels) - 1e-9)))


def ink_darkness(grey: np.ndarray, *, bg_window: float) -> np.ndarray:
    """(M, N) darkness in [0, 1] relative to the local paper brightness (removes shading and gradients)."""
    small_f = min(1.0, 400 / min(grey.shape))                    # estimate the background on a ~400 px image
    small = transform.rescale(grey, small_f, anti_aliasing=True) if small_f < 1 else grey
    size = max(3, int(round(bg_window * min(small.shape))))
    paper = filters.gaussian(ndi.grey_closing(small, size=(size, size)), sigma=size / 2)
    paper = transform.resize(paper, grey.shape, order=1)
    return np.clip(1.0 - grey / np.maximum(paper, 1e-3), 0.0, 1.0)


def ink_mask(dark: np.ndarray, *, min_contrast: float, noise_sigmas: float) -> np.ndarray:
    """(M, N) bool ink: hysteresis between half and all of a threshold that is Otsu's, but never below the
    contrast and noise floors (so an empty page gives no ink)."""
    noise = 1.4826 * np.median(np.abs(dark - np.median(dark)))   # robust sigma of the paper's darkness
    floor = max(min_contrast, noise_sigmas * noise)
    high = max(filters.threshold_otsu(dark) if dark.max() > dark.min() else 1.0, floor)
    return filters.apply_hysteresis_threshold(dark, high / 2, high)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Median of values (K,) with weights (K,): specks (small weight) barely move it."""
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def char_height(boxes: np.ndarray, areas: np.ndarray) -> float:
    """The page's typical character height: area-weighted median box height of boxes (K, 4), areas (K,)."""
    if len(boxes) == 0:
        return 0.0
    return weighted_median((boxes[:, 2] - boxes[:, 0]).astype(float), areas.astype(float))


def components(mask: np.ndarray):
    """Label 8-connected ink. Returns labels (M, N), boxes (K, 4), areas (K,) and the stroke width,
    2 x ink area / ink perimeter (a stroke of length L and width w has area Lw and perimeter ~2L)."""
    labels = measure.label(mask, connectivity=2)
    props = measure.regionprops(labels)
    boxes = np.array([p.bbox for p in props], dtype=int).reshape(-1, 4)
    areas = np.array([p.area for p in props], dtype=float)
    perimeter = sum(p.perimeter for p in props)
    return labels, boxes, areas, (2 * areas.sum() / perimeter if perimeter > 0 else 1.0)


def near_pairs(mask: np.ndarray, labels: np.ndarray, width: float) -> list[tuple[int, int]]:
    """Pairs (i, j) of components (label - 1) closer than about half a stroke width: a pen that skipped.

    Dilating the ink by a quarter of the stroke width joins exactly the components that are that close.
    """
    radius = max(1, int(width / 4))
    joined = measure.label(ndi.binary_dilation(mask, morphology.disk(radius)), connectivity=2)
    first = ndi.labeled_comprehension(joined, labels, np.arange(1, labels.max() + 1), np.max, int, 0)
    pairs, seen = [], {}
    for i, g in enumerate(first):
        if g in seen:
            pairs.append((seen[g], i))
        seen.setdefault(g, i)
    return pairs


def union_find_groups(n: int, pairs) -> list[list[int]]:
    """Connected groups of 0..n-1 under the given (i, j) pairs, each sorted, ordered by first member."""
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i, j in pairs:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values())


def merge_parts(boxes: np.ndarray, h: float, *, merge_gap: float, merge_max: float,
                near=()) -> list[list[int]]:
    """Group boxes (K, 4) that are parts of one glyph: they share at least half of the narrower one's
    columns, are at most merge_gap * h apart vertically, and together are at most merge_max * h tall
    (a detached bar of a T or E, an inner stroke); pairs in `near` (a broken stroke) are merged too.

    Returns groups of indices into boxes, ordered by their first member.
    """
    pairs = list(near)
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            overlap = min(a[3], b[3]) - max(a[1], b[1])
            narrow = min(a[3] - a[1], b[3] - b[1])
            gap = max(a[0], b[0]) - min(a[2], b[2])
            tall = max(a[2], b[2]) - min(a[0], b[0])
            if overlap >= 0.5 * narrow and gap <= merge_gap * h and tall <= merge_max * h:
                pairs.append((i, j))
    return union_find_groups(len(boxes), pairs)


def group_box(boxes: np.ndarray) -> np.ndarray:
    """The box (4,) around boxes (K, 4)."""
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


def group_lines(boxes: np.ndarray, h: float, *, line_gap: float) -> list[list[int]]:
    """Split boxes (K, 4) into text lines, top to bottom, each sorted left to right.

    Box centres are sorted by row; a jump of more than line_gap * h between consecutive centres starts a new
    line (1-D clustering that tolerates baseline wobble and a slight slant, not lines that interleave).
    """
    if len(boxes) == 0:
        return []
    centres = (boxes[:, 0] + boxes[:, 2]) / 2
    order = np.argsort(centres, kind="stable")
    breaks = np.nonzero(np.diff(centres[order]) > line_gap * h)[0] + 1
    lines = np.split(order, breaks)
    return [sorted(line.tolist(), key=lambda i: (boxes[i, 1], boxes[i, 3])) for line in lines]


def word_breaks(lines: list[np.ndarray], h: float, *, word_gap: float, min_word_gap: float) -> list[np.ndarray]:
    """Per line, (K-1,) bool: whether a space follows each of its boxes (K, 4), sorted left to right.

    A space is a gap wider than word_gap x the page's median gap between neighbours (the writer's letter
    spacing) and than min_word_gap x h (so touching writing does not get a space at every small gap).
    Evenly spaced glyphs (a table of characters) therefore read as one word per line.
    """
    gaps = [b[1:, 1] - np.maximum.accumulate(b[:-1, 3]) for b in lines]
    pooled = np.concatenate(gaps) if gaps else np.zeros(0)
    if pooled.size == 0:
        return [np.zeros(0, bool) for _ in lines]
    threshold = max(word_gap * np.median(pooled), min_word_gap * h)
    return [g > threshold for g in gaps]



# ---------------------------------------------------------------- the page pipeline
@dataclass
class Layout:
    """What the detector found, in working-resolution pixels (input pixels = working * factor)."""

    mask: np.ndarray               # (M', N') bool ink
    labels: np.ndarray             # (M', N') int component labels
    factor: int                    # the integer downscale of the input
    height: float                  # median character height h (working pixels)
    stroke: float                  # stroke width, 2 x ink area / ink perimeter (working pixels)
    glyphs: list[list[int]]        # component labels of each glyph
    boxes: np.ndarray              # (G, 4) glyph boxes
    lines: list[list[int]]         # glyph indices per line, left to right
    spaces: list[np.ndarray]       # per line, (len(line) - 1,) bool: a space after each glyph


def analyse(image: np.ndarray, *, cfg: OcrConfig = OcrConfig()) -> Layout:
    """Grey -> ink mask -> components -> glyphs (parts merged, specks dropped) -> lines and spaces."""
    grey = to_grey(image)
    k = downscale_factor(grey.shape, cfg.max_pixels)
    work = transform.downscale_local_mean(grey, (k, k), cval=1.0) if k > 1 else grey
    mask = ink_mask(ink_darkness(work, bg_window=cfg.bg_window), min_contrast=cfg.min_contrast,
                    noise_sigmas=cfg.noise_sigmas)
    labels, comp, areas, width = components(mask)
    h = char_height(comp, areas)
    near = near_pairs(mask, labels, width) if len(comp) else []
    parts = merge_parts(comp, h, merge_gap=cfg.merge_gap, merge_max=cfg.merge_max, near=near)
    boxes = np.array([group_box(comp[g]) for g in parts], dtype=int).reshape(-1, 4)
    big = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= cfg.speck * h
    glyphs = [[i + 1 for i in g] for g, keep in zip(parts, big) if keep]
    boxes = boxes[big]
    lines = group_lines(boxes, h, line_gap=cfg.line_gap)
    spaces = word_breaks([boxes[line] for line in lines], h, word_gap=cfg.word_gap,
                         min_word_gap=cfg.min_word_gap)
    return Layout(mask, labels, k, h, width, glyphs, boxes, lines, spaces)


def page_boxes(layout: Layout, shape) -> tuple[list[np.ndarray], np.ndarray]:
    """Glyph boxes in reading order and bw, both in the pixels of an input of shape (M, N, ...)."""
    k, (m, n) = layout.factor, shape[:2]
    bw = 1.0 - np.repeat(np.repeat(layout.mask, k, 0), k, 1)[:m, :n].astype(np.float32)
    if bw.shape != (m, n):                     # the block-mean padded the last block: pad bw back as paper
        bw = np.pad(bw, ((0, m - bw.shape[0]), (0, n - bw.shape[1])), constant_values=1.0)
    order = [i for line in layout.lines for i in line]
    return [np.minimum(layout.boxes[i] * k, [m, n, m, n]) for i in order], bw


def findLetters(image: np.ndarray, *, cfg: OcrConfig = OcrConfig()):  # noqa: N802 - the handout's name
    """The handout's contract: boxes [minr, minc, maxr, maxc] (input pixels) and bw, float, ink 0 on white 1.

    Parameters
    ----------
    image : (M, N), (M, N, 3) or (M, N, 4) array, uint8 or float in [0, 1]

    Returns
    -------
    bboxes : list of (4,) int arrays, in reading order (line by line, left to right)
    bw : (M, N) float32
    """
    return page_boxes(analyse(image, cfg=cfg), np.shape(image))


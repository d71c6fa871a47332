"""Q4: find, group and read handwritten capitals on a photographed page (scikit-image style).

One pipeline serves every page. Every size below is relative to the page: the working resolution to the pixel
count, and the morphology, speck, merge, line and word thresholds to the median character height `h`, which
is measured on the page itself. Boxes are ``(min_row, min_col, max_row, max_col)`` (regionprops, exclusive
max), and ``bw`` is float with ink 0 on white 1, as in the handout's ``findLetters`` contract.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, transform

from experiments import nn
from experiments.data import LETTERS

LUMA = (0.2125, 0.7154, 0.0721)   # skimage.color.rgb2gray's weights


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


# ---------------------------------------------------------------- image -> ink mask
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


def read_image(path: str) -> np.ndarray:
    """The image at path as (M, N) grey, (M, N, 3) RGB or (M, N, 4) RGBA, upright as the camera's EXIF
    orientation says; ValueError naming the file in one line if it is missing or not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not Path(path).is_file():
        raise ValueError(f"{path}: no such file")
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode not in ("L", "I;16", "RGB", "RGBA"):      # to_grey scales 8 and 16 bits
                has_alpha = "A" in img.mode or "transparency" in img.info
                img = img.convert("RGBA" if has_alpha else "RGB")
            return np.asarray(img)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read it as an image ({type(e).__name__})") from e


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


# ---------------------------------------------------------------- ink mask -> glyph boxes
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


# ---------------------------------------------------------------- glyph mask -> 32 x 32 NIST36-like row
def render_glyph(mask: np.ndarray, *, glyph: float, stroke: float, size: int = 32, supersample: int = 4):
    """Redraw a glyph like a NIST36 training image: (size, size) float, ink 0 on white 1, upright.

    The skeleton of mask (H, W), bool, is scaled so that, drawn with a round pen `stroke` pixels wide, the
    glyph's longer side is `glyph` pixels; it is centred by its box (as EMNIST centres its glyphs) on a
    supersampled canvas and box-averaged down, which gives the soft edges of the training images.
    """
    big = size * supersample
    # thin at one scale, on smoothed edges: ragged or blocky outlines would give the skeleton spurs
    f = big / max(mask.shape)
    shape = (max(1, round(mask.shape[0] * f)), max(1, round(mask.shape[1] * f)))
    soft = np.pad(transform.resize(mask.astype(float), shape, order=1, anti_aliasing=f < 1), supersample)
    width = 2 * soft.sum() / max(measure.perimeter(soft >= 0.5), 1)       # stroke width, as in components()
    mask = filters.gaussian(soft, sigma=width / 4) >= 0.5                 # keeps a stroke's core above 0.5
    rows, cols = np.nonzero(morphology.skeletonize(mask))
    if len(rows) == 0:
        return np.ones((size, size))
    f = max(glyph - stroke, 1) * supersample / max(np.ptp(rows), np.ptp(cols), 1)
    r = np.round((rows - (rows.min() + rows.max()) / 2) * f + (big - 1) / 2).astype(int)
    c = np.round((cols - (cols.min() + cols.max()) / 2) * f + (big - 1) / 2).astype(int)
    canvas = np.ones((big, big), bool)
    inside = (r >= 0) & (r < big) & (c >= 0) & (c < big)
    canvas[r[inside], c[inside]] = False
    ink = ndi.distance_transform_edt(canvas) <= stroke * supersample / 2     # the pen
    return 1.0 - ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3))


def glyph_stats(images: np.ndarray) -> tuple[float, float]:
    """Median longer side of the ink box and median stroke width (ink area / skeleton length), in pixels,
    of upright glyph images (N, S, S) with ink 0 on white 1: what render_glyph should reproduce."""
    sides, strokes = [], []
    for img in images:
        ink = img < 0.5
        rows, cols = np.nonzero(ink)
        if len(rows):
            sides.append(max(np.ptp(rows), np.ptp(cols)) + 1)
            strokes.append(ink.sum() / max(morphology.skeletonize(ink).sum(), 1))
    return float(np.median(sides)), float(np.median(strokes))


def to_rows(crops: np.ndarray) -> np.ndarray:
    """(N, 32, 32) upright crops -> (N, 1024) rows in the .mat files' transposed layout."""
    return np.ascontiguousarray(crops.transpose(0, 2, 1)).reshape(len(crops), -1)


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


def glyph_rows(layout: Layout, *, cfg: OcrConfig = OcrConfig()) -> np.ndarray:
    """(G, 1024) classifier input, one row per glyph of layout, in NIST36's transposed layout."""
    crops = []
    for labels, (r0, c0, r1, c1) in zip(layout.glyphs, layout.boxes):
        mask = np.isin(layout.labels[r0:r1, c0:c1], labels)
        crops.append(render_glyph(mask, glyph=cfg.glyph, stroke=cfg.stroke))
    return to_rows(np.array(crops).reshape(-1, 32, 32))


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


def words(layout: Layout) -> list[list[list[int]]]:
    """Glyph indices per word per line."""
    return [[w.tolist() for w in np.split(np.array(line), np.nonzero(spaces)[0] + 1)]
            for line, spaces in zip(layout.lines, layout.spaces)]


def letters_or_digits(probs: np.ndarray, word_glyphs: list[list[int]]) -> np.ndarray:
    """(G, 36) probabilities where each word of 2+ glyphs is all letters or all digits, whichever reading
    has the higher joint probability, so O/0, I/1, S/5 and Z/2 follow their neighbours."""
    is_letter = np.array([c.isalpha() for c in LETTERS])
    out = probs.copy()
    logp = np.log(np.maximum(probs, 1e-12))
    for word in word_glyphs:
        if len(word) > 1:
            letters = logp[word][:, is_letter].max(axis=1).sum() >= logp[word][:, ~is_letter].max(axis=1).sum()
            out[np.ix_(word, np.nonzero(is_letter != letters)[0])] = 0.0
    return out


def read_text(layout: Layout, probs: np.ndarray, *, word_context: bool = True) -> list[str]:
    """Lines of text ("WORD WORD") from a layout and its glyphs' class probabilities (G, 36)."""
    line_words = words(layout)
    if word_context:
        probs = letters_or_digits(probs, [w for line in line_words for w in line])
    best = probs.argmax(axis=1)
    return [" ".join("".join(LETTERS[best[i]] for i in w) for w in line) for line in line_words]


def recognise(image: np.ndarray, classify, *, cfg: OcrConfig = OcrConfig(),
              word_context: bool = True) -> tuple[list[str], Layout]:
    """Read a page: (lines of text, the layout). classify maps (G, 1024) rows to (G, 36) probabilities;
    a page without text gives no lines."""
    layout = analyse(image, cfg=cfg)
    if not layout.glyphs:
        return [], layout
    return read_text(layout, classify(glyph_rows(layout, cfg=cfg)), word_context=word_context), layout


# ---------------------------------------------------------------- classifier
def mlp_classifier(weights: dict):
    """The Q3 network as a callable: rows (N, 1024) -> probabilities (N, 36), sigmoid hidden, softmax out."""
    params = {k: np.asarray(weights[k], np.float64) for k in ("Wlayer1", "blayer1", "Woutput", "boutput")}

    def classify(x):
        hidden = nn.forward(np.asarray(x, np.float64), dict(params), "layer1", nn.sigmoid)   # (N, 64)
        return nn.softmax(nn.forward(hidden, dict(params), "output", nn.linear))           # (N, 36)
    return classify

"""OCR fixtures: typical NIST36 test glyphs, a 1-NN classifier over their redrawn crops, and synthetic pages
written with them, all drawn from the generated data root (tests/datafixture.py), so they run anywhere."""
import numpy as np
import pytest

from hw5 import ocr
from hw5.data import LETTERS, images_to_rows, load_nist36
from hw5.ocr import compose

TEXT = "THE QUICK BROWN FOX\nJUMPS OVER 13 LAZY\nDOGS 24680 579"


@pytest.fixture(scope="session")
def page_text() -> str:
    """The three lines every synthetic page carries."""
    return TEXT


@pytest.fixture(scope="session")
def pool(fixture_root):
    """Two typical NIST36-style *test* glyphs per class, and a 1-NN classifier over their redrawn crops.

    The classifier knows the glyphs a page is written with, so a page's accuracy measures the detector
    (boxes, merging, lines, order, crops), not a network."""
    x, y = load_nist36(fixture_root, "test")
    labels = y.argmax(1)
    glyphs = {}
    for i, c in enumerate(LETTERS):
        members = x[labels == i]
        order = np.argsort(((members - members.mean(0)) ** 2).sum(1))
        glyphs[c] = [members[k] for k in order[:2]]
    rows, classes = [], []
    for i, c in enumerate(LETTERS):
        for g in glyphs[c]:
            rows.append(images_to_rows(ocr.render_glyph(compose.glyph_image(g, 64) < 0.5, glyph=26, stroke=3.6)[None])[0])
            classes.append(i)
    templates, classes = np.array(rows), np.array(classes)

    def classify(x):
        d = ((x[:, None, :] - templates[None]) ** 2).sum(-1)          # (N, T) squared distances
        return np.eye(36)[classes[d.argmin(1)]]
    return glyphs, classify


@pytest.fixture(scope="session")
def write_page(pool):
    """write_page(rng, height, spread, **compose_page options): TEXT in random pool glyphs, each `height` px
    +- spread, as an RGB uint8 page."""
    glyphs = pool[0]

    def write(rng, height, spread, **kw):
        lines = [[None if c == " " else compose.glyph_image(glyphs[c][rng.integers(2)],
                                                           int(height * rng.uniform(1 - spread, 1 + spread)))
                  for c in line] for line in TEXT.split("\n")]
        return compose.compose_page(lines, rng, **kw)
    return write


@pytest.fixture(scope="session")
def page(write_page):
    return write_page(np.random.default_rng(3), 50, 0.1)

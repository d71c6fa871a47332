"""hw5.ocr.glyphs: glyph masks redrawn like NIST36 images (size, pen, centring) and put in NIST36's row layout."""
import numpy as np

from hw5 import ocr
from hw5.data import load_nist36, rows_to_images
from hw5.ocr import compose


def ink_extent(img):
    rows, cols = np.nonzero(img < 0.5)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_a_thick_bar_is_redrawn_thin_centred_and_26_px_tall():
    img = ocr.render_glyph(np.ones((60, 12), bool), glyph=26, stroke=3.6)
    assert img.shape == (32, 32) and img.min() == 0.0 and img.max() == 1.0
    r0, r1, c0, c1 = ink_extent(img)
    assert (r0, r1) == (3, 28)                                   # 26 px, centred on 15.5
    assert (c0 + c1) / 2 == 15.5 and c1 - c0 + 1 == 4            # the 3.6 px pen, not the 12 px mask


def test_a_wide_mask_gives_a_horizontal_stroke():
    img = ocr.render_glyph(np.ones((20, 60), bool), glyph=20, stroke=3.6, size=24)
    assert img.shape == (24, 24)
    r0, r1, c0, c1 = ink_extent(img)
    assert c1 - c0 + 1 == 20 and r1 - r0 + 1 <= 5


def test_an_empty_mask_is_a_white_crop():
    np.testing.assert_array_equal(ocr.render_glyph(np.zeros((5, 5), bool), glyph=26, stroke=3.6), np.ones((32, 32)))


def test_glyph_stats_of_a_drawn_bar():
    img = np.ones((32, 32))
    img[5:25, 10:13] = 0.0                                       # 20 x 3 px of ink
    side, stroke = ocr.glyph_stats(np.stack([img, np.ones((32, 32)), img]))   # a blank image is skipped
    assert side == 20.0
    assert 3.0 <= stroke <= 60 / 17                              # ink area / skeleton length (17..20 px)


def test_glyph_rows_are_in_nist36_layout():
    page = np.full((200, 200), 255, np.uint8)
    page[40:100, 50:62] = 0                                      # one tall bar: a vertical stroke when upright
    layout = ocr.analyse(page)
    rows = ocr.glyph_rows(layout)
    assert rows.shape == (1, 1024)
    r0, r1, c0, c1 = ink_extent(rows_to_images(rows)[0])
    assert r1 - r0 == 25 and c1 - c0 <= 4


def test_rendered_crops_match_training_glyphs_whatever_the_writing_size(fixture_root):
    x, _ = load_nist36(fixture_root, "train")
    extent, stroke = ocr.glyph_stats(rows_to_images(x[:100]))
    for height in (40, 160):                                     # the same glyphs written small and large
        redrawn = np.array([ocr.render_glyph(compose.glyph_image(r, height) < 0.5, glyph=26, stroke=3.6)
                            for r in x[:100]])
        r_extent, r_stroke = ocr.glyph_stats(redrawn)
        assert r_extent == 26 and abs(r_extent - extent) <= 1 and abs(r_stroke - stroke) <= 0.5, height

"""hw5.ocr.compose: NIST36 rows as tight upright glyphs, glyphs joined and written on a page, typical glyphs."""
import numpy as np

from hw5.data import LETTERS, images_to_rows
from hw5.ocr import compose


def box_row(top=4, left=10, height=20, width=10):
    """A NIST36 row whose upright image is white with an ink rectangle."""
    img = np.ones((32, 32))
    img[top:top + height, left:left + width] = 0.0
    return images_to_rows(img[None])[0]


def test_glyph_image_is_tight_upright_and_scaled():
    g = compose.glyph_image(box_row(), 40)
    assert g.shape == (40, 20)                                   # 20 x 10 ink box, doubled
    assert g.max() <= 1.0 and g[5:35, 5:15].max() == 0.0
    wide = compose.glyph_image(box_row(height=8, width=24, left=4), 16)
    assert wide.shape == (16, 48)


def test_join_overlaps_glyphs_on_one_baseline():
    a = np.ones((10, 6))
    a[:, 5] = 0.0
    b = np.zeros((8, 4))
    expected = np.ones((10, 8))
    expected[:, 5] = 0.0
    expected[2:, 4:] = 0.0                                       # b on the baseline, 2 px into a
    np.testing.assert_array_equal(compose.join(a, b, 2), expected)


def test_compose_page_places_glyphs_and_spaces():
    g = np.zeros((20, 10))
    page = compose.compose_page([[g, None, g]], np.random.default_rng(0), gap=0.3, space=1.3, jitter=0, noise=0,
                                shade=0, margin=10)
    # width: 2 x 10 margin + (10 + 6) + (26 + 6) + (10 + 6); height: 2 x 10 + 20
    assert page.shape == (40, 84, 3) and page.dtype == np.uint8
    np.testing.assert_array_equal(page[0, 0], [242, 237, 224])     # paper: 0.95, 0.93, 0.88 of white
    assert page[10:30, 10:20].max() == 0 and page[10:30, 52:62].max() == 0
    assert page[:, 20:52].min() == 224 and page[:10].min() == 224


def test_compose_page_lines_are_1_8_heights_apart():
    g = np.zeros((20, 10))
    page = compose.compose_page([[g], [g], [g]], np.random.default_rng(0), jitter=0, noise=0, shade=0, margin=10)
    assert page.shape[0] == 2 * 10 + 20 + 36 * 2
    assert [page[r, 10, 0] for r in (10, 29, 46, 65, 82, 101)] == [0] * 6
    assert [page[r, 10, 0] for r in (30, 45, 66, 81)] == [242] * 4


def test_compose_page_shades_to_the_right():
    page = compose.compose_page([[np.zeros((20, 10))]], np.random.default_rng(0), noise=0, shade=0.5)
    grey = page[..., 0].astype(float)
    assert grey[0, 0] == 242 and grey[0, -1] == int(0.5 * 0.95 * 255)


def test_typical_is_the_member_nearest_its_class_mean():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.4, 0.4], [9.0, 9.0]])
    y = np.eye(36)[[0, 0, 0, 1]]                                 # three A (mean 0.47) and one B
    np.testing.assert_array_equal(compose.typical(x, y, "A"), [0.4, 0.4])
    np.testing.assert_array_equal(compose.typical(x, y, "B"), [9.0, 9.0])


def test_class_glyphs_follow_the_text():
    x = np.stack([box_row(), box_row(height=10)])
    y = np.eye(36)[[LETTERS.index("A"), LETTERS.index("7")]]
    lines = compose.class_glyphs(x, y, "A 7\n7", 30)
    assert [[None if g is None else g.shape for g in line] for line in lines] == [[(30, 15), None, (30, 30)], [(30, 30)]]

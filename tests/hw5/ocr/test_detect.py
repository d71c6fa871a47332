"""hw5.ocr.detect (findLetters): the layout rules on tiny boxes, drawn bars and a T, and synthetic NIST36 pages."""
import numpy as np
import pytest

from hw5 import ocr
from hw5.ocr import detect


def bars(shape=(300, 500), lefts=(40, 80, 120, 250, 290), tops=(50, 170)):
    """A white uint8 page with 60 x 12 px black bars: one line per top, one bar per left edge."""
    page = np.full(shape, 255, np.uint8)
    for r0 in tops:
        for c0 in lefts:
            page[r0:r0 + 60, c0:c0 + 12] = 0
    return page


def test_find_letters_on_drawn_bars():
    page = bars()
    page[20:23, 400:403] = 0                                          # a speck: dropped
    boxes, bw = ocr.findLetters(page)
    expected = [[r0, c0, r0 + 60, c0 + 12] for r0 in (50, 170) for c0 in (40, 80, 120, 250, 290)]
    assert [b.tolist() for b in boxes] == expected                   # reading order, exclusive max
    assert bw.shape == page.shape and bw.dtype == np.float32
    assert bw[50:110, 40:52].max() == 0.0 and bw[:45, :390].min() == 1.0
    assert bw[20:23, 400:403].max() == 0.0                           # bw keeps the speck; the boxes do not


def test_analyse_measures_height_stroke_lines_and_spaces():
    layout = ocr.analyse(bars())
    assert layout.factor == 1 and layout.height == 60.0
    assert layout.stroke == pytest.approx(12, rel=0.2)              # 2 x area / perimeter of a 12 px wide bar
    assert layout.lines == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    # gaps 28, 28, 118, 28: a space needs more than max(2.1 x 28, 0.7 x 60) = 58.8
    assert [s.tolist() for s in layout.spaces] == [[False, False, True, False]] * 2


def test_a_detached_bar_is_merged_into_its_stem():
    page = np.full((200, 300), 255, np.uint8)
    page[50:58, 30:70] = 0                                            # a T's bar ...
    page[62:110, 45:55] = 0                                           # ... and its stem, 4 px below
    page[50:110, 100:112] = 0                                         # an I beside it
    boxes, _ = ocr.findLetters(page)
    assert [b.tolist() for b in boxes] == [[50, 30, 110, 70], [50, 100, 110, 112]]
    layout = ocr.analyse(page)
    assert [len(labels) for labels in layout.glyphs] == [2, 1]


def test_downscaled_work_is_mapped_back_to_input_pixels():
    page = bars(shape=(301, 501))
    cfg = detect.OcrConfig(max_pixels=301 * 501 / 4)                  # forces a 2x block-mean downscale
    layout = ocr.analyse(page, cfg=cfg)
    assert layout.factor == 2 and layout.mask.shape == (151, 251)
    boxes, bw = ocr.page_boxes(layout, page.shape)
    assert bw.shape == (301, 501) and bw[-1].min() == 1.0
    assert [b.tolist() for b in boxes][:2] == [[50, 40, 110, 52], [50, 80, 110, 92]]


def test_blank_and_shaded_paper_have_no_ink():
    flat = np.full((200, 300), 0.8)
    assert not detect.ink_mask(detect.ink_darkness(flat, bg_window=1 / 30), min_contrast=0.12,
                               noise_sigmas=6.0).any()
    shaded = flat * np.linspace(1.0, 0.6, 300)[None, :]              # a gradient is paper, not ink
    dark = detect.ink_darkness(shaded, bg_window=1 / 30)
    assert dark.max() < 0.12


def test_merge_joins_a_detached_bar_but_not_neighbours():
    boxes = np.array([[0, 0, 8, 40],      # a T's bar
                      [12, 15, 60, 25],   # its stem, 4 px below the bar
                      [10, 50, 60, 80],   # the next letter, beside it
                      [65, 55, 110, 75]])  # a letter of the next line, below it: too tall together
    groups = ocr.merge_parts(boxes, 50.0, merge_gap=0.35, merge_max=1.6)
    assert groups == [[0, 1], [2], [3]]
    assert ocr.merge_parts(boxes, 50.0, merge_gap=0.35, merge_max=1.6, near=[(2, 3)]) == [[0, 1], [2, 3]]


def test_group_lines_clusters_rows_and_sorts_columns():
    rng = np.random.default_rng(0)
    boxes = []
    for row in (0, 100, 200):
        for col in rng.permutation(6):
            top = row + rng.integers(-8, 9)                 # baseline jitter of 0.16 h
            boxes.append([top, col * 40, top + 50, col * 40 + 30])
    lines = ocr.group_lines(np.array(boxes), 50.0, line_gap=0.5)
    assert len(lines) == 3
    for line in lines:
        cols = np.array(boxes)[line, 1]
        assert list(cols) == sorted(cols) and len(set(np.round(np.array(boxes)[line, 0] / 100))) == 1
    assert ocr.group_lines(np.zeros((0, 4)), 50.0, line_gap=0.5) == []


def test_word_breaks_follow_the_pages_letter_spacing():
    def line(lefts, width=30):
        return np.array([[0, c, 50, c + width] for c in lefts])
    words = line([0, 40, 80, 170, 210])               # gaps 10, 10, 60, 10
    assert ocr.word_breaks([words], 50.0, word_gap=2.1, min_word_gap=0.7)[0].tolist() == [False, False, True, False]
    even = line([0, 80, 160, 240])                    # evenly spaced: one word however wide the gaps
    assert not ocr.word_breaks([even], 50.0, word_gap=2.1, min_word_gap=0.7)[0].any()
    touching = line([0, 31, 62, 95])                  # gaps 1, 1, 3: not spaces though 3 > 2.1 x median
    assert not ocr.word_breaks([touching], 50.0, word_gap=2.1, min_word_gap=0.7)[0].any()
    single = ocr.word_breaks([line([0])], 50.0, word_gap=2.1, min_word_gap=0.7)
    assert [s.tolist() for s in single] == [[]]


def test_downscale_factor_bounds_the_working_size():
    assert ocr.downscale_factor((1000, 1000), 4e6) == 1
    k = ocr.downscale_factor((5000, 8000), 4e6)             # a 40 MP photo
    assert k == 4 and (5000 / k) * (8000 / k) <= 4e6
    assert ocr.downscale_factor((4000, 1000), 4e6) == 1     # exactly at the limit


def test_union_find_groups():
    assert detect.union_find_groups(6, [(4, 1), (1, 3), (5, 0)]) == [[0, 5], [1, 3, 4], [2]]
    assert detect.union_find_groups(3, []) == [[0], [1], [2]]


def test_weighted_median_and_char_height():
    assert detect.weighted_median(np.array([10.0, 50.0, 52.0]), np.array([1.0, 5.0, 5.0])) == 50.0
    assert detect.weighted_median(np.array([10.0, 50.0, 52.0]), np.array([1.0, 1.0, 10.0])) == 52.0
    boxes = np.array([[0, 0, 5, 5], [0, 10, 40, 20], [0, 30, 44, 40]])
    assert detect.char_height(boxes, np.array([25.0, 300.0, 310.0])) == 40.0
    assert detect.char_height(np.zeros((0, 4), int), np.zeros(0)) == 0.0


def test_group_box():
    np.testing.assert_array_equal(detect.group_box(np.array([[5, 10, 20, 30], [0, 12, 25, 28]])), [0, 10, 25, 30])


def test_find_letters_contract(page, page_text):
    boxes, bw = ocr.findLetters(page)
    assert bw.shape == page.shape[:2] and bw.dtype.kind == "f" and set(np.unique(bw)) <= {0.0, 1.0}
    assert len(boxes) == len(page_text.replace(" ", "").replace("\n", ""))
    for r0, c0, r1, c1 in boxes:
        assert 0 <= r0 < r1 <= page.shape[0] and 0 <= c0 < c1 <= page.shape[1]
        assert bw[r0:r1, c0:c1].min() == 0.0                                 # ink is 0 inside each box

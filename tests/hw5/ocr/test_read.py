"""hw5.ocr.read: words from a layout's spaces, the letters-or-digits rule, and whole pages read back."""
import numpy as np
import pytest

from hw5 import ocr
from hw5.data import LETTERS
from hw5.ocr import score as ocr_score
from hw5.ocr.detect import Layout


def one_hot_rows(chars, second=None):
    """(G, 36) probabilities: 0.001 everywhere, then {glyph: {char: p}} on top."""
    probs = np.full((len(chars), 36), 0.001)
    for i, c in enumerate(chars):
        probs[i, LETTERS.index(c)] = 0.9
    for i, extra in (second or {}).items():
        for c, p in extra.items():
            probs[i, LETTERS.index(c)] = p
    return probs


def hand_layout():
    """Two lines: glyphs 0 1 | 2 (a space after glyph 1), then glyph 3 alone."""
    empty = np.zeros((1, 1))
    return Layout(empty.astype(bool), empty.astype(int), 1, 10.0, 2.0, [[1], [2], [3], [4]], np.zeros((4, 4), int),
                  [[0, 1, 2], [3]], [np.array([False, True]), np.zeros(0, bool)])


def test_words_split_lines_at_spaces():
    assert ocr.words(hand_layout()) == [[[0, 1], [2]], [[3]]]


def test_read_text_with_and_without_word_context():
    probs = one_hot_rows("H10Z", {1: {"1": 0.5, "I": 0.4}, 2: {"0": 0.6, "O": 0.3}})
    assert ocr.read_text(hand_layout(), probs) == ["HI 0", "Z"]               # "H1" reads as letters; "0" alone
    assert ocr.read_text(hand_layout(), probs, word_context=False) == ["H1 0", "Z"]


def test_letters_or_digits_follows_the_word():
    probs = np.full((3, 36), 0.001)
    probs[0, LETTERS.index("0")], probs[0, LETTERS.index("O")] = 0.6, 0.3    # "0" alone would win
    probs[1, LETTERS.index("N")] = 0.9
    probs[2, LETTERS.index("5")], probs[2, LETTERS.index("S")] = 0.5, 0.4
    fixed = ocr.letters_or_digits(probs, [[0, 1], [2]])
    assert [LETTERS[i] for i in fixed.argmax(1)] == ["O", "N", "5"]           # a lone glyph keeps its best
    assert fixed[0, LETTERS.index("0")] == 0.0 and fixed[2, LETTERS.index("5")] == 0.5
    np.testing.assert_array_equal(probs[0, LETTERS.index("0")], 0.6)         # the input is not changed


def test_a_digit_word_turns_letters_into_digits():
    probs = one_hot_rows("2S4", {1: {"5": 0.5}})
    fixed = ocr.letters_or_digits(probs, [[0, 1, 2]])
    # digits 0.9 x 0.5 x 0.9 beat letters 0.001 x 0.9 x 0.001
    assert [LETTERS[i] for i in fixed.argmax(1)] == ["2", "5", "4"]


def test_recognise_drawn_bars_with_a_fixed_classifier():
    page = np.full((300, 500), 255, np.uint8)
    for r0 in (50, 170):
        for c0 in (40, 80, 120, 250, 290):
            page[r0:r0 + 60, c0:c0 + 12] = 0
    seen = []

    def classify(rows):
        seen.append(rows.shape)
        return one_hot_rows("I" * len(rows))
    lines, layout = ocr.recognise(page, classify)
    assert lines == ["III II", "III II"] and seen == [(10, 1024)] and len(layout.glyphs) == 10


@pytest.mark.parametrize("height, spread, kw", [
    pytest.param(60, 0.1, {}, id="plain"),
    pytest.param(90, 0.25, {"gap": 0.2, "space": 1.0, "jitter": 0.1}, id="tight-jittered"),
    pytest.param(45, 0.15, {"gap": 0.5, "space": 1.8, "noise": 0.05, "shade": 0.45}, id="noisy-shaded"),
])
def test_synthetic_page_is_read(pool, write_page, page_text, height, spread, kw):
    _, classify = pool
    page = write_page(np.random.default_rng(7), height, spread, **kw)
    lines, layout = ocr.recognise(page, classify)
    truth = page_text.split("\n")
    assert len(lines) == len(truth)
    assert ocr_score.char_accuracy(lines, truth) >= 0.95, lines
    assert [len(w) for w in lines[0].split()] == [3, 5, 5, 3]          # the words of the first line


@pytest.mark.parametrize("convert", [
    pytest.param(lambda p: np.dstack([p, np.full(p.shape[:2], 255, np.uint8)]), id="rgba"),
    pytest.param(lambda p: p.mean(axis=2).astype(np.uint8), id="grey-uint8"),
    pytest.param(lambda p: p / 255.0, id="rgb-float"),
    pytest.param(lambda p: np.kron(p, np.ones((3, 3, 1), np.uint8)), id="3x-larger"),
])
def test_odd_inputs_read_the_same(pool, page, convert):
    reference, _ = ocr.recognise(page, pool[1])
    lines, _ = ocr.recognise(convert(page), pool[1])
    assert ocr_score.char_accuracy(lines, reference) >= 0.95


@pytest.mark.parametrize("image", [
    pytest.param(np.full((400, 600, 3), 200, np.uint8), id="flat"),
    pytest.param((np.random.default_rng(0).normal(0.8, 0.02, (500, 700)).clip(0, 1)
                  * np.linspace(1, 0.7, 700)), id="noisy-gradient"),
    pytest.param(np.zeros((5, 5), np.uint8), id="tiny-black"),
])
def test_a_page_without_text_has_no_lines(image):
    lines, layout = ocr.recognise(image, lambda x: pytest.fail("nothing should be classified"))
    assert lines == [] and layout.glyphs == []

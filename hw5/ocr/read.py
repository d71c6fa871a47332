"""Layout + classifier -> text: words from the spaces, the letters-or-digits rule, and the whole reading."""
from __future__ import annotations

import numpy as np

from hw5.data import LETTERS
from hw5.ocr.detect import Layout, OcrConfig, analyse
from hw5.ocr.glyphs import glyph_rows


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


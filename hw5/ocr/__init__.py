"""Q4's OCR: find the characters on a page (`findLetters`), redraw each like a NIST36 glyph, read the lines.

Needs numpy, scipy and scikit-image only (Pillow, which scikit-image brings, for `read_image`).
"""
from hw5.ocr.detect import Layout, OcrConfig, analyse, downscale_factor, findLetters, group_lines, merge_parts, \
    page_boxes, word_breaks
from hw5.ocr.glyphs import glyph_rows, glyph_stats, render_glyph
from hw5.ocr.image import read_image, to_grey
from hw5.ocr.read import letters_or_digits, read_text, recognise, words

__all__ = ["Layout", "OcrConfig", "analyse", "downscale_factor", "findLetters", "glyph_rows", "glyph_stats",
           "group_lines", "letters_or_digits", "merge_parts", "page_boxes", "read_image", "read_text", "recognise",
           "render_glyph", "to_grey", "word_breaks", "words"]

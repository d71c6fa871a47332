"""The listings' colours: every text colour of the style reads at 4.5:1 on its background; hues are kept."""
import re

from pygments.styles.friendly import FriendlyStyle

from reportkit.codestyle import BACKGROUND, MIN_CONTRAST, ListingStyle, contrast, readable


def test_contrast_matches_the_wcag_formula():
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48              # the classic just-fails grey
    assert contrast("#abc", "#aabbcc") == 1.0


def test_a_readable_colour_is_kept_and_a_faint_one_darkened_just_enough():
    assert readable("#06287e") == "#06287e"
    darker = readable("#40a070")
    assert contrast(darker, BACKGROUND) >= MIN_CONTRAST > contrast("#40a070", BACKGROUND)
    assert contrast(readable("#40a070"), BACKGROUND) < MIN_CONTRAST + 0.3     # no darker than it needs
    assert readable("#ffffff") != "#000000" and contrast(readable("#ffffff"), BACKGROUND) >= MIN_CONTRAST


def test_every_text_colour_of_the_style_is_readable():
    for token, rule in ListingStyle.styles.items():
        for colour in re.findall(r"(?<![:\w])#\w+", rule):
            assert contrast(colour, BACKGROUND) >= MIN_CONTRAST, (token, rule)
    assert ListingStyle.styles.keys() == FriendlyStyle.styles.keys()
    assert ListingStyle.background_color == FriendlyStyle.background_color

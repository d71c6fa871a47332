"""The colours of code listings: Pygments' "friendly" with every text colour darkened just enough to be read.

friendly's numbers, comments and module names are 2.6–3.9:1 against its grey background, under the 4.5:1 that
WCAG AA asks of small text (axe-core flags them). Darkening each colour in place, keeping its hue, passes the
check and leaves the listings looking as before, in the HTML and the PDF alike.
"""
from __future__ import annotations

import re

from pygments.styles.friendly import FriendlyStyle

MIN_CONTRAST = 4.5
BACKGROUND = "#f0f0f0"          # friendly's background, darker than the page's pre (#f7f7f9): the harder case
COLOUR = re.compile(r"(?<![:\w])#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")      # a text colour, not bg:/border:


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(hex_colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(hex_colour: str, background: str = BACKGROUND) -> str:
    """The colour as it is if it reaches MIN_CONTRAST on the background, else scaled towards black in 1 % steps
    (same hue) until it does."""
    if contrast(hex_colour, background) >= MIN_CONTRAST:
        return hex_colour
    rgb = _rgb(hex_colour)
    for step in range(1, 101):
        colour = "#" + "".join(f"{round(c * (1 - step / 100) * 255):02x}" for c in rgb)
        if contrast(colour, background) >= MIN_CONTRAST:
            return colour
    return "#000000"


class ListingStyle(FriendlyStyle):
    name = "friendly-readable"
    styles = {token: COLOUR.sub(lambda m: readable(m.group()), rule) for token, rule in FriendlyStyle.styles.items()}

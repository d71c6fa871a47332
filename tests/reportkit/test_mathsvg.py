"""TeX -> SVG with ziamath: what it draws is labelled with its TeX; unknown and denied macros fail the build."""
import pytest

from reportkit.errors import BuildError
from reportkit.mathsvg import MathRenderer


def test_svg_carries_its_tex_and_fresh_glyph_ids(tmp_path):
    renderer = MathRenderer(tmp_path)
    first, second = renderer.render("x_{i}^{*}", display=False), renderer.render("x_{i}^{*}", display=False)
    assert first.startswith('<svg class="math" role="img"')
    assert first.index("<title>x_{i}^{*}</title>") < first.index("<symbol")       # the name, before any glyph
    assert 'id="m1-' in first and 'id="m2-' in second and 'id="m1-' not in second
    assert len(list(tmp_path.glob("*.svg"))) == 1                        # drawn once, then read from the cache


def test_title_is_escaped():
    svg = MathRenderer().render(r"a < b \& c", display=False)
    assert "<title>a &lt; b \\&amp; c</title>" in svg


@pytest.mark.parametrize("tex, message", [
    pytest.param("\\foo x", r"unknown macro \\foo", id="unknown-macro"),
    pytest.param("a \\tag{3}", r"\\tag is not supported", id="denied-tag"),
])
def test_bad_math_fails_the_build(tex, message):
    with pytest.raises(BuildError, match=message):
        MathRenderer().render(tex, display=False)

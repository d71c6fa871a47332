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


@pytest.mark.parametrize("damage", [
    lambda f: f.write_bytes(f.read_bytes().replace(b"</svg>", b"<script>alert(1)</script></svg>")),
    lambda f: f.write_bytes(f.read_bytes()[:200]),
    lambda f: f.write_bytes(f.read_bytes().split(b"\n", 1)[1]),        # the bare SVG, without its seal
], ids=["script-appended", "truncated", "unsealed"])
def test_a_damaged_cached_drawing_is_drawn_again(tmp_path, damage):
    clean = MathRenderer(tmp_path).render("a^2 + b^2", display=True)
    damage(next(tmp_path.glob("*.svg")))
    renderer = MathRenderer(tmp_path)
    assert renderer.render("a^2 + b^2", display=True) == clean and renderer.damaged == 1
    assert MathRenderer(tmp_path).render("a^2 + b^2", display=True) == clean        # and sound again

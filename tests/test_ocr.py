"""OCR: synthetic pages of NIST36 test glyphs, the layout rules on tiny boxes, odd inputs, the section and CLI."""
import json

import numpy as np
import pytest
from skimage import io

from experiments import ocr_cli, q4_ocr
from hw5 import ocr
from hw5.data import LETTERS, images_to_rows, load_nist36
from hw5.ocr import compose
from hw5.ocr import score as ocr_score
from reportkit.result import Upstream

TEXT = "THE QUICK BROWN FOX\nJUMPS OVER 13 LAZY\nDOGS 24680 579"


# ---------------------------------------------------------------- synthetic pages
@pytest.fixture(scope="module")
def pool(data_root):
    """Two typical NIST36 *test* glyphs per class, and a 1-NN classifier over their redrawn crops.

    The classifier knows the glyphs a page is written with, so a page's accuracy measures the detector
    (boxes, merging, lines, order, crops), not a network."""
    x, y = load_nist36(data_root, "test")
    labels = y.argmax(1)
    glyphs = {}
    for i, c in enumerate(LETTERS):
        members = x[labels == i]
        order = np.argsort(((members - members.mean(0)) ** 2).sum(1))
        glyphs[c] = [members[k] for k in order[:2]]
    rows, classes = [], []
    for i, c in enumerate(LETTERS):
        for g in glyphs[c]:
            rows.append(images_to_rows(ocr.render_glyph(compose.glyph_image(g, 64) < 0.5, glyph=26, stroke=3.6)[None])[0])
            classes.append(i)
    templates, classes = np.array(rows), np.array(classes)

    def classify(x):
        d = ((x[:, None, :] - templates[None]) ** 2).sum(-1)          # (N, T) squared distances
        return np.eye(36)[classes[d.argmin(1)]]
    return glyphs, classify


def synthetic_page(glyphs, rng, height, spread, **kw):
    """TEXT written with random pool glyphs, each `height` px +- spread, as an RGB uint8 page."""
    lines = [[None if c == " " else compose.glyph_image(glyphs[c][rng.integers(2)],
                                                       int(height * rng.uniform(1 - spread, 1 + spread)))
              for c in line] for line in TEXT.split("\n")]
    return compose.compose_page(lines, rng, **kw)


@pytest.mark.parametrize("height, spread, kw", [
    pytest.param(60, 0.1, {}, id="plain"),
    pytest.param(90, 0.25, {"gap": 0.2, "space": 1.0, "jitter": 0.1}, id="tight-jittered"),
    pytest.param(45, 0.15, {"gap": 0.5, "space": 1.8, "noise": 0.05, "shade": 0.45}, id="noisy-shaded"),
])
def test_synthetic_page_is_read(pool, height, spread, kw):
    glyphs, classify = pool
    page = synthetic_page(glyphs, np.random.default_rng(7), height, spread, **kw)
    lines, layout = ocr.recognise(page, classify)
    truth = TEXT.split("\n")
    assert len(lines) == len(truth)
    assert ocr_score.char_accuracy(lines, truth) >= 0.95, lines
    assert [len(w) for w in lines[0].split()] == [3, 5, 5, 3]          # the words of the first line


def test_rendered_crops_match_training_glyphs(data_root):
    x, _ = load_nist36(data_root, "train")
    imgs = x[:200].reshape(-1, 32, 32).transpose(0, 2, 1)
    extent, stroke = ocr.glyph_stats(imgs)
    redrawn = np.array([ocr.render_glyph(compose.glyph_image(r, 80) < 0.5, glyph=26, stroke=3.6) for r in x[:200]])
    r_extent, r_stroke = ocr.glyph_stats(redrawn)
    assert abs(r_extent - extent) <= 1 and abs(r_stroke - stroke) <= 0.5


# ---------------------------------------------------------------- layout rules on tiny boxes
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


def test_char_accuracy_and_marks():
    truth = ["1. MAKE A LIST", "HI"]
    assert ocr_score.char_accuracy(["1 MAKE A LIST", "HI"], truth) == 1.0           # spaces, periods ignored
    assert ocr_score.char_accuracy(["I MAKE A LZST", "HI"], truth) == pytest.approx(1 - 2 / 12)
    assert ocr_score.char_accuracy(["1 MAKE A LIST"], truth) == pytest.approx(1 - 2 / 12)   # a missing line
    assert ocr_score.char_accuracy([], []) == 1.0 and ocr_score.char_accuracy(["XYZ"], ["A"]) == 0.0
    marks = ocr_score.mark_errors("HAZ US", "HAIKUS")                          # one wrong, one missing
    assert "".join(c for c, _ in marks).replace("·", "") == "HAZ US" and [ok for _, ok in marks].count(False) == 2
    assert ("·", False) in marks and ("H", True) in marks and ("S", True) in marks
    assert ocr_score.confusions(["HAZKUS"], ["HAIKUS"]) == {("I", "Z"): 1}


def test_letters_or_digits_follows_the_word():
    probs = np.full((3, 36), 0.001)
    probs[0, LETTERS.index("0")], probs[0, LETTERS.index("O")] = 0.6, 0.3    # "0" alone would win
    probs[1, LETTERS.index("N")] = 0.9
    probs[2, LETTERS.index("5")], probs[2, LETTERS.index("S")] = 0.5, 0.4
    fixed = ocr.letters_or_digits(probs, [[0, 1], [2]])
    assert [LETTERS[i] for i in fixed.argmax(1)] == ["O", "N", "5"]           # a lone glyph keeps its best


# ---------------------------------------------------------------- findLetters on odd inputs
@pytest.fixture(scope="module")
def page(pool):
    return synthetic_page(pool[0], np.random.default_rng(3), 50, 0.1)


def test_find_letters_contract(page):
    boxes, bw = ocr.findLetters(page)
    assert bw.shape == page.shape[:2] and bw.dtype.kind == "f" and set(np.unique(bw)) <= {0.0, 1.0}
    assert len(boxes) == len(TEXT.replace(" ", "").replace("\n", ""))
    for r0, c0, r1, c1 in boxes:
        assert 0 <= r0 < r1 <= page.shape[0] and 0 <= c0 < c1 <= page.shape[1]
        assert bw[r0:r1, c0:c1].min() == 0.0                                 # ink is 0 inside each box


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


def test_png_with_transparent_paper(pool, page, tmp_path):
    rgba = np.dstack([page, np.where(page.mean(axis=2) < 128, 255, 0).astype(np.uint8)])
    rgba[..., :3][rgba[..., 3] == 0] = 0                     # transparent pixels are black underneath
    io.imsave(tmp_path / "page.png", rgba, check_contrast=False)
    lines, _ = ocr.recognise(io.imread(tmp_path / "page.png"), pool[1])
    assert ocr_score.char_accuracy(lines, TEXT.split("\n")) >= 0.9


def test_16_bit_grey_png_is_read_as_16_bit(pool, page, tmp_path):
    grey16 = (page.mean(axis=2) * 257).astype(np.uint16)          # the page in 16-bit grey
    io.imsave(tmp_path / "page16.png", grey16, check_contrast=False)
    image = ocr.read_image(str(tmp_path / "page16.png"))
    assert image.dtype == np.uint16 and image.min() < 20000           # not clipped to white
    lines, _ = ocr.recognise(image, pool[1])
    assert ocr_score.char_accuracy(lines, TEXT.split("\n")) >= 0.9


@pytest.mark.parametrize("image", [
    pytest.param(np.full((400, 600, 3), 200, np.uint8), id="flat"),
    pytest.param((np.random.default_rng(0).normal(0.8, 0.02, (500, 700)).clip(0, 1)
                  * np.linspace(1, 0.7, 700)), id="noisy-gradient"),
    pytest.param(np.zeros((5, 5), np.uint8), id="tiny-black"),
])
def test_a_page_without_text_has_no_lines(image):
    lines, layout = ocr.recognise(image, lambda x: pytest.fail("nothing should be classified"))
    assert lines == [] and layout.glyphs == []


def test_downscale_factor_bounds_the_working_size():
    assert ocr.downscale_factor((1000, 1000), 4e6) == 1
    k = ocr.downscale_factor((5000, 8000), 4e6)             # a 40 MP photo
    assert k == 4 and (5000 / k) * (8000 / k) <= 4e6


def test_bad_image_shapes_are_rejected():
    with pytest.raises(ValueError, match="grey, RGB or RGBA"):
        ocr.to_grey(np.zeros((4, 4, 2)))


# ---------------------------------------------------------------- the section and the command
@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    """Untrained (Xavier) Q3-shaped weights: the checks below concern the pipeline, not the network."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("q3")
    lim1, lim2 = np.sqrt(6 / (1024 + 64)), np.sqrt(6 / (64 + 36))
    np.savez(folder / "q3_weights.npz", Wlayer1=rng.uniform(-lim1, lim1, (1024, 64)), blayer1=np.zeros(64),
             Woutput=rng.uniform(-lim2, lim2, (64, 36)), boutput=np.zeros(36))
    return folder


def test_section_smoke(run_section, weights_dir):
    upstream = {"q3": Upstream({}, weights_dir, {"q3_weights": "q3_weights.npz"})}
    result = run_section(q4_ocr, inputs=upstream, images=("04_deep.jpg",))
    m = result.metrics
    page = m["per_image"]["04_deep.jpg"]
    assert page["n_boxes"] == page["n_chars"] == 41 and page["n_lines"] == 3 and m["boxes_found"] == 1.0
    assert len(page["text"]) == 3 and 0.0 <= m["char_accuracy"] <= 1.0
    assert m["demos"]["broken"]["boxes"] > m["demos"]["touching"]["boxes"]
    labels = {f.label for f in result.figures}
    assert {"q4-broken", "q4-touching", "q4-crops", "q4-boxes-04_deep"} <= labels
    json.dumps(m)


def test_cli_reads_pages_and_names_bad_files(tmp_path, weights_dir, page, capsys):
    (tmp_path / "build" / "artifacts").mkdir(parents=True)
    (tmp_path / "build" / "artifacts" / "q3_weights.npz").write_bytes((weights_dir / "q3_weights.npz").read_bytes())
    io.imsave(tmp_path / "page.png", page, check_contrast=False)
    assert ocr_cli.main([str(tmp_path / "page.png"), "--json", "--out", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == [str(tmp_path / "page.png")] and len(out[str(tmp_path / "page.png")]) == 3
    (tmp_path / "bad.jpg").write_text("not an image")
    for bad in ("missing.png", str(tmp_path / "bad.jpg")):
        assert ocr_cli.main([str(tmp_path / "page.png"), bad, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert bad in err and len(err.splitlines()) == 1


def test_cli_builds_missing_weights_through_the_pipeline(tmp_path, weights_dir, page, capsys, monkeypatch):
    import reportkit.pipeline

    built = []

    def fake_build(opts, say=print):               # stands in for training Q3: publishes the artifact
        built.append(opts.selected)
        (opts.out / "build" / "artifacts").mkdir(parents=True)
        (opts.out / "build" / "artifacts" / "q3_weights.npz").write_bytes((weights_dir / "q3_weights.npz").read_bytes())
    monkeypatch.setattr(reportkit.pipeline, "build_report", fake_build)
    io.imsave(tmp_path / "page.png", page, check_contrast=False)
    assert ocr_cli.main([str(tmp_path / "page.png"), "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert built == [["q3"]] and "building section q3" in captured.err
    assert len(captured.out.strip().splitlines()) == 3

"""Q4 parts: the fixture's pages read with the Q3 network and the Q6.1 CNN; the figures from the saved arrays."""
import numpy as np
import pytest

from experiments import q4_ocr as q4
from hw5 import mlp, ocr
from hw5.data import load_nist36, rows_to_images
from hw5.ocr import score as ocr_score
from hw5.pytorch.models import load_nist36_cnn
from reportkit.errors import DataError
from reportkit.section import Context

SMOKE_OCR = ocr.OcrConfig(max_pixels=1.0e6)


@pytest.fixture(autouse=True)
def _one_thread(torch_one_thread):
    pass


@pytest.fixture(scope="module")
def read(smoke):
    return smoke("q4.read")


@pytest.fixture(scope="module")
def upstream(smoke):
    return {"q3.train": smoke("q3.train")[1], "q6_1.nist_cnn": smoke("q6_1.nist_cnn")[1]}


def truth_chars(name):
    """Scored characters per line of a page, counted here: letters and digits only."""
    return [sum(ch.isalnum() for ch in line) for line in q4.GROUND_TRUTH[name]]


def test_every_character_of_the_smoke_pages_gets_one_box(read):
    m = read[0].metrics
    assert list(m["per_image"]) == ["03_haiku.jpg", "04_deep.jpg"]        # the smoke profile's pages
    assert sum(truth_chars("04_deep.jpg")) == 41
    for name, page in m["per_image"].items():
        assert page["n_boxes"] == page["n_chars"] == sum(truth_chars(name)), name
        assert page["n_lines"] == page["n_truth_lines"] == len(q4.GROUND_TRUTH[name]), name
        assert page["boxes_found"] == 1.0 and len(page["text"]) == page["n_lines"]
        assert [len(t.replace(" ", "")) for t in page["text"]] == truth_chars(name)
    assert m["boxes_found"] == 1.0


def test_all_four_fixture_pages_are_segmented_exactly(run_part, fixture_root, upstream):
    result, _ = run_part(q4, "read", fixture_root, inputs=upstream, images=tuple(q4.GROUND_TRUTH))
    for name, page in result.metrics["per_image"].items():
        assert (page["n_boxes"], page["n_lines"]) == (sum(truth_chars(name)), len(q4.GROUND_TRUTH[name])), name
    words = [len(w) for w in result.metrics["per_image"]["03_haiku.jpg"]["text"][1].split()]
    assert words == [3, 9, 4, 4, 4, 5]                                   # BUT SOMETIMES THEY DONT MAKE SENSE


def test_saved_boxes_are_those_of_find_letters(read, fixture_root):
    result, up = read
    with np.load(up.path("pages.npz")) as a:
        arrays = dict(a)
    for name, page in result.metrics["per_image"].items():
        stem = name.split(".")[0]
        image = ocr.read_image(str(fixture_root / "images" / name))
        boxes, bw = ocr.findLetters(image, cfg=SMOKE_OCR)
        np.testing.assert_array_equal(arrays[f"{stem}_boxes"], np.array(boxes).reshape(-1, 4))
        assert arrays[f"{stem}_shape"].tolist() == list(image.shape[:2]) and len(boxes) == page["n_boxes"]
        for r0, c0, r1, c1 in boxes:
            assert bw[r0:r1, c0:c1].min() == 0.0                          # ink inside every box


def test_texts_are_what_each_network_reads(read, fixture_root, upstream):
    """Reading the pages again here, with the saved Q3 weights and the saved CNN, gives the reported lines."""
    m = read[0].metrics
    with np.load(upstream["q3.train"].path("q3_weights")) as w:
        mlp_classify = mlp.classifier(dict(w))
    cnn_classify = load_nist36_cnn(upstream["q6_1.nist_cnn"].path("q6_cnn_nist36"))
    for name, page in m["per_image"].items():
        image = ocr.read_image(str(fixture_root / "images" / name))
        assert ocr.recognise(image, mlp_classify, cfg=SMOKE_OCR)[0] == page["text"], name
        assert ocr.recognise(image, cnn_classify, cfg=SMOKE_OCR)[0] == page["cnn"]["text"], name
        assert page["char_accuracy"] == ocr_score.char_accuracy(page["text"], q4.GROUND_TRUTH[name])
    assert m["char_accuracy"] == pytest.approx(np.mean([p["char_accuracy"] for p in m["per_image"].values()]))
    assert m["min_char_accuracy"] == min(p["char_accuracy"] for p in m["per_image"].values())
    # The Q3 network learned the fixture's glyphs; the crops are redrawn like them, so it reads most characters.
    assert m["char_accuracy"] > 0.6


def test_a_cnn_trained_a_little_longer_reads_the_pages(read, run_part, fixture_root, upstream):
    """The smoke CNN (2 epochs) is at chance; one trained 4 epochs with small batches reads the pages through the
    saved checkpoint about as well as the MLP does."""
    from experiments import q6_1_torch as q61

    trained, cnn = run_part(q61, "nist_cnn", fixture_root, epochs=4, batch=32, widths=(8, 16, 32))
    assert trained.metrics["cnn"]["final_valid_acc"] > 0.8                          # chance is 1/36
    result, _ = run_part(q4, "read", fixture_root, inputs={**upstream, "q6_1.nist_cnn": cnn})
    assert result.metrics["cnn_char_accuracy"] > 0.6 > read[0].metrics["cnn_char_accuracy"]
    assert result.metrics["char_accuracy"] == read[0].metrics["char_accuracy"]    # the MLP's reading is unchanged


def test_confusions_and_errors_add_up(read):
    m = read[0].metrics
    counted = sum(n for *_, n in m["confusions"])
    assert counted <= m["substitutions"] <= m["errors"]
    assert m["errors"] == sum(p["errors"] for p in m["per_image"].values())
    for page in m["per_image"].values():
        edits = 1 - page["char_accuracy"]
        assert page["errors"] == round(edits * page["n_chars"])


def test_demo_pages_from_test_glyphs(read):
    m, up = read[0].metrics, read[1]
    with np.load(up.path("pages.npz")) as a:
        arrays = dict(a)
    for kind in ("broken", "touching"):
        demo = m["demos"][kind]
        assert demo["letters"] == 3 and demo["boxes"] == len(arrays[f"demo_{kind}_boxes"])
        page = arrays[f"demo_{kind}"]
        assert page.dtype == np.uint8 and page.ndim == 3
        boxes, _ = ocr.findLetters(page, cfg=SMOKE_OCR)
        assert len(boxes) == demo["boxes"]
    # each demo breaks its assumption: the cut H gives an extra box, the touching T and A one box less
    assert m["demos"]["broken"]["boxes"] > 3 > m["demos"]["touching"]["boxes"]


def test_glyph_statistics(read, fixture_root):
    stats = read[0].metrics["glyph_stats"]
    # crops are redrawn with their longer side cfg.glyph (26 px) whatever the training glyphs measure
    assert stats["crops"]["extent"] == pytest.approx(SMOKE_OCR.glyph, abs=1)
    x, _ = load_nist36(fixture_root, "train")
    rng = Context("q4.read", None, "smoke", 0, "cpu", None, None).rng("stats sample")     # the part's, seed 0
    sample = x[rng.choice(len(x), 100, replace=False)]                              # smoke stats_samples
    extent, stroke = ocr.glyph_stats(rows_to_images(sample))
    assert (stats["train"]["extent"], stats["train"]["stroke"]) == (extent, stroke)
    with np.load(read[1].path("pages.npz")) as a:
        np.testing.assert_array_equal(a["train_glyphs"], sample[np.linspace(0, 99, 16).astype(int)])


def test_a_missing_page_is_a_data_error_naming_it(run_part, fixture_root, upstream):
    with pytest.raises(DataError, match=r"images/05_missing\.jpg"):
        run_part(q4, "read", fixture_root, inputs=upstream, images=("05_missing.jpg",))


def test_figures_are_drawn_from_the_saved_pages_alone(read, run_part, check_figures):
    result, drawn = run_part(q4, "figures", None, inputs={"read": read[1]})       # no data root
    check_figures(result, drawn, ["q4-assumptions", "q4-boxes-03_haiku", "q4-boxes-04_deep", "q4-crops"])
    caption = next(f.caption for f in result.figures if f.label == "q4-boxes-04_deep")
    assert "and 41 boxes" in caption

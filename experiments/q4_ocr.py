"""Q4: read the four handwritten course pages with the Q3 network and the Q6.1 CNN (findLetters, lines, words).

The reading part runs the OCR and keeps what the figures need (masks, boxes, crops, demo pages); the drawing
part draws them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hw5 import mlp, ocr
from hw5.data import load_nist36, nist36_file, rows_to_images
from hw5.errors import DataError
from hw5.ocr import score as ocr_score
from hw5.ocr.compose import class_glyphs, compose_page, join
from hw5.plotting import plt, save
from hw5.pytorch.models import load_nist36_cnn
from reportkit.section import Context, Figure, Part, Result, Section

# assignment.md §5, transcribed from the image files ("DONT" has no apostrophe; periods are not scored).
GROUND_TRUTH = {
    "01_list.jpg": ["TO DO LIST", "1. MAKE A TO DO LIST", "2. CHECK OFF THE FIRST", "THING ON TO DO LIST",
                    "3. REALIZE YOU HAVE ALREADY", "COMPLETED 2 THINGS", "4. REWARD YOURSELF WITH", "A NAP"],
    "02_letters.jpg": ["A B C D E F G", "H I J K L M N", "O P Q R S T U", "V W X Y Z", "1 2 3 4 5 6 7 8 9 0"],
    "03_haiku.jpg": ["HAIKUS ARE EASY", "BUT SOMETIMES THEY DONT MAKE SENSE", "REFRIGERATOR"],
    "04_deep.jpg": ["DEEP LEARNING", "DEEPER LEARNING", "DEEPEST LEARNING"],
}


@dataclass(frozen=True)
class ReadConfig:
    images: tuple[str, ...] = tuple(GROUND_TRUTH)   # the course pages under images/ (all four)
    ocr: ocr.OcrConfig = field(default_factory=ocr.OcrConfig)   # the detector's thresholds (hw5.ocr)
    stats_samples: int = 1000   # NIST36 training glyphs measured to compare the crops' size and stroke with
    demo_height: int = 120      # Q4.1 demos: NIST36 test glyphs drawn this many pixels tall
    top_confusions: int = 5     # most frequent substitutions named in the text


@dataclass(frozen=True)
class DrawConfig:
    figure_width: int = 2100    # Q4.3 figures: bw pages shown at most this many pixels wide ...
    max_height: float = 8.0     # ... this many inches tall and max_width wide (the text width), at dpi dots per
    max_width: float = 6.9      # inch, so that the letters under the boxes can be read at 100 % zoom
    dpi: int = 300


# ---------------------------------------------------------------- reading
def demo_pages(ctx: Context, x, y) -> dict[str, tuple[np.ndarray, int]]:
    """Two failures built from NIST36 test glyphs: a letter broken in two, and two letters that touch.

    Returns {name: (RGB page, letters written)}."""
    rng, h = ctx.rng("demo pages"), ctx.config.demo_height
    hat = class_glyphs(x, y, "HAT", h)[0]
    cut = hat[0].copy()
    mid = cut.shape[1] // 2
    cut[:, mid - h // 10:mid + h // 10] = 1.0                # a pen skip a fifth of the letter's height wide
    broken = compose_page([[cut] + hat[1:]], rng, noise=0.01, shade=0.1)
    cat = class_glyphs(x, y, "CAT", h)[0]
    touching = compose_page([[cat[0], join(cat[1], cat[2], cat[2].shape[1] // 3)]], rng, noise=0.01, shade=0.1)
    return {"broken": (broken, len(hat)), "touching": (touching, len(cat))}


def score_page(layout: ocr.Layout, probs: np.ndarray, truth: list[str]) -> dict:
    """Text, accuracies (with and without the letters-or-digits rule) and box counts against the truth."""
    text = ocr.read_text(layout, probs)
    chars = [len(ocr_score.normalise_text(t)) for t in truth]
    found = sum(min(len(line), n) for line, n in zip(layout.lines, chars))
    return {"char_accuracy": ocr_score.char_accuracy(text, truth), "errors": ocr_score.page_edits(text, truth)[0],
            "char_accuracy_raw": ocr_score.char_accuracy(ocr.read_text(layout, probs, word_context=False), truth),
            "n_boxes": len(layout.glyphs), "n_chars": sum(chars), "boxes_found": found / sum(chars),
            "n_lines": len(layout.lines), "n_truth_lines": len(truth), "text": text, "truth": truth,
            "marked": [ocr_score.mark_errors(p, t) for p, t in zip(text + [""] * len(truth), truth)]}


def read_course_page(ctx: Context, name: str, classify, cnn=None):
    """(metrics, layout, input shape, crops (G, 1024) in reading order) of one course page; with `cnn`, the same
    crops read by it too."""
    path = ctx.data(f"images/{name}")
    try:
        image = ocr.read_image(str(path))
    except DataError as e:
        raise DataError(f"{e}; re-copy the course's images/{name}") from e
    layout = ocr.analyse(image, cfg=ctx.config.ocr)
    rows = ocr.glyph_rows(layout, cfg=ctx.config.ocr)
    probs = classify(rows) if len(rows) else np.zeros((0, 36))
    reading = [i for line in layout.lines for i in line]
    metrics = score_page(layout, probs, GROUND_TRUTH[name])
    if cnn is not None:
        cnn_score = score_page(layout, cnn(rows) if len(rows) else np.zeros((0, 36)), GROUND_TRUTH[name])
        metrics["cnn"] = {k: cnn_score[k] for k in ("char_accuracy", "char_accuracy_raw", "errors", "text", "marked")}
        metrics["cnn_char_accuracy"] = cnn_score["char_accuracy"]
    return metrics, layout, image.shape, rows[reading]


def score_pages(per_image: dict, top: int) -> dict:
    """Accuracies over the pages, and the substitutions counted over all of them."""
    accs = [m["char_accuracy"] for m in per_image.values()]
    confused: dict[tuple[str, str], int] = {}
    for m in per_image.values():
        for pair, n in ocr_score.confusions(m["text"], m["truth"]).items():
            confused[pair] = confused.get(pair, 0) + n
    ranked = sorted(confused.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    out = {"char_accuracy": float(np.mean(accs)), "min_char_accuracy": float(np.min(accs)),
           "char_accuracy_raw": float(np.mean([m["char_accuracy_raw"] for m in per_image.values()])),
           "boxes_found": sum(m["boxes_found"] * m["n_chars"] for m in per_image.values())
           / sum(m["n_chars"] for m in per_image.values()),
           "confusions": [[t, p, n] for (t, p), n in ranked],
           "substitutions": sum(confused.values()), "errors": sum(m["errors"] for m in per_image.values())}
    if all("cnn" in m for m in per_image.values()):
        cnn_accs = [m["cnn_char_accuracy"] for m in per_image.values()]
        out.update(cnn_char_accuracy=float(np.mean(cnn_accs)), cnn_min_char_accuracy=float(np.min(cnn_accs)),
                   cnn_char_accuracy_raw=float(np.mean([m["cnn"]["char_accuracy_raw"] for m in per_image.values()])))
    return out


def run_reading(ctx: Context) -> Result:
    """Read every course page with both networks; keep the masks, boxes and crops the figures draw."""
    cfg = ctx.config
    with np.load(ctx.input("q3.train").path("q3_weights")) as weights:
        classify = mlp.classifier(dict(weights))
    cnn = load_nist36_cnn(ctx.input("q6_1.nist_cnn").path("q6_cnn_nist36"))
    train_x, _ = load_nist36(ctx.data_root, "train")
    test_x, test_y = load_nist36(ctx.data_root, "test")
    sample = train_x[ctx.rng("stats sample").choice(len(train_x), cfg.stats_samples, replace=False)]
    per_image, arrays, all_crops = {}, {}, []
    for name in cfg.images:
        metrics, layout, shape, crops = read_course_page(ctx, name, classify, cnn)
        per_image[name], all_crops = metrics, all_crops + [crops]
        stem = name.split(".")[0]
        boxes, _ = ocr.page_boxes(layout, shape)
        arrays.update({f"{stem}_mask": layout.mask, f"{stem}_boxes": np.array(boxes).reshape(-1, 4),
                       f"{stem}_shape": np.array(shape[:2]), f"{stem}_factor": np.array(layout.factor)})
    demos = {}
    for kind, (page, letters) in demo_pages(ctx, test_x, test_y).items():
        lines, layout = ocr.recognise(page, classify, cfg=cfg.ocr)
        boxes, _ = ocr.page_boxes(layout, page.shape)
        demos[kind] = {"boxes": len(boxes), "text": lines, "letters": letters}
        arrays.update({f"demo_{kind}": page, f"demo_{kind}_boxes": np.array(boxes).reshape(-1, 4)})
    crops = np.vstack(all_crops)
    arrays.update(train_glyphs=sample[np.linspace(0, len(sample) - 1, 16).astype(int)], first_crops=all_crops[0][:16])
    np.savez_compressed(ctx.path("pages.npz"), **arrays)
    stats = {k: ocr.glyph_stats(rows_to_images(v)) for k, v in (("train", sample), ("crops", crops))}
    return Result({**score_pages(per_image, cfg.top_confusions), "per_image": per_image, "demos": demos,
                   "glyph_stats": {k: {"extent": e, "stroke": s} for k, (e, s) in stats.items()}})


# ---------------------------------------------------------------- figures
def boxes_figure(ctx: Context, name: str, mask: np.ndarray, factor: int, shape, boxes: np.ndarray) -> Figure:
    """The bw page (ink 0, paper 1) with the detector's boxes in red, drawn at most figure_width pixels wide
    and max_height inches tall; a display pixel is ink when any page pixel under it is (strokes stay visible)."""
    cfg = ctx.config
    step = max(1, int(np.ceil(shape[1] / cfg.figure_width)))
    work_step = max(1, step // factor)                          # mask pixels per display pixel
    rows, cols = -(-mask.shape[0] // work_step), -(-mask.shape[1] // work_step)
    padded = np.zeros((rows * work_step, cols * work_step), bool)
    padded[:mask.shape[0], :mask.shape[1]] = mask
    ink = padded.reshape(rows, work_step, cols, work_step).any(axis=(1, 3))
    scale = factor * work_step                                  # page pixels per display pixel
    width = min(cfg.max_width, cfg.max_height * shape[1] / shape[0])
    fig, ax = plt.subplots(figsize=(width, width * shape[0] / shape[1]))
    ax.imshow(1.0 - ink, cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
    for r0, c0, r1, c1 in boxes:
        ax.add_patch(plt.Rectangle((c0 / scale, r0 / scale), (c1 - c0) / scale, (r1 - r0) / scale, fill=False,
                                   color="red", lw=0.8))
    ax.set_xlim(0, shape[1] / scale), ax.set_ylim(shape[0] / scale, 0), ax.axis("off")
    stem = name.split(".")[0]
    with plt.rc_context({"savefig.dpi": cfg.dpi}):
        saved = save(fig, ctx.path(f"boxes_{stem}.png"))
    return Figure(f"q4-boxes-{stem}", saved,
                  f"`findLetters` on `{name}`: the bw image (ink 0, paper 1) and {len(boxes)} boxes.")


def assumptions_figure(ctx: Context, demos: dict, arrays: dict) -> Figure:
    """The two demo pages side by side, each with the detector's boxes and what was read."""
    fig, axes = plt.subplots(1, 2, figsize=(6.9, 2.2))
    for ax, kind, title in zip(axes, ("broken", "touching"), ("1: one component per character",
                                                              "2: characters do not touch")):
        page = arrays[f"demo_{kind}"]
        ax.imshow(page), ax.axis("off")
        for r0, c0, r1, c1 in arrays[f"demo_{kind}_boxes"]:
            ax.add_patch(plt.Rectangle((c0, r0), c1 - c0, r1 - r0, fill=False, color="red", lw=1.2))
        read = " / ".join(demos[kind]["text"])
        ax.set_title(f"Assumption {title}\n{demos[kind]['boxes']} boxes, read as \"{read}\"", fontsize=8)
    return Figure("q4-assumptions", save(fig, ctx.path("assumptions.png")),
                  "The two assumptions broken on purpose, with NIST36 test glyphs. Left: \"HAT\" with the H cut by "
                  "a gap a fifth of its height wide. Right: \"CAT\" with the T pushed a third of its width into "
                  "the A. Red: the detector's boxes.")


def crops_figure(ctx: Context, train_glyphs: np.ndarray, crops: np.ndarray, name: str) -> Figure:
    """NIST36 training glyphs above the page's crops, both upright as the network sees them."""
    n = len(train_glyphs)
    bottom = np.vstack([crops[:n], np.ones((max(0, n - len(crops)), 1024))])
    tiles = [np.hstack([np.pad(img, 1, constant_values=1) for img in rows_to_images(rows)])
             for rows in (train_glyphs, bottom)]
    fig, ax = plt.subplots(figsize=(6.9, 1.1))
    ax.imshow(np.vstack(tiles), cmap="gray", vmin=0, vmax=1), ax.axis("off")
    return Figure("q4-crops", save(fig, ctx.path("crops.png")),
                  f"Top: NIST36 training images. Bottom: the first crops of `{name}`, redrawn to the same "
                  "glyph size, stroke width and centring.")


def draw(ctx: Context) -> Result:
    reading = ctx.input("read")
    with np.load(reading.path("pages.npz")) as a:
        arrays = dict(a)
    demos, names = reading.metrics["demos"], list(reading.metrics["per_image"])
    figures = [assumptions_figure(ctx, demos, arrays)]
    for name in names:
        stem = name.split(".")[0]
        figures.append(boxes_figure(ctx, name, arrays[f"{stem}_mask"], int(arrays[f"{stem}_factor"]),
                                    arrays[f"{stem}_shape"], arrays[f"{stem}_boxes"]))
    figures.append(crops_figure(ctx, arrays["train_glyphs"], arrays["first_crops"], names[0]))
    return Result(figures=figures)


@dataclass(frozen=True)
class FindingsConfig:
    all_found: float = 0.99     # boxes found for at least this share of the characters: errors are the network's


def text_rows(truth: list[str], marked: list, text: list[str]) -> list[dict]:
    """A page's text table: each true line beside the extracted one (marked per character), then any extra line
    extracted beyond the true ones: [{"truth", "marked"}] and [{"truth": "", "extra"}]."""
    return ([{"truth": t, "marked": line} for t, line in zip(truth, marked)]
            + [{"truth": "", "extra": line} for line in text[len(truth):]])


def findings(ctx: Context) -> Result:
    """Every derived number and verdict of the Q4 text, and its tables' rows, from the reading part's metrics."""
    read, cfg = ctx.input("read"), ctx.config
    m, oc = read.metrics, read.config["ocr"]
    pages = m["per_image"]
    broken, touching = m["demos"]["broken"], m["demos"]["touching"]
    out = {"max_megapixels": oc["max_pixels"] / 1e6, "bg_window_percent": 100 * oc["bg_window"],
           "broken_splits": broken["boxes"] > broken["letters"], "touching_merges": touching["boxes"] < touching["letters"],
           "indels": m["errors"] - m["substitutions"],
           "network_errors_only": m["boxes_found"] >= cfg.all_found and m["errors"] == m["substitutions"],
           "serif_i_as_z": bool(m["confusions"]) and m["confusions"][0][:2] == ["I", "Z"],
           "text_rows": {name: text_rows(p["truth"], p["marked"], p["text"]) for name, p in pages.items()},
           "stems": {name: name.split(".")[0] for name in pages}}
    if all("cnn" in p for p in pages.values()):
        perfect = sum(p["cnn"]["errors"] == 0 for p in pages.values())
        out.update(cnn_text_rows={name: text_rows(p["truth"], p["cnn"]["marked"], p["cnn"]["text"])
                                  for name, p in pages.items()},
                   cnn_perfect_pages=perfect, pages=len(pages), cnn_imperfect_pages=len(pages) - perfect)
    return Result({"findings": out})


SECTION = Section(id="q4", title="Q4 Extracting text from images", template="q4.md.j2", parts=(
    Part("read", run_reading, ReadConfig,
         smoke={"images": ("03_haiku.jpg", "04_deep.jpg"), "ocr": ocr.OcrConfig(max_pixels=1.0e6),
                "stats_samples": 100},
         data=("images", nist36_file("train"), nist36_file("test")), reads=("q3.train", "q6_1.nist_cnn")),
    Part("figures", draw, DrawConfig, reads=("read",)),
    Part("findings", findings, FindingsConfig, reads=("read",)),
))

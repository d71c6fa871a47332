"""The Gradescope hand-in of HW5: <id>.pdf, <id>.zip (the handout's code files and the project's source) and
<id>-pages.json (the pages that answer each question, for Gradescope's page assignment).

The zip unpacks to `python/` as the handout lays it out: put it beside `data/` and `images/`, and each
`run_q*.py` runs its question from there with the project's code, printing its numbers.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from reportkit.bundle import bundle
from submission.launch import HANDOUT_FILES

# Every package pyproject.toml lists, so that `pip install python/hw5report` works from the zip alone.
SOURCE = ("hw5", "experiments", "reportkit", "submission", "templates", "report.py", "pyproject.toml", "README.md",
          "Makefile")
QUESTIONS = ("q2", "q3", "q4", "q5", "q6_1", "q6_2")
RUN_SCRIPT = '''"""HW5 {label}: runs this question's parts as the writeup did, from python/ beside data/ and
images/, and prints its numbers (results are cached in python/build/, so a second run is quick).{leaves}

    python run_{sid}.py [--device cuda] [--profile smoke] [--data DIR]
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "hw5report"))

from report import main  # noqa: E402
from submission.launch import run_question  # noqa: E402

raise SystemExit(run_question("{sid}", sys.argv, __file__, main))
'''
Q4_DOC = """HW5 Q4: findLetters and the OCR helpers, in one file (numpy, scipy and scikit-image only).

findLetters(image) -> (bboxes, bw): boxes [minr, minc, maxr, maxc] in reading order and bw, ink 0 on paper 1.
recognise(image, classify) -> (lines of text, layout), with classify mapping (N, 1024) rows to (N, 36)
probabilities. Generated from the project's hw5/ocr/ package (hw5report/hw5/ocr/)."""
README = """HW5 "Neural Networks for Recognition": the code behind {pdf}

Unpack beside the course's data/ and images/ folders (the handout's layout), then, from python/ (a copy of
it or a symlink to it beside data/ works too; elsewhere, pass --data DIR, the folder that holds data/):

    python run_q2.py      # Q2: the numpy network on run_q2's toy problem, gradient check
    python run_q3.py      # Q3: NIST36 training, learning rates, confusion matrix; writes q3_weights.pickle
                          #     (the handout's file: Wlayer1, blayer1, Woutput, boutput) for run_q4.py
    python run_q4.py      # Q4: OCR of the four pages (trains Q3 and the Q6.1 CNN if not cached)
    python run_q5.py      # Q5: the autoencoder, its improved training, PCA
    python run_q6_1.py    # Q6.1: PyTorch on NIST36, CIFAR-10, SUN-8 (pass --device cuda on a GPU)
    python run_q6_2.py    # Q6.2: SqueezeNet fine-tuning on Flowers-17 (needs weights/ beside data/)

Files:
    python/nn.py          the Q2 functions (numpy only); the same file as hw5report/hw5/nn.py
    python/q4.py          findLetters and the OCR helpers in one file (numpy, scipy, scikit-image)
    python/run_q*.py      each runs its question through the project and prints its numbers
    python/hw5report/     the project the writeup was built from (git {git}): hw5/ the library,
                          experiments/ the questions, reportkit/ the report builder, report.py its command
                          line (README.md there says more; `pip install -e python/hw5report` installs what it
                          needs: numpy, scipy, scikit-image, matplotlib, torch 2.13, ...)
"""


def q4_source(root: Path) -> str:
    """q4.py: findLetters, recognise and what they reach in hw5.ocr and hw5.data, as one module."""
    from hw5.ocr import findLetters, glyph_stats, read_image, recognise

    return bundle(root, ("hw5",), [findLetters, recognise, read_image, glyph_stats], Q4_DOC)


def write_zip(root: Path, dest: Path, pdf_name: str, git: str) -> list[str]:
    """Write the code zip atomically; returns the names it holds."""
    files = {"README.txt": README.format(pdf=pdf_name, git=git), "python/nn.py": (root / "hw5" / "nn.py").read_text(),
             "python/q4.py": q4_source(root)}
    for sid in QUESTIONS:                                            # q6_1 -> run_q6_1.py, "Q6.1"
        leaves = "".join(f"\nIt leaves {name} beside it, for the handout's later scripts."
                         for name in HANDOUT_FILES.get(sid, ()))
        files[f"python/run_{sid}.py"] = RUN_SCRIPT.format(sid=sid, label=sid.upper().replace("_", "."),
                                                          leaves=leaves)
    for name in SOURCE:
        path = root / name
        for f in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())):
            if "__pycache__" not in f.parts and f.suffix != ".pyc":
                files[f"python/hw5report/{f.relative_to(root)}"] = f.read_bytes()
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))    # the same bytes every time
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
                z.writestr(info, data)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return list(files)

"""The published site in a real browser (Debian's headless Chromium), and the PDF's fonts."""
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
         "--no-first-run", "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]


def chromium(args, profile, timeout=60):
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_site_is_self_contained(smoke_build):
    site = smoke_build[0] / "build" / "site"
    page = (site / "index.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page), "a request would leave the page"
    assert "<script" not in page
    for src in re.findall(r'<img src="([^"]+)"', page):
        assert (site / src).is_file(), src
    assert page.count('<svg class="math"') > 20


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it)")
def test_site_renders_in_headless_chromium(smoke_build, tmp_path):
    site = smoke_build[0] / "build" / "site"
    url = (site / "index.html").as_uri()
    shot = tmp_path / "shot.png"
    run = chromium([f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars", url], tmp_path / "p1")
    assert shot.is_file(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 20, "the screenshot is blank"
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "ERR_FILE_NOT_FOUND" in line]
    assert console == [], console
    dom = chromium(["--dump-dom", url], tmp_path / "p2").stdout
    assert "Q1 Theory" in dom and '<svg class="math"' in dom
    assert len(re.findall(r'<img src="figures/', dom)) >= 4


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdf_fonts_are_embedded(smoke_build):
    listing = subprocess.run(["pdffonts", str(smoke_build[0] / "build" / "report.pdf")], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for line in listing:
        assert line.split()[-5] == "yes", line           # the 'emb' column

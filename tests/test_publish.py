"""The published site in a real browser (Playwright driving Debian's chromium): self-contained, no console
errors, no horizontal scrolling on a phone, a contents click lands on its heading; and the PDF's fonts."""
import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_site_is_self_contained(smoke_build):
    site = smoke_build[0] / "build" / "site"
    page = (site / "index.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page), "a request would leave the page"
    assert page.count("<script>") == 1 and "EventSource" not in page     # the contents marker; no reload
    assert page.count("<script") == 2 and '<script type="application/json" id="sources">' in page   # its data
    for ref in re.findall(r'(?:src|href)="((?:figures/)[^"]+|report\.pdf)"', page):
        assert (site / ref).is_file(), ref
    assert page.count('<svg class="math"') > 20 and 'class="anchor"' in page and 'class="zoom"' in page


def test_publish_into_a_folder_of_the_user_keeps_their_files(smoke_build, fixture_root, tmp_path, capsys):
    from conftest import run_main

    out, www = tmp_path / "out", tmp_path / "www"
    shutil.copytree(smoke_build[0] / "build" / "cache", out / "build" / "cache")
    (www / "figures").mkdir(parents=True)
    (www / "figures" / "holiday.jpg").write_text("the user's photo")
    (www / "notes.txt").write_text("the user's notes")
    args = ["--all", "--profile", "smoke", "--data", str(fixture_root), "--out", str(out), "--publish", str(www)]
    assert run_main(args)[0] == 0
    assert (www / "figures" / "holiday.jpg").read_text() == "the user's photo"
    assert (www / "notes.txt").read_text() == "the user's notes" and (www / "index.html").is_file()
    (www / "index.html").write_text("the user's own page")              # now a file publish did not write
    capsys.readouterr()
    assert run_main(args)[0] == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "index.html was not written by this tool" in err
    assert (www / "index.html").read_text() == "the user's own page"


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_site_in_a_real_browser(smoke_build, browser, tmp_path, width, height):
    site = smoke_build[0] / "build" / "site"
    page = browser.new_page(viewport={"width": width, "height": height})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file://") else None)
    page.goto((site / "index.html").as_uri())
    page.screenshot(path=str(tmp_path / f"top-{width}.png"))
    assert errors == [] and requests == []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow} px of horizontal scrolling at {width} px"
    contents = "#toc" if width > 1000 else "nav.toc-phone"           # the sidebar, or on a phone a folded block
    if width <= 1000:
        page.locator("nav.toc-phone summary").click()               # that one tap opens
    link = page.locator(f"{contents} a[href^='#q3']").first
    target = link.get_attribute("href")[1:]
    link.click()
    page.wait_for_timeout(300)
    top = page.evaluate(f"document.getElementById({target!r}).getBoundingClientRect().top")
    assert -2 <= top <= 60, top                                       # the heading is at the top of the window
    if width > 1000:                                                  # the sidebar marks where the reader is
        assert page.locator("#toc a.current").first.get_attribute("href") == f"#{target}"
    page.screenshot(path=str(tmp_path / f"q3-{width}.png"))
    figure = page.locator("a.zoom").first
    assert figure.get_attribute("href").startswith("figures/")
    page.close()


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdf_fonts_are_embedded(smoke_build):
    listing = subprocess.run(["pdffonts", str(smoke_build[0] / "build" / "report.pdf")], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for line in listing:
        assert line.split()[-5] == "yes", line           # the 'emb' column

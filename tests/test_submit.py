"""The Gradescope hand-in: the code zip (nn.py and q4.py import from the unzipped folder with numpy, scipy and
scikit-image only, and pass the handout's checks), the page map read from the laid-out PDF, and the refusals."""
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest

import report
from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def unzipped(tmp_path_factory):
    from submission import write_zip

    dest = tmp_path_factory.mktemp("zip")
    names = write_zip(ROOT, dest / "abc.zip", "abc.pdf", "0123456789")
    with zipfile.ZipFile(dest / "abc.zip") as z:
        z.extractall(dest / "unzipped")
    return dest, names


def test_the_zip_holds_the_handout_files_and_the_source_but_no_data(unzipped):
    dest, names = unzipped
    for name in ["README.txt", "python/nn.py", "python/q4.py"] + [f"python/run_{q}.py" for q in
                                                                   ("q2", "q3", "q4", "q5", "q6_1", "q6_2")]:
        assert name in names, name
    assert "python/hw5report/report.py" in names and "python/hw5report/hw5/ocr/detect.py" in names
    assert not [n for n in names if n.endswith((".mat", ".jpg", ".pt", ".npz", ".png", ".pyc")) or "/build/" in n]
    assert 50_000 < (dest / "abc.zip").stat().st_size < 1_000_000                      # a few hundred KiB
    assert (dest / "unzipped" / "python" / "nn.py").read_text() == (ROOT / "hw5" / "nn.py").read_text()


def run_isolated(folder, code):
    """Run code with only `folder` importable from the project's side: no hw5, no reportkit, no torch."""
    guard = ("import sys\nclass Block:\n    def find_spec(self, name, *a):\n"
             "        if name.split('.')[0] in ('hw5', 'reportkit', 'experiments', 'torch'):\n"
             "            raise ImportError('not allowed: ' + name)\nsys.meta_path.insert(0, Block())\n")
    return subprocess.run([sys.executable, "-I", "-c", guard + textwrap.dedent(code)], cwd=folder,
                          capture_output=True, text=True, timeout=120)


def test_nn_py_passes_the_run_q2_checks_from_the_unzipped_folder(unzipped):
    run = run_isolated(unzipped[0] / "unzipped" / "python", """
        import sys; sys.path.insert(0, ".")
        import numpy as np
        import nn
        rng = np.random.default_rng(0)
        means, covs = [(3.6, 40), (3.9, 10), (3.4, 30), (2.0, 10)], [(0.05, 10), (0.01, 5), (0.25, 5), (0.5, 10)]
        x = np.concatenate([rng.multivariate_normal(m, np.diag(c), 10) for m, c in zip(means, covs)])
        y = np.repeat(np.eye(4), 10, axis=0)
        params = {}
        nn.initialize_weights(2, 25, params, "layer1", rng=rng)
        nn.initialize_weights(25, 4, params, "output", rng=rng)
        assert params["blayer1"].sum() + params["boutput"].sum() == 0
        assert 0.05 <= params["Wlayer1"].var() <= 0.12
        assert list(nn.sigmoid(np.array([-1000.0, 1000.0]))) == [0.0, 1.0]
        h = nn.forward(x, params, "layer1")
        probs = nn.softmax(nn.forward(h, params, "output", nn.linear))
        assert probs.shape == (40, 4) and (probs > 0).all() and np.allclose(probs.sum(1), 1)
        loss, acc = nn.compute_loss_and_acc(y, probs)
        assert abs(loss - 40 * np.log(4)) < 15 and (acc * 40).is_integer(), (loss, acc)   # run_q2: loss about 55
        delta = nn.backwards(probs - y, params, "output", nn.linear_deriv)
        dx = nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)
        assert dx.shape == x.shape and params["grad_Wlayer1"].shape == (2, 25) and params["grad_boutput"].shape == (4,)
        batches = nn.get_random_batches(x, y, 5)
        assert len(batches) == 8 and sum(len(b) for b, _ in batches) == 40
        def total():
            return nn.compute_loss_and_acc(y, nn.softmax(nn.forward(nn.forward(x, params, "layer1"), params,
                                                                     "output", nn.linear)))[0]
        numeric = nn.numerical_grad(total, params["Woutput"])
        assert nn.relative_error(params["grad_Woutput"], numeric).max() < 1e-4
        print("ok", round(loss, 1))
        """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok")


def test_q4_py_reads_a_page_with_numpy_scipy_and_skimage_only(unzipped, fixture_root):
    run = run_isolated(unzipped[0] / "unzipped" / "python", f"""
        import sys; sys.path.insert(0, ".")
        import q4
        image = q4.read_image({str(fixture_root / "images" / "04_deep.jpg")!r})
        boxes, bw = q4.findLetters(image)
        assert bw.shape == image.shape[:2] and set(map(float, __import__("numpy").unique(bw))) <= {{0.0, 1.0}}
        print(len(boxes))
        """)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == 41                                     # the fixture page's characters


def test_the_page_map_follows_the_headings_of_the_laid_out_pdf(smoke_build):
    from reportkit.pagemap import page_ranges

    out, _ = smoke_build
    sections = report.project().sections
    pages = page_ranges(out / "build" / "pages.json", {s.title.split(" ")[0]: s.title for s in sections})
    assert list(pages) == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6.1", "Q6.2"]
    flat = [p for ps in pages.values() for p in ps]
    assert flat == list(range(flat[0], flat[-1] + 1)) and flat[0] >= 2       # after the title page and contents
    layout = json.loads((out / "build" / "pages.json").read_text())
    text = subprocess.run(["pdftotext", "-f", str(pages["Q3"][0]), "-l", str(pages["Q3"][0]),
                           str(out / "build" / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Q3 Training models" in text and flat[-1] < layout["pages"]        # the appendix follows Q6.2


@pytest.mark.parametrize("args, message", [
    (["--profile", "smoke", "--andrew-id", "abc"], "a smoke build cannot be submitted"),
    ([], "no Andrew ID"),
    (["--andrew-id", "abc"], "is not built"),
], ids=["smoke", "no-andrew-id", "not-built"])
def test_submit_refuses_in_one_line(tmp_path, fixture_root, capsys, args, message):
    code = report.main(["submit", "--data", str(fixture_root), "--out", str(tmp_path), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and err.count("\n") == 0, err
    assert not (tmp_path / "build" / "submission").exists()

"""The Gradescope hand-in: the code zip (nn.py and q4.py import from the unzipped folder with numpy, scipy and
scikit-image only, and pass the handout's checks; run_q3.py leaves the handout's q3_weights.pickle, which a
handout-style run_q4.py reads the pages with; the run scripts find data/ through a symlinked python/; the unpacked
project builds and runs in a fresh virtual environment), the page map read from the laid-out PDF, and the refusals."""
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import report
from conftest import ROOT
from experiments.q4_ocr import GROUND_TRUTH
from hw5.ocr import score

HANDOUT = ROOT / "tests" / "handout"          # scripts written from the handout's description

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


def run_script(folder, *args, python=sys.executable):
    """python args... from folder, as a shell runs it there ($PWD names the folder as the user reached it)."""
    return subprocess.run([str(python), *map(str, args)], cwd=folder, env={**os.environ, "PWD": str(folder)},
                          capture_output=True, text=True, timeout=300)


def course_folder(folder, fixture_root):
    """folder with the course's data/ and images/ (the fixture's), as the handout lays them out."""
    for name in ("data", "images"):
        (folder / name).symlink_to(fixture_root / name, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def course(unzipped, fixture_root, tmp_path_factory):
    """The zip unpacked beside data/ and images/, and `python run_q3.py --profile smoke` run in python/:
    (python folder, the run)."""
    folder = course_folder(tmp_path_factory.mktemp("course"), fixture_root)
    with zipfile.ZipFile(unzipped[0] / "abc.zip") as z:
        z.extractall(folder)
    return folder / "python", run_script(folder / "python", "run_q3.py", "--profile", "smoke")


def printed(run, name):
    """The value `report.py run` printed for a metric (q3.train test_accuracy 0.935185  (5 seeds: ...))."""
    return next(line.split()[2] for line in run.stdout.splitlines() if line.split()[:2] == name.split())


def test_run_q3_leaves_the_handout_pickle_beside_it(course):
    python, run = course
    assert run.returncode == 0, run.stderr
    assert f"wrote {python / 'q3_weights.pickle'}" in run.stderr
    with open(python / "q3_weights.pickle", "rb") as f:
        params = pickle.load(f)
    assert {k: v.shape for k, v in params.items()} == {"Wlayer1": (1024, 64), "blayer1": (64,),
                                                       "Woutput": (64, 36), "boutput": (36,)}
    assert not [p for p in python.iterdir() if p.name.endswith(".tmp")]


def test_the_pickle_gives_the_writeups_q3_accuracy_through_the_zips_nn_py(course):
    """As the handout's run_q4.py applies the network: forward(x, params, 'layer1'), then forward(h, params,
    'output', softmax), here on the test rows as the .mat file holds them (../data, numpy and scipy only)."""
    python, run = course
    check = run_isolated(python, """
        import sys; sys.path.insert(0, ".")
        import pickle
        import numpy as np
        from scipy.io import loadmat
        from nn import forward, softmax
        params = pickle.load(open("q3_weights.pickle", "rb"))
        test = loadmat("../data/nist36_test.mat")
        h = forward(test["test_data"], params, "layer1")
        probs = forward(h, params, "output", softmax)
        print(f"{np.mean(probs.argmax(1) == test['test_labels'].argmax(1)):.6g}")
        """)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == printed(run, "q3.train test_accuracy")
    assert float(check.stdout) > 0.5                                 # chance is 1/36


def test_a_handout_style_run_q4_reads_the_four_pages_with_the_pickle(course):
    python, _ = course
    read = run_isolated(python, f"""
        import runpy
        runpy.run_path({str(HANDOUT / "run_q4.py")!r}, run_name="__main__")
        """)
    assert read.returncode == 0, read.stderr
    pages = {}
    for line in read.stdout.splitlines():
        if line.startswith("== "):
            pages[line[3:-3]] = []
        else:
            pages[list(pages)[-1]].append(line)
    assert list(pages) == list(GROUND_TRUTH)
    edits = [score.page_edits(pages[name], truth) for name, truth in GROUND_TRUTH.items()]
    assert [len(pages[name]) for name in pages] == [len(t) for t in GROUND_TRUTH.values()]
    assert 1 - sum(e for e, _ in edits) / sum(n for _, n in edits) > 0.5, pages    # the smoke network, fixture glyphs


def test_a_corrupted_pickle_is_replaced_by_the_next_run(course):
    python, first = course
    (python / "q3_weights.pickle").write_bytes(b"\x80\x05 truncated")
    again = run_script(python, "run_q3.py", "--profile", "smoke")
    assert again.returncode == 0, again.stderr
    assert "cached" in again.stderr.splitlines()[0]                  # the network is not trained again
    with open(python / "q3_weights.pickle", "rb") as f:
        assert set(pickle.load(f)) == {"Wlayer1", "blayer1", "Woutput", "boutput"}
    [cached] = (python / "build" / "build" / "cache" / "parts" / "q3" / "train").glob("*/q3_weights.pickle")
    cached.write_bytes(b"garbage")                                   # the cache's copy: the part reruns
    rebuilt = run_script(python, "run_q3.py", "--profile", "smoke")
    assert rebuilt.returncode == 0 and "q3_weights.pickle was altered" in rebuilt.stderr, rebuilt.stderr
    def metrics(run):
        return [line for line in run.stdout.splitlines() if "seconds" not in line]
    assert metrics(rebuilt) == metrics(first)                        # the numbers alone, and the same ones
    assert (python / "q3_weights.pickle").read_bytes() == cached.read_bytes() != b"garbage"


def test_the_run_scripts_find_data_through_a_symlinked_python_folder(unzipped, fixture_root, tmp_path):
    real = unzipped[0] / "unzipped" / "python"                     # nothing beside it
    lost = run_script(real, "run_q2.py", "--profile", "smoke")
    assert lost.returncode == 2 and lost.stderr.count("\n") == 1, lost.stderr
    assert lost.stderr.startswith("error: no data/ folder in ") and "--data DIR" in lost.stderr
    linked = course_folder(tmp_path, fixture_root) / "python"
    linked.symlink_to(real, target_is_directory=True)
    run = run_script(linked, "run_q2.py", "--profile", "smoke", "--out", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "q2.toy " in run.stdout


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


def test_the_unpacked_project_builds_as_a_package_and_runs_in_a_fresh_virtual_environment(unzipped, fixture_root,
                                                                                           tmp_path):
    """`pip wheel` of python/hw5report (its pyproject lists only packages the zip holds), installed offline into
    a new virtual environment, whose python then runs run_q2.py beside data/. The new environment sees this
    interpreter's packages (numpy, torch, ...) through a .pth file written after the install, so nothing is
    downloaded and hw5report itself comes from the zip alone."""
    import sysconfig

    (tmp_path / "course").mkdir()
    folder = course_folder(tmp_path / "course", fixture_root)
    with zipfile.ZipFile(unzipped[0] / "abc.zip") as z:
        z.extractall(folder)
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
                            "-q", "-w", str(wheels), str(folder / "python" / "hw5report")],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("hw5report-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert {"report.py", "hw5/nn.py", "experiments/q3_nist_mlp.py", "reportkit/pipeline.py",
                "submission/launch.py"} <= set(z.namelist())
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    python = tmp_path / "venv" / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    outer = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "outer-packages.pth").write_text("\n".join(outer) + "\n")
    where = subprocess.run([str(python), "-c", "import report, submission.launch; print(report.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0 and where.stdout.startswith(site), (where.stdout, where.stderr)
    run = run_script(folder / "python", "run_q2.py", "--profile", "smoke", python=python)
    assert run.returncode == 0, run.stderr
    assert "q2.toy " in run.stdout

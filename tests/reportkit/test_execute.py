"""reportkit.execute: a part run into a folder gives its manifest fields, or a BuildError naming what it
promised and did not write; on a worker, the files come back as bytes and the temporary folder goes."""
import dataclasses

import pytest

from reportkit.errors import BuildError
from reportkit.execute import Task, execute, execute_remote
from reportkit.section import Figure, Result


@dataclasses.dataclass(frozen=True)
class Config:
    width: int = 4


def draw(ctx):
    """A part that writes a figure and an artifact and reports a tuple (JSON makes it a list)."""
    ctx.path("plot.png").write_bytes(b"png " * ctx.config.width)
    ctx.path("weights.npz").write_bytes(b"w")
    return Result({"pair": (ctx.seed, ctx.config.width), "device": ctx.device},
                  [Figure("toy-plot", "plot.png", "A plot.")], {"weights": "weights.npz"})


def task(run=draw, **fields):
    return Task(**{"part": "q0.draw", "run": run, "config": Config(), "profile": "smoke", "seed": 7,
                   "device": "cpu", "data_root": None, "inputs": {}, **fields})


def test_execute_returns_json_metrics_figures_artifacts_and_seconds(tmp_path):
    fields = execute(task(), tmp_path)
    assert fields["metrics"] == {"pair": [7, 4], "device": "cpu"}
    assert fields["figures"] == [{"label": "toy-plot", "file": "plot.png", "caption": "A plot."}]
    assert fields["artifacts"] == {"weights": "weights.npz"} and fields["seconds"] >= 0
    assert (tmp_path / "plot.png").read_bytes() == b"png " * 4


def promises_unwritten(what):
    def run(ctx):
        figures = [Figure("lost", "lost.png", "never drawn")] if what == "figure" else []
        artifacts = {"model": "model.pt"} if what == "artifact" else {}
        return Result({}, figures, artifacts)
    return run


@pytest.mark.parametrize("what, message", [("figure", r"q0\.draw: figure lost file lost\.png was not written"),
                                           ("artifact", r"q0\.draw: artifact model file model\.pt was not written")])
def test_a_promised_file_that_was_not_written_is_a_build_error(tmp_path, what, message):
    with pytest.raises(BuildError, match=message):
        execute(task(promises_unwritten(what)), tmp_path)


def test_config_is_not_a_metric_name(tmp_path):
    with pytest.raises(BuildError, match=r"q0\.draw: 'config' is not a metric name"):
        execute(task(lambda ctx: Result({"config": 1})), tmp_path)


def test_a_metric_that_is_not_json_fails_at_run_not_at_render(tmp_path):
    with pytest.raises(TypeError, match="not JSON serializable"):
        execute(task(lambda ctx: Result({"classes": {1, 2}})), tmp_path)


def test_execute_remote_returns_the_files_as_bytes_and_leaves_no_folder(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))            # where its temporary folder goes
    fields, files, where = execute_remote(task())
    assert fields["metrics"] == {"pair": [7, 4], "device": "cpu"} and fields["artifacts"] == {"weights": "weights.npz"}
    assert files == {"plot.png": b"png " * 4, "weights.npz": b"w"}
    assert where and list(tmp_path.iterdir()) == []

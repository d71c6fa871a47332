"""Parts on Dask: a smoke build on a local cluster of two worker processes gives the same metrics as in-process,
a worker killed during a part is survived, an unreachable scheduler is a one-line error within seconds."""
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_main

pytestmark = pytest.mark.slow


def metrics_only(value):
    """results.json without what may differ between runs: build metadata and timings."""
    if isinstance(value, dict):
        return {k: metrics_only(v) for k, v in value.items()
                if k != "meta" and "seconds" not in k and k not in ("transfer_seconds", "pca_time_share")}
    if isinstance(value, list):
        return [metrics_only(v) for v in value]
    return value


# numpy parts (Q3's and Q5's trainings side by side in processes of their own here, one after the other in a
# daemonic Dask worker), a torch part with its BatchNorm convs
CLUSTER_TARGETS = ("q2", "q3.train", "q5.train", "q6_1.nist_fc", "q6_1.cifar")


def test_a_local_cluster_gives_the_same_metrics_as_one_process(smoke_build, fixture_root, tmp_path):
    """A numpy section, two numpy trainings and two torch parts on two workers (a whole smoke build there costs a
    minute more)."""
    targets = [arg for t in CLUSTER_TARGETS for arg in ("--section", t)]
    code, stdout = run_main([*targets, "--profile", "smoke", "--jobs", "2", "--no-pdf", "--data", str(fixture_root),
                             "--out", str(tmp_path)])
    assert code == 0, stdout
    assert "dask: 2 worker(s)" in stdout and re.search(r"^q6_1\.cifar\s+ran .* on \S+", stdout, re.M)
    ran_here = metrics_only(json.loads((smoke_build[0] / "build" / "results.json").read_text()))
    ran_there = metrics_only(json.loads((tmp_path / "build" / "results.json").read_text()))
    assert sorted(ran_there) == ["q2", "q3", "q5", "q6_1"] and "cifar" in ran_there["q6_1"] and "fc" in ran_there["q6_1"]
    for section, values in ran_there.items():
        here = ran_here[section]
        assert {k: v for k, v in values.items() if k != "config"} == {k: here[k] for k in values if k != "config"}
        assert values["config"] == {part: here["config"][part] for part in values["config"]}


def worker_processes(parent: int) -> list[int]:
    """The Dask worker processes a driver spawned (multiprocessing children)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_a_worker_killed_during_a_part_is_survived(tmp_path, fixture_root):
    cmd = [sys.executable, "-u", "report.py", "--section", "q2", "--jobs", "2", "--no-pdf", "--data",
           str(fixture_root), "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any("q2.toy  submitted" in line for line in seen):
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            pass
    time.sleep(1.0)                                  # q2.toy trains for seconds in the full profile
    killed = worker_processes(proc.pid)
    assert killed, "".join(seen)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    code = proc.wait(timeout=300)
    reader.join(timeout=30)
    proc.stdout.close()
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert code == 0, out
    assert re.search(r"^q2\.toy\s+ran", out, re.M) and re.search(r"^q2\.figures\s+ran", out, re.M)
    cache = tmp_path / "build" / "cache" / "parts" / "q2"
    assert not list(cache.rglob(".tmp-*")) and len(list(cache.glob("*/*/manifest.json"))) == 3   # toy, figures, findings


def test_a_scheduler_address_that_is_not_one_is_a_one_line_error(tmp_path, fixture_root, capsys):
    code, _ = run_main(["--section", "q1", "--profile", "smoke", "--scheduler", "notaurl", "--data",
                        str(fixture_root), "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "'notaurl'" in err and "tcp://" in err, err


def test_an_unreachable_scheduler_is_a_one_line_error_within_seconds(tmp_path, fixture_root, capsys):
    start = time.monotonic()
    code, _ = run_main(["--section", "q1", "--profile", "smoke", "--scheduler", "tcp://127.0.0.1:9", "--data",
                        str(fixture_root), "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "tcp://127.0.0.1:9" in err and "dask scheduler" in err
    assert time.monotonic() - start < 20

"""One build at a time per output folder: a second one says it waits, and runs after the first ends; the lock
dies with its holder, never with a process it forked; no link at the lock file is written through."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportkit.errors import BuildError
from reportkit.lock import output_lock

HOLD = """
import sys, time
from pathlib import Path
from reportkit.lock import output_lock
with output_lock(Path(sys.argv[1]), print):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_build_waits_for_the_first(tmp_path):
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "1.5"], stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "holding"
    said, start = [], time.monotonic()
    with output_lock(tmp_path, said.append):
        waited = time.monotonic() - start
    first.wait(timeout=30)
    first.stdout.close()
    assert waited > 0.5 and len(said) == 1
    assert said[0].startswith("waiting: another build is writing") and f"pid {first.pid}" in said[0]


def test_the_lock_is_free_again_after_a_build_and_after_a_crash(tmp_path):
    crashed = subprocess.run([sys.executable, "-c", HOLD.replace("time.sleep", "raise SystemExit; time.sleep"),
                              str(tmp_path), "0"], capture_output=True, text=True, timeout=30)
    assert crashed.returncode == 0
    said = []
    with output_lock(tmp_path, said.append):
        pass
    with output_lock(tmp_path, said.append):
        pass
    assert said == []


def refuse_to_wait(line):
    raise AssertionError(f"it waited: {line}")


def running(pid):
    """Whether process `pid` exists and is not a zombie (a killed orphan may wait unreaped for a while)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end(pids):
    """SIGKILL the processes a test started that are still running (by pid: none if the code under test works)."""
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


FORK_AND_DIE = """
import os, sys, time
from pathlib import Path
from reportkit.lock import output_lock
with output_lock(Path(sys.argv[1]), print):
    child = os.fork()
    if child == 0:
        time.sleep(600)
        os._exit(0)
    print(child, flush=True)
    os.kill(os.getpid(), 9)
"""


def test_a_fork_child_does_not_hold_the_lock(tmp_path):
    """The holder dies, its forked child lives on: the lock is free (it died with the holder)."""
    holder = subprocess.Popen([sys.executable, "-c", FORK_AND_DIE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        assert holder.wait(timeout=60) == -signal.SIGKILL and running(child)
        with output_lock(tmp_path, refuse_to_wait):
            pass
    finally:
        holder.stdout.close()
        end([child])


KILLED_WITH_WORKERS = """
import os, sys, time
from pathlib import Path
from hw5 import parallel
from reportkit.lock import output_lock

def job(folder):
    (Path(folder) / str(os.getpid())).touch()        # a worker says it runs
    time.sleep(600)

parallel.workers_for = lambda n: 2
with output_lock(Path(sys.argv[1]), print):
    parallel.map_jobs(job, [(sys.argv[2],), (sys.argv[2],)])
"""


def test_a_build_killed_while_its_workers_run_leaves_neither_lock_nor_workers(tmp_path):
    """kill -9 (or the OOM killer) of a build inside hw5.parallel.map_jobs: the next build does not wait, and the
    orphaned workers end."""
    (tmp_path / "workers").mkdir()
    build = subprocess.Popen([sys.executable, "-c", KILLED_WITH_WORKERS, str(tmp_path), str(tmp_path / "workers")])
    workers = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = [int(p.name) for p in (tmp_path / "workers").iterdir()]
        assert len(workers) == 2, "the workers did not start"
        build.kill()
        build.wait(timeout=60)
        with output_lock(tmp_path, refuse_to_wait):
            pass
        deadline = time.monotonic() + 60
        while any(map(running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(running, workers)), "orphaned workers outlived the build"
    finally:
        build.kill()
        end(workers)


def test_a_link_at_the_lock_file_is_refused_and_what_it_points_to_is_untouched(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not the build's")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / ".lock").symlink_to(outside)
    with pytest.raises(BuildError, match=r"\.lock is a link .*remove it") as error:
        with output_lock(tmp_path / "build", refuse_to_wait):
            pass
    assert "\n" not in str(error.value) and outside.read_text() == "not the build's"


def test_one_process_takes_a_folders_lock_once(tmp_path):
    """A second open and close of the lock file in the holding process would drop its lock: refused."""
    with output_lock(tmp_path, refuse_to_wait):
        with pytest.raises(RuntimeError, match="already holds"):
            with output_lock(tmp_path / ".." / tmp_path.name, refuse_to_wait):
                pass
    with output_lock(tmp_path, refuse_to_wait):                  # released: free again
        pass

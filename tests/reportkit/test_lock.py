"""One build at a time per output folder: a second one says it waits, and runs after the first ends."""
import subprocess
import sys
import time

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

"""hw5.parallel: jobs side by side in worker processes give what they give here, in order; never nested in a daemon."""
import multiprocessing

import numpy as np

from hw5 import autoencoder as ae
from hw5 import parallel
from hw5.parallel import map_jobs, workers_for


def noisy_sum(seed: int, n: int) -> float:
    """A job with its own generator, as the numpy parts pass them: its value depends on its arguments only."""
    return float(np.random.default_rng(seed).standard_normal(n).sum())


def test_map_jobs_gives_the_serial_results_in_order(monkeypatch):
    jobs = [(seed, 1000 + seed) for seed in range(7)]
    expected = [noisy_sum(*job) for job in jobs]
    monkeypatch.setattr(parallel, "workers_for", lambda n: min(n, 2))
    assert map_jobs(noisy_sum, jobs) == expected            # two spawned workers
    monkeypatch.setattr(parallel, "workers_for", lambda n: 1)
    assert map_jobs(noisy_sum, jobs) == expected            # here
    assert map_jobs(noisy_sum, []) == []


def report_workers(queue):
    queue.put(workers_for(4))


def test_a_daemonic_process_runs_its_jobs_itself():
    """Dask's and multiprocessing's workers are daemonic and may not start children: map_jobs runs inline there."""
    assert 1 <= workers_for(4) <= 4 and workers_for(1) == 1
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=report_workers, args=(queue,), daemon=True)
    child.start()
    assert queue.get(timeout=60) == 1
    child.join(60)


def test_q5_trainings_are_the_same_in_workers_and_here(monkeypatch):
    """The two autoencoder trainings, side by side or one after the other: the same weights, bit for bit."""
    x = np.random.default_rng(0).random((72, 1024), dtype=np.float32)
    dims = (1024, 8, 8, 8, 1024)
    handout, improved = ae.HandoutTraining(epochs=2), ae.ImprovedTraining(epochs=2)

    def run():
        jobs = [("handout", x, ae.init_handout(dims, np.random.default_rng(1)), handout, np.random.default_rng(2)),
                ("improved", x, ae.init_improved(dims, x.mean(0), np.random.default_rng(3)), improved,
                 np.random.default_rng(4))]
        return map_jobs(ae.train_job, jobs)

    monkeypatch.setattr(parallel, "workers_for", lambda n: min(n, 2))
    side_by_side = run()
    monkeypatch.setattr(parallel, "workers_for", lambda n: 1)
    here = run()
    for (p1, h1, adam1, _), (p2, h2, adam2, _) in zip(side_by_side, here):
        assert h1.train_loss == h2.train_loss
        assert all(np.array_equal(p1[k], p2[k]) for k in ae.KEYS)
        assert (adam1 is None) == (adam2 is None)

"""hw5.pytorch.schedules.one_cycle: warm-up to the peak, cosine to ~0, and the step count of one training."""
import pytest
import torch

from hw5.pytorch.schedules import one_cycle


def rates(epochs, n, batch, peak=0.4, warmup=0.25):
    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=peak, momentum=0.9)
    sched = one_cycle(opt, peak, epochs, n, batch, warmup)
    out = [opt.param_groups[0]["lr"]]
    for _ in range(sched.total_steps - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return sched, out


def test_one_cycle_warms_up_to_the_peak_then_anneals():
    sched, lrs = rates(epochs=2, n=100, batch=10)                       # 2 x 10 batches
    assert sched.total_steps == 20 and len(lrs) == 20
    assert lrs[0] == pytest.approx(0.4 / 25)                            # OneCycleLR starts at peak / 25
    assert lrs[4] == pytest.approx(0.4) and max(lrs) == pytest.approx(0.4)   # the peak after 25 % of 20 steps
    assert all(a < b for a, b in zip(lrs[:4], lrs[1:5]))
    assert all(a > b for a, b in zip(lrs[4:-1], lrs[5:]))
    assert lrs[-1] == pytest.approx(0.4 / 25 / 1e4)


def test_one_cycle_counts_a_partial_last_batch():
    sched, _ = rates(epochs=3, n=101, batch=10)
    assert sched.total_steps == 3 * 11


def test_one_cycle_has_at_least_eight_steps():
    sched, lrs = rates(epochs=1, n=3, batch=8)
    assert sched.total_steps == 8 and lrs[1] == pytest.approx(0.4)     # the peak at step 0.25 x 8 - 1 = 1

"""hw5.pytorch.train: devices, seeding, evaluation by hand, the fit loop (schedulers, augmentation), fit_best, probes."""
import math

import numpy as np
import pytest
import torch

from hw5.errors import ConfigError
from hw5.pytorch.models import ResNetSmall
from hw5.pytorch.train import (count_parameters, evaluate, fit, fit_best, linear_probe, nesterov_sgd,
                               pick_device, seed_everything)


def test_pick_device_accepts_the_cpu():
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name, message", [
    ("gpu7", "not a torch device"),
    ("meta", "only cpu and cuda"),
], ids=["unknown", "meta"])
def test_pick_device_rejects_other_devices(name, message):
    with pytest.raises(ConfigError, match=message):
        pick_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
@pytest.mark.parametrize("name", ["cuda", "cuda:1"])
def test_pick_device_without_a_gpu(name):
    with pytest.raises(ConfigError, match="no CUDA device is available here; use --device cpu"):
        pick_device(name)


def test_seed_everything_repeats_shuffles_and_weights():
    first = seed_everything(5)
    order, w = torch.randperm(10, generator=first), torch.nn.Linear(3, 2).weight.detach().clone()
    again = seed_everything(5)
    assert torch.equal(torch.randperm(10, generator=again), order)
    assert torch.equal(torch.nn.Linear(3, 2).weight, w)


def identity_classifier():
    layer = torch.nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.eye(2))
        layer.bias.zero_()
    return layer


def test_evaluate_by_hand():
    x = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0]])            # logits = x
    y = torch.tensor([0, 1, 0])
    loss, acc, preds = evaluate(identity_classifier(), x, y, "cpu", batch_size=2)
    expected = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1)) + math.log(1 + math.exp(2))) / 3
    assert loss == pytest.approx(expected, rel=1e-6) and acc == pytest.approx(2 / 3)
    assert preds.tolist() == [0, 1, 1] and isinstance(preds, np.ndarray)


def test_tiny_training_beats_chance():
    """4 classes = which quadrant of a 16x16 image is bright; 40 images, a few epochs of fit()."""
    rng = np.random.default_rng(0)
    y = np.arange(80) % 4
    x = rng.normal(0, 0.3, (80, 3, 16, 16)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, :, (c // 2) * 8:(c // 2) * 8 + 8, (c % 2) * 8:(c % 2) * 8 + 8] += 1.0
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    gen = seed_everything(0)
    model = ResNetSmall(4, (8, 16))
    hist = fit(model, (x[:40], y[:40]), (x[40:], y[40:]), epochs=6, batch_size=8, device="cpu", generator=gen,
               optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    assert hist.valid_acc[-1] >= 0.75                     # chance is 0.25
    assert hist.train_loss[-1] < hist.train_loss[0]


def toy(n=10):
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(0))
    return x, (x[:, 0] > 0).long()


@pytest.mark.parametrize("per_batch, steps", [(True, 6), (False, 2)], ids=["per-batch", "per-epoch"])
def test_fit_steps_the_scheduler_and_augments_every_batch(per_batch, steps):
    x, y = toy()
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 ** s)
    sizes = []

    def augment(xb):
        sizes.append(len(xb))
        return xb
    hist = fit(model, (x, y), (x, y), epochs=2, batch_size=4, optimizer=opt, device="cpu",
               generator=torch.Generator().manual_seed(0), scheduler=sched, step_scheduler_per_batch=per_batch,
               augment=augment)
    assert opt.param_groups[0]["lr"] == 0.5 ** steps
    assert sizes == [4, 4, 2] * 2                                       # 10 examples in batches of 4
    assert len(hist.train_loss) == len(hist.valid_acc) == len(hist.seconds) == 2
    assert hist.seconds[0] <= hist.seconds[1]


def test_fit_with_zero_rate_reports_the_models_own_scores():
    x, y = toy()
    model = identity_classifier()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    hist = fit(model, (x, y), (x, y), epochs=1, batch_size=3, optimizer=opt, device="cpu",
               generator=torch.Generator().manual_seed(0))
    loss, acc, _ = evaluate(model, x, y, "cpu")
    assert hist.train_loss[0] == pytest.approx(loss, rel=1e-6) and hist.valid_loss[0] == pytest.approx(loss)
    assert hist.train_acc[0] == hist.valid_acc[0] == acc == float(np.mean((x[:, 1] > x[:, 0]).long().numpy() == y.numpy()))


def test_fit_best_restores_the_best_validation_epoch():
    x, y = toy(40)
    xv, yv = toy(16)
    yv = 1 - yv                                                         # validation disagrees with training
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    model, hist = fit_best(model, (x, y), (xv, yv), epochs=5, show=False, desc="t", batch_size=8, device="cpu",
                           optimizer=torch.optim.SGD(model.parameters(), lr=0.5),
                           generator=torch.Generator().manual_seed(0))
    scores = [(a, -loss) for a, loss in zip(hist["valid_acc"], hist["valid_loss"])]
    assert hist["best_epoch"] == 1 + scores.index(max(scores)) and len(hist["seconds"]) == 5
    assert hist["best_epoch"] < 5                                       # the last weights are not the best ones
    loss, acc, _ = evaluate(model, xv, yv, "cpu")
    assert acc == hist["best_valid_acc"] and loss == pytest.approx(hist["valid_loss"][hist["best_epoch"] - 1])
    assert hist["best_train_acc"] == hist["train_acc"][hist["best_epoch"] - 1]


def test_linear_probe_separates_separable_features():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(30) % 3
    f = torch.randn(30, 5, generator=g) + 8 * torch.nn.functional.one_hot(y, 5).float()
    acc, pred = linear_probe(f[:15], y[:15], f[15:], y[15:], weight_decay=1e-4, steps=100, device="cpu")
    assert acc == 1.0 and pred.tolist() == y[15:].tolist()


def test_count_parameters_and_nesterov_sgd():
    layer = torch.nn.Linear(3, 2)
    assert count_parameters(layer) == 3 * 2 + 2
    opt = nesterov_sgd(layer, 0.1, 5e-4)
    group = opt.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"], group["weight_decay"]) == (0.1, 0.9, True, 5e-4)

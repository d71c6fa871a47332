"""One torch thread for every test of this folder."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second thread only waits; and if torch loaded before OMP_WAIT_POLICY=PASSIVE was set,
    a waiting OpenMP thread spins and steals the shared core from the one working."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

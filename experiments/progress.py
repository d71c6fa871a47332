"""Progress bars for training loops: tqdm on a terminal, silent in CI and tests."""
from tqdm import tqdm


def progress(iterable, enabled: bool, desc: str):
    """Wrap an iterable in a tqdm bar when enabled; callers update the postfix (loss, accuracy) themselves."""
    return tqdm(iterable, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)

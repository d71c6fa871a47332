"""Code listings: the named definitions, the file as the reader has it, and the call that ran."""
import pytest

from reportkit.errors import BuildError
from reportkit.listing import RUN_AS, listing_helper


def test_a_listing_ends_with_its_run_as_call_and_names_its_file(tmp_path):
    (tmp_path / "m.py").write_text("class Net:\n    def __init__(self, width=32):\n        pass\n")
    listing = listing_helper(tmp_path)
    text = listing("m.py", "Net", file="hw5report/m.py", run_as="Net(width=16)")
    assert "<code>hw5report/m.py</code>" in text
    assert text.index("class Net") < text.index(RUN_AS) < text.index("Net(width=16)")
    alone = listing("m.py", "Net", run_as="Net(width=16)", only_call=True)
    assert "class Net" not in alone and "Net(width=16)" in alone
    with pytest.raises(BuildError, match="run_as"):
        listing("m.py", "Net", only_call=True)

"""Sealed files: what a cache reuses carries its own digest, so truncation and edits are caught."""
import pytest

from reportkit.files import read_sealed, write_sealed


def test_a_sealed_file_reads_back_its_content(tmp_path):
    write_sealed(tmp_path / "f", b"%PDF-1.7 body\n\x00\xff")
    assert read_sealed(tmp_path / "f") == b"%PDF-1.7 body\n\x00\xff"
    assert not list(tmp_path.glob(".*"))                   # no temporary file left beside it


@pytest.mark.parametrize("damage", [
    lambda raw: raw[:-1],                                  # truncated
    lambda raw: raw.replace(b"body", b"BODY"),             # edited, same size
    lambda raw: raw.split(b"\n", 1)[1],                    # no seal (a file this tool did not write)
    lambda raw: b"",
], ids=["truncated", "edited", "unsealed", "empty"])
def test_a_damaged_sealed_file_reads_as_none(tmp_path, damage):
    write_sealed(tmp_path / "f", b"%PDF-1.7 body")
    (tmp_path / "f").write_bytes(damage((tmp_path / "f").read_bytes()))
    assert read_sealed(tmp_path / "f") is None


def test_a_missing_sealed_file_reads_as_none(tmp_path):
    assert read_sealed(tmp_path / "absent") is None

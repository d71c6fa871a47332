"""Sealed files: what a cache reuses carries its own digest, so truncation and edits are caught. JSON files: only
a regular file of bounded size, nesting and integer length is read, at once."""
import pytest

from conftest import fifo
from reportkit.files import read_json, read_sealed, write_sealed


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


@pytest.mark.parametrize("make, message", [
    (lambda p: fifo(p), "not a regular file"),
    (lambda p: p.symlink_to("/dev/zero"), "not a regular file"),
    (lambda p: p.mkdir(), "not a regular file"),
    (lambda p: p.write_text(" " * 65), "larger than 64 bytes"),
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested deeper than 64 levels"),
    (lambda p: p.write_text("[" * 65 + "]" * 65), "nested deeper than 64 levels"),
    (lambda p: p.write_text('{"v": -' + "9" * 101 + "}"), "an integer of 101 digits"),
    (lambda p: p.write_text('{"v": '), "not JSON"),
    (lambda p: p.write_bytes(b'{"v": "\xff"}'), "not UTF-8 text"),
], ids=["fifo", "dev-zero", "folder", "too-large", "100000-deep", "65-deep", "101-digit-integer", "truncated",
        "not-utf-8"])
def test_a_json_file_we_do_not_read_is_a_value_error_at_once(tmp_path, make, message):
    make(tmp_path / "f.json")
    with pytest.raises(ValueError, match=message):
        read_json(tmp_path / "f.json", limit=64 if "larger" in message else 2 ** 20)


def test_json_at_the_limits_is_read(tmp_path):
    (tmp_path / "f.json").write_text("[" * 64 + "-" + "9" * 100 + "]" * 64)
    value = read_json(tmp_path / "f.json")
    for _ in range(64):
        value = value[0]
    assert value == -int("9" * 100)

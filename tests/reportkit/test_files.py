"""Sealed files: what a cache reuses carries its own digest, so truncation and edits are caught. Atomic writes
replace a file, never write through a link, and write into no folder that is a link. Data digests follow links
as the loaders do. JSON files: only a regular file of bounded size, nesting and integer length is read, at once."""
import os

import pytest

from conftest import fifo
from reportkit.errors import BuildError
from reportkit.files import DigestMemo, copy_atomic, read_json, read_sealed, write_atomic, write_sealed


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


def class_folders(root, classes):
    """root/<class>/1.jpg and 2.jpg for each class, with contents that name them."""
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in (1, 2):
            (root / name / f"{i}.jpg").write_bytes(f"{name} {i}".encode())


def test_a_linked_class_folder_is_digested_like_a_copy_and_renaming_it_counts(tmp_path):
    class_folders(tmp_path / "copied" / "train", ["iris", "tulip"])
    class_folders(tmp_path / "elsewhere", ["iris"])
    class_folders(tmp_path / "linked" / "train", ["tulip"])
    (tmp_path / "linked" / "train" / "iris").symlink_to(tmp_path / "elsewhere" / "iris")      # as load_flowers reads
    (tmp_path / "elsewhere" / "iris" / "again").symlink_to(tmp_path / "elsewhere" / "iris")    # a cycle: not entered
    memo = DigestMemo(tmp_path / "memo.json")
    assert memo.digest(tmp_path / "linked") == memo.digest(tmp_path / "copied")
    (tmp_path / "linked" / "train" / "iris").rename(tmp_path / "linked" / "train" / "lily")
    assert memo.digest(tmp_path / "linked") != memo.digest(tmp_path / "copied")


def outside_file(tmp_path, name="outside.txt"):
    """A file that is not the build's, for links planted in the build's folders to point at."""
    outside = tmp_path / "elsewhere" / name
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes(b"not the build's")
    return outside


@pytest.mark.parametrize("write", [lambda path, src: write_atomic(path, src.read_bytes()),
                                   lambda path, src: copy_atomic(src, path)],
                         ids=["write_atomic", "copy_atomic"])
def test_a_link_at_the_file_or_its_old_temporary_name_is_replaced_never_written_through(tmp_path, write):
    (tmp_path / "new").write_bytes(b"new content")
    (tmp_path / "build").mkdir()
    path = tmp_path / "build" / "results.json"
    path.symlink_to(outside_file(tmp_path, "a"))
    path.with_name(f".{path.name}.{os.getpid()}.tmp").symlink_to(outside_file(tmp_path, "b"))   # the old temp name
    write(path, tmp_path / "new")
    assert not path.is_symlink() and path.read_bytes() == b"new content"
    assert [p.read_bytes() for p in (tmp_path / "elsewhere").iterdir()] == [b"not the build's"] * 2


def test_a_folder_that_is_a_link_is_refused_in_one_line(tmp_path):
    outside = outside_file(tmp_path)
    (tmp_path / "build").symlink_to(outside.parent)
    with pytest.raises(BuildError, match=r"build is a link .*remove it") as error:
        write_atomic(tmp_path / "build" / "outside.txt", b"new content")
    assert "\n" not in str(error.value)
    assert [p.name for p in outside.parent.iterdir()] == ["outside.txt"] and outside.read_bytes() == b"not the build's"


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

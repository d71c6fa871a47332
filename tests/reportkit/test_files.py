"""Sealed files: what a cache reuses carries its own digest, so truncation and edits are caught; data digests
follow links as the loaders do."""
import pytest

from reportkit.files import DigestMemo, read_sealed, write_sealed


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

"""hw5.ocr.score: edit distances and alignments, character accuracy of a page, error marks and confusions."""
import pytest

from hw5.ocr import score as ocr_score


@pytest.mark.parametrize("a, b, distance", [
    ("KITTEN", "SITTING", 3), ("", "ABC", 3), ("ABC", "", 3), ("ABC", "ABC", 0), ("AB", "BA", 2), ("FLAW", "LAWN", 2),
])
def test_levenshtein_known_values(a, b, distance):
    assert ocr_score.levenshtein(a, b) == distance
    assert ocr_score.levenshtein(b, a) == distance


def test_edit_table_borders_and_corner():
    d = ocr_score.edit_table("AB", "ACB")
    assert d.tolist() == [[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 1, 1]]


def test_align_marks_insertions_and_deletions():
    assert ocr_score.align("ACB", "AB") == [(0, 0), (1, None), (2, 1)]
    assert ocr_score.align("AB", "ACB") == [(0, 0), (None, 1), (1, 2)]
    assert ocr_score.align("AXB", "AYB") == [(0, 0), (1, 1), (2, 2)]


def test_normalise_text_keeps_ascii_letters_and_digits():
    assert ocr_score.normalise_text("1. Make a list!") == "1MAKEALIST"
    assert ocr_score.normalise_text("Zoë 2½") == "ZO2"


def test_char_accuracy_and_marks():
    truth = ["1. MAKE A LIST", "HI"]
    assert ocr_score.char_accuracy(["1 MAKE A LIST", "HI"], truth) == 1.0           # spaces, periods ignored
    assert ocr_score.char_accuracy(["I MAKE A LZST", "HI"], truth) == pytest.approx(1 - 2 / 12)
    assert ocr_score.char_accuracy(["1 MAKE A LIST"], truth) == pytest.approx(1 - 2 / 12)   # a missing line
    assert ocr_score.char_accuracy([], []) == 1.0 and ocr_score.char_accuracy(["XYZ"], ["A"]) == 0.0
    marks = ocr_score.mark_errors("HAZ US", "HAIKUS")                          # one wrong, one missing
    assert "".join(c for c, _ in marks).replace("·", "") == "HAZ US" and [ok for _, ok in marks].count(False) == 2
    assert ("·", False) in marks and ("H", True) in marks and ("S", True) in marks
    assert ocr_score.confusions(["HAZKUS"], ["HAIKUS"]) == {("I", "Z"): 1}


def test_mark_errors_by_hand():
    assert ocr_score.mark_errors("HZ KS", "HIKUS") == [                         # Z for I, U missing
        ("H", True), ("Z", False), (" ", True), ("K", True), ("·", False), ("S", True)]
    assert ocr_score.mark_errors("AB", "ABCD") == [("A", True), ("B", True), ("·", False), ("·", False)]
    assert ocr_score.mark_errors("A.B", "AB") == [("A", True), (".", True), ("B", True)]


def test_page_edits_counts_missing_and_extra_lines():
    assert ocr_score.page_edits(["AB", "CD"], ["AB"]) == (2, 2)                # an extra line: all inserted
    assert ocr_score.page_edits(["AB"], ["AB", "CDE"]) == (3, 5)               # a missing line: all deleted
    assert ocr_score.page_edits(["A B", "C-D"], ["AB", "CX"]) == (1, 4)


def test_confusions_count_substitutions_over_lines():
    counts = ocr_score.confusions(["0NE", "5AS", "extra"], ["ONE", "SAS"])
    assert counts == {("O", "0"): 1, ("S", "5"): 1}
    assert ocr_score.confusions(["O0"], ["00"]) == {("0", "O"): 1}

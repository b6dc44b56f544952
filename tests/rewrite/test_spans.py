"""The span editor: edits land at exact offsets and nothing else moves."""

from __future__ import annotations

import pytest

from dockmig import spans


def test_edits_apply_at_their_offsets_and_keep_everything_else() -> None:
    text = "a: 1\r\nb: 2\r\n"
    edits = [spans.Edit(3, 4, "10"), spans.Edit(9, 10, "20")]

    assert spans.apply(text, edits) == "a: 10\r\nb: 20\r\n"


def test_inserts_at_one_offset_follow_their_order() -> None:
    edits = [spans.Edit(2, 2, "second", order=1), spans.Edit(2, 2, "first")]

    assert spans.apply("ab", edits) == "abfirstsecond"


def test_an_insert_goes_before_a_replacement_starting_at_the_same_offset() -> None:
    edits = [spans.Edit(1, 2, "X"), spans.Edit(1, 1, "+")]

    assert spans.apply("abc", edits) == "a+Xc"


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(spans.OverlappingEdits):
        spans.apply("abcdef", [spans.Edit(1, 4, "x"), spans.Edit(3, 5, "y")])


def test_an_edit_past_the_end_is_refused() -> None:
    with pytest.raises(spans.OverlappingEdits):
        spans.apply("abc", [spans.Edit(2, 9, "x")])


def test_verified_raises_when_the_result_is_not_the_intended_data() -> None:
    def parse(text: str) -> list[str]:
        return text.split(",")

    with pytest.raises(spans.VerificationFailed, match="values differ"):
        spans.verified(
            "a,b",
            [spans.Edit(0, 1, "x")],
            parse,
            lambda data: ["y", *data[1:]],
            lambda want, got: spans.first_difference(want, got),
        )
    assert spans.verified("a,b", [spans.Edit(0, 1, "y")], parse, lambda d: ["y", "b"])


def test_first_difference_names_the_path_and_never_the_values() -> None:
    found = spans.first_difference(
        {"registry": {"password": "secret-one"}}, {"registry": {"password": "two"}}
    )

    assert found == "/registry/password: values differ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\r\nb\r\nc\n", "\r\n"), ("a\nb", "\n"), ("a\rb\r", "\r"), ("abc", "\n")],
)
def test_line_ending_is_the_one_the_file_uses_most(text: str, expected: str) -> None:
    assert spans.line_ending(text) == expected


def test_line_helpers_treat_crlf_as_one_break() -> None:
    text = "one\r\ntwo\r\nthree"

    assert spans.line_start(text, 7) == 5
    assert spans.line_end(text, 5) == 8
    assert spans.next_line(text, 5) == 10
    assert spans.previous_line(text, 10) == 5
    assert spans.previous_line(text, 0) == -1
    assert spans.line_number(text, 10) == 3
    assert spans.lines(text) == [(0, 3, 5), (5, 8, 10), (10, 15, 15)]


def test_line_index_turns_marks_back_into_offsets() -> None:
    text = "one\r\ntwo\nthree"
    index = spans.LineIndex(text)

    for offset in range(len(text)):
        line = spans.line_number(text, offset)
        column = spans.column_number(text, offset)
        assert index.offset(line, column) == offset

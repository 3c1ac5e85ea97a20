"""Aiken: the format trainers type in Word; every question read, or reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.formats import FormatError, import_bank

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def aiken(tmp_path, text: str):
    path = tmp_path / "quiz.txt"
    path.write_text(text, encoding="utf-8")
    content, reports = import_bank(path, "aiken")
    return content, reports, path


def test_the_sample_reads_both_letter_styles_and_several_answers():
    content, reports = import_bank(FIXTURES / "aiken-sample.txt", "aiken")
    q = content["questions"]
    assert [x["type"] for x in q] == ["single", "single", "multiple", "single"]
    assert q[0]["options"][1] == {"id": "b", "text": "The means (threat, force, deception, abuse of vulnerability)"}
    assert q[0]["key"] == "b"
    assert [o["text"] for o in q[1]["options"]] == ["Trafficking in persons", "Smuggling of migrants", "Both", "Neither"]
    assert q[2]["key"] == ["a", "b"]  # ANSWER: A, B
    assert q[3]["key"] == "c"  # no blank line before this question: its ANSWER line ended the one before
    assert all(x["objectives"] == ["O1"] for x in q)
    assert [r.level for r in reports] == ["todo"]


def test_a_question_text_on_several_lines_is_joined_and_reported(tmp_path):
    content, reports, _ = aiken(tmp_path, "Which is right?\nThink first.\nA. This\nB. That\nANSWER: A\n")
    assert content["questions"][0]["text"] == "Which is right?\nThink first."
    assert "Moodle would keep only the last one" in reports[0].message and reports[0].where == 1


def test_broken_questions_are_reported_with_their_line_and_the_rest_is_imported(tmp_path):
    text = ("A. A choice before any question\n"
            "Good one?\nA. Yes\nB. No\nANSWER: A\n\n"
            "No answer line?\nA. Yes\nB. No\n\n"
            "Next question starts here\nA. One\nB. Two\nANSWER: C\n\n"
            "Only one choice?\nA. Alone\nANSWER: A\n\n"
            "Twice?\nA. Yes\nA. No\nANSWER: A\n\n"
            "ANSWER: B\n"
            "Last one without choices\n")
    content, reports, path = aiken(tmp_path, text)
    assert [q["text"] for q in content["questions"]] == ["Good one?"]
    errors = [str(r).replace(f"{path}:", "") for r in reports if r.level == "error"]
    assert errors == [
        "1: not imported: the choice 'A. A choice before any question' comes before any question text",
        "7: question 'No answer line?': not imported: no 'ANSWER: X' line after its choices (the next question "
        "starts on line 11)",
        "14: question 'Next question starts here': not imported: ANSWER C is not among the choices (A, B)",
        "16: question 'Only one choice?': not imported: a question needs at least two choices 'A. …', 'B. …'",
        "22: question 'Twice?': not imported: the letter A is used twice",
        "25: not imported: an ANSWER line without a question before it",
        "26: question 'Last one without choices': not imported: no choices 'A. …' and no 'ANSWER: X' line "
        "(choices start with a capital letter and '.' or ')')",
    ]


def test_lower_case_letters_are_not_choices_and_the_message_says_how_to_write_them(tmp_path):
    path = tmp_path / "lower.txt"
    path.write_text("Which?\na) yes\nb) no\nANSWER: A\n", encoding="utf-8")
    with pytest.raises(FormatError) as e:
        import_bank(path, "aiken")
    assert "choices start with a capital letter and '.' or ')')" in str(e.value)


def test_a_file_that_is_not_aiken(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Just some notes\nwithout any questions\n", encoding="utf-8")
    with pytest.raises(FormatError) as e:
        import_bank(path, "aiken")
    assert "no choices" in str(e.value) and "no question could be imported" in str(e.value)


def test_empty_and_badly_encoded_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(FormatError, match=r"empty.txt:1: the file is empty"):
        import_bank(empty, "aiken")
    word = tmp_path / "word.txt"
    word.write_bytes("Caf\u00e9 question?\nA. Oui\nB. Non\nANSWER: A\n".encode("cp1252"))
    with pytest.raises(FormatError, match=r"word.txt:1: the file is not UTF-8 text \(byte 0xE9 in column 4"):
        import_bank(word, "aiken")


def test_windows_line_ends_tabs_and_non_breaking_spaces_from_word(tmp_path):
    path = tmp_path / "word.txt"
    path.write_bytes("Which?\r\nA.\tYes\r\nB.\u00a0No\r\nANSWER:\u00a0B\r\n".encode())
    content, _ = import_bank(path, "aiken")
    assert content["questions"][0]["options"] == [{"id": "a", "text": "Yes"}, {"id": "b", "text": "No"}]
    assert content["questions"][0]["key"] == "b"


def test_choices_typed_without_a_space_after_the_letter_are_read_as_moodle_reads_them():
    # Typed in Word: 'A)The …', 'B.Smuggling …', 'ANSWER:B'; Moodle's Aiken import accepts them (/^[A-Z][).][ \t]?/).
    content, reports = import_bank(FIXTURES / "aiken-typed-in-word.txt", "aiken")
    q = content["questions"]
    assert [[o["text"] for o in x["options"]] for x in q] == [
        ["The Prevention of Trafficking in Persons Act, 2018", "The Emigration Ordinance, 1979",
         "The Foreigners Act, 1946"],
        ["Trafficking in persons", "Smuggling of migrants", "Both"],
        ["The investigating officer", "The hotel owner", "The employer"]]
    assert [x["key"] for x in q] == ["a", "b", "a"]
    assert [r.level for r in reports] == ["todo"]


def test_moodles_error_cases_give_the_two_questions_moodle_gets(tmp_path):
    # The cases of Moodle's question/format/aiken/tests/fixtures/aiken_errors.txt, written again here.
    content, reports, path = aiken(tmp_path, "Too few answers\nA) Only one\nANSWER: A\n\nA) Before any question\n\n"
                                             "ANSWER: nothing\n\nGood one\nA) Right\nB) Wrong\nANSWER: A\n\n"
                                             "Started, not finished\nA) Right-ish\nB) Wrong-ish\n\nGood two\n"
                                             "A)Wrong (no space)\nB)Right (no space)\nANSWER: B")
    assert [(x["text"], x["key"]) for x in content["questions"]] == [("Good one", "a"), ("Good two", "b")]
    assert [(r.where, r.level) for r in reports if r.level == "error"] == [(1, "error"), (5, "error"), (7, "error"),
                                                                         (14, "error")]


def test_a_question_no_type_of_the_registry_takes_is_reported_with_its_line(tmp_path, monkeypatch):
    """`questions.aiken_reader` gives None when no type holds the choices and answer: the question is reported at
    its ANSWER line and the rest is imported (not a TypeError from unpacking None)."""
    from toolkit import questions

    kinds = questions._kinds()
    monkeypatch.setattr(questions, "_kinds", lambda: [k for k in kinds if k.name != "multiple"])
    content, reports, path = aiken(tmp_path, "One?\nA. Yes\nB. No\nANSWER: A\n\n"
                                             "Two?\nA. Yes\nB. No\nC. Maybe\nANSWER: A, C\n")
    assert [q["text"] for q in content["questions"]] == ["One?"]
    errors = [str(r) for r in reports if r.level == "error"]
    assert errors == [f"{path}:10: question 'Two?': not imported: no question type takes 3 choices with "
                      "ANSWER A, C"]

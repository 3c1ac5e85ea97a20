"""Loading a bank: valid ones load; every problem is reported at once, with its file and line."""

from __future__ import annotations

import textwrap

import pytest

from toolkit.bank import BankError, load_bank, load_banks

HEAD = """\
format: 1
id: t
title: A test bank
kind: test
objectives:
  - id: O1
    text: Understand TIP and SOM
questions:
"""


def write(tmp_path, body: str, head: str = HEAD, name: str = "bank.yaml"):
    path = tmp_path / name
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def problems(tmp_path, body: str, head: str = HEAD) -> list[str]:
    path = write(tmp_path, body, head)
    with pytest.raises(BankError) as e:
        load_bank(path)
    return [p.replace(f"{path}:", "") for p in e.value.problems]


def test_the_all_types_fixture_loads_with_every_type(all_types_bank):
    types = {q.type for q in all_types_bank.questions}
    assert types == {"single", "multiple", "truefalse", "classification", "ordering", "matching", "likert", "numeric", "open"}
    kiln = all_types_bank.question("kiln")
    assert [o.id for o in kiln.options] == ["tip", "som", "both", "neither"]
    assert kiln.option("som").feedback["en"].startswith("Nobody crossed")
    assert kiln.option("tip").text["ur"]  # presets are bilingual
    assert all_types_bank.question("confident").options[0].text["en"] == "Not at all confident"
    assert all_types_bank.question("age").key == {"value": 18.0, "tolerance": 0.0}
    assert all_types_bank.question("agencies").key == {"internal": "police", "smuggling": "fia"}
    assert not all_types_bank.question("comment").scored


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    found = problems(tmp_path, """\
      - id: q1
        type: singel
        text: What?
      - id: q1
        type: single
        objectives: [O9]
        text: Which one?
        options:
          - {id: a, text: A}
          - {id: b, text: B}
        key: c
      - id: q3
        type: truefalse
        objectives: [O1]
        text: {ur: "کیا"}
        key: maybe
    """)
    assert found == [
        "10: question 'q1': unknown type 'singel' (did you mean 'single'? use one of single, multiple, truefalse, "
        "classification, ordering, matching, likert, numeric, open, short, wordcloud)",
        "12: question 'q1': duplicate id (first used on line 9)",
        "14: question 'q1': objective 'O9' is not declared in the bank's objectives",
        "19: question 'q1': key 'c' is not among the options (a, b)",
        "23: question 'q3': 'text' has no English (en) text",
        "24: question 'q3': key must be true or false, not 'maybe'",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- {id: q, type: single, objectives: [O1], options: [{id: a, text: A}, {id: b, text: B}], key: a}\n",
         "9: question 'q': missing 'text' (English text is required)"),
        ("- {id: q, type: single, objectives: [O1], text: T, options: [{id: a, text: A}], key: a}\n",
         "9: question 'q': 'options' must be a list of at least 2 options"),
        ("- {id: q, type: multiple, objectives: [O1], text: T, options: [{id: a, text: A}, {id: a, text: B}], key: [a]}\n",
         "9: question 'q': duplicate option id 'a'"),
        ("- {id: q, type: single, objectives: [O1], text: T, options: [{id: a, text: A}, {id: b, text: B}]}\n",
         "9: question 'q': missing 'key' (the right answer)"),
        ("- {id: q, type: ordering, objectives: [O1], text: T, options: [{id: a, text: A}, {id: b, text: B}], key: [a]}\n",
         "9: question 'q': key must list every option id exactly once, in the right order (a, b)"),
        ("- {id: q, type: matching, objectives: [O1], text: T, items: [{id: x, text: X}, {id: y, text: Y}],"
         " options: [{id: a, text: A}, {id: b, text: B}], key: {x: a}}\n",
         "9: question 'q': key gives no match for item(s) y"),
        ("- {id: q, type: numeric, objectives: [O1], text: T, key: {value: ten}}\n",
         "9: question 'q': key value must be a number, not 'ten'"),
        ("- {id: q, type: likert, text: T, scale: agree7}\n",
         "9: question 'q': unknown scale 'agree7' (use agree5, confidence5, recommend10)"),
        ("- {id: q, type: open, text: T, key: anything}\n",
         "9: question 'q': a open question is not scored; remove its 'key'"),
        ("- {id: q, type: truefalse, text: T, key: true}\n",
         "9: question 'q': missing 'objectives' (the learning objectives it tests)"),
        ("- {id: q, type: truefalse, objectives: [O1], text: T, key: true, colour: red}\n",
         "9: question 'q': unknown field 'colour'"),
        ("- {id: q, type: truefalse, objectives: [O1], text: T, key: true, feedbak: X}\n",
         "9: question 'q': unknown field 'feedbak' (did you mean 'feedback'?)"),
        ("- {id: q, type: classification, objectives: [O1], text: T, options: tip-som, key: tip, option_feedback: {smuggling: X}}\n",
         "9: question 'q': option_feedback for 'smuggling', which is not an option (tip, som, both, neither)"),
        ("- {id: q, type: truefalse, objectives: [O1], text: {en: T, fr: Vrai}, key: true}\n",
         "9: question 'q': unknown language 'fr' in 'text' (use en, ur, ps, prs)"),
    ],
)
def test_each_problem_has_a_message_that_says_what_to_fix(tmp_path, body, expected):
    assert expected in problems(tmp_path, "  " + body)


@pytest.mark.parametrize(
    ("qtype", "rest"),
    [
        ("single", "options: [{id: a, text: A}, {id: b, text: B}]\n    key: a"),
        ("multiple", "options: [{id: a, text: A}, {id: b, text: B}]\n    key: [a]"),
        ("classification", "options: tip-som\n    key: tip"),
        ("ordering", "options: [{id: a, text: A}, {id: b, text: B}]\n    key: [a, b]"),
        ("matching", "items: [{id: x, text: X}]\n    options: [{id: a, text: A}, {id: b, text: B}]\n    key: {x: a}"),
        ("truefalse", "key: true"),
        ("numeric", "key: {value: 3}"),
        ("open", ""),
    ],
    ids=lambda v: v if v in ("single", "multiple", "classification", "ordering", "matching", "truefalse", "numeric", "open") else "",
)
def test_a_scale_on_a_question_that_has_none_is_refused_with_its_line(tmp_path, qtype, rest):
    body = f"  - id: q\n    type: {qtype}\n    objectives: [O1]\n    text: T\n    scale: agree5\n    {rest}\n"
    assert problems(tmp_path, body) == [f"13: question 'q': only a likert question has a 'scale' (this one is {qtype})"]


def test_bank_level_problems(tmp_path):
    head = "id: t\ntitle: T\nkind: quiz\nobjectives: []\nquestions:\n"
    found = problems(tmp_path, "  - {id: q, type: open, text: T}\n", head=head)
    assert "1: missing 'format' (this toolkit reads format 1)" in found
    assert "3: 'kind' must be one of test, check, survey, confidence, case-studies, not 'quiz'" in found
    assert "4: 'objectives' must list the learning objectives, each with an id and a text" in found


def test_a_newer_format_is_refused_by_name(tmp_path):
    found = problems(tmp_path, "  - {id: q, type: open, text: T}\n", head=HEAD.replace("format: 1", "format: 2"))
    assert found == ["1: format 2 is not supported (this toolkit reads format 1)"]


def test_broken_yaml_is_a_message_with_a_line_not_a_traceback(tmp_path):
    path = write(tmp_path, "  - id: q\n    text: [unclosed\n")
    with pytest.raises(BankError) as e:
        load_bank(path)
    assert e.value.problems[0].startswith(f"{path}:")
    assert "not valid YAML" in e.value.problems[0]


def test_a_key_given_twice_is_reported(tmp_path):
    found = problems(tmp_path, "  - id: q\n    id: r\n    type: open\n    text: T\n")
    assert "10: 'id' is given twice" in found


def test_text_that_is_not_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes((HEAD + "  - {id: q, type: open, text: 'caf\xe9'}\n").encode("latin-1"))
    with pytest.raises(BankError) as e:
        load_bank(path)
    assert e.value.problems == [f"{path}:9: the file is not UTF-8 text; save it as UTF-8"]


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(BankError, match="the file is empty"):
        load_bank(tmp_path / "empty.yaml")
    with pytest.raises(BankError, match="cannot read the file"):
        load_bank(tmp_path / "nowhere.yaml")


def test_missing_urdu_in_a_bilingual_bank_is_a_warning_not_an_error(tmp_path):
    head = HEAD.replace("kind: test", "kind: test\nlanguages: [en, ur]")
    bank = load_bank(write(tmp_path, "  - {id: q, type: open, text: {en: T, ur: ٹی}}\n  - {id: r, type: open, text: R}\n", head))
    assert len(bank.warnings) == 3  # the title, the objective and question r have no Urdu
    assert any(w.endswith(":11: question 'r': 'text' has no Urdu (ur) text") for w in bank.warnings)


def test_the_content_hash_ignores_layout_and_comments_but_not_words(tmp_path):
    a = load_bank(write(tmp_path, "  - {id: q, type: open, text: 'What do you think?'}\n", name="a.yaml"))
    b = load_bank(write(tmp_path, "  # a comment\n  - id: q\n    type: open\n    text: What do you think?\n", name="b.yaml"))
    c = load_bank(write(tmp_path, "  - {id: q, type: open, text: 'What do you believe?'}\n", name="c.yaml"))
    assert a.hash == b.hash
    assert a.hash != c.hash


def test_two_banks_with_one_id_are_reported(tmp_path):
    write(tmp_path, "  - {id: q, type: open, text: T}\n", name="a.yaml")
    write(tmp_path, "  - {id: q, type: open, text: T}\n", name="b.yaml")
    banks, found = load_banks([tmp_path])
    assert len(banks) == 2
    assert found == [f"{tmp_path / 'b.yaml'}:1: bank id 't' is also used by {tmp_path / 'a.yaml'}"]


def test_case_studies_are_validated_like_questions(tmp_path):
    head = HEAD.replace("kind: test", "kind: case-studies").replace("questions:\n", "case_studies:\n")
    body = """\
      - id: kiln
        title: Brick kiln
        objectives: [O1]
        scenario: A family took an advance…
        prompts:
          - {id: classification, type: classification, objectives: [O1], text: "TIP or SOM?", options: tip-som, key: tip}
          - {id: agency, type: single, objectives: [O1], text: "Who leads?", options: [{id: police, text: Police}, {id: fia, text: FIA}], key: army}
    """
    found = problems(tmp_path, body, head)
    assert found == [
        "9: case study 'kiln': missing 'debrief' (English text is required)",
        "15: case study 'kiln' prompt 'agency': key 'army' is not among the options (police, fia)",
    ]


def _laughs(levels: int) -> str:
    """A bank whose aliases nest: each level repeats the one before nine times (9**levels values in all)."""
    lines = [HEAD.replace("questions:\n", ""), 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_nested_aliases_are_refused_with_file_and_line_not_a_memory_error(tmp_path):
    # Run in a process of its own with its memory capped: a regression ends in a MemoryError there, not here.
    import resource
    import subprocess
    import sys

    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(9), encoding="utf-8")  # 387 million values once expanded

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1500 * 2**20, 1500 * 2**20))

    done = subprocess.run([sys.executable, "-m", "toolkit", "bank", "check", str(path)], capture_output=True,
                          text=True, preexec_fn=cap, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr
    assert f"{path}:9: the aliases (*name) of the block here repeat it until the bank holds more than 200000" \
        in done.stderr, done.stderr


def test_an_alias_to_the_block_that_holds_it_is_refused_with_its_line(tmp_path):
    assert problems(tmp_path, "", head=HEAD + "  - &loop [*loop]\n") == [
        "9: an alias (*name) inside the block here refers to the block itself, so the bank would never end; "
        "remove that alias"]


def test_a_few_aliases_are_still_fine(tmp_path):
    bank = load_bank(write(tmp_path, """\
      - id: q1
        type: single
        text: Which is TIP?
        objectives: [O1]
        options: &opts
          - {id: a, text: Forced labour}
          - {id: b, text: Paid to cross a border}
        key: a
      - id: q2
        type: single
        text: Which is SOM?
        objectives: [O1]
        options: *opts
        key: b
    """))
    assert [o.id for o in bank.question("q2").options] == ["a", "b"]

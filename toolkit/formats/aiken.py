"""Aiken, the simple format trainers type in Word or Notepad (import only):

    Which element is not needed to prove trafficking of a child?
    A. The act
    B. The means
    C. The purpose
    ANSWER: B

The question text comes first (Moodle wants one line; several lines are joined), then one choice per line: a capital
letter, '.' or ')', a space (or none, as typed in Word: `A)Correct`, `B.Wrong`; Moodle reads them too), the text;
then `ANSWER: X`. A question ends at its ANSWER line; blank lines between
questions are optional. As an extension, `ANSWER: A, C` makes a multiple-answer question. Aiken has no feedback,
names or categories: ids are made from the question text, options are a, b, c, … after their letters, and every
question gets the placeholder objective. Problems are reported with their line: a choice before any question,
a question without choices or without an ANSWER line, an answer letter that is not a choice.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import questions
from .common import ERROR, Draft, FormatError, Report, compact, read_text, short

CHOICE = re.compile(r"^([A-Z])[.)]\s*(\S.*)$")  # Moodle's /^[A-Z][).][ \t]?/: 'A)Correct' and 'B.Wrong' are choices
ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


class _Question:
    def __init__(self, line: int, text: str):
        self.line, self.text = line, [text]
        self.choices: list[tuple[str, str, int]] = []


def read(path: Path, draft: Draft, encoding: str | None = None) -> None:
    """Read an Aiken file into `draft`, reporting each question it cannot read, with its line."""
    text = read_text(path, draft.source, encoding)
    current: _Question | None = None
    found = 0

    def error(line: int, message: str, q: _Question | None = None) -> None:
        draft.report(line, f"not imported: {message}", short(" ".join(q.text), 50) if q else None, ERROR)

    for n, raw in enumerate(text.split("\n"), 1):
        s = raw.strip().replace("\u00a0", " ")
        if not s:
            continue
        answer, choice = ANSWER.match(s), CHOICE.match(s)
        if answer:
            if current is None:
                error(n, "an ANSWER line without a question before it")
                continue
            found += 1
            _finish(current, answer.group(1), n, draft, error)
            current = None
        elif choice:
            if current is None:
                error(n, f"the choice '{s[:40]}' comes before any question text")
                continue
            current.choices.append((choice.group(1), choice.group(2).strip(), n))
        else:
            if current is not None and current.choices:
                found += 1
                error(current.line, "no 'ANSWER: X' line after its choices (the next question starts on line "
                                    f"{n})", current)
                current = None
            if current is None:
                current = _Question(n, s)
            else:
                current.text.append(s)
    if current is not None:
        found += 1
        if current.choices:
            error(current.line, "no 'ANSWER: X' line after its choices (the file ends first)", current)
        else:
            error(current.line, "no choices 'A. …' and no 'ANSWER: X' line (choices start with a capital letter "
                                "and '.' or ')')", current)
    if not found:
        raise FormatError([Report(draft.source, 1, "no questions in this file (is it Aiken?)", level=ERROR)])


def _finish(q: _Question, answer: str, line: int, draft: Draft, error) -> None:
    if len(q.choices) < 2:
        hint = " (choices start with a capital letter and '.' or ')')" if not q.choices else ""
        error(q.line, f"a question needs at least two choices 'A. …', 'B. …'{hint}", q)
        return
    letters = [c[0] for c in q.choices]
    for i, (letter, _t, n) in enumerate(q.choices):
        if letter in letters[:i]:
            error(n, f"the letter {letter} is used twice", q)
            return
    wanted = [x for x in re.split(r"[\s,;]+", answer.strip().upper()) if x]
    if len(wanted) == 1 and len(wanted[0]) > 1 and wanted[0].isalpha():
        wanted = list(wanted[0])
    if not wanted:
        error(line, "the ANSWER line gives no letter", q)
        return
    missing = [w for w in wanted if w not in letters]
    if missing:
        error(line, f"ANSWER {', '.join(missing)} is not among the choices ({', '.join(letters)})", q)
        return
    options = [{"id": letter.lower(), "text": t} for letter, t, _n in q.choices]
    read = questions.aiken_reader(options, [w.lower() for w in wanted])
    if read is None:  # no question type of the registry takes these choices and this answer
        error(line, f"no question type takes {len(options)} choices with ANSWER {', '.join(wanted)}", q)
        return
    qtype, fields = read
    text = "\n".join(q.text)
    qid = draft.question_id(fallback_text=text, where=q.line)
    if len(q.text) > 1:
        draft.report(q.line, f"the question text spans {len(q.text)} lines; Moodle would keep only the last one",
                     qid)
    question = {"id": qid, "type": qtype, "objectives": [draft.placeholder()], "text": compact({"en": text}),
                **fields}
    draft.add(question, q.line)

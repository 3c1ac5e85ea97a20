"""Bring your own questions: import banks from GIFT, Aiken, Moodle XML, XLSForm and CSV; export them back.

    content, reports = import_bank("quiz.gift.txt", "gift")     # a bank as a plain dict, and what to check
    Path("quiz.yaml").write_text(dump_bank_yaml(content))      # passes `toolkit bank check`
    reports = export_bank(load_bank("quiz.yaml"), "moodle-xml", "quiz.xml")

Every report is `FILE:LINE: question 'id': message` (`FILE!sheet!B7: …` for workbooks), with a level: `error`
(broken, not imported), `skipped` (no place for it in the target), `changed` (kept, but not as it was), `todo`.
Files that cannot be read at all raise FormatError, whose `reports` say where and why.

| format       | import | export | types it holds |
|--------------|--------|--------|----------------|
| `gift`       | yes    | yes    | all but likert and wordcloud (ordering as matching to positions); English only |
| `aiken`      | yes    | no     | single (and multiple, with `ANSWER: A, C`) |
| `moodle-xml` | yes    | yes    | all but likert and wordcloud; English and Urdu (multilang spans) |
| `xlsform`    | yes    | yes    | forms hold no keys or feedback: exported for KoboToolbox/ODK (not short, wordcloud); imported unscored |
| `csv`        | yes    | yes    | every question type, English and Urdu |

Which types a format writes is each type's `exported_to` (toolkit.questions).
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

from .. import questions
from ..bank import Bank, load_bank
from .common import CHANGED, ERROR, LEVELS, SKIPPED, TODO, FormatError, Report, dump_bank_yaml

IMPORT_FORMATS = {"gift": "gift", "aiken": "aiken", "moodle-xml": "moodle_xml", "xlsform": "xlsform", "csv": "csvfmt"}
EXPORT_FORMATS = {"gift": "gift", "moodle-xml": "moodle_xml", "xlsform": "xlsform", "csv": "csvfmt"}

__all__ = ["CHANGED", "ERROR", "EXPORT_FORMATS", "IMPORT_FORMATS", "LEVELS", "SKIPPED", "TODO", "FormatError",
           "Report", "dump_bank_yaml", "export_bank", "import_bank"]


def import_bank(path: str | Path, fmt: str, *, bank_id: str | None = None, title: str | None = None,
                kind: str | None = None, objective_text: str | None = None,
                encoding: str | None = None) -> tuple[dict, list[Report]]:
    """Read a file in `fmt` into bank content (a plain dict that passes `toolkit bank check`) and its reports."""
    from .common import Draft

    if fmt not in IMPORT_FORMATS:
        raise ValueError(f"unknown format '{fmt}' (use {', '.join(IMPORT_FORMATS)})")
    path = Path(path)
    module = importlib.import_module(f".{IMPORT_FORMATS[fmt]}", __name__)
    draft = Draft(str(path), bank_id=bank_id, title=title, kind=kind, objective_text=objective_text)
    module.read(path, draft, encoding)
    stem = path.name.split(".")[0]
    content = draft.finish(stem, title=stem.replace("-", " ").replace("_", " ").strip().capitalize() or stem)
    return content, draft.reports


def export_bank(bank: Bank | str | Path, fmt: str, path: str | Path) -> list[Report]:
    """Write `bank` (or the bank file at that path) in `fmt`; returns what the format could not hold."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format '{fmt}' (use {', '.join(EXPORT_FORMATS)})")
    if not isinstance(bank, Bank):
        bank = load_bank(bank)
    module = importlib.import_module(f".{EXPORT_FORMATS[fmt]}", __name__)
    # a question of a type no writer of this format maps yet is left out, and said so, rather than mangled
    # (the writers read each question's raw content by its position: both lists lose the same places)
    keep = [fmt in questions.kind(q.type).exported_to for q in bank.questions]
    left_out = [q for q, kept in zip(bank.questions, keep, strict=True) if not kept]
    if left_out:
        raw = bank.content.get("questions") or []
        bank = dataclasses.replace(
            bank, questions=tuple(q for q, kept in zip(bank.questions, keep, strict=True) if kept),
            content={**bank.content, "questions": [r for r, kept in zip(raw, keep, strict=False) if kept]})
    said = [Report(bank.path or "<bank>", 1, f"not exported: {fmt} has no {q.type} question", q.id, SKIPPED)
            for q in left_out]
    return said + module.write(bank, Path(path))

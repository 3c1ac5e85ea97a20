"""`toolkit bank import` and `toolkit bank export`: thin wrappers of toolkit.formats.import_bank and export_bank."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .bank import KINDS

IMPORT_CHOICES = ["gift", "aiken", "moodle-xml", "xlsform", "csv"]
EXPORT_CHOICES = ["gift", "moodle-xml", "xlsform", "csv"]


def _print_reports(reports: list) -> None:
    for r in reports:
        click.echo(str(r), err=r.level == "error")


def _summary(reports: list) -> str:
    counts = {level: sum(1 for r in reports if r.level == level) for level in ("error", "skipped", "changed", "todo")}
    words = {"error": "not imported (broken)", "skipped": "left out", "changed": "changed", "todo": "to do"}
    return ", ".join(f"{n} {words[level]}" for level, n in counts.items() if n) or "nothing to report"


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "fmt", type=click.Choice(IMPORT_CHOICES), required=True, help="The format of FILE.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="The bank file to write (.yaml).")
@click.option("--id", "bank_id", default=None, help="The bank's id (default: from the file, or its name).")
@click.option("--title", default=None, help="The bank's title (default: from the file, or its name).")
@click.option("--kind", type=click.Choice([k for k in KINDS if k != "case-studies"]), default=None,
              help="The bank's kind (default: test, or survey when nothing is scored).")
@click.option("--objective-text", default=None,
              help="Text of the placeholder objective O1 given to questions without one.")
@click.option("--encoding", default=None, help="The file's encoding when it is not UTF-8, e.g. cp1252.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def bank_import(file: str, fmt: str, out: str, bank_id: str | None, title: str | None, kind: str | None,
                objective_text: str | None, encoding: str | None, force: bool) -> None:
    """Import questions from GIFT, Aiken, Moodle XML, XLSForm or CSV into a bank file.

    Prints what the bank cannot hold, per question, as FILE:LINE: message (FILE!sheet!B7 for workbooks),
    and what is left to do (e.g. assign learning objectives). The bank written passes `toolkit bank check`.
    Exits 0 when the bank was written, 1 when nothing could be imported.

    \b
    Example:
        toolkit bank import quiz.gift.txt --from gift --out question_banks/quiz.yaml
        toolkit bank import kobo-form.xlsx --from xlsform --out survey.yaml --kind survey
    """
    from .formats import FormatError, dump_bank_yaml, import_bank

    target = Path(out)
    if target.exists() and not force:
        raise click.ClickException(f"{out} exists; give --force to overwrite it.")
    try:
        content, reports = import_bank(file, fmt, bank_id=bank_id, title=title, kind=kind,
                                       objective_text=objective_text, encoding=encoding)
    except FormatError as e:
        _print_reports(e.reports)
        click.echo(f"Nothing imported from {file}.", err=True)
        sys.exit(1)
    _print_reports(reports)
    comment = f"Imported from {Path(file).name} ({fmt}) by toolkit bank import; check the notes it printed."
    try:
        target.write_text(dump_bank_yaml(content, comment), encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"cannot write {out} ({e.strerror})") from None
    click.echo(f"Wrote {out}: {len(content['questions'])} questions ({_summary(reports)}). "
               f"Next: toolkit bank check {out}")


@click.command("export")
@click.argument("bank_file", metavar="BANK", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "fmt", type=click.Choice(EXPORT_CHOICES), required=True, help="The format to write.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def bank_export(bank_file: str, fmt: str, out: str, force: bool) -> None:
    """Export a bank to GIFT or Moodle XML (for Moodle), XLSForm (for KoboToolbox and ODK) or CSV.

    Prints what the format cannot hold, per question, as BANK:LINE: message. GIFT and Moodle XML keep ids,
    objectives and option ids in comments, so that importing the file back gives the same bank.

    \b
    Example:
        toolkit bank export question_banks/prepost-form-a.yaml --to moodle-xml --out form-a.xml
        toolkit bank export question_banks/reaction-survey.yaml --to xlsform --out survey.xlsx
    """
    from .bank import BankError, load_bank
    from .formats import FormatError, export_bank

    if Path(out).exists() and not force:
        raise click.ClickException(f"{out} exists; give --force to overwrite it.")
    try:
        bank = load_bank(bank_file)
    except BankError as e:
        for p in e.problems:
            click.echo(p, err=True)
        sys.exit(1)
    try:
        reports = export_bank(bank, fmt, out)
    except FormatError as e:
        _print_reports(e.reports)
        sys.exit(1)
    _print_reports(reports)
    click.echo(f"Wrote {out} ({_summary(reports)}).")

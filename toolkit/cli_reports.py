"""The facilitator's commands: `toolkit report`, `toolkit export`, `toolkit certificates`, `toolkit verify-certificate`.

Each is a thin wrapper of a library function (toolkit.report, toolkit.export, toolkit.certificates); cli.py
registers them. `describe_series` prints what `toolkit demo --series` seeded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import open_store, store_options


def _scope_options(f):
    f = click.option("--workshop", "workshop", default=None,
                     help="A workshop's title (or part of it, or its id), or a series' name: all its sessions.")(f)
    return click.option("--session", "session", default=None, help="The session's join code (or its id).")(f)


def load_scope(store, session: str | None, workshop: str | None):
    """The results of one session, or of every session of the named workshop(s) or series."""
    from .lookup import find_session, find_workshops
    from .results import load_results
    from .store import StoreError

    if bool(session) == bool(workshop):
        raise click.UsageError("Name either a session (--session CODE) or a workshop or series (--workshop NAME).")
    try:
        if session:
            return load_results(store, session_ids=[find_session(store, session)["id"]])
        return load_results(store, workshop_ids=[w["id"] for w in find_workshops(store, workshop)])
    except StoreError as e:
        raise click.ClickException(str(e)) from None


@click.command()
@_scope_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@click.option("--title", default=None, help="The report's title (default: the workshop's or the series' name).")
@store_options
def report(session: str | None, workshop: str | None, out: str, title: str | None, data_dir: str | None,
           db_url: str | None) -> None:
    """Write a report to send to the organiser and the donor: one HTML file that opens offline.

    Participants by sex, organisation and rank; pre/post results with <g>, t- and delta-method intervals, the paired tests
    and d_z; objectives; questions to revise; results by group (small groups hidden); workshops of a series or
    sessions of a cohort compared; the reaction survey and confidence; the design's caveat.

    \b
    Example:
        toolkit report --session K7QX2M --out quetta-report.html --data ./quetta-2026-11
        toolkit report --workshop "Demo series 2026" --out series-report.html
    """
    from .analysis import AnalysisError
    from .report import analyse, headcount_sentence, render_report

    store = open_store(data_dir, db_url)
    try:
        results = load_scope(store, session, workshop)
        if results.answers.empty and results.survey.empty:
            raise click.ClickException("Nobody has answered anything in this session yet: there is nothing to report.")
        tables = analyse(results)
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(results, title, tables), encoding="utf-8")
    except AnalysisError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    g = tables["gain_summary"].set_index("statistic")
    click.echo(f"Wrote {path}: {headcount_sentence(tables['headcount_by_sex'])}; "
               f"{int(g.at['class_g', 'n'])} took both tests, <g> = {g.at['class_g', 'value']:.2f} "
               f"({g.at['class_g', 'band']}).")


@click.command("export")
@_scope_options
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="csv: the answers, one row per participant and question; xlsx: a workbook, one sheet per table "
                   "(default: from the file's extension).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--without-names", is_flag=True, help="Leave the participants' names out of the workbook.")
@store_options
def export_command(session: str | None, workshop: str | None, fmt: str | None, out: str, without_names: bool,
                   data_dir: str | None, db_url: str | None) -> None:
    """Export results: tidy long-format answers (CSV), or a workbook with one sheet per table (XLSX).

    The CSV never holds names or personal links; responses that are lists or true/false are written as JSON.

    \b
    Example:
        toolkit export --session K7QX2M --format csv --out quetta-answers.csv
        toolkit export --workshop "Demo series 2026" --format xlsx --out series.xlsx
    """
    from .export import FORMATS, export, tables

    fmt = fmt or Path(out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.UsageError("Say --format csv or --format xlsx (or name the file .csv or .xlsx).")
    store = open_store(data_dir, db_url)
    try:
        results = load_scope(store, session, workshop)
        path = export(results, fmt, out, names=not without_names)
    finally:
        store.close()
    if fmt == "csv":
        click.echo(f"Wrote {path}: {len(results.answers)} rows, one per participant and question.")
    else:
        click.echo(f"Wrote {path}: {len(tables(results, names=not without_names))} sheets.")


@click.command()
@_scope_options
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The folder for the PDFs.")
@click.option("--rule", default="submitted-post", show_default=True,
              help="Who completed: submitted-post (submitted a post-test) or attended-N (came to N or more sessions "
                   "of the workshop, e.g. attended-3).")
@store_options
def certificates(session: str | None, workshop: str | None, out: str, rule: str, data_dir: str | None,
                 db_url: str | None) -> None:
    """Make a PDF certificate of completion for each participant who met the rule, and a register (CSV).

    Each certificate has an id and a verification code made with a secret kept in the data folder
    (certificate-secret): keep it with the store; `toolkit verify-certificate` checks a certificate with it.
    Names in Urdu are shaped and written right to left.

    \b
    Example:
        toolkit certificates --session K7QX2M --out certificates/ --data ./quetta-2026-11
        toolkit certificates --workshop "Coaching series" --rule attended-3 --out certificates/
    """
    from .certificates import make_certificates, secret_path
    from .lookup import find_session, find_workshops
    from .store import StoreError

    if bool(session) == bool(workshop):
        raise click.UsageError("Name either a session (--session CODE) or a workshop (--workshop NAME).")
    store = open_store(data_dir, db_url)
    try:
        from .certificates import completed, data_dir_of

        folder = Path(data_dir) if data_dir else data_dir_of(store)
        if session:
            s = find_session(store, session)
            made = make_certificates(store, s["id"], out, rule, folder)
            met = completed(store, s["workshop_id"], rule, [s["id"]])
        else:
            made, met = [], []
            for w in find_workshops(store, workshop):
                made += make_certificates(store, None, Path(out), rule, folder, workshop_id=w["id"])
                met += completed(store, w["id"], rule)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    unnamed = len(met) - len(made)
    click.echo(f"Made {len(made)} certificates in {out} (rule: {rule}); the register is {Path(out) / 'certificates.csv'}.")
    if unnamed:
        click.echo(f"{unnamed} participant(s) met the rule but gave no name: no certificate for them.")
    click.echo(f"The codes are proved by {secret_path(folder)}: keep that file with the store.")


@click.command("verify-certificate")
@click.argument("certificate_id")
@click.argument("code")
@store_options
def verify_certificate(certificate_id: str, code: str, data_dir: str | None, db_url: str | None) -> None:
    """Check that a certificate id and its verification code were issued from this store.

    Exits 0 and names the holder and the workshop when they were; exits 1 otherwise.

    \b
    Example:
        toolkit verify-certificate TK-AB4K-IJMI-MLYX DXGC7-UV257 --data ./quetta-2026-11
    """
    from .certificates import data_dir_of, verify
    from .store import StoreError

    store = open_store(data_dir, db_url)
    try:
        found = verify(store, certificate_id, code, Path(data_dir) if data_dir else data_dir_of(store))
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    if found["valid"]:
        click.echo(f"Valid: certificate {found['certificate_id']} was issued to {found['name']} for "
                   f"{found['workshop']} ({', '.join(x for x in (found['place'], found['dates']) if x)}).")
        return
    click.echo(f"Not valid: {found['reason']}", err=True)
    sys.exit(1)


def describe_series(seeded: dict) -> str:
    """What `toolkit demo --series` prints after toolkit.demo.seed_series."""
    lines = ["Seeded demo data (invented: every title starts with \"Demo:\"):"]
    for w in seeded["workshops"]:
        lines.append(f"  {w['workshop']['title']} (session code {w['session']['join_code']})")
    cohort = seeded["cohort"]
    lines.append(f"  {cohort['workshop']['title']}: {len(cohort['sessions'])} coaching sessions")
    lines.append(f"Try: toolkit report --workshop \"{seeded['series']}\" --out series-report.html")
    return "\n".join(lines)


COMMANDS = (report, export_command, certificates, verify_certificate)

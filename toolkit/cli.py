"""The `toolkit` command. Each command is a thin wrapper of a library function."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit")
def main() -> None:
    """Run pre/post tests, case studies and questions from the room, offline, from the coach's laptop.

    \b
    Example:
        toolkit serve --demo
    """


@main.group()
def bank() -> None:
    """Check question banks.

    \b
    Example:
        toolkit bank check question_banks/
    """


@bank.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no summary per bank.")
def bank_check(paths: tuple[str, ...], quiet: bool) -> None:
    """Validate bank files (or every *.yaml in a folder); print every problem as FILE:LINE: message.

    Exits 0 when every bank is valid, 1 otherwise.

    \b
    Example:
        toolkit bank check question_banks/prepost-form-a.yaml
    """
    from .bank import bank_files, load_banks

    files = bank_files(list(paths))
    if not files:
        raise click.ClickException(f"No bank files (*.yaml) in {', '.join(paths)}.")
    banks, problems = load_banks(list(paths))
    for b in banks:
        for w in b.warnings:
            click.echo(f"{w} (warning)")
        if not quiet:
            n = len(b.questions) + sum(len(c.prompts) for c in b.case_studies)
            what = f"{len(b.case_studies)} case studies, " if b.case_studies else ""
            click.echo(f"ok  {b.path}: {b.id} ({what}{n} questions, hash {b.hash[:12]})")
    for p in problems:
        click.echo(p, err=True)
    if problems:
        click.echo(f"{len(files) - len(banks)} of {len(files)} bank files have problems.", err=True)
        sys.exit(1)


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="The data folder holding the store (default: ./toolkit-data).")
@click.option("--db", "db_url", default=None, help="A database URL instead of the SQLite file, e.g. postgresql://…")
def demo(data_dir: str | None, db_url: str | None) -> None:
    """Seed a demo workshop and session with an open pre-test, and print its join code.

    \b
    Example:
        toolkit demo --data ./toolkit-data
    """
    from .demo import seed_demo
    from .store import Store

    store = Store(db_url or config.sqlite_url(Path(data_dir) if data_dir else config.default_data_dir()))
    session = seed_demo(store)
    click.echo(f"Demo session '{session['title']}' is open; join code {session['join_code']}.")


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="The data folder holding the store (default: ./toolkit-data).")
@click.option("--db", "db_url", default=None, help="A database URL instead of the SQLite file, e.g. postgresql://…")
@click.option("--demo", "with_demo", is_flag=True, help="First seed a demo workshop so there is something to see.")
@click.option("--port", default=8866, show_default=True, help="Port of the participant app (phones).")
@click.option("--coach-port", default=8867, show_default=True, help="Port of the coach app (this laptop only).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address the participant app listens on.")
@click.option("--banks", "banks_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A folder of question banks (default: the banks shipped with the toolkit).")
def serve(data_dir: str | None, db_url: str | None, with_demo: bool, port: int, coach_port: int, host: str,
          banks_dir: str | None) -> None:
    """Start the participant app (for phones) and the coach app (this laptop), and print their addresses.

    Stop both with Ctrl+C. Answers are saved as they are given: stopping loses nothing.

    \b
    Example:
        toolkit serve --demo
        toolkit serve --data ./quetta-2026 --port 8866
    """
    from .serve import serve as run

    run(data_dir=Path(data_dir) if data_dir else config.default_data_dir(), db_url=db_url, demo=with_demo,
        port=port, coach_port=coach_port, host=host, banks_dir=Path(banks_dir) if banks_dir else None)


if __name__ == "__main__":  # pragma: no cover
    main()

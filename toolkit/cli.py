"""The `toolkit` command. Each command is a thin wrapper of a library function."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, config
from .cli_common import data_folder, data_option, open_store, store_options, store_url


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
    """Check, import and export question banks.

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
@store_options
@click.option("--series", is_flag=True,
              help="Seed the demo series instead: three past workshops and a coaching cohort, with answers, "
                   "for reports, exports, certificates and the explorer.")
def demo(data_dir: str | None, db_url: str | None, series: bool) -> None:
    """Seed a demo workshop and session with an open pre-test, and print its join code.

    With --series, seed invented past results instead (every title starts with "Demo:").

    \b
    Example:
        toolkit demo --data ./toolkit-data
        toolkit demo --series --data ./demo-series
    """
    from .demo import seed_demo

    store = open_store(data_dir, db_url)
    if series:
        from .cli_reports import describe_series
        from .demo import seed_series

        click.echo(describe_series(seed_series(store)))
        return
    session = seed_demo(store)
    click.echo(f"Demo session '{session['title']}' is open; join code {session['join_code']}.")


@main.command()
@store_options
@click.option("--demo", "with_demo", is_flag=True, help="First seed a demo workshop so there is something to see.")
@click.option("--port", default=8866, show_default=True, help="Port of the participant app (phones).")
@click.option("--coach-port", type=int, default=None,
              help="Port of the coach app  [default: the port after the participant servers' (8867)]")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address the participant app listens on.")
@click.option("--coach-host", default="127.0.0.1", show_default=True,
              help="Address the coach app listens on; 0.0.0.0 opens it to the network (always behind its secret).")
@click.option("--expect", default=25, show_default=True, type=click.IntRange(1, 500),
              help="How many participants you expect: that many kernels are kept warm (as memory allows).")
@click.option("--cull-after", default=300, show_default=True, type=click.IntRange(30, 86400),
              help="Seconds after which a kernel whose page is gone is shut down (one whose page never "
                   "connected: within a minute).")
@click.option("--banks", "banks_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="A folder of question banks (default: the banks shipped with the toolkit).")
@click.option("--server-name", "server_names", multiple=True, metavar="NAME",
              help="Another name phones (or a proxy in front) use for this laptop; the apps answer only to "
                   "their own names and addresses. Repeatable.")
@click.option("--no-fork", "no_fork", is_flag=True,
              help="Start every participant kernel from scratch instead of forking it from a preloaded process "
                   "(Linux), which costs each kernel a fraction of the memory and start-up time.")
@click.option("--participant-servers", default=1, show_default=True, type=click.IntRange(0, 64),
              help="How many participant servers to run (ports --port, --port+1, …), all on the one store: "
                   "put nginx in front (`toolkit nginx-config`). Use with --db postgresql://… 0: the coach "
                   "app only (the participant servers run elsewhere on the same --db).")
@click.option("--no-coach", "no_coach", is_flag=True,
              help="Run participant servers only: the coach app runs on another machine on the same --db.")
@click.option("--public-url", default=None, metavar="URL",
              help="The address phones open when a proxy is in front (e.g. http://quiz.office.local/); shown "
                   "on the coach's screen, and its name answered to.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A proxy (address or network) whose X-Real-IP / X-Forwarded-For names the phone; loopback "
                   "is always trusted. Repeatable.")
def serve(data_dir: str | None, db_url: str | None, with_demo: bool, port: int, coach_port: int | None, host: str,
          coach_host: str, expect: int, cull_after: int, banks_dir: str | None, server_names: tuple[str, ...],
          participant_servers: int, no_coach: bool, public_url: str | None,
          trusted_proxies: tuple[str, ...], no_fork: bool) -> None:
    """Start the participant app (for phones) and the coach app, and print their addresses.

    The coach address carries a secret (kept in the data folder). Stop both with Ctrl+C: answers are
    saved as they are given, so stopping loses nothing.

    \b
    Example:
        toolkit serve --demo
        toolkit serve --data ./quetta-2026 --expect 30
        toolkit serve --db postgresql://toolkit@db/toolkit --participant-servers 4 --host 127.0.0.1 \\
            --expect 200 --public-url http://quiz.office.local/
    """
    from .serve import serve as run

    run(data_dir=data_folder(data_dir), db_url=store_url(data_dir, db_url) if db_url else None, demo=with_demo,
        port=port, coach_port=coach_port, host=host, banks_dir=Path(banks_dir) if banks_dir else None,
        expect=expect, coach_host=coach_host, cull_after=cull_after, server_names=server_names,
        participant_servers=participant_servers, coach=not no_coach, public_url=public_url,
        trusted_proxies=trusted_proxies, fork=not no_fork)


@main.command("nginx-config")
@click.option("--participant-servers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="As given to `toolkit serve` (with --port and --host).")
@click.option("--port", default=8866, show_default=True, help="The first participant server's port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The participant servers' address.")
@click.option("--server", "servers", multiple=True, metavar="HOST:PORT",
              help="A participant server (instead of the three options above), e.g. on another machine. "
                   "Repeatable.")
@click.option("--listen", default="80", show_default=True, help="nginx's port (or ADDRESS:PORT).")
@click.option("--server-name", "server_names", multiple=True, metavar="NAME",
              help="The name phones open (give the participant servers the same --server-name). Repeatable.")
@click.option("--access-log", default="/var/log/nginx/toolkit.access.log", show_default=True,
              help="nginx's log of requests, with the server each went to.")
def nginx_config(participant_servers: int, port: int, host: str, servers: tuple[str, ...], listen: str,
                 server_names: tuple[str, ...], access_log: str) -> None:
    """Print an nginx configuration that puts the participant servers behind one address.

    A phone's page and its WebSockets go to the same server (its kernel lives there).

    \b
    Example:
        toolkit nginx-config --participant-servers 4 --server-name quiz.office.local \\
            > /etc/nginx/conf.d/toolkit.conf
    """
    from .proxy import nginx_config as config_text
    from .proxy import participant_servers as local_servers

    try:
        click.echo(config_text(list(servers) or local_servers(host, port, participant_servers), listen,
                               server_names, access_log), nl=False)
    except ValueError as e:
        raise click.ClickException(str(e)) from None


@main.command()
@store_options
@click.option("--port", default=8868, show_default=True, help="Port of the explorer.")
def explore(data_dir: str | None, db_url: str | None, port: int) -> None:
    """Serve the facilitator's explorer (results by workshop, session, sex, organisation and rank) on this
    laptop only, behind the same secret as the coach app, and print its address.

    \b
    Example:
        toolkit explore --data ./quetta-2026-11
        toolkit explore --db postgresql://office-server/toolkit
    """
    from .explore import explore as run

    run(data_folder(data_dir), store_url(data_dir, db_url), port=port)


@main.command()
@click.argument("address")
@click.option("--code", required=True, help="The join code of the session to rehearse (shown on the coach app).")
@click.option("--participants", "-n", default=25, show_default=True, type=click.IntRange(1, 200),
              help="How many participants to play.")
@click.option("--think", default=3.0, show_default=True, help="Seconds a participant thinks per question, on average.")
@click.option("--stagger", default=0.0, show_default=True, help="Seconds between one participant joining and the next.")
def rehearse(address: str, code: str, participants: int, think: float, stagger: float) -> None:
    """Play simulated participants against a running participant app, and print how the laptop held up.

    Each one joins, answers every question with a pause, and submits, speaking to the server exactly as a
    phone does. Use a rehearsal session: its answers are stored like any others.

    \b
    Example:
        toolkit rehearse http://127.0.0.1:8866/ --code K7QM4P --participants 30
    """
    from .rehearse import rehearse as run

    report = run(address, code, participants, think_s=think, stagger_s=stagger)
    for line in report.lines():
        click.echo(line)
    if report.failures:
        sys.exit(1)


# ------------------------------------------------------------------ bundles and backups


@main.group()
def bundle() -> None:
    """Carry a session from one store to another in one file (e.g. from each laptop to the office).

    \b
    Example:
        toolkit bundle export --session K7QX2M --out quetta-day1.bundle.json.gz
        toolkit bundle import quetta-day1.bundle.json.gz --db postgresql://office-server/toolkit
    """


_key_option = click.option("--key", "key_file", type=click.Path(dir_okay=False), default=None,
                           help="The office's bundle key file (default: bundle-key in the data folder, if there).")


def _bundle_key(key_file: str | None, data_dir: str | None):
    from .bundle_key import find_key
    from .store import StoreError

    try:
        return find_key(key_file, data_folder(data_dir))
    except StoreError as e:
        raise click.ClickException(str(e)) from None


@bundle.command("key")
@data_option
@click.option("--force", is_flag=True, help="Replace the key already there (every laptop then needs the new one).")
def bundle_key(data_dir: str | None, force: bool) -> None:
    """Make the office's bundle key: laptops that have a copy sign their bundles, and this store refuses any
    bundle not signed with it.

    Copy the file it writes (bundle-key) into the data folder of every laptop (or pass --key FILE to
    `toolkit bundle export` and `import`). Keep it like a password: whoever has it can sign a bundle.

    \b
    Example:
        toolkit bundle key --data ./office-store
        cp ./office-store/bundle-key /media/usb/    # then into each laptop's toolkit-data folder
    """
    from .bundle_key import key_id, make_key, read_key
    from .store import StoreError

    try:
        path = make_key(data_folder(data_dir), force=force)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wrote the bundle key {path} (key {key_id(read_key(path))}). Copy this file into the data folder "
               "of every laptop: the bundles they export are then signed, and a store with this key refuses a "
               "bundle that is not.")


@bundle.command("export")
@click.option("--session", "session", required=True, help="The session's join code (or its id).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The bundle file to write.")
@_key_option
@store_options
def bundle_export(session: str, out: str, key_file: str | None, data_dir: str | None, db_url: str | None) -> None:
    """Write one session, with its answers, people and the banks it used, to a bundle file.

    The bundle carries a digest of its content; with the office's bundle key (in the data folder, or --key) it is
    also signed, so the office can tell it was not edited on the way.

    \b
    Example:
        toolkit bundle export --session K7QX2M --out quetta-day1.bundle.json.gz --data ./quetta-2026-11
        toolkit bundle export --session K7QX2M --out day1.bundle.json.gz --key /media/usb/bundle-key
    """
    from .bundle import export_bundle
    from .store import StoreError

    key = _bundle_key(key_file, data_dir)
    store = open_store(data_dir, db_url)
    try:
        done = export_bundle(store, session, out, key=key)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    counts = done["counts"]
    click.echo(f"Wrote {done['path']}: session '{done['title']}' (code {done['join_code']}), "
               f"{counts['participants']} participants, {counts['answers']} answers, {len(done['counts'])} tables.")
    click.echo(f"  Signed with the office's bundle key (key {done['key_id']})." if done["key_id"] else
               "  With a digest, not signed: there is no bundle key here (copy the office's bundle-key file into "
               "the data folder, or pass --key).")


@bundle.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_key_option
@click.option("--unverified", is_flag=True,
              help="Import a bundle that carries no digest (made before digests) or, when a key is in use, no "
                   "signature. A bundle whose digest or signature does not match is refused all the same.")
@store_options
def bundle_import(file: str, key_file: str | None, unverified: bool, data_dir: str | None, db_url: str | None) -> None:
    """Merge a bundle into this store; importing the same bundle again adds nothing.

    A bundle edited after export is refused: its digest does not match; when this store has the office's bundle
    key (in the data folder, or --key), a bundle must also be signed with it. An open session whose join code an
    open session here already has gets a new code (printed).

    \b
    Example:
        toolkit bundle import quetta-day1.bundle.json.gz --db postgresql://office-server/toolkit
        toolkit bundle import quetta-day1.bundle.json.gz --data ./office-store
        toolkit bundle import old-day1.bundle.json.gz --data ./office-store --unverified
    """
    from .bundle import import_bundle, read_bundle
    from .store import StoreError

    key = _bundle_key(key_file, data_dir)
    try:
        read_bundle(file, key, unverified)  # a bad file is refused before the store is even opened
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    store = open_store(data_dir, db_url)
    try:
        done = import_bundle(store, file, key, unverified)
    except StoreError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    added = {k: v for k, v in done["added"].items() if v}
    what = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in added.items()) or "nothing new"
    click.echo(f"Imported session '{done['title']}': {what}.")
    click.echo(f"  Integrity: {done['checked']}.")
    for change in done["changed"]:
        click.echo(f"  {change}")
    if done["recoded_from"]:
        click.echo(f"  Join code {done['recoded_from']} is in use by another open session here: "
                   f"this session's code is now {done['join_code']}.")


@main.command()
@data_option
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="How many backups to keep (default 20); older ones are deleted.")
def backup(data_dir: str | None, keep: int | None) -> None:
    """Copy the store (safely, even while the apps are running) into the data folder's backups/.

    The store also backs itself up whenever an activity closes. README.md says how to restore one.

    \b
    Example:
        toolkit backup --data ./quetta-2026-11
    """
    from sqlalchemy.engine import make_url

    from .backup import KEEP, BackupError, backup_sqlite

    db = make_url(config.sqlite_url(data_folder(data_dir))).database
    try:
        copy = backup_sqlite(db, keep=keep or KEEP)
    except BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Backed up to {copy}")


def _attach_commands() -> None:
    """The commands defined in their own modules (they import this one for `main` and `bank`), all registered
    here, before `main()` can run: `toolkit`, `python -m toolkit` and `python -m toolkit.cli` offer the same."""
    from .cli_formats import bank_export, bank_import
    from .cli_reports import COMMANDS
    from .cli_roster import roster
    from .cli_workshop import workshop

    bank.add_command(bank_import)
    bank.add_command(bank_export)
    for command in (*COMMANDS, roster, workshop):
        main.add_command(command)


_attach_commands()

if __name__ == "__main__":  # pragma: no cover
    main()

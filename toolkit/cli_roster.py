"""`toolkit roster import|list|cards`: participants known before the workshop, and their cards."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click

from . import config
from .cli_common import open_store, store_options

_workshop_option = click.option("--workshop", "workshop", required=True,
                                help="The workshop's title (or part of it, or its id).")


def _one_workshop(store, name: str) -> dict:
    from .lookup import find_workshops
    from .store import StoreError

    try:
        found = find_workshops(store, name)
    except StoreError as e:
        raise click.ClickException(f"{e} Make it first: toolkit workshop create {name!r} --place PLACE --starts "
                                   "YYYY-MM-DD (toolkit workshop list shows those there are).") from None
    if len(found) > 1:
        listed = "\n".join(f"  {w['id']}  {w['title']}" for w in found)
        raise click.ClickException(f"{len(found)} workshops match {name!r}; name one by its full title or id:\n"
                                   f"{listed}")
    return found[0]


@click.group()
def roster() -> None:
    """Participants known before the workshop: a trainer's list, and a card with a personal code for each.

    \b
    Example:
        toolkit roster import participants.xlsx --workshop "Quetta, November 2026"
        toolkit roster cards --workshop "Quetta, November 2026" --out cards.pdf
    """


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@_workshop_option
@click.option("--sheet", default=None, help="The sheet of an .xlsx file (default: the first with a list of people "
                                            "under a header).")
@click.option("--yes", "-y", is_flag=True, help="Write without asking, once the preview shows no problem to fix.")
@store_options
def roster_import(file: str, workshop: str, sheet: str | None, yes: bool, data_dir: str | None,
                  db_url: str | None) -> None:
    """Add the people of a CSV or Excel list to a workshop, after a preview of what would change.

    The header row names the columns: name, sex, organisation, rank, and optionally contact (a phone number or
    an e-mail); the usual headings are understood ('Name of Participant', 'Sex (M/F)', 'Rank/Designation',
    'Deptt.', 'Mobile No.', and in Urdu). Sex is female, male or undisclosed (F and M are fine). The list may
    be as the organiser sent it: title rows above the header, a cover sheet, merged cells (filled down), a
    total row and a signature under the list; what is not a person, and every column not read (a CNIC is
    never stored), is listed in the preview. Problems are listed with their line or cell; nothing is written
    while one must be fixed. People already on the workshop's roster (same name and organisation) are not
    added again, so importing a corrected file twice is safe.

    \b
    Example:
        toolkit roster import participants.csv --workshop "Quetta, November 2026"
        toolkit roster import cohort.xlsx --sheet Women --workshop "Coaching series" --yes
    """
    from .roster import RosterError, preview, read_roster

    try:
        found = read_roster(file, sheet=sheet)
    except RosterError as e:
        raise click.ClickException(str(e)) from None
    store = open_store(data_dir, db_url)
    try:
        target = _one_workshop(store, workshop)
        new, _old, text = preview(found, store.roster(target["id"]))
        click.echo(f"Workshop: {target['title']}")
        click.echo(text)
        if found.blocking:
            click.echo("Nothing was written. Fix the file and run the command again.", err=True)
            sys.exit(1)
        if not new:
            click.echo("Nothing to add.")
            return
        if not yes and not click.confirm(f"Add {len(new)} people to {target['title']}?", default=True):
            click.echo("Nothing was written.")
            return
        rows = store.add_rostered(target["id"], [
            dict(name=p.name, sex=p.sex, organisation=p.organisation, rank=p.rank, contact=p.contact) for p in new])
    finally:
        store.close()
    click.echo(f"Added {len(rows)} people. Print their cards once the laptop's address at the venue is known: "
               f"toolkit roster cards --workshop {target['id']} --join-url http://ADDRESS:8866/ --out cards.pdf")


@roster.command("list")
@_workshop_option
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write a CSV file (for a mail merge) instead of printing a table.")
@click.option("--join-url", default=None, help="The participants' address, for the card links in the CSV.")
@store_options
def roster_list(workshop: str, out: str | None, join_url: str | None, data_dir: str | None,
                db_url: str | None) -> None:
    """The workshop's roster: each person's personal code, and whether their phone has claimed the card.

    \b
    Example:
        toolkit roster list --workshop "Quetta, November 2026"
        toolkit roster list --workshop "Quetta" --out roster-codes.csv --join-url http://192.168.1.20:8866/
    """
    from .cells import csv_row
    from .roster import card_address, format_code

    store = open_store(data_dir, db_url)
    try:
        target = _one_workshop(store, workshop)
        people = store.roster(target["id"])
    finally:
        store.close()
    if out:
        base = join_url or os.environ.get(config.ENV_JOIN_URL)
        with open(out, "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            writer.writerow(["name", "sex", "organisation", "rank", "contact", "code", "card address", "joined"])
            for p in people:
                writer.writerow(csv_row([p["display_name"], p["sex"] or "", p["organisation"] or "", p["rank"] or "",
                                         p["contact"] or "", format_code(p["personal_code"]),
                                         card_address(base, p["personal_code"]) if base else "",
                                         "yes" if p["consent_at"] else "no"]))
        click.echo(f"Wrote {out}: {len(people)} people.")
        return
    click.echo(f"{target['title']}: {len(people)} on the roster, "
               f"{sum(1 for p in people if p['consent_at'])} have joined with their card.")
    for p in people:
        detail = ", ".join(v for v in (p["sex"], p["rank"], p["organisation"], p["contact"]) if v)
        click.echo(f"  {format_code(p['personal_code'])}  {'joined ' if p['consent_at'] else 'not yet'}  "
                   f"{p['display_name']}" + (f" ({detail})" if detail else ""))


@roster.command("cards")
@_workshop_option
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option("--join-url", default=None,
              help="The participants' address that `toolkit serve` prints, e.g. http://192.168.1.20:8866/ "
                   "(default: $TOOLKIT_JOIN_URL).")
@store_options
def roster_cards(workshop: str, out: str, join_url: str | None, data_dir: str | None, db_url: str | None) -> None:
    """A PDF of cards to print and cut, eight to an A4 page: name, rank, organisation, code and QR code.

    A phone that scans a card's QR code (or opens the participants' address and types the code) joins the
    workshop's open session as that person, with one tap. Print the cards once the laptop's address for the
    workshop is known: the QR code holds it. The code printed on the card works on any address.

    \b
    Example:
        toolkit roster cards --workshop "Quetta, November 2026" --join-url http://192.168.1.20:8866/ --out cards.pdf
    """
    from .roster import render_cards

    base = join_url or os.environ.get(config.ENV_JOIN_URL)
    if not base:
        raise click.UsageError("Give --join-url: the participants' address that `toolkit serve` prints.")
    if not base.startswith(("http://", "https://")):
        raise click.UsageError(f"--join-url must start with http:// (got {base!r}).")
    store = open_store(data_dir, db_url)
    try:
        target = _one_workshop(store, workshop)
        people = store.roster(target["id"])
    finally:
        store.close()
    if not people:
        raise click.ClickException(f"{target['title']} has nobody on its roster yet: run `toolkit roster import` "
                                   "first.")
    Path(out).write_bytes(render_cards(target, people, base))
    pages = -(-len(people) // 8)
    click.echo(f"Wrote {out}: {len(people)} cards on {pages} page(s).")

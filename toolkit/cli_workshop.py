"""`toolkit workshop create|list`: the workshops a store holds, made before the day (a roster needs one)."""

from __future__ import annotations

from datetime import date, datetime

import click

from .cli_common import open_store, store_options

_DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def workshop() -> None:
    """Workshops: make one before the day (to import its roster), and list those the store holds.

    \b
    Example:
        toolkit workshop create "Quetta, November 2026" --place Quetta --starts 2026-11-10 --ends 2026-11-12
        toolkit workshop list
    """


@workshop.command("create")
@click.argument("title")
@click.option("--place", default=None, help="Where it is held (the results and reports group by place).")
@click.option("--starts", "starts_on", type=_DATE, default=None, help="The first day, YYYY-MM-DD.")
@click.option("--ends", "ends_on", type=_DATE, default=None, help="The last day, YYYY-MM-DD (default: --starts).")
@click.option("--organiser", default=None, help="Who organises it, e.g. the department that sent the nominations.")
@click.option("--series", "cohort", default=None,
              help="The series it belongs to (several workshops with one cohort), if any.")
@store_options
def workshop_create(title: str, place: str | None, starts_on: datetime | None, ends_on: datetime | None,
                    organiser: str | None, cohort: str | None, data_dir: str | None, db_url: str | None) -> None:
    """Make a workshop, e.g. to import its participant list before the day; prints its id.

    A title already in the store is refused: `--workshop TITLE` must name one workshop.

    \b
    Example:
        toolkit workshop create "Quetta, November 2026" --place Quetta --starts 2026-11-10 --ends 2026-11-12 \\
            --organiser "Home Department, Balochistan"
        toolkit roster import nominations.xlsx --workshop "Quetta, November 2026"
    """
    from .store import StoreError

    first: date | None = starts_on.date() if starts_on else None
    last: date | None = ends_on.date() if ends_on else first
    if first and last and last < first:
        raise click.UsageError(f"--ends {last} is before --starts {first}.")
    if last and not first:
        raise click.UsageError("Give --starts as well as --ends.")
    store = open_store(data_dir, db_url)
    try:
        same = [w for w in store.list_workshops() if w["title"].casefold() == title.strip().casefold()]
        if same:
            raise click.ClickException(f"A workshop called {same[0]['title']!r} is already in this store (id "
                                       f"{same[0]['id']}); give this one another title, e.g. with its dates.")
        try:
            row = store.add_workshop(title, place=place or None, starts_on=first, ends_on=last,
                                     organiser=organiser or None, cohort=cohort or None)
        except StoreError as e:
            raise click.ClickException(str(e)) from None
    finally:
        store.close()
    click.echo(f"Made the workshop {row['title']!r} (id {row['id']}). Next: toolkit roster import FILE.xlsx "
               f"--workshop {row['title']!r}")


def _days(w: dict) -> str:
    first, last = w["starts_on"], w["ends_on"]
    if not first:
        return "no dates"
    return str(first) if not last or last == first else f"{first} to {last}"


@workshop.command("list")
@store_options
def workshop_list(data_dir: str | None, db_url: str | None) -> None:
    """The workshops in the store, newest first: id, dates, title, place, organiser, series and roster size.

    \b
    Example:
        toolkit workshop list --data toolkit-data
    """
    store = open_store(data_dir, db_url)
    try:
        workshops = store.list_workshops()
        rostered = {w["id"]: len(store.roster(w["id"])) for w in workshops}
    finally:
        store.close()
    if not workshops:
        click.echo('No workshop yet. Make one: toolkit workshop create "TITLE" --place PLACE --starts YYYY-MM-DD')
        return
    click.echo(f"{len(workshops)} workshop(s):")
    for w in workshops:
        detail = ", ".join(v for v in (w["place"], _days(w), w["organiser"] and f"by {w['organiser']}",
                                       w["cohort"] and f"series {w['cohort']}") if v)
        click.echo(f"  {w['id']}  {w['title']} ({detail}); {rostered[w['id']]} on the roster")

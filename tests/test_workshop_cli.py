"""`toolkit workshop create|list`: a workshop made from the command line, so that its roster can be imported."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner

from toolkit.cli import main
from toolkit.store import Store


def _cli(args, data):
    return CliRunner().invoke(main, [*args, "--data", str(data)])


def test_a_workshop_made_on_the_command_line_is_listed_and_takes_a_roster(tmp_path):
    data = tmp_path / "data"
    result = _cli(["workshop", "list"], data)
    assert result.exit_code == 0 and "No workshop yet. Make one: toolkit workshop create" in result.output
    result = _cli(["workshop", "create", "Quetta, November 2026", "--place", "Quetta", "--starts", "2026-11-10",
                   "--ends", "2026-11-12", "--organiser", "Home Department, Balochistan"], data)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Made the workshop 'Quetta, November 2026' (id ")
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    [w] = store.list_workshops()
    store.close()
    assert (w["title"], w["place"], w["starts_on"], w["ends_on"], w["organiser"], w["cohort"]) == (
        "Quetta, November 2026", "Quetta", date(2026, 11, 10), date(2026, 11, 12), "Home Department, Balochistan",
        None)
    people = tmp_path / "people.csv"
    people.write_text("name,sex,organisation,rank\nAyesha Khan,F,FIA,Inspector\n", encoding="utf-8")
    result = _cli(["roster", "import", str(people), "--workshop", "Quetta", "--yes"], data)
    assert result.exit_code == 0 and "Added 1 people." in result.output
    result = _cli(["workshop", "create", "Lahore", "--starts", "2026-12-01", "--series", "Coaching 2026"], data)
    assert result.exit_code == 0, result.output
    result = _cli(["workshop", "list"], data)
    lines = result.output.splitlines()
    assert lines[0] == "2 workshop(s):"
    assert lines[1].endswith("Lahore (2026-12-01, series Coaching 2026); 0 on the roster")
    assert lines[2].endswith("Quetta, November 2026 (Quetta, 2026-11-10 to 2026-11-12, by Home Department, "
                             "Balochistan); 1 on the roster")
    assert lines[2].split()[0] == w["id"]


def test_a_title_twice_dates_backwards_and_a_bad_date_are_refused_and_nothing_is_made(tmp_path):
    data = tmp_path / "data"
    assert _cli(["workshop", "create", "Quetta"], data).exit_code == 0
    result = _cli(["workshop", "create", "quetta"], data)
    assert result.exit_code == 1 and "A workshop called 'Quetta' is already in this store (id " in result.output
    result = _cli(["workshop", "create", "Sibi", "--starts", "2026-11-12", "--ends", "2026-11-10"], data)
    assert result.exit_code == 2 and "--ends 2026-11-10 is before --starts 2026-11-12." in result.output
    result = _cli(["workshop", "create", "Sibi", "--starts", "12/11/2026"], data)
    assert result.exit_code == 2 and "'12/11/2026' does not match the format '%Y-%m-%d'" in result.output
    result = _cli(["workshop", "create", "  "], data)
    assert result.exit_code == 1 and "A workshop needs a title." in result.output
    store = Store(f"sqlite:///{data / 'toolkit.db'}")
    assert [w["title"] for w in store.list_workshops()] == ["Quetta"]
    store.close()


def test_the_roster_import_says_how_to_make_a_missing_workshop(tmp_path):
    data = tmp_path / "data"
    people = tmp_path / "people.csv"
    people.write_text("name,sex,organisation,rank\nAyesha Khan,F,FIA,Inspector\n", encoding="utf-8")
    result = _cli(["roster", "import", str(people), "--workshop", "Lahore"], data)
    assert result.exit_code == 1
    assert ("No workshop or series called 'Lahore' in this store. Make it first: toolkit workshop create 'Lahore' "
            "--place PLACE --starts YYYY-MM-DD (toolkit workshop list shows those there are).") in result.output

"""One rule for naming a session or a workshop on the command line, the same in every command."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from toolkit import config, schema
from toolkit.cli import main
from toolkit.errors import AmbiguousSession, NotFound
from toolkit.lookup import find_session, find_workshops
from toolkit.store import Store


def test_find_a_session_by_code_even_closed_and_workshops_by_title_or_series(series):
    sessions = series.list_sessions()
    closed = next(s for s in sessions if s["state"] == "closed")
    assert find_session(series, closed["join_code"].lower())["id"] == closed["id"]
    assert find_session(series, closed["id"])["id"] == closed["id"]
    with pytest.raises(NotFound):
        find_session(series, "ZZZZZZ")
    assert [w["place"] for w in find_workshops(series, "demo series 2026")] == ["Quetta", "Karachi", "Lahore"]
    assert [w["place"] for w in find_workshops(series, "Karachi")] == ["Karachi"]
    with pytest.raises(NotFound):
        find_workshops(series, "Peshawar")


@pytest.fixture
def two_sessions_one_code(tmp_path):
    """Day 1 (closed) and Day 2 (open) of one workshop that have had the same join code."""
    store = Store(config.sqlite_url(tmp_path))
    workshop = store.add_workshop("Quetta workshop", place="Quetta")
    day1 = store.add_session(workshop["id"], "Day 1")
    store.close_session(day1["id"])
    day2 = store.add_session(workshop["id"], "Day 2")
    with store.engine.begin() as c:
        c.execute(sa.update(schema.sessions).where(schema.sessions.c.id == day2["id"])
                  .values(join_code=day1["join_code"]))
    yield store, tmp_path, day1, day2
    store.close()


def test_a_code_several_sessions_had_is_refused_with_their_ids(two_sessions_one_code):
    store, _, day1, day2 = two_sessions_one_code
    with pytest.raises(AmbiguousSession) as e:
        find_session(store, day1["join_code"])
    assert day1["id"] in str(e.value) and day2["id"] in str(e.value) and "Pass the session id" in str(e.value)
    assert find_session(store, day2["id"])["title"] == "Day 2"


@pytest.mark.parametrize("command", [
    ["report", "--out", "{out}/r.html"],
    ["export", "--format", "csv", "--out", "{out}/a.csv"],
    ["certificates", "--out", "{out}/certs"],
    ["bundle", "export", "--out", "{out}/b.json.gz"],
])
def test_every_command_resolves_an_ambiguous_code_the_same_way(two_sessions_one_code, tmp_path, command):
    store, data, day1, day2 = two_sessions_one_code
    args = [a.format(out=tmp_path) for a in command] + ["--session", day1["join_code"], "--data", str(data)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "Several sessions have had the code" in result.output and day2["id"] in result.output, result.output

"""The coach's multi-step actions as store verbs (toolkit/store/workflows.py): each is one transaction, so a failure
half-way leaves nothing behind. Tested without widgets, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from toolkit import schema as t


class Injected(RuntimeError):
    pass


def counts(store) -> dict[str, int]:
    with store.read() as c:
        return {table.name: c.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                for table in (t.workshops, t.sessions, t.activities, t.banks, t.groups, t.group_members)}


def fail_on_call(monkeypatch, store, verb: str, n: int) -> None:
    """The store's `verb` raises on its n-th call (the earlier calls work)."""
    real, calls = getattr(store, verb), []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise Injected(f"{verb} failed on call {n}")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, verb, flaky)


def plan(all_types_bank, case_bank):
    case = case_bank.case_studies[0]
    return [dict(bank=all_types_bank, kind="pretest", title="Pre-test", time_limit_s=600),
            dict(bank=case_bank, kind="case_study", case_study_id=case.id, title="Case study"),
            dict(bank=all_types_bank, kind="posttest", title="Post-test", time_limit_s=600)]


def test_preparing_a_session_makes_its_workshop_session_and_activities_in_order(store, all_types_bank, case_bank):
    session = store.prepare_session("Day 1", plan(all_types_bank, case_bank),
                                    new_workshop=dict(title="Victim identification", place="Quetta"))
    assert store.find_workshop(session["workshop_id"])["place"] == "Quetta"
    assert store.find_session(session["id"])["state"] == "open"
    stored = store.list_activities(session["id"])
    assert [(a["kind"], a["title"], a["position"], a["state"]) for a in stored] == [
        ("pretest", "Pre-test", 0, "draft"), ("case_study", "Case study", 1, "draft"),
        ("posttest", "Post-test", 2, "draft")]
    assert [a["id"] for a in session["activities"]] == [a["id"] for a in stored]
    again = store.prepare_session("Day 2", plan(all_types_bank, case_bank)[:1], workshop_id=session["workshop_id"])
    assert [s["id"] for s in store.list_sessions(session["workshop_id"])] == [again["id"], session["id"]]


@pytest.mark.parametrize("verb,n", [("add_activity", 2), ("add_activity", 3), ("add_session", 1)])
def test_a_preparation_that_fails_half_way_leaves_nothing(store, all_types_bank, case_bank, monkeypatch, verb, n):
    before = counts(store)
    fail_on_call(monkeypatch, store, verb, n)
    with pytest.raises(Injected):
        store.prepare_session("Day 1", plan(all_types_bank, case_bank), new_workshop=dict(title="Half-built"))
    assert counts(store) == before
    assert store.list_workshops() == []
    monkeypatch.undo()  # the store works on after the failure
    session = store.prepare_session("Day 1", plan(all_types_bank, case_bank), new_workshop=dict(title="Whole"))
    assert len(store.list_activities(session["id"])) == 3


def test_a_preparation_refused_by_the_store_leaves_nothing(store, all_types_bank):
    with pytest.raises(Exception, match="Activity kind must be one of"):
        store.prepare_session("Day 1", [dict(bank=all_types_bank, kind="pretest"), dict(bank=all_types_bank, kind="exam")],
                              new_workshop=dict(title="W"))
    assert counts(store)["workshops"] == counts(store)["sessions"] == counts(store)["activities"] == 0


def _exercise(store, case_bank, people: int):
    session = store.prepare_session("Day 1", [dict(bank=case_bank, kind="case_study",
                                                   case_study_id=case_bank.case_studies[0].id)],
                                    new_workshop=dict(title="W"))
    ids = [store.join(session["join_code"], f"P{i}")["id"] for i in range(people)]
    return session["activities"][0], ids


def test_forming_groups_makes_reuses_and_empties_groups(store, case_bank):
    activity, ids = _exercise(store, case_bank, 5)
    formed = store.form_groups(activity["id"], [("Group 1", ids[:3]), ("Group 2", ids[3:])])
    assert [(g["name"], sorted(g["members"])) for g in formed] == [("Group 1", sorted(ids[:3])),
                                                                   ("Group 2", sorted(ids[3:]))]
    first = {g["name"]: g["id"] for g in formed}
    formed = store.form_groups(activity["id"], [("Group 1", ids[1:]), ("Group 3", ids[:1])])
    assert {g["name"]: sorted(g["members"]) for g in formed} == {"Group 1": sorted(ids[1:]), "Group 2": [],
                                                                 "Group 3": ids[:1]}
    assert {g["name"]: g["id"] for g in formed}["Group 1"] == first["Group 1"]  # reused, with what it wrote


@pytest.mark.parametrize("verb,n", [("set_group_members", 2), ("set_group_members", 3), ("add_group", 2)])
def test_forming_groups_that_fails_half_way_leaves_the_groups_as_they_were(store, case_bank, monkeypatch, verb, n):
    activity, ids = _exercise(store, case_bank, 6)
    store.form_groups(activity["id"], [("Group 1", ids[:3]), ("Group 2", ids[3:])])
    before, rows = store.list_groups(activity["id"]), counts(store)
    fail_on_call(monkeypatch, store, verb, n)
    with pytest.raises(Injected):
        store.form_groups(activity["id"], [("Group 1", ids[:2]), ("Group 3", ids[2:4]), ("Group 4", ids[4:])])
    assert store.list_groups(activity["id"]) == before
    assert counts(store) == rows


def test_a_verb_alone_still_stores_at_once_and_another_thread_is_not_joined(store, all_types_bank):
    import threading

    workshop = store.add_workshop("W")
    seen = []
    with store.transaction():
        store.add_session(workshop["id"], "inside")
        reader = threading.Thread(target=lambda: seen.append(len(store.list_sessions(workshop["id"]))))
        reader.start()
        reader.join()
        assert len(store.list_sessions(workshop["id"])) == 1  # this thread sees its own write
    assert seen == [0]  # the other thread read beside the transaction, before it was stored
    assert len(store.list_sessions(workshop["id"])) == 1


def test_the_prepare_panel_prepares_in_one_go_and_a_refusal_half_way_leaves_nothing(store, monkeypatch):
    from helpers import TEST_BANKS

    from toolkit.apps.coach import CoachApp
    from toolkit.store import StoreError

    app = CoachApp(store=store, banks_dir=TEST_BANKS, join_url="http://192.168.43.1:8866/", start_polling=False)
    app.prepare.workshop_title.value = "Victim identification"
    real, calls = store.add_activity, []

    def refused_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("The store refused the second activity.")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "add_activity", refused_second)
    assert app.prepare.create() is None
    assert "The store refused the second activity." in app.message.value
    assert counts(store)["workshops"] == counts(store)["sessions"] == counts(store)["activities"] == 0
    monkeypatch.undo()
    session = app.prepare.create()
    assert len(store.list_activities(session["id"])) >= 2 and len(store.list_workshops()) == 1

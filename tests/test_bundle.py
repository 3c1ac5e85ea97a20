"""Session bundles: a session leaves one store in a file and merges into another without duplicates or clashes.
The importing store is SQLite and PostgreSQL (when TOOLKIT_TEST_POSTGRES is set); the laptops are SQLite."""

from __future__ import annotations

import gzip
import json
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from toolkit import schema
from toolkit.bundle import BadBundle, export_bundle, import_bundle, seal, session_rows
from toolkit.cli import main
from toolkit.store import Store, StoreError


def _laptop_session(store: Store, bank, title: str = "Day 1") -> dict:
    """A session as a laptop leaves it: a pre-test answered and revised, a group exercise, questions and votes."""
    workshop = store.add_workshop("Victim identification", place="Karachi", cohort="FIA Karachi")
    session = store.add_session(workshop["id"], title)
    pre = store.add_activity(session["id"], bank, "pretest")
    case = store.add_activity(session["id"], bank, "case_study")
    store.open_activity(pre["id"])
    people = [store.join(session["join_code"], name, sex=sex, organisation="FIA")
              for name, sex in (("Amna", "female"), ("Bilal", "male"), (None, None))]
    for i, p in enumerate(people):
        attempt = store.start_attempt(pre["id"], p["id"])
        store.save_answer(attempt["id"], "kiln", "som")
        store.save_answer(attempt["id"], "kiln", "tip")  # revised: the latest counts
        store.save_answer(attempt["id"], "elements", ["act", "means"][: i + 1])
        store.set_position(attempt["id"], 2)
        if i == 0:
            store.submit_attempt(attempt["id"])
    group = store.add_group(case["id"], "Group 1", [people[0]["id"], people[1]["id"]])
    store.open_activity(case["id"])  # closes the pre-test
    store.save_group_answer(group["id"], people[0]["id"], "kiln", "tip")
    q = store.ask(session["id"], people[1]["id"], "Who refers a victim to a shelter?", anonymous=True)
    store.vote(q["id"], people[0]["id"])
    store.vote(q["id"], people[2]["id"])
    return session


def _all_counts(store: Store) -> dict[str, int]:
    with store.read() as c:
        return {t.name: c.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in schema.metadata.sorted_tables if t.name != "alembic_version"}


@pytest.fixture
def laptop(tmp_path, all_types_bank):
    store = Store(f"sqlite:///{tmp_path}/laptop/toolkit.db")
    session = _laptop_session(store, all_types_bank)
    yield store, session
    store.close()


def test_a_session_exported_from_sqlite_and_imported_twice_arrives_once_and_whole(laptop, store, tmp_path):
    source, session = laptop
    path = tmp_path / "day1.bundle.json.gz"
    exported = export_bundle(source, session["join_code"], path)
    assert exported["counts"]["answers"] == 9 and exported["counts"]["participants"] == 3

    first = import_bundle(store, path)
    counts = _all_counts(store)
    second = import_bundle(store, path)
    assert _all_counts(store) == counts  # importing twice adds nothing
    assert set(second["added"].values()) == {0} and second["changed"] == []
    assert first["added"] == exported["counts"]
    # Row for row the same session, whichever database holds it (times compared in UTC).
    assert session_rows(store, session["id"]) == session_rows(source, session["id"])
    attempt = store.get_attempt(store.list_activities(session["id"])[0]["id"],
                                 store.session_participants(session["id"])[1]["id"])
    assert store.latest_answers(attempt["id"]) == {"kiln": "tip", "elements": ["act", "means"]}
    assert store.find_session_by_code(session["join_code"])["id"] == session["id"]  # still open, same code


def test_a_later_bundle_of_the_same_session_adds_only_what_is_new(laptop, store, tmp_path):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "morning.gz")
    import_bundle(store, tmp_path / "morning.gz")
    pre, case = source.list_activities(session["id"])
    late = source.join(session["join_code"], "Late")
    attempt = source.start_attempt(case["id"], late["id"])
    source.save_answer(attempt["id"], "kiln", "both")
    source.close_session(session["id"])
    source.reveal_activity(pre["id"])
    export_bundle(source, session["id"], tmp_path / "evening.gz")

    done = import_bundle(store, tmp_path / "evening.gz")
    assert {k: v for k, v in done["added"].items() if v} == {"participants": 1, "attendance": 1, "attempts": 1,
                                                            "answers": 1}
    assert store.find_session(session["id"])["state"] == "closed"
    assert [a["state"] for a in store.list_activities(session["id"])] == ["revealed", "closed"]
    assert session_rows(store, session["id"]) == session_rows(source, session["id"])


def test_sessions_from_two_laptops_merge_and_an_open_code_clash_gets_a_new_code(tmp_path, store, all_types_bank):
    a = Store(f"sqlite:///{tmp_path}/a/toolkit.db")
    b = Store(f"sqlite:///{tmp_path}/b/toolkit.db")
    sa_, sb = _laptop_session(a, all_types_bank, "Quetta"), _laptop_session(b, all_types_bank, "Karachi")
    with b.transaction() as c:  # both laptops drew the same code
        c.execute(schema.sessions.update().where(schema.sessions.c.id == sb["id"]).values(join_code=sa_["join_code"]))
    closed = _laptop_session(b, all_types_bank, "Karachi, last month")
    with b.transaction() as c:
        c.execute(schema.sessions.update().where(schema.sessions.c.id == closed["id"])
                  .values(join_code=sa_["join_code"], state="closed"))
    for src, s, name in ((a, sa_, "a"), (b, sb, "b"), (b, closed, "c")):
        export_bundle(src, s["id"], tmp_path / f"{name}.gz")

    assert import_bundle(store, tmp_path / "a.gz")["recoded_from"] is None
    clash = import_bundle(store, tmp_path / "b.gz")
    assert clash["recoded_from"] == sa_["join_code"] and clash["join_code"] != sa_["join_code"]
    kept = import_bundle(store, tmp_path / "c.gz")
    assert kept["recoded_from"] is None and kept["join_code"] == sa_["join_code"]  # a closed session keeps its code
    assert store.find_session_by_code(sa_["join_code"])["id"] == sa_["id"]  # the code people know still leads there
    assert store.find_session_by_code(clash["join_code"])["id"] == sb["id"]
    assert import_bundle(store, tmp_path / "b.gz")["join_code"] == clash["join_code"]  # stable on re-import
    assert len(store.list_sessions()) == 3
    assert _all_counts(store)["banks"] == 1  # the same bank content is kept once
    a.close()
    b.close()


def _gzip_json(path, data, key: bytes | None = None) -> None:
    """Write `data` as a bundle file with its digest made again: an editor who knows the format did it."""
    path.write_bytes(gzip.compress(json.dumps(seal(data, key)).encode()))


def _bad_files(laptop_bundle, tmp_path) -> dict[str, tuple]:
    good = json.loads(gzip.decompress(laptop_bundle.read_bytes()))
    files = {}
    (tmp_path / "notes.txt").write_text("Day 1 notes: bring the projector cable.\n")
    files["not a bundle"] = (tmp_path / "notes.txt", "is not a session bundle")
    _gzip_json(tmp_path / "other.json.gz", {"format": "something-else", "version": 1})
    files["another JSON"] = (tmp_path / "other.json.gz", "is not a session bundle")
    raw = laptop_bundle.read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[: len(raw) // 2])
    files["truncated gzip"] = (tmp_path / "cut.gz", "cut short or damaged")
    _gzip_json(tmp_path / "newer.gz", {**good, "version": 99})
    files["newer format"] = (tmp_path / "newer.gz", "newer version of the toolkit")
    tampered = json.loads(json.dumps(good))
    tampered["tables"]["banks"][0]["content"]["title"] = {"en": "Edited"}
    _gzip_json(tmp_path / "tampered.gz", tampered)
    files["edited bank"] = (tmp_path / "tampered.gz", "does not match its hash")
    broken = json.loads(json.dumps(good))
    broken["tables"]["answers"][-1]["attempt_id"] = "no-such-attempt"
    _gzip_json(tmp_path / "broken.gz", broken)
    files["dangling answer"] = (tmp_path / "broken.gz", "which is not in the bundle's attempts")
    files["missing"] = (tmp_path / "missing.gz", "Cannot read")
    renamed = json.loads(json.dumps(good))
    renamed["tables"]["participants"][0]["display_name"] = "Someone else"
    (tmp_path / "renamed.gz").write_bytes(gzip.compress(json.dumps(renamed).encode()))
    files["a name changed"] = (tmp_path / "renamed.gz", "does not match the digest it carries (digest check)")
    submitted = json.loads(json.dumps(good))
    for attempt in submitted["tables"]["attempts"]:
        attempt["submitted_at"] = attempt["started_at"]
    (tmp_path / "submitted.gz").write_bytes(gzip.compress(json.dumps(submitted).encode()))
    files["every attempt submitted"] = (tmp_path / "submitted.gz", "does not match the digest it carries")
    undigested = {k: v for k, v in good.items() if k != "integrity"}
    (tmp_path / "old.gz").write_bytes(gzip.compress(json.dumps(undigested).encode()))
    files["no digest"] = (tmp_path / "old.gz", "carries no digest")
    return files


def test_bad_files_are_refused_with_a_message_and_nothing_is_written(laptop, store, tmp_path):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")
    before = _all_counts(store)
    for what, (path, message) in _bad_files(tmp_path / "good.gz", tmp_path).items():
        with pytest.raises(BadBundle, match=re.escape(message)):
            import_bundle(store, path)
        assert _all_counts(store) == before, what


def test_the_cli_exports_imports_twice_and_refuses_bad_files_without_a_traceback(laptop, tmp_path):
    source, session = laptop
    source.close()
    laptop_dir, office = str(source.sqlite_path.parent), tmp_path / "office"
    out = tmp_path / "day1.bundle.json.gz"
    result = CliRunner().invoke(main, ["bundle", "export", "--session", session["join_code"].lower(),
                                       "--out", str(out), "--data", laptop_dir])
    assert result.exit_code == 0, result.output
    assert "3 participants, 9 answers" in result.output
    first = CliRunner().invoke(main, ["bundle", "import", str(out), "--data", str(office)])
    assert first.exit_code == 0, first.output
    assert "9 answers" in first.output
    again = CliRunner().invoke(main, ["bundle", "import", str(out), "--data", str(office)])
    assert again.exit_code == 0 and "nothing new" in again.output

    for what, (path, message) in _bad_files(out, tmp_path).items():
        fresh = tmp_path / f"fresh-{what.replace(' ', '-')}"
        result = CliRunner().invoke(main, ["bundle", "import", str(path), "--data", str(fresh)])
        assert result.exit_code == 1, what
        assert message in result.output and "Traceback" not in result.output, result.output
        assert not (fresh / "toolkit.db").exists(), what  # a bad file writes nothing, not even an empty store
    missing = CliRunner().invoke(main, ["bundle", "export", "--session", "ZZZZZZ", "--out", str(out),
                                        "--data", laptop_dir])
    assert missing.exit_code == 1 and "No session in this store has the code" in missing.output


def test_a_code_several_sessions_have_had_asks_for_the_session_id(sqlite_store, all_types_bank, tmp_path):
    store = sqlite_store
    first = _laptop_session(store, all_types_bank, "Monday")
    store.close_session(first["id"])
    second = _laptop_session(store, all_types_bank, "Tuesday")
    with store.transaction() as c:
        c.execute(schema.sessions.update().where(schema.sessions.c.id == second["id"])
                  .values(join_code=first["join_code"]))
    with pytest.raises(StoreError, match="Pass the session id instead"):
        export_bundle(store, first["join_code"], tmp_path / "x.gz")
    assert export_bundle(store, first["id"], tmp_path / "x.gz")["title"] == "Monday"


def test_a_bundle_the_store_refuses_halfway_is_rolled_back_whole(laptop, store, tmp_path):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")
    import_bundle(store, tmp_path / "good.gz")
    before = _all_counts(store)
    # The same person's token under another id: the store refuses the second participant with that token.
    text = gzip.decompress((tmp_path / "good.gz").read_bytes()).decode()
    person = json.loads(text)["tables"]["participants"][0]["id"]
    text = text.replace(person, "00000000-0000-4000-8000-000000000000").replace(session["id"], "11111111-1111-4111-8111-111111111111")
    _gzip_json(tmp_path / "clash.gz", json.loads(text))
    with pytest.raises(BadBundle, match="nothing was written"):
        import_bundle(store, tmp_path / "clash.gz")
    assert _all_counts(store) == before


def _edited(good_path, tmp_path, name: str, edit, key: bytes | None = None, reseal: bool = True):
    data = json.loads(gzip.decompress(good_path.read_bytes()))
    edit(data)
    path = tmp_path / name
    if reseal:
        _gzip_json(path, data, key)
    else:
        path.write_bytes(gzip.compress(json.dumps(data).encode()))
    return path


def test_with_the_office_key_an_edited_bundle_whose_digest_was_made_again_is_refused(laptop, tmp_path):
    source, session = laptop
    source.close()
    laptop_dir, office = source.sqlite_path.parent, tmp_path / "office"
    run = CliRunner().invoke
    made = run(main, ["bundle", "key", "--data", str(office)])
    assert made.exit_code == 0 and "Copy this file into the data folder of every laptop" in made.output
    again = run(main, ["bundle", "key", "--data", str(office)])
    assert again.exit_code == 1 and "already holds a bundle key" in again.output  # the laptops' copy stays good
    key = (office / "bundle-key").read_bytes()
    (laptop_dir / "bundle-key").write_bytes(key)  # copied to the laptop

    signed = tmp_path / "signed.gz"
    out = run(main, ["bundle", "export", "--session", session["id"], "--out", str(signed), "--data", str(laptop_dir)])
    assert out.exit_code == 0 and "Signed with the office's bundle key" in out.output
    good = run(main, ["bundle", "import", str(signed), "--data", str(office / "a")])  # no key in office/a ...
    assert good.exit_code == 0 and "there is no bundle key here to check the signature" in good.output

    def rename(data):
        data["tables"]["participants"][0]["display_name"] = "Someone else"

    forged = _edited(signed, tmp_path, "forged.gz", rename)  # the editor recomputed the plain digest
    refused = run(main, ["bundle", "import", str(forged), "--data", str(office)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "is not signed with the office's bundle key" in refused.output and "(signature check)" in refused.output
    assert not (office / "toolkit.db").exists()
    other_key = bytes(range(32))
    resigned = _edited(signed, tmp_path, "resigned.gz", rename, key=other_key)  # signed, but with a key of their own
    refused = run(main, ["bundle", "import", str(resigned), "--data", str(office)])
    assert refused.exit_code == 1 and "is signed with another bundle key" in refused.output
    tampered = json.loads(gzip.decompress(signed.read_bytes()))
    rename(tampered)
    tampered["integrity"]["sha256"] = seal(tampered)["integrity"]["sha256"]  # the digest made again, signature kept
    (tmp_path / "kept.gz").write_bytes(gzip.compress(json.dumps(tampered).encode()))
    refused = run(main, ["bundle", "import", str(tmp_path / "kept.gz"), "--data", str(office)])
    assert refused.exit_code == 1 and "was changed after it was signed" in refused.output
    unsigned = tmp_path / "unsigned.gz"
    assert run(main, ["bundle", "export", "--session", session["id"], "--out", str(unsigned), "--data",
                      str(laptop_dir), "--key", str(tmp_path / "missing-key")]).exit_code == 1
    (laptop_dir / "bundle-key").unlink()
    assert run(main, ["bundle", "export", "--session", session["id"], "--out", str(unsigned), "--data",
                      str(laptop_dir)]).exit_code == 0
    refused = run(main, ["bundle", "import", str(unsigned), "--data", str(office)])
    assert refused.exit_code == 1 and "is not signed with the office's bundle key" in refused.output
    assert not (office / "toolkit.db").exists()

    done = run(main, ["bundle", "import", str(signed), "--data", str(office)])
    assert done.exit_code == 0 and "digest and signature checked" in done.output and "9 answers" in done.output
    trusted = run(main, ["bundle", "import", str(unsigned), "--data", str(office), "--unverified"])
    assert trusted.exit_code == 0 and "nothing new" in trusted.output
    assert "not signed with the office key (imported with --unverified)" in trusted.output


def test_a_bundle_made_before_digests_is_read_only_when_asked(laptop, store, tmp_path):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")
    old = _edited(tmp_path / "good.gz", tmp_path, "old.gz", lambda d: d.pop("integrity"), reseal=False)
    with pytest.raises(BadBundle, match="carries no digest"):
        import_bundle(store, old)
    done = import_bundle(store, old, unverified=True)
    assert done["added"]["answers"] == 9 and done["checked"].startswith("not checked")
    renamed = _edited(tmp_path / "good.gz", tmp_path, "renamed.gz",
                      lambda d: d["tables"]["participants"][0].update(display_name="Someone else"), reseal=False)
    with pytest.raises(BadBundle, match="digest check"):  # --unverified never takes a digest that does not match
        import_bundle(store, renamed, unverified=True)


MARKUP = "<svg onload=x>"  # short enough for the columns it is put in


@pytest.mark.parametrize(("table", "column", "value", "message"), [
    ("participants", "sex", MARKUP, "participants row 1: sex is '<svg onload=x>', which the store does not take"),
    ("activities", "kind", MARKUP, "activities row 1: kind is '<svg onload=x>', which the store does not take"),
    ("activities", "state", "finished", "activities row 1: state is 'finished', which the store does not take"),
    ("sessions", "state", "paused", "sessions row 1: state is 'paused'"),
    ("audience_questions", "state", "<b>x</b>", "audience_questions row 1: state is '<b>x</b>'"),
    ("participants", "language", "xx", "participants row 1: language is 'xx'"),
    ("participants", "display_name", "A" * 101, "display_name: Please keep the name to 100 characters"),
    ("participants", "organisation", "FIA\x00", "organisation: The organisation has a character that cannot be stored"),
    ("audience_questions", "text", "Why?\x07", "text: The question has a character that cannot be stored"),
    ("answers", "response", "x" * 2001, "answers row 1: response: Please keep the answer to 2000 characters"),
    ("answers", "response", ["act", "me\x00ans"], "answers row 1: response holds a NUL or another control character"),
    ("workshops", "title", "Quetta\x00", "workshops row 1: title holds a NUL or another control character"),
    ("workshops", "profile_fields", {"sex": MARKUP}, "workshops row 1: profile_fields is {'sex': '<svg onload=x>'}"),
    ("activities", "case_study_id", "no-such-case", "activities row 1: case study 'no-such-case' is not in its bank"),
    ("sessions", "design", "latin-square", "sessions row 1: design is 'latin-square', which the store does not take"),
    ("participants", "sequence", "BB", "participants row 1: sequence is 'BB', which the store does not take"),
    ("attempts", "bank_hash", "f" * 64, "attempts row 1: bank_hash 'ffffffffffff' is not a form of its activity"),
])
def test_every_field_is_checked_against_the_stores_rules_and_nothing_is_written(laptop, store, tmp_path, table,
                                                                              column, value, message):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")

    def edit(data):
        data["tables"][table][0][column] = value

    path = _edited(tmp_path / "good.gz", tmp_path, "edited.gz", edit)  # (the digest made again: the values are checked)
    before = _all_counts(store)
    with pytest.raises(BadBundle, match=re.escape(message)):
        import_bundle(store, path)
    assert _all_counts(store) == before


def test_a_bank_whose_hash_was_made_again_must_still_be_a_bank(laptop, store, tmp_path):
    from toolkit.bank import content_hash_of

    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")

    def break_bank(data):
        bank = data["tables"]["banks"][0]
        bank["content"]["questions"][0]["type"] = "<svg onload=x>"
        old, bank["hash"] = bank["hash"], content_hash_of(bank["content"])
        for activity in data["tables"]["activities"]:
            activity["bank_hash"] = bank["hash"] if activity["bank_hash"] == old else activity["bank_hash"]

    path = _edited(tmp_path / "good.gz", tmp_path, "bank.gz", break_bank)
    before = _all_counts(store)
    with pytest.raises(BadBundle, match="it carries is not a valid bank"):
        import_bundle(store, path)
    assert _all_counts(store) == before


def test_an_answer_the_bundle_holds_twice_is_stored_and_reported_once(laptop, store, tmp_path):
    source, session = laptop
    export_bundle(source, session["id"], tmp_path / "good.gz")

    def twice(data):
        data["tables"]["answers"].append(dict(data["tables"]["answers"][0]))
        data["counts"]["answers"] += 1

    path = _edited(tmp_path / "good.gz", tmp_path, "twice.gz", twice)
    done = import_bundle(store, path)
    assert done["added"]["answers"] == 9 == _all_counts(store)["answers"]
    again = CliRunner().invoke(main, ["bundle", "import", str(path), "--data", str(tmp_path / "office")])
    assert again.exit_code == 0 and "9 answers" in again.output


def test_a_crossover_travels_with_its_design_sequences_and_forms(tmp_path, store, all_types_bank):
    from toolkit.bank import content_hash_of, parse_bank
    content = {**all_types_bank.content, "id": "all-types-b", "form": "B"}
    form_b = parse_bank(content, "form B", content_hash_of(content))
    laptop = Store(f"sqlite:///{tmp_path}/crossover.db")
    workshop = laptop.add_workshop("Crossover")
    session = laptop.add_session(workshop["id"], "Day 1")
    pre = laptop.add_activity(session["id"], all_types_bank, "pretest")
    laptop.add_activity(session["id"], form_b, "posttest")
    laptop.open_activity(pre["id"])
    people = [laptop.join(session["join_code"], f"P{i}", uid=f"x{i}") for i in range(4)]
    taken = {p["id"]: laptop.start_attempt(pre["id"], p["id"])["bank_hash"] for p in people}
    assert set(taken.values()) == {all_types_bank.hash, form_b.hash}
    export_bundle(laptop, session["id"], tmp_path / "crossover.gz")
    laptop.close()
    import_bundle(store, tmp_path / "crossover.gz")
    assert store.find_session(session["id"])["design"] == "crossover"
    for p in people:
        assert store.find_participant(p["token"])["sequence"] == p["sequence"]
        assert store.get_attempt(pre["id"], p["id"])["bank_hash"] == taken[p["id"]]

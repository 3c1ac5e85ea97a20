"""The coach console, driven by clicks, checked against the store and the participants' answers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from helpers import ROOT, TEST_BANKS

from toolkit.apps.coach import CoachApp
from toolkit.apps.coach_groups import split_into_groups
from toolkit.apps.participant import ParticipantApp


def coach(store, banks=TEST_BANKS) -> CoachApp:
    return CoachApp(store=store, banks_dir=banks, join_url="http://192.168.43.1:8866/", start_polling=False)


def figure(html: str, name: str) -> int:
    return int(re.search(rf"id='tk-{name}'>(\d+)<", html).group(1))


def phone(store, session, name, **profile) -> ParticipantApp:
    p = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    p.join_form.name_box.value = name
    for field, value in profile.items():
        p.join_form.profile_boxes[field].value = value
    p.join_form.consent_box.value = True
    p.join_form.join_button.click()
    return p


def new_session(store, banks=TEST_BANKS, **choices) -> tuple[CoachApp, dict]:
    app = coach(store, banks)
    prep = app.prepare
    prep.workshop_title.value = "Victim identification, Quetta"
    for name, value in choices.items():
        getattr(prep, name).value = value
    return app, prep.create()


def test_prepare_a_workshop_with_its_profile_questions_activities_and_time_limit(store):
    app = coach(store, ROOT / "question_banks")
    prep = app.prepare
    prep.workshop_title.value = "Identification and referral"
    prep.place.value = "Quetta"
    prep.starts_on.value, prep.ends_on.value = date(2026, 11, 24), date(2026, 11, 25)
    prep.organiser.value = "Provincial training college"
    prep.cohort.value = "Balochistan 2026"
    prep.profile["sex"].value = "required"
    prep.profile["province"].value = "optional"
    prep.test_minutes.value = 20
    kiln = next(k for k in prep.cases if k[1] == "kiln-kasur")
    prep.cases[kiln].value = True
    session = prep.create()
    workshop = store.find_workshop(session["workshop_id"])
    assert (workshop["place"], workshop["starts_on"], workshop["cohort"]) == ("Quetta", date(2026, 11, 24), "Balochistan 2026")
    assert workshop["profile_fields"] == {"sex": "required", "organisation": "optional", "rank": "optional",
                                          "province": "optional"}
    activities = store.list_activities(session["id"])
    assert [a["kind"] for a in activities] == ["confidence", "pretest", "case_study", "posttest", "confidence", "survey"]
    assert [a["time_limit_s"] for a in activities if a["kind"] in ("pretest", "posttest")] == [1200, 1200]
    assert activities[2]["case_study_id"] == "kiln-kasur"
    assert {store.find_bank(a["bank_hash"]).id for a in activities[1::2]} >= {"tip-som-prepost-a"}
    assert session["join_code"] in app.join_panel.value
    assert f"http://192.168.43.1:8866/?code={session['join_code']}" in app.join_panel.value
    assert "<svg" in app.join_panel.value  # the QR code, drawn inline


def test_the_next_session_of_a_cohort_reuses_its_workshop(store):
    app, first = new_session(store)
    app.show_prepare()
    app.prepare.workshop_picker.value = first["workshop_id"]
    assert app.prepare.session_title.value == "Session 2"
    second = app.prepare.create()
    assert second["workshop_id"] == first["workshop_id"] and second["join_code"] != first["join_code"]


def test_a_session_needs_a_workshop_title(store):
    app = coach(store)
    assert app.prepare.create() is None
    assert "Give the workshop a title" in app.message.value
    assert store.list_sessions() == []


def test_open_the_pretest_and_watch_answers_and_status_arrive(store):
    app, session = new_session(store)
    pre = store.list_activities(session["id"])[0]
    app.nav.value = "run"
    app.panels["run"].buttons[pre["id"]]["open"].click()
    assert store.find_activity(pre["id"])["state"] == "open"
    phones = [phone(store, session, name) for name in ("Ayesha", "Bilal", "<i>Chand</i>")]
    for p, answer in zip(phones, ("tip", "tip", "som"), strict=True):
        p.input.choose(True)
        p.next.click()
        p.input.choose(answer)
    phones[0].go(9)
    phones[0].submit_button.click()
    phones[0].confirm_yes.click()
    late = phone(store, session, "Dua")
    app.refresh()
    board = app.panels["run"].board.value
    assert (figure(board, "status-submitted"), figure(board, "status-answering"),
            figure(board, "status-not-started")) == (1, 3, 0)  # Dua's page opened the pre-test: she has started
    assert "question 1 of 9" in board and "&lt;i&gt;Chand&lt;/i&gt;" in board and "<i>Chand" not in board
    run = app.panels["run"]
    run.move_along.value = late.participant["id"]
    run.board_actions.children[0].children[1].click()  # submit what Dua saved so far
    assert store.get_attempt(pre["id"], late.participant["id"])["submitted_at"] is not None

    app.nav.value = "results"
    results = app.panels["results"]
    assert figure(results.summary.value, "started") == 4 and figure(results.summary.value, "submitted") == 2
    kiln = re.search(r"class='tk-dist' data-question='kiln'>(.*?)</td>", results.questions.value).group(1)
    assert re.search(r"data-option='tip'>.*?<b class='tk-count'>2</b>", kiln)
    assert re.search(r"data-option='som'>.*?<b class='tk-count'>1</b>", kiln)
    assert "✓" not in results.questions.value  # the right answer is marked only after reveal
    assert "4 people, mean" in results.scores.value
    app.set_state(pre["id"], "revealed")
    assert "Trafficking in persons (TIP) ✓" in results.questions.value


def test_the_timer_can_be_extended_and_stopped(store):
    app, session = new_session(store, test_minutes=10)
    pre = store.list_activities(session["id"])[0]
    app.nav.value = "run"
    run = app.panels["run"]
    run.buttons[pre["id"]]["open"].click()
    assert "⏱ 9:5" in run.clocks[pre["id"]].value or "⏱ 10:00" in run.clocks[pre["id"]].value
    run.buttons[pre["id"]]["extend"].click()
    assert store.find_activity(pre["id"])["time_limit_s"] == 900
    run.buttons[pre["id"]]["stop_timer"].click()
    assert store.find_activity(pre["id"])["time_limit_s"] is None
    run.buttons[pre["id"]]["extend"].click()  # no limit: five minutes from now
    assert 295 <= store.find_activity(pre["id"])["time_limit_s"] <= 305


def test_pre_vs_post_side_by_side_with_the_class_gain(store):
    app, session = new_session(store)
    pre, post = store.list_activities(session["id"])[:2]
    people = [phone(store, session, n) for n in ("A", "B")]
    store.open_activity(pre["id"])
    for p in people:  # pre: consent right only → 1 of 7 scored points
        p.refresh()
        p.input.choose(True)
    store.open_activity(post["id"])
    for p, kiln in zip(people, ("tip", "som"), strict=True):  # post: A gets 2 of 7, B 1 of 7
        p.refresh()
        p.input.choose(True)
        p.next.click()
        p.input.choose(kiln)
    app.nav.value = "results"
    comparison = app.panels["results"].comparison.value
    # pre mean 100/7 = 14.3%, post mean (200/7 + 100/7)/2 = 21.4%: <g> = (21.4 - 14.3)/(100 - 14.3) = 0.083
    assert "<span class='tk-big' id='tk-gain'>0.08</span>" in comparison
    assert re.search(r"2\. A kiln family.*?<b>0%</b>.*?<b>50%</b>.*?<b>\+50</b>", comparison)


@pytest.mark.parametrize("method", ["random", "organisation"])
def test_groups_are_made_and_every_group_answer_shows_side_by_side(store, method):
    app, session = new_session(store, ROOT / "question_banks")
    kiln = next(k for k in app.prepare.cases)  # not chosen at creation: add it now through the store
    bank = next(b for b in app.banks if b.hash == kiln[0])
    exercise = store.add_activity(session["id"], bank, "case_study", case_study_id=kiln[1])
    people = [phone(store, session, n, organisation=o) for n, o in
              (("Amna", "Punjab Police"), ("Bilal", "FIA"), ("Chand", "Punjab Police"), ("Dua", "FIA"))]
    app.nav.value = "groups"
    groups = app.panels["groups"]
    groups.activity_picker.value = exercise["id"]
    groups.method.value = method
    groups.count.value = 2
    groups.make_groups(seed=3)
    made = store.list_groups(exercise["id"])
    assert sorted(len(g["members"]) for g in made) == [2, 2]
    if method == "organisation":
        orgs = {p.participant["id"]: p.participant["organisation"] for p in people}
        assert all({orgs[m] for m in g["members"]} == {"Punjab Police", "FIA"} for g in made)
    store.open_activity(exercise["id"])
    first = next(p for p in people if p.participant["id"] in made[0]["members"])
    first.refresh()
    first.group_view.inputs["classification"].choose("tip")
    app.refresh()
    card = re.search(r"data-group='Group 1'>(.*?)</div></div>", groups.board.value, re.S).group(1)
    assert "Trafficking in persons (TIP) ✓" in card and "score 1.0 of" in card
    assert "Debrief" not in groups.board.value.split("</h2>")[-1].split("Reveal")[0]
    app.set_state(exercise["id"], "revealed")
    assert "<h3>Debrief</h3>" in groups.board.value


def test_groups_by_hand(store):
    app, session = new_session(store, ROOT / "question_banks")
    bank = next(b for b in app.banks if b.kind == "case-studies")
    exercise = store.add_activity(session["id"], bank, "case_study", case_study_id=bank.case_studies[1].id)
    a, b = phone(store, session, "Amna"), phone(store, session, "Bilal")
    app.nav.value = "groups"
    groups = app.panels["groups"]
    groups.activity_picker.value = exercise["id"]
    groups.count.value = 2
    groups.method.value = "hand"
    groups.hand_picks[a.participant["id"]].value = "Group 2"
    groups.hand_picks[b.participant["id"]].value = "Group 2"
    groups.make.click()
    assert {g["name"]: len(g["members"]) for g in store.list_groups(exercise["id"])} == {"Group 2": 2}


def test_split_into_groups_is_balanced():
    people = [{"id": str(i), "organisation": "FIA" if i % 3 else "Levies"} for i in range(22)]
    groups = split_into_groups(people, 5, "random", seed=1)
    assert sorted(len(g) for g in groups) == [4, 4, 4, 5, 5]
    assert sorted(x for g in groups for x in g) == sorted(p["id"] for p in people)


def test_questions_from_the_room_by_votes_marked_answered_or_hidden(store):
    app, session = new_session(store)
    a, b, c = (phone(store, session, n) for n in ("Amna", "Bilal", "Chand"))
    first = store.ask(session["id"], a.participant["id"], "Who leads on <b>internal</b> trafficking?")
    second = store.ask(session["id"], b.participant["id"], "Is free help by a cousin smuggling?", anonymous=True)
    store.vote(second["id"], c.participant["id"])
    app.nav.value = "room"
    room = app.panels["room"]
    rows = [r.children[0].value for r in room.children[1:]]
    assert "Is free help by a cousin smuggling?" in rows[0] and "Anonymous" in rows[0]
    assert "&lt;b&gt;internal&lt;/b&gt;" in rows[1] and "Amna" in rows[1]
    room.buttons[first["id"]]["answered"].click()
    room.buttons[second["id"]]["hide"].click()
    states = {q["id"]: q["state"] for q in store.room_questions(session["id"], include_hidden=True)}
    assert states == {first["id"]: "answered", second["id"]: "hidden"}
    assert len(room.children) == 2 and "tk-done" in room.children[1].children[0].value


def test_pseudonyms_hide_every_name_on_the_projector(store):
    app, session = new_session(store)
    pre = store.list_activities(session["id"])[0]
    store.open_activity(pre["id"])
    phone(store, session, "Ayesha Khan")
    app.refresh(force=True)
    assert "Ayesha Khan" in app.joined.value
    app.names_toggle.value = True
    assert "Ayesha Khan" not in app.joined.value and "Participant 1" in app.joined.value
    app.nav.value = "run"
    assert "Ayesha Khan" not in app.panels["run"].board.value


def test_presenter_steps_through_questions_and_shows_feedback_after_reveal(store):
    app, session = new_session(store)
    pre = store.list_activities(session["id"])[0]
    store.open_activity(pre["id"])
    p = phone(store, session, "Ayesha")
    p.input.choose(True)
    app.selected_activity = pre["id"]
    app.nav.value = "presenter"
    presenter = app.panels["presenter"]
    assert "question 1 of 9, 1 answered" in presenter.view.value
    assert "Once any of the means was used" not in presenter.view.value
    presenter.next.click()
    assert "A kiln family" in presenter.view.value
    presenter.back.click()
    presenter.reveal.click()
    assert store.find_activity(pre["id"])["state"] == "revealed"
    assert "Once any of the means was used, consent does not matter." in presenter.view.value


def test_continue_an_open_session(session_with_pretest):
    store, session, activity = session_with_pretest
    app = coach(store)
    assert session["join_code"] in app.prepare.session_picker.options[0][0]
    app.prepare.continue_button.click()
    assert app.session["id"] == session["id"]
    assert app.selected_activity == activity["id"]


def test_ending_a_session_frees_its_code_and_keeps_its_answers(session_with_pretest):
    store, session, activity = session_with_pretest
    p = phone(store, session, "Ayesha")
    p.input.choose(True)
    app = coach(store)
    app.show_session(session["id"])
    app.nav.value = "run"
    run = app.panels["run"]
    run.end_button.click()
    assert store.find_session(session["id"])["state"] == "open"  # nothing happens before confirming
    run.end_yes.click()
    assert store.find_session(session["id"])["state"] == "closed"
    assert app.session is None and session["join_code"] not in str(app.prepare.session_picker.options)
    assert store.latest_answers(p.attempt["id"]) == {"consent": True}


def test_a_new_session_with_two_forms_is_a_crossover_and_the_console_says_so(store):
    app, session = new_session(store, ROOT / "question_banks")
    assert app.prepare.design.value == "crossover" and store.find_session(session["id"])["design"] == "crossover"
    pre, post = [a for a in store.list_activities(session["id"]) if a["kind"] in ("pretest", "posttest")]
    assert pre["bank_hash"] != post["bank_hash"]
    people = [phone(store, session, n) for n in ("A", "B", "C", "D")]
    for activity in (pre, post):
        store.open_activity(activity["id"])
        for p in people:
            p.refresh()
            p.input.choose(p._questions()[0].key)
    taken = {p.participant["sequence"]: store.get_attempt(pre["id"], p.participant["id"])["bank_hash"] for p in people}
    assert taken == {"AB": pre["bank_hash"], "BA": post["bank_hash"]}
    app.nav.value = "results"
    assert ("<div class='tk-hint tk-design'>Design: crossover: half the room took form A first and form B after, the "
            "other half B first and A after (2 A then B, 2 B then A).</div>") in app.panels["results"].comparison.value


def test_the_same_form_before_and_after_is_said_in_one_line(store):
    app, session = new_session(store, ROOT / "question_banks", design="same-form")
    pre, post = [a for a in store.list_activities(session["id"]) if a["kind"] in ("pretest", "posttest")]
    assert pre["bank_hash"] == post["bank_hash"] and store.find_session(session["id"])["design"] == "same-form"
    p = phone(store, session, "A")
    store.open_activity(post["id"])
    p.refresh()
    p.input.choose(p._questions()[0].key)
    app.nav.value = "results"
    comparison = app.panels["results"].comparison.value
    assert "Design: same form: the same questions before and after." in comparison
    assert "Nobody has taken both tests yet (0 took the pre-test and 1 the post-test)." in comparison  # no error


def test_the_next_session_can_open_with_a_retention_check_of_the_last_post_test(store):
    from toolkit.analysis.retention import retention_scores
    from toolkit.results import load_results

    app, first = new_session(store)
    assert app.prepare.retention.disabled  # a new workshop has no post-test to repeat
    post = next(a for a in store.list_activities(first["id"]) if a["kind"] == "posttest")
    sana = phone(store, first, "Sana")
    store.open_activity(post["id"])
    sana.refresh()
    sana.input.choose(True)
    app.show_prepare()
    app.prepare.workshop_picker.value = first["workshop_id"]
    assert not app.prepare.retention.disabled
    app.prepare.retention.value = True
    second = app.prepare.create()
    retention = store.list_activities(second["id"])[0]
    assert retention["kind"] == "retention" and retention["title"].startswith("Retention check: ")
    asked = store.find_bank(retention["bank_hash"])
    assert {q.id for q in asked.questions} <= {q.id for q in store.find_bank(post["bank_hash"]).questions}
    store.attend(second["id"], sana.participant["id"])
    store.open_activity(retention["id"])
    sana.session = store.find_session(second["id"])
    sana.refresh()
    assert "Retention check" in sana.body.children[0].children[0].value
    first_question = sana._questions()[0]
    sana.input.choose(first_question.key)
    kept = retention_scores(load_results(store).answers)
    assert kept["participant_id"].tolist() == [sana.participant["id"]] and kept["n_items"].iloc[0] == len(asked.questions)


def test_a_retention_check_after_a_crossover_repeats_both_forms_and_counts_everyone(store):
    from toolkit.analysis.retention import retention_scores
    from toolkit.design import attempt_bank
    from toolkit.results import load_results

    def answer_all(activity, people, right):  # every question, as the phone saves it (the key when right)
        store.open_activity(activity["id"])
        for p in people:
            attempt = store.start_attempt(activity["id"], p.participant["id"])
            for q in store.find_bank(attempt_bank(attempt, activity)).questions:
                if q.scored and right(q):
                    store.save_answer(attempt["id"], q.id, q.key)
            store.submit_attempt(attempt["id"])

    app, first = new_session(store, ROOT / "question_banks")
    pre, post = [a for a in store.list_activities(first["id"]) if a["kind"] in ("pretest", "posttest")]
    people = [phone(store, first, n) for n in ("A", "B", "C", "D")]
    sequences = {p.participant["id"]: p.participant["sequence"] for p in people}
    assert sorted(sequences.values()) == ["AB", "AB", "BA", "BA"]
    answer_all(pre, people, lambda q: False)
    answer_all(post, people, lambda q: True)
    app.show_prepare()
    app.prepare.workshop_picker.value = first["workshop_id"]
    app.prepare.retention.value = True
    second = app.prepare.create()
    retention = store.list_activities(second["id"])[0]
    check = store.find_bank(retention["bank_hash"])
    forms = {h: {q.id for q in store.find_bank(h).questions} for h in (pre["bank_hash"], post["bank_hash"])}
    halves = [len({q.id for q in check.questions} & ids) for ids in forms.values()]
    assert halves == [len(check.questions) // 2] * 2  # half of the check from each form
    for p in people:
        store.attend(second["id"], p.participant["id"])
    answer_all(retention, people, lambda q: True)
    kept = retention_scores(load_results(store).answers).set_index("participant_id")
    # everyone is in: the A-then-B half on the check's form-B questions, the B-then-A half on its form-A ones
    assert sorted(kept.index) == sorted(sequences)
    assert (kept["n_items"] == len(check.questions) // 2).all() and (kept["n_asked"] == len(check.questions)).all()
    assert (kept["post"] == 100).all() and (kept["retention"] == 100).all() and kept["pre"].isna().all()

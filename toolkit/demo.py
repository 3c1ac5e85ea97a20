"""Seed data: one builder that feeds the demo, the tests and the benchmarks."""

from __future__ import annotations

import hashlib
import math
import os
import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import config, languages, questions
from .bank import Bank, Question, load_bank, load_banks
from .design import attempt_bank
from .retention import retention_check
from .store import Store


def shipped_banks(banks_dir: str | Path | None = None) -> dict[str, Bank]:
    """The valid banks in the folder, by bank id."""
    banks, _problems = load_banks([banks_dir or config.banks_dir()])
    return {b.id: b for b in banks}


def seed_demo(store: Store, banks_dir: str | Path | None = None) -> dict:
    """A demo workshop in Quetta with a session whose pre-test is open; returns the session."""
    banks = shipped_banks(banks_dir)
    tests = sorted((b for b in banks.values() if b.kind == "test"), key=lambda b: (b.form or "", b.id))
    if not tests:
        raise RuntimeError(f"No test bank in {banks_dir or config.banks_dir()}: the demo needs a pre-test.")
    workshop = store.add_workshop(
        "Identifying and referring victims of trafficking (demo)",
        place="Quetta", starts_on=date(2026, 11, 24), ends_on=date(2026, 11, 25),
        organiser="Demo organiser", cohort="Demo cohort",
    )
    session = store.add_session(workshop["id"], "Day 1")
    pre = store.add_activity(session["id"], tests[0], "pretest", title=f"Pre-test: {tests[0].title['en']}")
    post = tests[1] if len(tests) > 1 else tests[0]
    store.add_activity(session["id"], post, "posttest", title=f"Post-test: {post.title['en']}")
    for b in banks.values():
        if b.kind == "survey":
            store.add_activity(session["id"], b, "survey")
    store.open_activity(pre["id"])
    return session


# ---------------------------------------------------------------- a realistic series, for the facilitator's tools

SERIES = "Demo series 2026"
COHORT = "Demo cohort: women officers, Islamabad"
ORGANISER = "Demo Training Organisation (not a real organiser)"
# Everything seeded here is invented: titles say "Demo:" so that no one mistakes it for real results.
WORKSHOPS = (  # place, province, dates, who came (by organisation), women among them, how well the workshop went
    ("Quetta", "Balochistan", (date(2026, 3, 10), date(2026, 3, 11)),
     {"Police": 9, "Levies": 5, "FIA": 4, "Prosecution": 3, "Social Welfare": 3}, 3, 1.0),
    ("Karachi", "Sindh", (date(2026, 4, 14), date(2026, 4, 15)),
     {"Police": 10, "FIA": 6, "Prosecution": 3, "Social Welfare": 4}, 5, 1.15),
    ("Lahore", "Punjab", (date(2026, 5, 19), date(2026, 5, 20)),
     {"Police": 12, "FIA": 6, "Prosecution": 3, "Social Welfare": 4}, 6, 0.9),
)
COHORT_ROOM = {"Police": 10, "FIA": 5, "Prosecution": 3, "Social Welfare": 4}
COACHING = (  # the cohort's sessions: title, the check bank given before and after
    ("Coaching session 1: identifying victims", "topic-identification"),
    ("Coaching session 2: interviewing victims", "topic-interviewing"),
    ("Coaching session 3: referral and protection", "topic-referral"),
)
# How much each objective moves from pre-test to post-test (logits): the law (O2) and referral (O5) land less well.
LEARNING = {"O1": 2.3, "O2": 0.8, "O3": 2.1, "O4": 1.8, "O5": 0.85, "O6": 1.7}
ORGANISATIONS = {  # organisation: (prior knowledge in logits, ranks)
    "Police": (0.0, ("Constable", "Constable", "Sub-Inspector", "Sub-Inspector", "Inspector", "ASP")),
    "FIA": (0.35, ("Constable", "Sub-Inspector", "Inspector")),
    "Levies": (-0.4, ("Constable", "Constable", "Sub-Inspector")),
    "Prosecution": (0.6, ("Prosecutor",)),
    "Social Welfare": (-0.1, ("Social Welfare Officer",)),
}
RANK_SHIFT = {"Constable": -0.3, "Sub-Inspector": 0.0, "Inspector": 0.2, "ASP": 0.5}
DIFFICULTY = {"easy": -1.3, "medium": -0.1, "hard": 0.9, None: 0.0}
# How much easier a form is (logits added to everyone's chance on its questions): the series' workshops run as
# crossovers (toolkit.design), and form B came out a little easier than A, as parallel forms do (about 6 points).
FORM_EASE = {"B": 0.3}
MEN = ("Muhammad Imran", "Asad Khan", "Bilal Ahmed", "Naveed Baloch", "Kamran Shah", "Tariq Mehmood",
       "Zahid Hussain", "Faisal Qureshi", "Abdul Rehman", "Waqas Ali", "Jamal Kakar", "Shahid Achakzai",
       "Irfan Memon", "Sajid Iqbal", "Usman Raza", "Rashid Bugti", "Noman Siddiqui", "Adnan Butt", "Hamza Javed",
       "Khalid Mengal", "Ghulam Mustafa", "Aamir Sheikh", "Farhan Zaidi", "Yasir Abbasi", "Saeed Jamali",
       "محمد عمران", "اسد اللہ خان", "نوید بلوچ", "طارق محمود", "عبدالرحمٰن")
WOMEN = ("Ayesha Khan", "Farhana Bibi", "Saima Baloch", "Nazia Perveen", "Rabia Ahmed", "Sadia Malik", "Hina Shah",
         "Mehwish Ali", "Shazia Noor", "Amna Tariq", "Kiran Fatima", "Sana Iqbal", "Uzma Raza", "Bushra Jamil",
         "Fauzia Kakar", "Rukhsana Bano", "Sobia Hussain", "Nadia Qureshi", "Tahira Yasmin", "Zainab Abbas",
         "عائشہ خان", "فرحانہ بی بی", "صائمہ بلوچ", "نازیہ پروین", "رابعہ احمد", "شازیہ نور")
OPEN_ANSWERS = {
    "most-useful": ("The case studies on brick kilns", "Learning the difference between TIP and SOM",
                    "The practice interview with a role-player", "The referral pathway and the contact list",
                    "Group work with officers from other departments", "The session on the 2018 Acts",
                    "How to talk to a victim without frightening her", "The checklist of indicators",
                    "کیس اسٹڈیز بہت مفید تھیں", "متاثرین سے بات کرنے کا طریقہ"),
    "what-to-change": ("More time for the law session", "More examples from our own province",
                       "Shorter lectures, more exercises", "Give the handouts in Urdu", "Start on time",
                       "A visit to a shelter", "Invite a prosecutor to explain charging",
                       "قانون کے سیشن کے لیے زیادہ وقت دیں"),
    "barriers-to-applying": ("No shelter for male victims in our district", "Transfers: I may be posted elsewhere",
                             "Seniors do not know this approach", "No female officer to interview women victims",
                             "No interpreter for Afghan victims", "Too many cases, too little time",
                             "No vehicle to take a victim to the shelter"),
}
ROOM_QUESTIONS = ("Is a child working at a brick kiln with his parents a victim of trafficking?",
                  "Which law applies when the smuggled migrant is a child?",
                  "Who pays for the shelter of a foreign victim?",
                  "Can a victim be charged for using a forged passport?")


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@dataclass
class _Item:
    """A question's difficulty and discrimination in the simulation (a few discriminate poorly)."""

    b: float
    a: float
    lure: list[float] = field(default_factory=list)  # how attractive each wrong option is


@dataclass
class _Person:
    name: str
    sex: str
    org: str
    rank: str
    ability: float
    learning: float
    participant: dict = field(default_factory=dict)
    late: bool = False  # arrived after the pre-test
    leaves: bool = False  # left before the post-test
    unsubmitted: bool = False  # answered the post-test but never pressed submit
    kept: float | None = None  # the logit on the last session's questions when the next session begins


class _Simulation:
    """A seeded model of ability and item difficulty that answers through the Store's public verbs."""

    def __init__(self, store: Store, seed: int):
        self.store = store
        self.rng = random.Random(seed)
        self.items: dict[tuple[str, str], _Item] = {}
        self.uid = 0

    def item(self, bank: Bank, q: Question) -> _Item:
        key = (bank.id.removesuffix("-retention"), q.id)  # a retention check asks its bank's questions again
        if key not in self.items:
            rng = self.rng
            wrong = max(0, len(q.options) - 1)
            self.items[key] = _Item(b=DIFFICULTY.get(q.difficulty, 0.0) + rng.gauss(0, 0.25),
                                    a=rng.uniform(1.0, 1.8), lure=[rng.random() ** 2 + 0.02 for _ in range(wrong)])
        return self.items[key]

    def poor_items(self, bank: Bank, n: int = 3) -> None:
        """Make a few of the bank's questions discriminate poorly: the able and the less able answer alike."""
        scored = [q for q in bank.questions if q.scored]
        for q in self.rng.sample(scored, min(n, len(scored))):
            self.item(bank, q).a = self.rng.uniform(0.05, 0.2)

    def response(self, bank: Bank, q: Question, logit: float) -> Any:
        """An answer in the shape the participant app saves, right with the model's probability."""
        rng, item = self.rng, self.item(bank, q)
        kind = questions.kind(q.type)
        guess = kind.guess(q)
        right = rng.random() < guess + (1 - guess) * _logistic(item.a * (logit - item.b))
        return kind.simulate(q, right, rng, item.lure)

    def save(self, attempt: dict, question_id: str, response: Any) -> None:
        self.uid += 1
        self.store.save_answer(attempt["id"], question_id, response, uid=f"demo-{attempt['id']}-{self.uid}")

    def take(self, activity: dict, person: _Person, model: Callable[[Question], Any],
             submit: bool = True) -> None:
        """One person's attempt: every question answered in order (a few skipped, a few changed), then submitted.

        `model(question)`: the person's logit on a scored question, or the answer itself to a survey question.
        """
        attempt = self.store.start_attempt(activity["id"], person.participant["id"])
        bank = self.store.find_bank(attempt_bank(attempt, activity))  # in a crossover, half take the other form
        ease = FORM_EASE.get(bank.form or "", 0.0)
        for q in bank.questions:
            if self.rng.random() < 0.02:
                continue  # skipped: scores 0, as the participant app counts it
            if not q.scored:
                response = model(q)
            else:
                if self.rng.random() < 0.03:  # a first thought, changed: the latest answer counts
                    self.save(attempt, q.id, self.response(bank, q, model(q) + ease - 1.5))
                response = self.response(bank, q, model(q) + ease)
            if response is not None:
                self.save(attempt, q.id, response)
        if submit:
            self.store.submit_attempt(attempt["id"])

    def likert(self, centre: float, points: int = 5) -> str:
        return str(min(points, max(1, round(centre + self.rng.gauss(0, 0.7)))))


def _names(rng: random.Random, pool: tuple[str, ...], n: int) -> list[str]:
    return rng.sample(pool, n) if n <= len(pool) else [rng.choice(pool) for _ in range(n)]


SERIES_BANK_FILES = ("prepost-form-a.yaml", "prepost-form-b.yaml", "reaction-survey.yaml", "confidence.yaml",
                     "topic-identification.yaml", "topic-interviewing.yaml", "topic-referral.yaml")


def _banks_for_series(banks_dir: str | Path | None) -> dict[str, Bank | None]:
    folder = Path(banks_dir or config.banks_dir())
    if all((folder / name).is_file() for name in SERIES_BANK_FILES):  # the shipped banks: read only these
        banks = {b.id: b for b in (load_bank(folder / name) for name in SERIES_BANK_FILES)}
    else:
        banks = shipped_banks(folder)
    tests = sorted((b for b in banks.values() if b.kind == "test"), key=lambda b: (b.form or "", b.id))
    if not tests:
        raise RuntimeError(f"No test bank in {banks_dir or config.banks_dir()}: the demo series needs a pre-test.")
    checks = [banks.get(bank_id) for _title, bank_id in COACHING]
    if not all(checks):
        checks = [b for b in banks.values() if b.kind == "check"][:3] or [tests[0]] * 3
    first = {kind: next((b for b in banks.values() if b.kind == kind), None) for kind in ("survey", "confidence")}
    return {"pre": tests[0], "post": tests[1] if len(tests) > 1 else tests[0], "checks": checks, **first}


def _join(store: Store, session: dict, sim: _Simulation, person: _Person, province: str) -> dict:
    sim.uid += 1
    return store.join(session["join_code"], person.name, language=languages.written_in(person.name),
                      uid=f"demo-join-{sim.uid}", sex=person.sex, organisation=person.org, rank=person.rank, province=province)


def _room(store: Store, session: dict, people: list[_Person], rng: random.Random) -> None:
    """A few questions from the room, with votes."""
    for text in rng.sample(ROOM_QUESTIONS, 3):
        asker = rng.choice(people).participant
        question = store.ask(session["id"], asker["id"], text, anonymous=rng.random() < 0.5)
        for voter in rng.sample(people, min(len(people), rng.randint(2, 7))):
            store.vote(question["id"], voter.participant["id"])


def _workshop(store: Store, sim: _Simulation, banks: dict, place: str, province: str, dates: tuple[date, date],
              room: dict[str, int], women: int, how_well: float) -> dict:
    rng = sim.rng
    workshop = store.add_workshop(
        f"Demo: Identifying and referring victims of trafficking, {place}", place=place, starts_on=dates[0],
        ends_on=dates[1], organiser=ORGANISER, cohort=SERIES,
        profile_fields={"sex": "required", "organisation": "required", "rank": "optional", "province": "optional"})
    session = store.add_session(workshop["id"], "Two-day workshop")
    activities = {}
    if banks["confidence"]:
        activities["before"] = store.add_activity(session["id"], banks["confidence"], "confidence",
                                                  title="Confidence (before)")
    # a crossover (the session's default design): half the room takes form A first, the other half form B
    activities["pre"] = store.add_activity(session["id"], banks["pre"], "pretest", title="Pre-test")
    activities["post"] = store.add_activity(session["id"], banks["post"], "posttest", title="Post-test")
    if banks["confidence"]:
        activities["after"] = store.add_activity(session["id"], banks["confidence"], "confidence",
                                                 title="Confidence (after)")
    if banks["survey"]:
        activities["survey"] = store.add_activity(session["id"], banks["survey"], "survey", title="Workshop feedback")
    size = sum(room.values())
    orgs = [org for org, n in room.items() for _ in range(n)]
    rng.shuffle(orgs)
    sexes = ["female"] * women + ["male"] * (size - women)
    rng.shuffle(sexes)
    names = {"female": iter(_names(rng, WOMEN, women)), "male": iter(_names(rng, MEN, size - women))}
    people = []
    for i, (sex, org) in enumerate(zip(sexes, orgs, strict=True)):
        prior, ranks = ORGANISATIONS[org]
        rank = rng.choice(ranks)
        people.append(_Person(next(names[sex]), sex, org, rank,
                              ability=rng.gauss(prior + RANK_SHIFT.get(rank, 0.0) - 1.2, 0.9),
                              learning=max(0.1, rng.gauss(how_well, 0.3)),
                              late=i == 5, leaves=i in (11, 17) and size > 20, unsubmitted=i == 20))

    def join_all(who: list[_Person]) -> None:
        for p in who:
            p.participant = _join(store, session, sim, p, province)

    join_all([p for p in people if not p.late])
    present = [p for p in people if not p.late]
    if "before" in activities:
        store.open_activity(activities["before"]["id"])
        for p in present:
            sim.take(activities["before"], p,
                     lambda q, p=p: sim.likert(2.4 + 0.4 * p.ability))
    store.open_activity(activities["pre"]["id"])
    for p in present:
        sim.take(activities["pre"], p, lambda q, p=p: p.ability)
    join_all([p for p in people if p.late])
    _room(store, session, people, rng)
    store.open_activity(activities["post"]["id"])
    stayed = [p for p in people if not p.leaves]
    for p in stayed:
        sim.take(activities["post"], p,
                 lambda q, p=p: p.ability + p.learning * _objective_gain(q), submit=not p.unsubmitted)
    if "after" in activities:
        store.open_activity(activities["after"]["id"])
        for p in stayed:
            sim.take(activities["after"], p,
                     lambda q, p=p: sim.likert(2.4 + 0.4 * p.ability + 1.3 * p.learning * _objective_gain(q) / 1.4))
    if "survey" in activities:
        store.open_activity(activities["survey"]["id"])
        for p in stayed:
            sim.take(activities["survey"], p, lambda q, p=p: _reaction(sim, q, p))
    store.close_session(session["id"])
    return {"workshop": workshop, "session": store.find_session(session["id"])}


def _objective_gain(q: Question) -> float:
    return sum(LEARNING.get(o, 0.8) for o in q.objectives) / len(q.objectives) if q.objectives else 0.8


def _reaction(sim: _Simulation, q: Question, person: _Person) -> str | None:
    rng = sim.rng
    if questions.kind(q.type).free_text:
        pool = OPEN_ANSWERS.get(q.id, ("Useful workshop",))
        return rng.choice(pool) if rng.random() < 0.45 else None
    if len(q.options) > 6:  # 0-10: would you recommend
        return str(min(10, max(0, round(7.6 + 1.2 * person.learning + rng.gauss(0, 1.3)))))
    centre = 3.6 if q.id in ("logistics-adequate", "pace-right") else 4.0 + 0.3 * (person.learning - 1)
    return sim.likert(centre)


def _cohort(store: Store, sim: _Simulation, banks: dict, seed: int) -> dict:
    rng = sim.rng
    workshop = store.add_workshop(
        "Demo: Coaching series for women officers, Islamabad", place="Islamabad", starts_on=date(2026, 6, 9),
        ends_on=date(2026, 8, 18), organiser=ORGANISER, cohort=COHORT,
        profile_fields={"sex": "required", "organisation": "required", "rank": "optional", "province": "optional"})
    orgs = [org for org, n in COHORT_ROOM.items() for _ in range(n)]
    rng.shuffle(orgs)
    size = len(orgs)
    people = []
    for name, org in zip(_names(rng, WOMEN, size), orgs, strict=True):
        prior, ranks = ORGANISATIONS[org]
        rank = rng.choice(ranks)
        people.append(_Person(name, "female", org, rank,
                              ability=rng.gauss(prior + RANK_SHIFT.get(rank, 0.0) - 1.0, 0.8),
                              learning=max(0.2, rng.gauss(1.0, 0.25))))
    sessions = []
    # the retention checks draw from a stream of their own: the checks before and after stay as they were
    keeping = _Simulation(store, seed)
    keeping.items = sim.items
    for index, (title, _bank_id) in enumerate(COACHING):
        bank = banks["checks"][index]
        session = store.add_session(workshop["id"], title)
        short = title.split(": ", 1)[-1]
        retention = None
        if index:  # the session opens with a retention check of the last one's questions
            earlier = banks["checks"][index - 1]
            retention = store.add_activity(session["id"], retention_check(earlier, seed=earlier.id), "retention",
                                           title=f"Retention check: {COACHING[index - 1][0].split(': ', 1)[-1]}")
        pre = store.add_activity(session["id"], bank, "pretest", title=f"Pre-check: {short}")
        post = store.add_activity(session["id"], bank, "posttest", title=f"Post-check: {short}")
        away = {21} if index == 0 else {rng.randrange(size)} if index == 1 else set()  # one joins late, one misses one
        here = [p for i, p in enumerate(people) if i not in away]
        for p in here:
            if p.participant:
                store.attend(session["id"], p.participant["id"])
            else:  # the first session this person comes to
                p.participant = _join(store, session, sim, p, "Islamabad")
        if retention is not None:
            store.open_activity(retention["id"])
            for p in here:
                if p.kept is not None:
                    keeping.take(retention, p, lambda q, p=p: p.kept)
        store.open_activity(pre["id"])
        for p in here:
            sim.take(pre, p, lambda q, p=p: p.ability)
        store.open_activity(post["id"])
        for p in here:
            sim.take(post, p, lambda q, p=p: p.ability + 1.1 * p.learning)
        store.close_session(session["id"])
        sessions.append(store.find_session(session["id"]))
        for p in people:  # what the coaching leaves behind for the next session; of this topic, about 60% stays
            p.kept = p.ability + 0.6 * 1.1 * p.learning if any(p is h for h in here) else None
            p.ability += 0.35 * p.learning
    return {"workshop": workshop, "sessions": sessions}


def seed_series(store: Store, banks_dir: str | Path | None = None, seed: int = 2026) -> dict:
    """Demo data for the facilitator's explorer and reports: three workshops and a coaching cohort.

    Workshops of 24, 23 and 25 officers (Quetta, Karachi, Lahore; series "Demo series 2026") with confidence
    before and after, pre-test and post-test as a crossover (half the room on form A first, half on form B, which
    is made a little easier) and the reaction survey; and a cohort of 22 women
    officers (Islamabad) over three coaching sessions, each with a check before and after, and from the second
    on a retention check repeating a sample of the last session's questions. Answers come from
    a seeded model of ability and item difficulty and are written through the Store's verbs, exactly as the
    apps write them. Every title starts with "Demo:". Returns {"workshops": [...], "cohort": {...}}.
    """
    banks = _banks_for_series(banks_dir)
    sim = _Simulation(store, seed)
    for bank in (banks["pre"], banks["post"]):
        sim.poor_items(bank)
    with _quick_writes(store):
        workshops = [_workshop(store, sim, banks, *spec) for spec in WORKSHOPS]
        # the cohort draws from its own stream: a change to how the workshops are simulated leaves it as it was
        cohort_sim = _Simulation(store, seed + 1)
        cohort_sim.uid = sim.uid  # (its join and answer uids follow the workshops')
        cohort = _cohort(store, cohort_sim, banks, seed + 2)
    return {"series": SERIES, "workshops": workshops, "cohort": cohort}


@contextmanager
def _quick_writes(store: Store) -> Iterator[None]:
    """Demo data needs no protection from a power cut: SQLite syncs the log less often while it is seeded.

    (Thousands of answers at one disk sync each would take a minute; WAL with synchronous=NORMAL stays
    consistent, and the store's own setting comes back with the next connection.)
    """
    if store.dialect != "sqlite":
        yield
        return

    def relax(dbapi_connection, _record, _proxy=None) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sa.event.listen(store.engine, "checkout", relax)
    try:
        yield
    finally:
        sa.event.remove(store.engine, "checkout", relax)
        store.engine.dispose()  # pooled connections reopen with the store's own setting


def series_database(cache_dir: str | Path, target: str | Path, banks_dir: str | Path | None = None,
                    seed: int = 2026) -> str:
    """A SQLite store file at `target` holding `seed_series`: seeded once into `cache_dir`, copied after.

    Seeding writes thousands of answers through the Store (seconds); a copy takes a moment, so tests and
    benchmarks that each want a fresh store share one seeding. Returns the new store's URL.
    """
    folder = Path(banks_dir or config.banks_dir())
    fingerprint = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(folder.glob("*.y*ml")):
        fingerprint.update(path.read_bytes())
    cached = Path(cache_dir) / f"demo-series-{seed}-{fingerprint.hexdigest()[:16]}.db"
    if not cached.is_file():
        partial = cached.with_name(f".{cached.name}.{os.getpid()}")
        partial.parent.mkdir(parents=True, exist_ok=True)
        store = Store(f"sqlite:///{partial}")
        try:
            seed_series(store, banks_dir, seed)
        finally:
            store.close()
        _copy_sqlite(partial, cached)
        for leftover in partial.parent.glob(f"{partial.name}*"):
            leftover.unlink(missing_ok=True)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(cached, target)
    return f"sqlite:///{target.resolve()}"


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API) into a file of its own, swapped in whole."""
    partial = target.with_name(f".{target.name}.partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(partial, target)

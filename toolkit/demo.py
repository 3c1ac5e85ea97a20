"""Seed data: one builder that feeds the demo, the tests and the benchmarks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from . import config
from .bank import Bank, load_banks
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

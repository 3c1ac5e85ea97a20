"""A retention check: a sample of an earlier post-test's questions, asked again in a later session of the cohort.

The check is a bank of its own (the sampled questions exactly as they were, with their objectives), so the store
keeps its exact content like any other; toolkit.analysis.retention compares each person's answers to it with their
own earlier answers to the same questions.
"""

from __future__ import annotations

import random

from .bank import Bank, content_hash_of, parse_bank

DEFAULT_SIZE = 8


def retention_check(bank: Bank, size: int = DEFAULT_SIZE, seed: int | str | None = None) -> Bank:
    """The retention check of `bank`: `size` of its scored questions (all when fewer), drawn so that each
    objective keeps at least one question where it can, in the bank's order; the same seed gives the same check."""
    rng = random.Random(seed if seed is not None else bank.hash)
    scored = [q for q in bank.questions if q.scored]
    chosen: list[str] = []
    for objective in sorted({o for q in scored for o in q.objectives}):
        if len(chosen) < size:
            options = [q.id for q in scored if objective in q.objectives and q.id not in chosen]
            if options:
                chosen.append(rng.choice(options))
    rest = [q.id for q in scored if q.id not in chosen]
    chosen += rng.sample(rest, max(0, min(size - len(chosen), len(rest))))
    keep = set(chosen)
    content = dict(bank.content)
    content["id"] = f"{bank.id}-retention"
    content["title"] = {lang: f"{text} (retention check)" for lang, text in bank.title.items()}
    content["questions"] = [q for q in bank.content["questions"] if q["id"] in keep]
    content.pop("form", None)
    return parse_bank(content, f"retention check of {bank.id}", content_hash_of(content))

"""A retention check: a sample of an earlier post-test's questions, asked again in a later session of the cohort.

The check is a bank of its own (the sampled questions exactly as they were, with their objectives), so the store
keeps its exact content like any other; toolkit.analysis.retention compares each person's answers to it with their
own earlier answers to the same questions.
"""

from __future__ import annotations

import random

from .bank import Bank, content_hash_of, parse_bank

DEFAULT_SIZE = 8


def retention_check(bank: Bank, size: int = DEFAULT_SIZE, seed: int | str | None = None,
                    other_form: Bank | None = None) -> Bank:
    """The retention check of `bank`: `size` of its scored questions (all when fewer), drawn so that each
    objective keeps at least one question where it can, in the bank's order; the same seed gives the same check.

    After a crossover (half the room took `bank` at the post-test, half `other_form`) the check draws half of its
    questions from each form, the objectives covered across both, so that everyone answered half of it at the
    post-test (toolkit.analysis.retention compares each person on those)."""
    forms = [bank] if other_form is None or other_form.hash == bank.hash else [bank, other_form]
    rng = random.Random(seed if seed is not None else "/".join(f.hash for f in forms))
    pools: list[list] = []
    for form in forms:  # a question both forms share is drawn from the first
        taken = {q.id for pool in pools for q in pool}
        pools.append([q for q in form.questions if q.scored and q.id not in taken])
    size = min(size, sum(len(pool) for pool in pools))
    quota = [size // len(pools) + (i < size % len(pools)) for i in range(len(pools))]
    for i, pool in enumerate(pools):  # a form with too few questions leaves the rest to the other
        spare = quota[i] - len(pool)
        if spare > 0:
            quota[i] = len(pool)
            quota[1 - i] += spare
    chosen: list[list[str]] = [[] for _ in pools]

    def options(i: int, objective: str | None = None) -> list[str]:
        return [q.id for q in pools[i] if q.id not in chosen[i] and (objective is None or objective in q.objectives)]

    for objective in sorted({o for pool in pools for q in pool for o in q.objectives}):
        room = [i for i in range(len(pools)) if len(chosen[i]) < quota[i] and options(i, objective)]
        if room:  # the form with the fewest chosen so far takes the objective
            i = min(room, key=lambda i: (len(chosen[i]) - quota[i], i))
            chosen[i].append(rng.choice(options(i, objective)))
    for i in range(len(pools)):
        rest = options(i)
        chosen[i] += rng.sample(rest, max(0, min(quota[i] - len(chosen[i]), len(rest))))
    content = dict(bank.content)
    content["id"] = f"{bank.id}-retention"
    content["title"] = {lang: f"{text} (retention check)" for lang, text in bank.title.items()}
    content["questions"] = [q for form, keep in zip(forms, chosen, strict=True)
                            for q in form.content["questions"] if q["id"] in set(keep)]
    content.pop("form", None)
    return parse_bank(content, f"retention check of {' and '.join(f.id for f in forms)}", content_hash_of(content))

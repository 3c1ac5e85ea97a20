"""Time and memory of the full pre/post analysis: 10,000 participants × 40 items × pre and post, against 1,000.

Not a test: run by hand, `python benchmarks/report_analysis.py [--repeat 3]`. The data are drawn here with
numpy's seeded generator (a logistic response model: ability, item difficulty, a gain at the post-test);
every participant takes the post-test under a new id and is matched by self-generated code, one in ten
with one element misremembered, so matching is part of what is timed.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.analysis import full_analysis  # noqa: E402
from toolkit.matchcode import match_code_hash  # noqa: E402

KEY = bytes(32)
QUICK = {"n": 2, "r": 1, "p": 1}  # scrypt at its lowest cost: the analysis is timed here, not the codes

ITEMS = 40
SIZES = (1_000, 10_000)  # the first is the baseline


def cohort(n: int, items: int = ITEMS, seed: int = 2026) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    difficulty = np.linspace(-2, 2, items)
    frames = []
    for kind, shift, prefix in (("pretest", 0.0, "pre"), ("posttest", 0.8, "post")):
        p_right = 1 / (1 + np.exp(-(ability[:, None] + shift - difficulty[None, :])))
        right = rng.random((n, items)) < p_right
        wrong_option = rng.choice(np.array(["b", "c", "d", "e"]), size=(n, items), p=[0.5, 0.3, 0.17, 0.03])
        frames.append(pd.DataFrame({
            "participant_id": np.repeat([f"{prefix}{i}" for i in range(n)], items),
            "activity_kind": kind, "session_id": "s1", "workshop_id": np.repeat([f"w{i % 20}" for i in range(n)], items),
            "question_id": np.tile([f"q{j:02d}" for j in range(items)], n),
            "objective": np.tile([f"O{j % 6 + 1}" for j in range(items)], n),
            "points": right.ravel().astype(float), "max_points": 1.0,
            "response": np.where(right, "a", wrong_option).ravel().astype(object),
        }))
    people = []
    for i in range(n):
        code = {"mother": "abcdefghijklmnopqrstuvwxyz"[i % 26], "birthday": str(1 + (i // 26) % 31),
                "district": "abcdefghijklmnopqrstuvwxyz"[(i // 806) % 26], "siblings": str(i % 7)}
        profile = {"sex": "fm"[i % 2], "organisation": ["FIA", "Police", "Labour"][i % 3], "rank": f"R{i % 5}"}
        people.append({"participant_id": f"pre{i}", "match_code_hash": match_code_hash(code, KEY, cost=QUICK), **profile})
        if i % 10 == 0:
            code = {**code, "siblings": str(i % 7 + 10)}
        people.append({"participant_id": f"post{i}", "match_code_hash": match_code_hash(code, KEY, cost=QUICK), **profile})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(people)


def timed(answers: pd.DataFrame, participants: pd.DataFrame, repeat: int) -> tuple[float, float, dict]:
    """The best wall-clock and CPU seconds of `repeat` runs (CPU time is steadier on a shared machine)."""
    best_wall = best_cpu = float("inf")
    tables: dict = {}
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        tables = full_analysis(answers, participants, by_code=True)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, tables


def traced_peak(answers: pd.DataFrame, participants: pd.DataFrame) -> int:
    """Peak bytes allocated while analysing (Python objects and numpy buffers), the inputs not counted."""
    gc.collect()
    tracemalloc.start()
    full_analysis(answers, participants, by_code=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best time is reported")
    args = parser.parse_args()
    wall, cpu = {}, {}
    for n in SIZES:
        answers, participants = cohort(n)
        wall[n], cpu[n], tables = timed(answers, participants, args.repeat)
        peak = traced_peak(answers, participants)
        rate = tables["match_rate"].iloc[0].astype(int)
        print(f"{n:>6,} participants × {ITEMS} items × pre and post ({len(answers):,} answer rows): "
              f"{wall[n]:6.2f} s wall, {cpu[n]:6.2f} s CPU (best of {args.repeat}); "
              f"peak traced memory {peak / 2**20:6.1f} MiB; matched {rate['matched']:,} "
              f"({rate['matched_exact_code']:,} exact code, {rate['matched_tolerant_code']:,} tolerant)")
        del answers, participants, tables
    small, large = SIZES
    print(f"ratio {large:,} / {small:,} participants: {wall[large] / wall[small]:.1f}× wall, "
          f"{cpu[large] / cpu[small]:.1f}× CPU (linear would be {large // small}×)")
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"process peak resident memory (data, analysis and interpreter): {maxrss_kib / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()

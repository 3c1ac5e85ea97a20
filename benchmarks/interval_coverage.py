"""How often the 95% intervals of the mean gain and of <g> hold the true value, in workshops of 5 to 40 people.

Not a test: run by hand, `python benchmarks/interval_coverage.py [--reps 2000]`. Each replicate draws a
workshop from a known population, computes the intervals with toolkit.analysis.gain_intervals (the
product's own code) by each method, and checks whether each holds the population's mean gain and <g>.
The old method (the percentile bootstrap, 2000 resamples, the fixed seed) is the baseline, measured in
the same run as BCa and the t-intervals (the default).

The populations are percent scores on a 25-item test: each person's chance of a right answer before is
drawn from a Beta distribution (pre-test mean about 50%, or about 57% in the "ceiling" scenario), and
after it moves a share g of the way to 100%: g is 0 for those who learned nothing, else skewed (Beta).
The scores are binomial on 25 items, so they tie, and some reach 100% at the post-test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.analysis import gain_intervals  # noqa: E402

ITEMS = 25
SIZES = (5, 10, 22, 40)
METHODS = ("percentile", "bca", "t")  # the first is the baseline (the toolkit's method until 2026-12)
NAMES = {"percentile": "percentile (old)", "bca": "BCa", "t": "t (new)"}
# scenario: Beta(a, b) of the chance right before; the share who learned nothing; Beta(a, b) of g for the others
SCENARIOS = {
    "typical": ((5.0, 5.0), 0.15, (1.5, 2.5)),
    "ceiling": ((6.0, 4.5), 0.35, (2.0, 1.2)),
}


def draw(n: int, scenario: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    (a, b), flat, (ga, gb) = SCENARIOS[scenario]
    before = rng.beta(a, b, n)
    g = np.where(rng.random(n) < flat, 0.0, rng.beta(ga, gb, n))
    after = before + (1 - before) * g
    return rng.binomial(ITEMS, before) * 100 / ITEMS, rng.binomial(ITEMS, after) * 100 / ITEMS


def truth(scenario: str, size: int = 2_000_000) -> tuple[float, float]:
    pre, post = draw(size, scenario, np.random.default_rng(1))
    return float((post - pre).mean()), float((post.mean() - pre.mean()) / (100 - pre.mean()))


def coverage(scenario: str, n: int, reps: int, true: tuple[float, float]) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(2026 + n)
    held = {m: np.zeros(2) for m in METHODS}
    width = {m: np.zeros(2) for m in METHODS}
    for _ in range(reps):
        pre, post = draw(n, scenario, rng)
        scores = pd.DataFrame({"pre": pre, "post": post})
        for method in METHODS:
            ci = gain_intervals(scores, method=method)
            low, high = ci["ci_low"].to_numpy(), ci["ci_high"].to_numpy()
            held[method] += (low <= true) & (true <= high)
            width[method] += high - low
    return {m: {"mean_gain": 100 * held[m][0] / reps, "class_g": 100 * held[m][1] / reps,
                "width_gain": width[m][0] / reps, "width_g": width[m][1] / reps} for m in METHODS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replicates per size and scenario (default 1000)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="workshop sizes (default 5,10,22,40)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="typical, ceiling (default both)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.reps} replicates per row; Monte Carlo SE of a coverage near 95%: "
          f"{100 * np.sqrt(0.95 * 0.05 / args.reps):.1f} points")
    for scenario in args.scenarios.split(","):
        true = truth(scenario)
        print(f"\nScenario {scenario!r}: true mean gain {true[0]:.2f} points, true <g> {true[1]:.3f}")
        print(f"{'n':>3}  {'method':<17}{'mean gain':>10}{'<g>':>8}{'width (pts)':>13}{'width <g>':>11}")
        for n in sizes:
            got = coverage(scenario, n, args.reps, true)
            for method in METHODS:
                c = got[method]
                print(f"{n:>3}  {NAMES[method]:<17}{c['mean_gain']:>9.1f}%{c['class_g']:>7.1f}%"
                      f"{c['width_gain']:>13.1f}{c['width_g']:>11.3f}")
            base = got[METHODS[0]]
            new = got["t"]
            print(f"{'':>3}  {'t - percentile':<17}{new['mean_gain'] - base['mean_gain']:>+9.1f} "
                  f"{new['class_g'] - base['class_g']:>+7.1f}{new['width_gain'] / base['width_gain']:>12.2f}×"
                  f"{new['width_g'] / base['width_g']:>10.2f}×", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s; load average at end: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

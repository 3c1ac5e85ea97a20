"""What a matching code costs: the laptop at a join, and an attacker who holds the store and the key as well.

Not a test: run by hand, `python benchmarks/match_code_cost.py [--repeat 20]`. Times toolkit.matchcode's digest
(scrypt at matchcode.SCRYPT) and a whole code (five digests, one join), and at a few other costs for comparison;
then the time one core needs to try every answer to the weakest digest (the one that leaves out the number of
siblings: 26 × 31 × 26 codes with Latin letters) and the whole code's space (× 41), with the key. Without the
key no guess can be checked at all. Prints the load average: read the figures at a similar load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.matchcode import SCRYPT, match_code_hash  # noqa: E402

ANSWERS = {"mother": "R", "birthday": "14", "district": "Q", "siblings": "2"}
WEAKEST = 26 * 31 * 26
WHOLE = WEAKEST * 41


def per_call(cost: dict, repeat: int) -> float:
    start = time.perf_counter()
    for i in range(repeat):
        hashlib.scrypt(f"r|14|q|{i}".encode(), salt=b"toolkit-match-code-v2\0" + bytes(32), dklen=5, **cost)
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} cores")
    start = time.perf_counter()
    for _ in range(max(1, args.repeat // 5)):
        match_code_hash(ANSWERS, bytes(32))
    join = (time.perf_counter() - start) / max(1, args.repeat // 5)
    print(f"one join's code (five digests) at {SCRYPT['n']=}, {SCRYPT['r']=}: {join * 1000:.0f} ms")
    print(f"{'n':>7} {'r':>3} {'memory':>8} {'digest':>9} {'weakest digest, 1 core':>24} {'whole code, 1 core':>20}")
    for n in (2 ** 12, 2 ** 13, 2 ** 14, 2 ** 15):
        cost = {**SCRYPT, "n": n}
        t = per_call(cost, args.repeat)
        mark = " <- toolkit" if n == SCRYPT["n"] else ""
        print(f"{n:>7} {cost['r']:>3} {128 * n * cost['r'] / 2 ** 20:>6.0f}MB {t * 1000:>7.1f}ms "
              f"{WEAKEST * t / 60:>20.0f} min {WHOLE * t / 3600:>17.1f} h{mark}")
    sha = time.perf_counter()
    for i in range(100_000):
        hashlib.sha256(f"toolkit-match-code-v1|r|14|q|{i}".encode()).hexdigest()
    sha = (time.perf_counter() - sha) / 100_000
    print(f"before the key (SHA-256 of a salt in the source, no key needed): the whole code in {WHOLE * sha:.1f} s")


if __name__ == "__main__":
    main()

"""Plain page loads with no WebSocket (a phone reloading, a script, a link preview): what they cost the laptop.

The participant server as `toolkit serve` runs it (toolkit.serve.voila_config; pool and kernel cap from
toolkit.serve.capacity), against a baseline in the same run: the same server as it was before issue #13, with
no kernel cap and kernels freed only by the idle cull (`--cull-after`, 300 s; WorkshopVoila.kernel_cap 0,
page_connect_s beyond the run).

N page loads from K loopback addresses (127.0.0.x: each a phone) spread over S seconds, none opening its
kernel's WebSocket. Printed per server: the answers (200 page, 503 room full, 429 too many from one
address, "no answer" when the client's 120 s deadline passed), the participant kernels and the memory of the
server with all its kernels (RSS) before, right after, and `--after` seconds later; then the ratios.

`--available-mb` sizes the room as on a laptop with that much free memory (the kernel cap of
toolkit.serve.capacity); by default this machine's free memory is used.

Not a test: `python benchmarks/page_flood.py [--loads 60 --addresses 3 --seconds 53 --available-mb 2500]`.
Loopback only, at most --loads requests per server, each with a deadline.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import http.client
import time

import psutil
from _servers import banner, load_average, ratio, seed_store, start_toolkit, work_dir

from toolkit.serve import capacity

MB = 2**20


def load(port: int, source: str) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        return r.status
    except OSError:
        return 0
    finally:
        c.close()


def measure(server) -> tuple[int, float]:
    """(participant kernels, GB resident of the server and all its kernels)."""
    kernels = server.kernels()
    rss = 0
    for p in [psutil.Process(server.proc.pid), *server.descendants()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            rss += p.memory_info().rss
    return len(kernels), rss / MB / 1024


def shown(figures: tuple[int, float]) -> str:
    return f"{figures[0]} participant kernels, server and kernels {figures[1]:.2f} GB RSS"


def flood(args, name: str, pool: int, workshop_voila: dict) -> dict:
    data = work_dir(f"toolkit-flood-{name}-")
    seed_store(data, None)
    server = start_toolkit("participant", data, None, pool=pool, kernel_cap=workshop_voila.get("kernel_cap", 0),
                           workshop_voila=workshop_voila)
    out = {}
    try:
        server.wait_started()
        server.wait_warm(pool)
        time.sleep(2)
        banner(f"{name}: {args.loads} plain page loads from {args.addresses} addresses in {args.seconds:.0f} s; "
               f"pool {pool}, " + (f"cap {workshop_voila['kernel_cap']} kernels" if workshop_voila.get("kernel_cap")
                                   else "no kernel cap"))
        out["before"] = measure(server)
        print(f"   before: {shown(out['before'])}", flush=True)
        statuses: collections.Counter = collections.Counter()
        started = time.monotonic()
        peak = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.loads) as workers:
            futures = []
            for i in range(args.loads):
                time.sleep(max(0.0, started + i * args.seconds / args.loads - time.monotonic()))
                futures.append(workers.submit(load, server.port, f"127.0.0.{10 + i % args.addresses}"))
            while not all(f.done() for f in futures):
                peak = max(peak, len(server.kernels()))
                time.sleep(0.5)
            statuses.update(f.result() for f in futures)
        out["after"] = measure(server)
        out["peak"] = max(peak, out["after"][0])
        print("   answers: " + ", ".join(f"{n}× {s or 'no answer'}" for s, n in sorted(statuses.items())))
        print(f"   right after ({time.monotonic() - started:.0f} s): {shown(out['after'])}; peak {out['peak']} kernels")
        print(f"   {load_average()}", flush=True)
        time.sleep(args.after)
        out["later"] = measure(server)
        print(f"   {args.after:.0f} s later: {shown(out['later'])}")
        print(f"   {load_average()}", flush=True)
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=60)
    parser.add_argument("--addresses", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=53.0)
    parser.add_argument("--expect", type=int, default=4)
    parser.add_argument("--available-mb", type=int, default=None)
    parser.add_argument("--after", type=float, default=90.0, help="seconds to wait after the loads")
    parser.add_argument("--servers", default="before,toolkit", help="before, toolkit or both (the default)")
    args = parser.parse_args()

    room = capacity(args.expect, args.available_mb)
    runs = {}
    if "before" in args.servers:
        runs["before"] = flood(args, "before #13", room.pool, {"kernel_cap": 0, "page_connect_s": 1e9})
    if "toolkit" in args.servers:
        runs["toolkit"] = flood(args, "toolkit", room.pool, {"kernel_cap": room.cap})
    if len(runs) == 2:
        a, b = runs["toolkit"], runs["before"]
        banner("toolkit / before #13")
        print(f"   peak kernels {ratio(a['peak'], b['peak'])}, memory right after {ratio(a['after'][1], b['after'][1])}, "
              f"{args.after:.0f} s later {ratio(a['later'][1], b['later'][1])}")


if __name__ == "__main__":
    main()

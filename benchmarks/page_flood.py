"""Plain page loads with no WebSocket (a phone reloading, a script, a link preview): what they cost the laptop.

The participant server as `toolkit serve` runs it (toolkit.serve.voila_config; pool and kernel cap from
toolkit.serve.capacity). N page loads from K loopback addresses (127.0.0.x: each a phone) spread over S
seconds, none opening its kernel's WebSocket. Printed: the answers (200 page, 503 room full, 429 too many
from one address), the participant kernels and the server's memory (RSS of the server and all its kernels)
before, right after, and once the never-connected kernels have had time to be freed (toolkit.voila_app frees
them within a minute; before that change they lived for --cull-after, 300 s).

`--available-mb` sizes the room as on a laptop with that much free memory (the kernel cap of
toolkit.serve.capacity); by default this machine's free memory is used. `--uncapped`: no kernel cap.

Not a test: `python benchmarks/page_flood.py [--loads 60 --addresses 3 --seconds 53 --available-mb 2500]`.
Loopback only, at most --loads requests, each with a deadline.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import http.client
import time

import psutil
from _servers import banner, seed_store, start_toolkit, work_dir

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


def figures(server) -> str:
    kernels = server.kernels()
    rss = 0
    for p in [psutil.Process(server.proc.pid), *server.descendants()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            rss += p.memory_info().rss
    return f"{len(kernels)} participant kernels, server and kernels {rss / MB / 1024:.2f} GB RSS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=60)
    parser.add_argument("--addresses", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=53.0)
    parser.add_argument("--expect", type=int, default=4)
    parser.add_argument("--available-mb", type=int, default=None)
    parser.add_argument("--after", type=float, default=90.0, help="seconds to wait after the loads")
    parser.add_argument("--uncapped", action="store_true", help="no kernel cap (the never-connected kernels are "
                                                                "still freed within a minute)")
    args = parser.parse_args()

    room = capacity(args.expect, args.available_mb)
    capped = not args.uncapped
    extra = {"kernel_cap": room.cap} if capped else {}
    data = work_dir("toolkit-flood-")
    seed_store(data, None)
    server = start_toolkit("participant", data, None, pool=room.pool, **extra)
    try:
        server.wait_started()
        server.wait_warm(room.pool)
        time.sleep(2)
        banner(f"{args.loads} plain page loads from {args.addresses} addresses in {args.seconds:.0f} s; "
               f"pool {room.pool}, " + (f"cap {room.participants} kernels" if capped else "no kernel cap"))
        print(f"   before: {figures(server)}", flush=True)
        statuses: collections.Counter = collections.Counter()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.loads) as pool:
            futures = []
            for i in range(args.loads):
                time.sleep(max(0.0, started + i * args.seconds / args.loads - time.monotonic()))
                futures.append(pool.submit(load, server.port, f"127.0.0.{10 + i % args.addresses}"))
            peak = 0
            while not all(f.done() for f in futures):
                peak = max(peak, len(server.kernels()))
                time.sleep(0.5)
            statuses.update(f.result() for f in futures)
        peak = max(peak, len(server.kernels()))
        print("   answers: " + ", ".join(f"{n}× {s or 'no answer'}" for s, n in sorted(statuses.items())))
        print(f"   right after ({time.monotonic() - started:.0f} s): {figures(server)}; peak {peak} kernels")
        print(f"   {load_line()}", flush=True)
        time.sleep(args.after)
        print(f"   {args.after:.0f} s later: {figures(server)}")
        print(f"   {load_line()}", flush=True)
    finally:
        server.stop()


def load_line() -> str:
    from _servers import load_average

    return load_average()


if __name__ == "__main__":
    main()

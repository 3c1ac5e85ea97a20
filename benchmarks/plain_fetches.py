"""Plain fetches of the participant page (no JavaScript, as tests/test_serving.py does) on freshly started servers,
several servers at once: how many waited long, or never got their page.

Each server is the participant server of `toolkit serve --expect E` (pool of E warm kernels); its first fetch comes
0–3 s after the port opens (the pool still warming), the next ones 0–6 s apart; half of the fetched pages then
open their kernel's WebSocket for 0–2 s. A fetch still waiting after `--describe-after` s (30) makes the server
write its state dump to its log (`kill -USR1`, toolkit.voila_app.StateDump: pool, pages being sent, kernels,
renderers' waiting messages, every task's await chain); the log is kept and named.

This is how the page that never started was found (issue #13 part 1): before toolkit.voila_app.WakefulChannel,
1 fetch in 56 waited 180 s with its kernel idle and the cell's reply waiting, unread, in the server's socket.

Not a test: `python benchmarks/plain_fetches.py` (10 rounds of 2 servers, 6 fetches each: 120 fetches, about
15 minutes on 2 busy cores).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import threading
import time
import urllib.request
import uuid

from _servers import banner, free_port, load_average, pool_for, seed_store, start_toolkit, work_dir

SLOW_S = 20.0  # a fetch this slow is listed


def fetch(url: str, timeout: float) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def kernel_id(page: str) -> str:
    return json.loads(page.split('<script id="jupyter-config-data" type="application/json">')[1]
                      .split("</script>")[0])["kernelId"]


def one_server(number: int, args, rng: random.Random, seeding: threading.Lock, results: list) -> None:
    import websocket

    data = work_dir(f"tk-plain-fetches-{number}-")
    with seeding:  # Alembic's upgrade is not safe in two threads at once
        seed_store(data, args.banks)
    server = start_toolkit("participant", data, args.banks, pool=pool_for(args.expect), port=free_port())
    keep = False
    try:
        server.wait_started()
        time.sleep(rng.uniform(0, 3))
        for i in range(args.fetches):
            started = time.monotonic()
            described = threading.Timer(args.describe_after, lambda: server.proc.send_signal(signal.SIGUSR1))
            described.start()
            try:
                status, page = fetch(server.url, args.timeout)
                outcome = status
                if rng.random() < 0.5:
                    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id(page)}/"
                                                     f"channels?session_id={uuid.uuid4()}", timeout=10)
                    time.sleep(rng.uniform(0, 2))
                    ws.close()
            except Exception as e:  # noqa: BLE001 - counted and reported
                outcome = repr(e)[:100]
            finally:
                described.cancel()
            seconds = time.monotonic() - started
            results.append((number, i, seconds, outcome))
            if seconds > args.describe_after or outcome != 200:
                keep = True
                print(f"     server {number} fetch {i}: {outcome} after {seconds:.0f} s; log {server.log}", flush=True)
            time.sleep(rng.uniform(0, 6))
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of servers (default 10)")
    parser.add_argument("--parallel", type=int, default=2, help="servers at once in each round (default 2)")
    parser.add_argument("--fetches", type=int, default=6, help="fetches per server (default 6)")
    parser.add_argument("--expect", type=int, default=3, help="`toolkit serve --expect` (default 3, as the tests)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a fetch may go without a byte (180)")
    parser.add_argument("--describe-after", type=float, default=30, help="seconds before the state dump (30)")
    parser.add_argument("--banks", default=None, help="question banks (default: the shipped ones)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    banner(f"plain fetches: {args.rounds * args.parallel * args.fetches} planned on {args.rounds * args.parallel} "
           f"fresh servers, {args.parallel} at once, `--expect {args.expect}`")
    rng, seeding, results = random.Random(args.seed), threading.Lock(), []
    started = time.monotonic()
    for r in range(args.rounds):
        threads = [threading.Thread(target=one_server, args=(r * args.parallel + j, args, random.Random(rng.random()),
                                                             seeding, results)) for j in range(args.parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"     round {r + 1}: {len(results)} fetches; {load_average()}", flush=True)
    failed = [x for x in results if x[3] != 200]
    slow = [x for x in results if x[3] == 200 and x[2] > SLOW_S]
    times = sorted(x[2] for x in results if x[3] == 200)
    print(f"   {len(results)} fetches in {time.monotonic() - started:.0f} s: {len(failed)} without their page, "
          f"{len(slow)} slower than {SLOW_S:.0f} s; median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s; "
          f"{load_average()}")
    for number, i, seconds, outcome in failed + slow:
        print(f"     server {number} fetch {i}: {outcome} after {seconds:.1f} s")
    print("   " + json.dumps({"fetches": len(results), "failed": len(failed), "slow": len(slow)}))


if __name__ == "__main__":
    main()

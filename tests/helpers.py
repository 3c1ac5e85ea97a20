"""Plain helpers and paths that tests import (`from helpers import ...`); the fixtures stay in conftest.py."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_BANKS = Path(__file__).resolve().parent / "banks"
POSTGRES_URL = os.environ.get("TOOLKIT_TEST_POSTGRES")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def by_place(results, place):
    """The results of the workshops held at `place`."""
    ids = results.workshops.loc[results.workshops["place"] == place, "workshop_id"]
    return results.select(workshops=ids)

# scrypt at its lowest cost, for tests that make many matching codes and only compare them (toolkit.matchcode)
QUICK_CODES = {"n": 2, "r": 1, "p": 1}
KEY = bytes(range(32))  # a matching key of the tests' own


def quick_code(answers: dict) -> str:
    from toolkit.matchcode import match_code_hash

    return match_code_hash(answers, KEY, cost=QUICK_CODES)


def stop_tree(proc, timeout: float = 30) -> None:
    """Stop `toolkit serve` as Ctrl+C does; whatever of its tree is still running after `timeout` (servers,
    kernels, a fork template) is killed by pid, so that no test leaves kernels holding store connections."""
    import signal
    import subprocess

    import psutil

    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    _gone, alive = psutil.wait_procs(tree, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def page_text(page: str) -> str:
    """What a reader of an HTML page or fragment reads: its text, entities decoded (markup shown as text is
    there, an element made of it is not)."""
    from html.parser import HTMLParser

    parts: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = parts.append
    parser.feed(page)
    parser.close()
    return "".join(parts)

"""Plain helpers and paths that tests import (`from helpers import ...`); the fixtures stay in conftest.py."""

from __future__ import annotations

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

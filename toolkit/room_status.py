"""What the participant servers tell the coach about the room: whether it is full and how many phones were
turned away. One small record per participant server in the store (table store_info, name `room:SERVER`),
so that several participant servers on one PostgreSQL each report; the coach console reads them all.

A server renews its record while the room is full; a record not renewed for `FRESH_S` (a server that was
stopped or killed) is ignored.
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa

from . import schema as t
from .store import Store

PREFIX = "room:"
FRESH_S = 180.0
_NAME = t.store_info.c.name.type.length  # 40
_VALUE = t.store_info.c.value.type.length  # 200


def write_room_status(store: Store, server: str, record: dict) -> None:
    """Replace this server's record: {"full": bool, "why": "cap"|"memory"|None, "in", "kernels", "cap",
    "away": ints}; the time it was written is added."""
    name = (PREFIX + server)[:_NAME]
    value = json.dumps({**record, "at": round(time.time(), 1)}, separators=(",", ":"))
    if len(value) > _VALUE:
        raise ValueError(f"room status too long for the store ({len(value)} characters)")
    with store.transaction() as c:
        c.execute(sa.delete(t.store_info).where(t.store_info.c.name == name))
        c.execute(sa.insert(t.store_info).values(name=name, value=value))


def room_status(store: Store, now: float | None = None) -> list[dict]:
    """The fresh records of the participant servers, each with its "server"; the full ones first."""
    now = time.time() if now is None else now
    with store.read() as c:
        rows = c.execute(sa.select(t.store_info.c.name, t.store_info.c.value)
                         .where(t.store_info.c.name.like(PREFIX + "%"))).all()
    out = []
    for name, value in rows:
        try:
            record = json.loads(value)
        except ValueError:
            continue
        if isinstance(record, dict) and now - float(record.get("at", 0)) <= FRESH_S:
            out.append({**record, "server": name[len(PREFIX):]})
    out.sort(key=lambda r: (not r.get("full"), r["server"]))
    return out


def room_line(records: list[dict]) -> str:
    """The coach's line while a room is full (plain text; empty when no server is full)."""
    lines = []
    for r in (r for r in records if r.get("full")):
        where = f" (participant server {r['server']})" if len(records) > 1 else ""
        away = int(r.get("away", 0))
        why = ("memory is short: close other programs on this laptop" if r.get("why") == "memory"
               else f"this laptop holds {int(r.get('cap', 0))} at once")
        lines.append(f"The room is full{where}: {away} phone{'s' if away != 1 else ''} turned away so far ({why}). "
                     "A phone whose page is closed or never opened frees its place within a minute; a turned-away "
                     "phone tries again by itself.")
    return "\n".join(lines)

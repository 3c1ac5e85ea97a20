"""Voila as `toolkit serve` runs it: compressed responses, static assets the phone keeps, and a limit on
page loads per address (each page load costs a kernel, and a join code must not be guessable quickly).

Run as `python -m toolkit.voila_app NOTEBOOK`; it reads voila.json from its working folder like Voila.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

import tornado.web
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

STATIC_CACHE_S = 24 * 3600  # a day: a two-day workshop loads the scripts once per phone per day
PAGE_LOADS_PER_MINUTE = 20  # per address; a person reloading now and then never gets near it

TOO_MANY = """<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">
<body style="font-family:system-ui,sans-serif;font-size:20px;max-width:32em;margin:2em auto;padding:0 1em">
<h1>Please wait a minute</h1><p>This phone opened the page many times in a short while. Wait a minute, then
reload the page.</p><p dir="rtl" lang="ur">براہِ کرم ایک منٹ انتظار کریں، پھر صفحہ دوبارہ کھولیں۔</p></body>"""


class PageLoadLimit:
    """A sliding window of page loads per client address."""

    def __init__(self, per_minute: int = PAGE_LOADS_PER_MINUTE, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self.loads: dict[str, deque] = defaultdict(deque)

    def allow(self, address: str) -> bool:
        now = self.clock()
        window = self.loads[address]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


class LimitedPageHandler(TornadoVoilaHandler):
    limit = PageLoadLimit()

    async def get(self, path=None):
        if not self.limit.allow(self.request.remote_ip or "?"):
            self.set_status(429)
            self.set_header("Retry-After", "60")
            self.finish(TOO_MANY)
            return
        await super().get(path)


def _kept(handler: type[tornado.web.StaticFileHandler]) -> type:
    """The same static handler, with assets the browser may keep for a day instead of asking again."""

    class Kept(handler):
        def get_cache_time(self, path, modified, mime_type):
            return STATIC_CACHE_S

    Kept.__name__ = f"Kept{handler.__name__}"
    return Kept


class WorkshopVoila(Voila):
    name = "toolkit-voila"

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings["compress_response"] = True  # read by Tornado only when the application is built
        return settings

    def init_handlers(self) -> list:
        handlers = []
        for spec in super().init_handlers():
            pattern, handler, *rest = spec
            if handler is TornadoVoilaHandler:
                handler = LimitedPageHandler
            elif isinstance(handler, type) and issubclass(handler, tornado.web.StaticFileHandler):
                handler = _kept(handler)
            handlers.append((pattern, handler, *rest))
        return handlers


main = WorkshopVoila.launch_instance

if __name__ == "__main__":
    main()

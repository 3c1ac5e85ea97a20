"""Voila as `toolkit serve` runs it: compressed responses, static assets the phone keeps, and a limit on
page loads per address (each page load costs a kernel, and a join code must not be guessable quickly).

Run as `python -m toolkit.voila_app NOTEBOOK`; it reads voila.json from its working folder like Voila.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque

import tornado.web
from traitlets import Bool
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
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


CLIENT_HEADER = "X-Toolkit-Client"  # the phone's address, as the page's kernel reads it (HTTP_X_TOOLKIT_CLIENT)


class LimitedPageHandler(TornadoVoilaHandler):
    limit = PageLoadLimit()

    async def get(self, path=None):
        # The kernel learns its phone's address from this header (Voila passes the headers named in
        # VoilaConfiguration.http_header_envs to the kernel): whatever the client sent under that name is replaced.
        self.request.headers[CLIENT_HEADER] = self.request.remote_ip or "?"
        if not self.limit.allow(self.request.remote_ip or "?"):
            self.set_status(429)
            self.set_header("Retry-After", "60")
            self.finish(TOO_MANY)
            return
        noted = getattr(self.kernel_manager, "note_page_load", None)
        if noted is not None:
            noted()
        await super().get(path)


class CalmRefill:
    """Voila's pool of warm kernels, refilled after the rush instead of during it.

    Voila replaces each warm kernel as soon as a page takes it. When a room joins at once, those
    replacements start together and take the CPU from the participants who are joining: on two cores,
    ten joiners waited 6.4 s for their first question instead of 1.1 s. Here a replacement waits until no
    page has loaded for `QUIET_S` (at most `MAX_WAIT_S`), and replacements warm one at a time: the next
    starts once the previous one has run the notebook up to the page request. A page takes the warmest
    kernel of the pool; when none has started, it starts its own, as plain Voila does, rather than queue
    behind a replacement that is waiting for the room to settle.

    Mixed into the kernel manager Voila builds (`WorkshopVoila.init_settings`); it adds no traits.
    """

    QUIET_S = 5.0
    MAX_WAIT_S = 60.0
    WARM_TIMEOUT_S = 120.0

    def note_page_load(self) -> None:
        self._last_page_load = time.monotonic()

    @staticmethod
    def _started(task) -> bool:
        return task.done() and not task.cancelled() and task.exception() is None

    @staticmethod
    def _warm(task) -> bool:
        """The kernel has run the notebook up to the page request: it waits on Voila's request socket."""
        return task.result()["kernel_id"] in RequestInfoSocketHandler._waiters

    def get_pool_size(self, notebook_name: str) -> int:
        return sum(1 for task in self._pools.get(notebook_name, []) if self._started(task))

    async def get_rendered_notebook(self, notebook_name: str, *args, **kwargs):
        pool = self._pools.get(notebook_name, [])
        for failed in [t for t in pool if t.done() and not self._started(t)]:
            pool.remove(failed)  # a kernel that could not start: replaced below, never handed to a page
        started = [t for t in pool if self._started(t)]
        best = next((t for t in started if self._warm(t)), started[0] if started else None)
        if best is not None:  # Voila takes the first of the pool: make it the warmest
            pool.remove(best)
            pool.insert(0, best)
        return await super().get_rendered_notebook(notebook_name, *args, **kwargs)

    async def _initialize(self, notebook_path: str, kernel_id: str | None = None, **kwargs):
        if kernel_id is not None or not getattr(self, "_calm_refill", False):
            return await super()._initialize(notebook_path, kernel_id, **kwargs)
        # a replacement for a kernel a page took
        lock = self.__dict__.setdefault("_warming", asyncio.Lock())
        async with lock:
            asked = time.monotonic()
            while time.monotonic() - asked < self.MAX_WAIT_S:
                quiet_for = time.monotonic() - getattr(self, "_last_page_load", 0.0)
                if quiet_for >= self.QUIET_S:
                    break
                await asyncio.sleep(min(self.QUIET_S - quiet_for, 1.0))
            content = await super()._initialize(notebook_path, kernel_id, **kwargs)
            ready_by = time.monotonic() + self.WARM_TIMEOUT_S
            while (content["kernel_id"] not in RequestInfoSocketHandler._waiters and not content["task"].done()
                   and time.monotonic() < ready_by):
                await asyncio.sleep(0.2)
            return content


def _kept(handler: type[tornado.web.StaticFileHandler]) -> type:
    """The same static handler, with assets the browser may keep for a day instead of asking again."""

    class Kept(handler):
        def get_cache_time(self, path, modified, mime_type):
            return STATIC_CACHE_S

    Kept.__name__ = f"Kept{handler.__name__}"
    return Kept


class WorkshopVoila(Voila):
    name = "toolkit-voila"
    calm_refill = Bool(True, config=True, help="Replace taken warm kernels after the rush (CalmRefill), not at once")

    def init_settings(self) -> dict:
        settings = super().init_settings()  # builds the kernel manager and starts the first fill of the pool
        settings["compress_response"] = True  # read by Tornado only when the application is built
        manager = self.kernel_manager
        if self.calm_refill and hasattr(manager, "fill_if_needed"):  # kernels are preheated: refill calmly from now on
            manager.__class__ = type("Workshop" + type(manager).__name__, (CalmRefill, type(manager)), {})
            manager._calm_refill = True
        if hasattr(manager, "fill_if_needed"):
            self._warm_reported: dict[str, int] = {}
            asyncio.get_event_loop().call_later(1.0, self._report_warm)
        return settings

    def _report_warm(self) -> None:
        """Log how many kernels of the pool are warm whenever it changes: the coach sees when the room can join
        (and the benchmarks wait for it)."""
        manager = self.kernel_manager
        size = manager.kernel_pools_config.get("default", {}).get("pool_size", 0)
        for name, pool in list(manager._pools.items()):
            warm = sum(1 for task in pool if CalmRefill._started(task) and CalmRefill._warm(task))
            if self._warm_reported.get(name) != warm:
                self._warm_reported[name] = warm
                self.log.info("Warm kernels: %d of %d (%s)%s", warm, size, name,
                              ": the room can join" if warm >= size else "")
        asyncio.get_event_loop().call_later(1.0, self._report_warm)

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

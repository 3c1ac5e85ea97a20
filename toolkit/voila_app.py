"""Voila as `toolkit serve` runs it: compressed responses, static assets the phone keeps, a limit on
page loads per address (each page load costs a kernel, and a join code must not be guessable quickly), and a
page-request socket that only the kernel it belongs to may use.

Run as `python -m toolkit.voila_app NOTEBOOK`; it reads voila.json from its working folder like Voila.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
import uuid
from collections import defaultdict, deque

import tornado.web
from jupyter_core.utils import ensure_async
from traitlets import Bool
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.handler import TornadoVoilaHandler

from .apps.request import SECRET_ENV, SECRET_HEADER  # the kernel's side of the page-request socket

RECOVERY_TEXTS = ("page_reloading", "page_still_closed")  # keys of toolkit.apps.texts.T the page may show
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
        noted = getattr(self.kernel_manager, "note_page_load", None)
        if noted is not None:
            noted()
        await super().get(path)


class PageRequestSecrets:
    """Every preheated kernel starts with a secret of its own in its environment.

    Mixed into the base class of Voila's kernel manager (`WorkshopVoila.init_settings`), below Voila's pooling
    class, so that the kernels of the first fill get one too. The kernel presents the secret when it opens
    /voila/query/<its id> (PageRequestSocket); the secret is forgotten when the kernel shuts down, and with it
    whatever request was kept for the kernel."""

    @property
    def page_request_secrets(self) -> dict[str, str]:
        return self.__dict__.setdefault("_page_request_secrets", {})

    async def start_kernel(self, *, kernel_id: str | None = None, **kwargs):
        env = kwargs.get("env") or {}
        if kernel_id is not None or env.get("VOILA_PREHEAT") != "True":
            return await ensure_async(super().start_kernel(kernel_id=kernel_id, **kwargs))
        kernel_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(32)
        kwargs["env"] = {**env, SECRET_ENV: secret}  # a copy: the pool shares one env between kernels
        self.page_request_secrets[kernel_id] = secret  # before the kernel runs: it may ask at once
        try:
            return await ensure_async(super().start_kernel(kernel_id=kernel_id, **kwargs))
        except BaseException:
            self.page_request_secrets.pop(kernel_id, None)
            raise

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self.page_request_secrets.pop(kernel_id, None)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)
        return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))


class PageRequestSocket(RequestInfoSocketHandler):
    """/voila/query/<kernel id>: where a preheated kernel waits for the request of the page it was handed to.

    Voila's handler lets anyone connect for any id and, when a socket closes that is not the one registered
    for its kernel (a second socket for the same id replaced it), removes the LAST registered socket (and
    raises NameError when none is left): that kernel, another page's, then never receives its request and its
    page stays at "Running …" for good, its kernel busy waiting and never culled. Here a socket is refused before the upgrade (403, nothing registered) unless its
    id is a running preheated kernel of this server, it presents that kernel's secret, and no other socket
    waits for that kernel; a socket that closes unregisters itself and nothing else.

    Voila's page handler still delivers through `RequestInfoSocketHandler.send_updates` (its `_waiters` and
    `_cache`), which is why this class shares them (tests/test_page_request.py fails if that changes)."""

    def _entitled(self, kernel_id: str) -> bool:
        manager = self.settings.get("kernel_manager")
        expected = getattr(manager, "page_request_secrets", {}).get(kernel_id)
        given = self.request.headers.get(SECRET_HEADER, "")
        return (expected is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
                and kernel_id not in RequestInfoSocketHandler._waiters)

    async def get(self, *args, **kwargs):
        kernel_id = kwargs.get("kernel_id") or (args[0] if args else "")
        if not self._entitled(kernel_id):
            self.set_status(403)
            self.finish()
            return
        await super().get(*args, **kwargs)

    def open(self, kernel_id: str) -> None:
        if not self._entitled(kernel_id):  # nothing awaited since get(): only a change of Voila's could get here
            self.close()
            return
        self.kernel_id = kernel_id
        RequestInfoSocketHandler._waiters[kernel_id] = self
        payload = RequestInfoSocketHandler._cache.pop(kernel_id, None)  # the page came before the kernel asked
        if payload is not None:
            self.write_message(payload)

    def on_message(self, message) -> None:
        pass  # the kernel only listens

    def on_close(self) -> None:
        kernel_id = getattr(self, "kernel_id", None)
        if kernel_id is not None and RequestInfoSocketHandler._waiters.get(kernel_id) is self:
            del RequestInfoSocketHandler._waiters[kernel_id]


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

    @classmethod
    def _spent(cls, task) -> bool:
        """The kernel's notebook has run to its end without a page: it can no longer serve one (its notebook
        failed, or its kernel died); a page handed it would wait for good."""
        render = task.result().get("task")
        return render is not None and render.done()

    def get_pool_size(self, notebook_name: str) -> int:
        return sum(1 for task in self._pools.get(notebook_name, []) if self._started(task) and not self._spent(task))

    async def get_rendered_notebook(self, notebook_name: str, *args, **kwargs):
        pool = self._pools.get(notebook_name, [])
        for failed in [t for t in pool if t.done() and not self._started(t)]:
            pool.remove(failed)  # a kernel that could not start: replaced below, never handed to a page
        for spent in [t for t in pool if self._started(t) and self._spent(t)]:
            pool.remove(spent)  # replaced below, never handed to a page
            self.log.warning("Kernel %s ran its notebook to the end before any page took it: shut down",
                             spent.result()["kernel_id"])
            asyncio.ensure_future(ensure_async(self.shutdown_kernel(spent.result()["kernel_id"])))
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
        self._page_resources()
        configuration = self.voila_configuration
        base = configuration.multi_kernel_manager_class
        if not issubclass(base, PageRequestSecrets):  # the base of the manager Voila builds: see PageRequestSecrets
            configuration.multi_kernel_manager_class = type("PageRequest" + base.__name__, (PageRequestSecrets, base),
                                                             {"__module__": __name__})
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

    def _page_resources(self) -> None:
        """What the toolkit's template needs besides Voila's: the texts of its recovery line (recover.js), in
        every language, from toolkit/apps/texts.py. Voila's renderer reads VoilaConfiguration.resources from
        the configuration at every page."""
        from .apps.texts import T

        section = self.config.VoilaConfiguration
        given = section.get("resources", {})
        given = dict(given) if isinstance(given, dict) else given.to_dict() if hasattr(given, "to_dict") else {}
        section.resources = {**given, "toolkit": {"recovery": {key: T[key] for key in RECOVERY_TEXTS}}}

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
        page_requests = 0
        for spec in super().init_handlers():
            pattern, handler, *rest = spec
            if handler is TornadoVoilaHandler:
                handler = LimitedPageHandler
            elif handler is RequestInfoSocketHandler:
                handler = PageRequestSocket
                page_requests += 1
            elif isinstance(handler, type) and issubclass(handler, tornado.web.StaticFileHandler):
                handler = _kept(handler)
            handlers.append((pattern, handler, *rest))
        if self.voila_configuration.preheat_kernel and page_requests != 1:
            raise RuntimeError("Voila's page-request route (/voila/query/<kernel id>) was not found: "
                               "toolkit.voila_app.PageRequestSocket must replace it")
        return handlers


main = WorkshopVoila.launch_instance

if __name__ == "__main__":
    main()

"""Voila as `toolkit serve` runs it: compressed responses, static assets the phone keeps, a limit on page
loads per address (each page load costs a kernel, and a join code must not be guessable quickly), a cap on
kernels at what the laptop holds ("the room is full", told to the phone and to the coach), kernels freed
when their page never connected, answers only under the server's own names (DNS rebinding), and a
page-request socket that only the kernel it belongs to may use.

Run as `python -m toolkit.voila_app NOTEBOOK`; it reads voila.json from its working folder like Voila.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import faulthandler
import hmac
import ipaddress
import logging
import math
import os
import re
import secrets
import signal
import socket
import sys
import time
import uuid
import weakref

import tornado.web
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_core.utils import ensure_async
from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado.httputil import split_host_and_port
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Int, List, Type, Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from . import forking, page_assets
from .apps.request import SECRET_ENV, SECRET_HEADER  # the kernel's side of the page-request socket
from .limits import SlidingWindow, is_this_laptop
from .proxy import TrustedProxies
from .static_gzip import STORE as PRECOMPRESSED
from .static_gzip import ServesPrecompressed, page_folders

RECOVERY_TEXTS = ("page_reloading", "page_still_closed")  # keys of toolkit.apps.texts.T the page may show

STATIC_CACHE_S = 24 * 3600  # a day: a two-day workshop loads the scripts once per phone per day
PAGE_LOADS_PER_MINUTE = 20  # per address; a person reloading now and then never gets near it

def plain_page(key: str, refresh_s: int | None = None) -> str:
    """A page the server answers by itself (no kernel), in every language: texts `{key}_title`, `{key}_body`
    (toolkit/templates/pages/plain.html)."""
    from . import languages
    from .apps.texts import t
    from .templating import render

    parts = [dict(dir=languages.direction(code), lang=code, title=t(f"{key}_title", code), body=t(f"{key}_body", code))
             for code in languages.codes()]
    return str(render("pages/plain.html", refresh_s=refresh_s, title=t(f"{key}_title", languages.ENGLISH),
                      parts=parts))


ROOM_FULL_RETRY_S = 30  # the refused page asks again by itself this often: a freed kernel is taken soon

PAGE_LIMIT_S = 90.0  # a page Voila has not finished sending by then is ended by the server (LimitedPageHandler)
SLOW_PAGE_S = 30.0  # a page still being sent after this long gets the server's state dump in its log

def page_ended(lang: str | None, part: bool) -> str:
    """What a page the server ended says (texts.T["page_reloading"]): in the page's language (its `lang=`) when
    known, else in every language of the registry (English and Urdu) like the recovery line of recover.js. `part`:
    the end of a page whose head and part of its body were sent (recover.js reloads it once, or says it did not
    open); otherwise a whole page that reloads itself (toolkit/templates/pages/ended.html)."""
    from . import languages
    from .apps.texts import T
    from .templating import render

    text = T["page_reloading"]
    codes = [lang] if lang in text else [code for code in languages.codes() if code in text]
    shown = [dict(lang=code, dir=languages.direction(code), text=text[code]) for code in codes]
    return str(render("pages/ended.html", part=part, shown=shown))


def room_full_page() -> str:
    return plain_page("room_full", ROOM_FULL_RETRY_S)


class RoomFull(Exception):
    """No kernel may start now: the laptop holds as many as it can (the kernel cap, or free memory)."""


# The page request being served, seen by the kernel manager while it hands that page a kernel (the handler's
# coroutine and the manager's calls for it run in one asyncio task, hence in one context).
_PAGE: contextvars.ContextVar = contextvars.ContextVar("toolkit_page", default=None)


class WakefulChannel(AsyncZMQSocketChannel):
    """A kernel client's shell (or control, stdin) channel that never sleeps through a reply.

    jupyter_client sends every message on a synchronous shadow of the channel's asyncio socket
    (`Session.send`: `zmq.Socket.shadow(socket.underlying)`), behind pyzmq's back. libzmq processes the
    socket's pending commands during that send, and with them the edge of its file descriptor that says a
    message has arrived; pyzmq's asyncio socket, which only re-reads its events after sends of its own, is
    not told. A reply that arrives during such a send then sits in the socket while `await socket.poll()`
    waits for good. In Voila this is the page's execute_reply: nbclient mirrors each Output widget the cell
    writes to with a comm_msg on the shell channel (nbclient.output_widget) while it waits for the cell's
    reply on that same channel. The participant cell writes to Output widgets just before it ends, so about
    one page in 50 stopped at "Running …" with its kernel idle (issue #13; tests/test_page_replies.py).

    After each send, the asyncio socket reads its events, which makes pyzmq look again at what arrived
    (`_AsyncSocket.get(zmq.EVENTS)` schedules its event handler): what pyzmq does after a send of its own."""

    def send(self, msg) -> None:
        super().send(msg)
        self.socket.get(zmq.EVENTS)


class WakefulKernelClient(AsyncKernelClient):
    """The kernel client of every kernel the servers start (Voila renders each page's notebook through one)."""

    shell_channel_class = Type(WakefulChannel)
    control_channel_class = Type(WakefulChannel)
    stdin_channel_class = Type(WakefulChannel)


class CappedKernelManager(AsyncMappingKernelManager):
    """The kernel manager of both servers (VoilaConfiguration.multi_kernel_manager_class; Voila builds its pool
    of warm kernels on top of it), bounding what page loads cost:

    - at most `kernel_cap` kernels, the warm pool and the pages' together, each started only while
      `min_free_mb` of memory is free. A page that would need a kernel beyond that is refused (the page
      handler answers "the room is full"); a replacement for the warm pool waits until there is room again.
    - a kernel handed to a page whose page has not opened its kernel's WebSocket within `page_connect_s`
      of the page being sent is shut down (a plain page load, a link preview, a phone that left at once),
      whatever `cull_idle_timeout` says. Warm kernels of the pool are never shut down this way.
    - the server's ZMQ context and open-file limit hold the sockets of a large room (`make_room_for_sockets`).
    Set by WorkshopVoila from its traits; 0 means no cap, no memory check."""

    CHECK_S = 10.0
    MAX_SOCKETS = 65536

    kernel_cap = 0
    min_free_mb = 0
    page_connect_s = 60.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.make_room_for_sockets()
        self._starting = 0
        self._sent: dict[str, float] = {}  # kernels handed to a page, not yet connected: when the page was sent
        self._sending: set[str] = set()  # … whose page is still being sent
        self._ever_connected: set[str] = set()
        self._closing = False
        self._watch: PeriodicCallback | None = None

    def make_room_for_sockets(self) -> None:
        """The server holds several ZMQ sockets per kernel (its own channels, and each page's) in one context, and
        ZMQ refuses a context's 1024th socket ("Too many open files"): 200 participants and the pool's
        replacements need about 1,500 (seen: 0 of 200 simulated participants got through). Raise the context's
        limit before its first socket, and this process's soft limit of open files to its hard limit (often
        1024 of 524288 on a laptop), each socket holding a file or more."""
        with contextlib.suppress(zmq.ZMQError, AttributeError):
            self.context.set(zmq.MAX_SOCKETS, min(self.MAX_SOCKETS, self.context.get(zmq.SOCKET_LIMIT)))
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource  # POSIX

            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            want = hard if hard != resource.RLIM_INFINITY else max(soft, self.MAX_SOCKETS * 2)
            if soft != resource.RLIM_INFINITY and soft < want:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    # ------------------------------------------------------------ every kernel's activity

    ACTIVITY_EVERY_S = 1.0

    def start_watching_activity(self, kernel_id):
        """jupyter_server's watch of a kernel's IOPub messages (its last activity, for culling, on every message;
        its execution state from status messages), reading of each message only what it uses: the header and the
        parent's header, and a status message's content.

        jupyter_server's own watch deserializes every message in full (Session.deserialize: the signature
        checked, and every date of the headers parsed by dateutil), and again for a status message. It does so
        for every message of every kernel, besides the page's WebSocket forwarding it: at 100 phones, 12 % of the
        participant server's CPU. The messages come from this server's own kernels over their IOPub socket; their
        signature is checked where one matters (a message the server acts on). The activity's time is set at most
        once a second (ACTIVITY_EVERY_S; culling counts minutes): setting the two traits on every message was half
        of this watch's CPU."""
        kernel = self._kernels[kernel_id]
        kernel.reason = ""
        kernel.last_activity = utcnow()
        kernel._activity_stream = kernel.connect_iopub()  # closed by jupyter_server's stop_watching_activity
        session = kernel.session
        tracked = self.track_message_type
        noted = [time.monotonic()]  # when kernel.last_activity was last set

        def record_activity(msg_list):
            _idents, parts = session.feed_identities(msg_list)  # signature, header, parent header, metadata, content
            header, parent = session.unpack(parts[1]), session.unpack(parts[2])
            msg_type, parent_type = header.get("msg_type"), (parent or {}).get("msg_type")
            if (tracked(msg_type) or tracked(parent_type) or kernel.execution_state == "busy") \
                    and time.monotonic() - noted[0] >= self.ACTIVITY_EVERY_S:
                noted[0] = time.monotonic()
                self.last_kernel_activity = kernel.last_activity = utcnow()
            if msg_type == "status":
                state = session.unpack(parts[4]).get("execution_state")
                if tracked(parent_type):
                    kernel.execution_state = state
                elif kernel.execution_state == "starting" and state != "starting":
                    kernel.execution_state = "idle"  # as jupyter_server: after starting, idle unless tracked

        kernel._activity_stream.on_recv(record_activity)

    # ------------------------------------------------------------ the cap

    def kernels_held(self) -> int:
        """Kernels running or starting (a start in flight may be counted twice for a moment: never too few)."""
        return len(self.list_kernel_ids()) + self._starting

    def free_mb(self) -> float:
        import psutil

        return psutil.virtual_memory().available / 2**20

    def why_full(self) -> str | None:
        """Why no kernel may start now ("cap" or "memory"), or None when one may."""
        if self.kernel_cap and self.kernels_held() >= self.kernel_cap:
            return "cap"
        if self.min_free_mb and self.free_mb() < self.min_free_mb:
            return "memory"
        return None

    def get_pool_size(self, notebook: str) -> int:  # Voila's pool manager, built on this class, counts its own
        return 0

    def room_for_a_page(self, notebook: str) -> bool:
        """A page load now gets a kernel: a started warm one, or one of its own within the cap."""
        return self.get_pool_size(notebook) > 0 or self.why_full() is None

    async def start_kernel(self, *args, **kwargs):
        warm = (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True"  # Voila starts a pool kernel
        while self.why_full() is not None:
            if not warm or self._closing:
                raise RoomFull(self.why_full())
            await asyncio.sleep(1.0)  # a replacement for the pool: wait until a kernel is freed
        # the arguments of every kernel (a forked kernel reads its configuration in the template, with them)
        kwargs["extra_arguments"] = [*kwargs.get("extra_arguments", ()), *forking.KERNEL_ARGS]
        self._starting += 1
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
        if self._watch is None:
            self._watch = PeriodicCallback(self.free_unconnected, 1000 * self.CHECK_S)
            self._watch.start()
        if not warm:
            self.handed_to_page(kernel_id)
        return kernel_id

    async def shutdown_all(self, *args, **kwargs):
        self._closing = True  # a replacement waiting for room gives up
        if self._watch is not None:
            self._watch.stop()
        return await super().shutdown_all(*args, **kwargs)

    # ------------------------------------------------------------ kernels whose page never connected

    def handed_to_page(self, kernel_id: str) -> None:
        """`kernel_id` now belongs to the page being served (a warm kernel it took, or its own)."""
        self._sent[kernel_id] = time.monotonic()
        page = _PAGE.get()
        if page is not None:
            page.toolkit_kernel_id = kernel_id
            self._sending.add(kernel_id)

    def page_sent(self, kernel_id: str) -> None:
        """The page of `kernel_id` has been sent (or its sending failed): from now on it has to connect."""
        self._sending.discard(kernel_id)
        if kernel_id in self._sent:
            self._sent[kernel_id] = time.monotonic()

    def notify_connect(self, kernel_id):
        self._ever_connected.add(kernel_id)
        self._sent.pop(kernel_id, None)
        return super().notify_connect(kernel_id)

    async def free_unconnected(self) -> None:
        now = time.monotonic()
        for kernel_id, sent in list(self._sent.items()):
            if kernel_id not in self:
                self._sent.pop(kernel_id, None)
                self._sending.discard(kernel_id)
            elif kernel_id not in self._sending and now - sent > self.page_connect_s:
                self._sent.pop(kernel_id, None)
                self.log.info("Kernel %s: its page did not connect within %.0f s; shutting it down",
                              kernel_id, self.page_connect_s)
                try:
                    await self.shutdown_kernel(kernel_id)
                except Exception:  # already gone
                    self.log.debug("Kernel %s was gone already", kernel_id, exc_info=True)
        self._ever_connected &= set(self.list_kernel_ids())


class HandsOutToPages:
    """Mixed into Voila's pool manager (above CalmRefill): a warm kernel a page takes is that page's from now."""

    async def get_rendered_notebook(self, *args, **kwargs):
        render_task, rendered, kernel_id = await super().get_rendered_notebook(*args, **kwargs)
        self.handed_to_page(kernel_id)
        return render_task, rendered, kernel_id


CLIENT_HEADER = "X-Toolkit-Client"  # the phone's address, as the page's kernel reads it (HTTP_X_TOOLKIT_CLIENT)


class LimitedPageHandler(TornadoVoilaHandler):
    limit = SlidingWindow(PAGE_LOADS_PER_MINUTE, 60.0)
    toolkit_kernel_id: str | None = None
    serving: weakref.WeakSet = weakref.WeakSet()  # the pages being sent now (StateDump lists them)

    async def get(self, path=None):
        address = self.request.remote_ip or "?"
        self.toolkit_since = time.monotonic()
        # The kernel learns its phone's address from this header (Voila passes the headers named in
        # VoilaConfiguration.http_header_envs to the kernel): whatever the client sent under that name is replaced.
        self.request.headers[CLIENT_HEADER] = address
        if not is_this_laptop(address) and not self.limit.allow(address):  # a rehearsal of 30 is not a flood
            self.set_status(429)
            self.set_header("Retry-After", str(math.ceil(self.limit.retry_after(address)) or 1))
            self.finish(plain_page("too_many"))
            return
        manager = self.kernel_manager
        room = getattr(manager, "room_for_a_page", None)
        if room is not None and not room(self.notebook_path or path):
            self._room_full(address)
            return
        noted = getattr(manager, "note_page_load", None)
        if noted is not None:
            noted()
        _PAGE.set(self)
        LimitedPageHandler.serving.add(self)
        try:
            await asyncio.wait_for(super().get(path), self.settings.get("toolkit_page_limit_s", PAGE_LIMIT_S))
        except RoomFull:  # another page took the last place between the check and the start
            if self._headers_written:
                raise
            self.clear()
            self._room_full(address)
        except asyncio.TimeoutError:
            self._ended()
        finally:
            LimitedPageHandler.serving.discard(self)
            if self.toolkit_kernel_id is not None:
                manager.page_sent(self.toolkit_kernel_id)

    def _ended(self) -> None:
        """Voila has not sent the page within the limit: no request stays open for good. The page says so and
        reloads once (its head, with recover.js, is usually sent already); its kernel, stuck, is shut down."""
        kernel_id = self.toolkit_kernel_id
        self.log.warning("Page %s not sent after %.0f s (kernel %s): ended, the phone reloads it", self.request.uri,
                         time.monotonic() - self.toolkit_since, kernel_id)
        dump = self.settings.get("toolkit_state_dump")
        if dump is not None:
            dump.write(f"page {self.request.uri} ended")
        if kernel_id is not None and kernel_id in self.kernel_manager:
            asyncio.ensure_future(self._shut_down(kernel_id))
        lang = self.get_argument("lang", None)
        if self._headers_written:
            self.finish(page_ended(lang, part=True))
            return
        self.clear()
        self.set_status(503)
        self.set_header("Retry-After", "5")
        self.set_header("Cache-Control", "no-store")
        self.finish(page_ended(lang, part=False))

    async def _shut_down(self, kernel_id: str) -> None:
        try:
            await ensure_async(self.kernel_manager.shutdown_kernel(kernel_id))
        except Exception:  # gone already
            self.log.debug("Kernel %s was gone already", kernel_id, exc_info=True)

    def _room_full(self, address: str) -> None:
        watch = self.settings.get("toolkit_room")
        if watch is not None:
            watch.turned_away(address)
        self.set_status(503)
        self.set_header("Retry-After", str(ROOM_FULL_RETRY_S))
        self.set_header("Cache-Control", "no-store")
        self.finish(room_full_page())


class RoomWatch:
    """Tells the coach when the room is full: a status record in the store (toolkit.room_status) that the
    coach console reads, one per participant server, so several servers on one PostgreSQL each report.

    Written when the room becomes full or has room again, when one more phone is turned away, and once a
    minute while full (the coach ignores a record that has not been renewed)."""

    CHECK_S = 2.0
    RENEW_S = 60.0

    def __init__(self, app: WorkshopVoila, notebook: str):
        self.app, self.notebook = app, notebook
        self.server = f"{socket.gethostname()}:{app.port}"
        self.away: set[str] = set()  # addresses turned away while the room is full
        self.full: str | None = None
        self.written: tuple | None = None
        self.written_at = 0.0
        self.writing = False
        self._store = None

    def turned_away(self, address: str) -> None:
        self.full = self.full or self.app.kernel_manager.why_full() or "cap"
        self.away.add(address)
        if len(self.away) > 10_000:  # bounded: the count stays right enough, the set does not grow
            self.away.pop()
        self.check()

    def check(self) -> None:
        manager = self.app.kernel_manager
        if manager.room_for_a_page(self.notebook):
            self.full = None
            self.away.clear()
        elif self.full is None and self.away:
            self.full = manager.why_full() or "cap"
        record = {"full": bool(self.full), "why": self.full, "in": len(manager._sent) + len(manager._ever_connected),
                  "kernels": manager.kernels_held(), "cap": manager.kernel_cap, "away": len(self.away)}
        state = (record["full"], record["away"])
        due = record["full"] and time.monotonic() - self.written_at > self.RENEW_S
        if (state != self.written or due) and not self.writing and (self.written is not None or record["full"]):
            self.writing = True
            asyncio.get_event_loop().run_in_executor(None, self._write, record, state)

    def _write(self, record: dict, state: tuple) -> None:
        try:
            from . import config, room_status
            from .store import Store

            if self._store is None:
                self._store = Store(config.db_url(), create=False)
            room_status.write_room_status(self._store, self.server, record)
            self.written, self.written_at = state, time.monotonic()
        except Exception:
            self.app.log.warning("Could not tell the coach about the room", exc_info=True)
        finally:
            self.writing = False


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

    Only what the room still needs is replaced: the pool is sized for the participants expected
    (`--expect`), so once k of them hold a page, `pool_size - k` warm kernels are enough for those still to
    come, and never fewer than `spares()` for reloads and latecomers. Voila replaces every kernel taken,
    so a room of 100 that had joined had 50 more kernels started while it answered the pre-test, and more to
    come: each forked and ran the notebook on the cores the participants needed (about 0.5 s of CPU each,
    the server's and the kernel's) and kept its memory.

    Mixed into the kernel manager Voila builds (`WorkshopVoila.init_settings`); it adds no traits.
    """

    QUIET_S = 5.0
    MAX_WAIT_S = 60.0
    WARM_TIMEOUT_S = 120.0
    SPARE_SHARE = 0.05  # of the pool, kept warm once everyone expected has a page: a reload, a latecomer
    MIN_SPARES = 2

    def _pool_size(self, notebook_name: str) -> int:
        config = self.kernel_pools_config
        return int(config.get(notebook_name, config.get("default", {})).get("pool_size", 0))

    def spares(self, notebook_name: str) -> int:
        size = self._pool_size(notebook_name)
        return min(size, max(self.MIN_SPARES, math.ceil(self.SPARE_SHARE * size)))

    def pages_holding(self, notebook_name: str) -> int:
        """Kernels running for pages: every running kernel that is not one of the pool's."""
        pooled = {t.result()["kernel_id"] for t in self._pools.get(notebook_name, []) if self._started(t)}
        return len(set(self.list_kernel_ids()) - pooled)

    def wanted(self, notebook_name: str) -> int:
        """How many warm kernels (started or on their way) the pool should hold now."""
        size = self._pool_size(notebook_name)
        return min(size, max(self.spares(notebook_name), size - self.pages_holding(notebook_name)))

    def fill_if_needed(self, delay=None, notebook_name=None, **kwargs):
        """Voila's refill after a page took a kernel (it starts `pool_size - len(pool)` kernels): only up to
        wanted()."""
        size = self._pool_size(notebook_name) if notebook_name is not None else 0
        if not getattr(self, "_calm_refill", False) or notebook_name is None or not size:
            return super().fill_if_needed(delay=delay, notebook_name=notebook_name, **kwargs)
        wanted = self.wanted(notebook_name)
        if len(self._pools.get(notebook_name, [])) >= wanted:
            return None
        config = self.kernel_pools_config
        own = config.get(notebook_name, config.get("default", {}))
        self.kernel_pools_config = {**config, notebook_name: {**own, "pool_size": wanted}}
        try:
            return super().fill_if_needed(delay=delay, notebook_name=notebook_name, **kwargs)
        finally:
            self.kernel_pools_config = config

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


class StateDump:
    """`kill -USR1 <server pid>`, or a page still being sent after SLOW_PAGE_S, writes to the server's log what it is doing: every thread's stack at once
    (faulthandler: also when the event loop is blocked), then, from the event loop, the pool (each warm kernel:
    starting, started, warm, spent), the kernels (execution state, connections), the pages being sent (since
    when, which kernel), the page-request sockets and requests kept for kernels, and every asyncio task's stack.
    To find where a page that never arrives waits (issue #13); the tests' served fixture and
    benchmarks/page_loads.py send it when a page takes too long."""

    SIGNAL = getattr(signal, "SIGUSR1", None)

    def __init__(self, app: WorkshopVoila):
        self.app = app

    def install(self) -> None:
        PeriodicCallback(self.watch, 5000).start()
        if self.SIGNAL is None:  # Windows: no such signal
            return
        loop = asyncio.get_event_loop()
        signal.signal(self.SIGNAL, lambda *_: loop.call_soon_threadsafe(self.write))
        faulthandler.register(self.SIGNAL, file=sys.stderr, all_threads=True, chain=True)

    def watch(self) -> None:
        """A page still being sent after SLOW_PAGE_S: the state dump, once per page."""
        now = time.monotonic()
        for page in list(LimitedPageHandler.serving):
            if now - page.toolkit_since > SLOW_PAGE_S and not getattr(page, "toolkit_described", False):
                page.toolkit_described = True
                self.write(f"page {page.request.uri[:80]} still being sent after {now - page.toolkit_since:.0f} s")

    def lines(self) -> list[str]:
        manager, now = self.app.kernel_manager, time.monotonic()
        out = [f"kernels held {manager.kernels_held()} (cap {manager.kernel_cap}), starting {manager._starting}"]
        for name, pool in getattr(manager, "_pools", {}).items():
            out.append(f"pool {name}: {len(pool)} task(s); counted for pages {manager.get_pool_size(name)}")
            for task in pool:
                if not task.done():
                    out.append("  starting")
                elif task.cancelled() or task.exception() is not None:
                    out.append(f"  failed: {'cancelled' if task.cancelled() else repr(task.exception())}")
                else:
                    content = task.result()
                    render = content.get("task")
                    out.append(f"  {content['kernel_id']}: warm {CalmRefill._warm(task)}, render "
                               f"{'done' if render is not None and render.done() else 'running'}")
        warming = manager.__dict__.get("_warming")
        out.append(f"replacement warming: {bool(warming and warming.locked())}; last page load "
                   f"{now - getattr(manager, '_last_page_load', -math.inf):.1f} s ago")
        for kernel_id in manager.list_kernel_ids():
            kernel = manager.get_kernel(kernel_id)
            out.append(f"kernel {kernel_id}: {getattr(kernel, 'execution_state', '?')}, connections "
                       f"{manager._kernel_connections.get(kernel_id, 0)}, sent to a page "
                       f"{'-' if kernel_id not in manager._sent else f'{now - manager._sent[kernel_id]:.0f} s ago'}"
                       f"{', being sent' if kernel_id in manager._sending else ''}")
        for page in list(LimitedPageHandler.serving):
            out.append(f"page {page.request.uri[:80]} for {now - page.toolkit_since:.1f} s, kernel "
                       f"{page.toolkit_kernel_id}")
        out.append(f"page-request sockets {sorted(RequestInfoSocketHandler._waiters)}; requests kept "
                   f"{sorted(RequestInfoSocketHandler._cache)}")
        for task in asyncio.all_tasks():
            out.append(f"task {task.get_name()}: " + " > ".join(self.awaiting(task.get_coro())))
        import gc
        import types

        import zmq
        from voila.notebook_renderer import NotebookRenderer

        for thing in gc.get_objects():
            if isinstance(thing, types.AsyncGeneratorType) and thing.ag_frame is not None:
                out.append("async generator: " + " > ".join(self.awaiting(thing)))
            elif isinstance(thing, NotebookRenderer):
                client = getattr(getattr(thing, "executor", None), "kc", None)
                if client is None:
                    continue
                waiting = {name: bool(getattr(client, f"{name}_channel").socket.get(zmq.EVENTS) & zmq.POLLIN)
                           for name in ("shell", "iopub") if getattr(client, f"{name}_channel", None) is not None
                           and getattr(client, f"{name}_channel").socket is not None}
                out.append(f"renderer of {getattr(thing.executor.km, 'kernel_id', '?')} ({type(client).__name__}): "
                           f"messages waiting {waiting}")
        return out

    @staticmethod
    def awaiting(coro, most: int = 30) -> list[str]:
        """Where a coroutine waits: each coroutine or async generator down the chain it awaits, innermost last."""
        chain = []
        while coro is not None and len(chain) < most:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "ag_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                where = frame.f_code.co_filename.rsplit("site-packages/", 1)[-1]
                chain.append(f"{frame.f_code.co_name} ({where}:{frame.f_lineno})")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "ag_await", None) or getattr(coro, "gi_yieldfrom", None)
        if coro is not None and not chain:
            chain.append(repr(coro)[:120])
        return chain

    def write(self, why: str = "SIGUSR1") -> None:
        try:
            lines = self.lines()
        except Exception:  # a state dump must not harm the server
            self.app.log.warning("State dump failed", exc_info=True)
            return
        self.app.log.warning("State dump (%s):\n%s", why, "\n".join(f"  {line}" for line in lines))


UNUSED_LAB_EXTENSIONS = ("jupyterlab_pygments",)  # styles of highlighted code: no code is shown


# No page of the toolkit shows LaTeX, yet every widget's description is typeset: with Voila's own MathJax 3
# that downloads MathJax itself (seven chunks, 200 kB compressed) at every first page load. Given a MathJax URL,
# Voila's page takes JupyterLab's MathJax 2 typesetter instead, which loads its script from that URL on the
# first typesetting: the template's nomath.js, a MathJax that typesets nothing (text is shown as it is, as
# MathJax shows text without LaTeX).
NO_MATH_JS = "voila/templates/toolkit/static/nomath.js"


def lighter_page_config(page_config: dict, base_url: str = "/", **_kwargs) -> dict:
    """VoilaConfiguration.page_config_hook: the page's JupyterLab leaves out the lab extensions no toolkit page
    uses (UNUSED_LAB_EXTENSIONS) and typesets no LaTeX (NO_MATH_JS), so the phone never downloads their scripts.
    (The rest of JupyterLab in Voila's page, CodeMirror, the notebook and console packages among them, is
    required by Voila's own bundle: its page loads those plugins whatever `disabledExtensions` says.)"""
    page_config["federated_extensions"] = [x for x in page_config.get("federated_extensions", [])
                                           if x.get("name") not in UNUSED_LAB_EXTENSIONS]
    page_config["fullMathjaxUrl"] = url_path_join(base_url or "/", NO_MATH_JS)
    page_config["mathjaxConfig"] = "none"
    return page_config


ETAG_DIGITS = 20
CONTENT_HASHED = re.compile(r"[.-][0-9a-f]{16,}\.js$")  # 84.09c61a35dce1705f.js, remoteEntry.c8c9eed2….js


def _kept(handler: type[tornado.web.StaticFileHandler]) -> type:
    """The same static handler, with assets the browser may keep for a day instead of asking again (the lab
    extensions' files too, whose names carry their contents' hash), sent compressed by Zopfli once they are
    (toolkit.static_gzip) with only the headers a browser uses; Voila's template and static handlers send the
    lighter files in place of Voila's (toolkit.page_assets.ServesLighter)."""

    lighter = (page_assets.ServesLighter,) if issubclass(handler, (TemplateStaticFileHandler,
                                                                   MultiStaticFileHandler)) else ()

    class Kept(ServesPrecompressed, *lighter, handler):
        def get_cache_time(self, path, modified, mime_type):
            return STATIC_CACHE_S

        def compute_etag(self):
            # Tornado's is the file's whole SHA-512 (128 hex digits, in every answer): 80 bits tell its versions apart
            etag = super().compute_etag()
            return etag if etag is None else f'"{etag.strip(chr(34))[:ETAG_DIGITS]}"'

        def set_headers(self):
            super().set_headers()
            # a lab extension's file (jupyter_server's handler asks for no-cache) whose name has its contents' hash
            if self._headers.get("Cache-Control") == "no-cache" and CONTENT_HASHED.search(self.request.path):
                self.set_header("Cache-Control", f"max-age={STATIC_CACHE_S}")
            # what no browser needs of a static file: Expires (max-age says it), Last-Modified beside an ETag (the
            # browser asks with the ETag), Accept-Ranges (a range is served all the same), the server's name
            for name in ("Expires", "Accept-Ranges", "Server", *(("Last-Modified",) if "Etag" in self._headers else ())):
                self.clear_header(name)

    Kept.__name__ = f"Kept{handler.__name__}"
    return Kept


class WorkshopVoila(Voila):
    name = "toolkit-voila"
    calm_refill = Bool(True, config=True, help="Replace taken warm kernels after the rush (CalmRefill), not at once")
    kernel_cap = Int(0, config=True, help="The most kernels (warm pool and pages together); 0: no cap. "
                                          "Beyond it a page answers at once that the room is full.")
    kernel_min_free_mb = Int(0, config=True, help="Start a kernel only while this much memory is free (MB); 0: any")
    page_connect_s = Float(60.0, config=True, help="Shut down a page's kernel when the page has not opened its "
                                                   "WebSocket this many seconds after it was sent")
    page_limit_s = Float(PAGE_LIMIT_S, config=True, help="End a page Voila has not sent within this many seconds: "
                                                         "it says so and reloads once; its kernel is shut down")
    allowed_hosts = List(Unicode(), config=True, help="Names and addresses (Host header) answered besides this "
                                                      "machine's own; anything else gets 403 (DNS rebinding)")
    trusted_proxies = List(Unicode(), config=True, help="Proxies (addresses or networks) whose X-Real-IP / "
                                                        "X-Forwarded-For names the phone; loopback always "
                                                        "(toolkit.proxy.TrustedProxies)")

    def log_only_what_is_shown(self) -> None:
        """Give the server's logger the level its output is filtered at (`log_level`).

        traitlets leaves an application's logger at DEBUG and filters in its console handler, so every debug call
        made a record only for the handler to drop it: nbclient's two for each message of each page's cell
        (`process_message`) were 5.8% of the participant server's CPU during joins (py-spy, 30 joins)."""
        level = self.log_level if isinstance(self.log_level, int) else logging.getLevelName(self.log_level)
        self.log.setLevel(level)

    def init_settings(self) -> dict:
        self.log_only_what_is_shown()
        self._page_resources()
        # every kernel's client wakes for its replies (WakefulChannel); read by each kernel manager as it is made
        self.config.AsyncKernelManager.client_factory = WakefulKernelClient
        configuration = self.voila_configuration
        configuration.page_config_hook = lighter_page_config  # read as the kernel manager is built, and by each page
        # Voila builds its pool of warm kernels on this class: the cap below, each kernel's page-request secret above
        base = CappedKernelManager
        configuration.multi_kernel_manager_class = type("PageRequest" + base.__name__, (PageRequestSecrets, base),
                                                         {"__module__": __name__})
        settings = super().init_settings()  # builds the kernel manager and starts the first fill of the pool
        settings["compress_response"] = True  # read by Tornado only when the application is built
        manager = self.kernel_manager
        manager.kernel_cap, manager.min_free_mb = self.kernel_cap, self.kernel_min_free_mb
        manager.page_connect_s = self.page_connect_s
        if hasattr(manager, "fill_if_needed"):  # kernels are preheated: a warm kernel a page takes is noted
            mixins = (HandsOutToPages, CalmRefill) if self.calm_refill else (HandsOutToPages,)
            manager.__class__ = type("Workshop" + type(manager).__name__, (*mixins, type(manager)), {})
            manager._calm_refill = self.calm_refill
        if self.kernel_cap and self.notebook_path:
            watch = RoomWatch(self, os.path.relpath(self.notebook_path, self.root_dir))
            settings["toolkit_room"] = watch
            PeriodicCallback(watch.check, 1000 * RoomWatch.CHECK_S).start()
        if hasattr(manager, "fill_if_needed"):
            self._warm_reported: dict[str, int] = {}
            asyncio.get_event_loop().call_later(1.0, self._report_warm)
        settings["toolkit_page_limit_s"] = self.page_limit_s
        self._precompress()
        settings["toolkit_state_dump"] = dump = StateDump(self)
        dump.install()
        return settings

    def stop(self) -> None:
        PRECOMPRESSED.close()  # files not compressed yet are left for the next start: the server stops at once
        super().stop()

    def _precompress(self) -> None:
        """Queue the scripts and styles of Voila's page for Zopfli (toolkit.static_gzip), in the background."""
        for folder in page_folders():
            PRECOMPRESSED.queue_folder(folder)
        for path in page_assets.LIGHTER.values():
            PRECOMPRESSED.queue(path)

    def _page_resources(self) -> None:
        """What the toolkit's template needs besides Voila's: its lighter styles (toolkit.page_assets), the texts
        of its recovery line (recover.js), in every language, from toolkit/apps/texts.py. Voila's renderer reads VoilaConfiguration.resources from
        the configuration at every page."""
        from . import languages
        from .apps.texts import T

        page_assets.use_lighter_files(self.log)  # styles and scripts without what the page never uses

        section = self.config.VoilaConfiguration
        given = section.get("resources", {})
        given = dict(given) if isinstance(given, dict) else given.to_dict() if hasattr(given, "to_dict") else {}
        section.resources = {**given, "toolkit": {"recovery": {key: T[key] for key in RECOVERY_TEXTS},
                                                  "languages": languages.for_page()}}

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

    def listen(self) -> None:
        """Answer only to this server's own names and addresses: a web page elsewhere cannot reach it under a
        name of its own (DNS rebinding). Checked before any handler, WebSockets and static files included."""
        allowed = HostCheck(self.ip, self.allowed_hosts)
        proxies = TrustedProxies(self.trusted_proxies)

        class Checked(type(self.app)):
            def find_handler(self, request, **kwargs):
                # behind nginx: the phone's address from the proxy's header, for the limits per address
                request.remote_ip = proxies.client(request.remote_ip, request.headers)
                if not allowed(request.host):
                    return self.get_handler_delegate(request, ForeignHost)
                return super().find_handler(request, **kwargs)

        self.app.__class__ = Checked
        super().listen()

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


class HostCheck:
    """Whether a request's Host names this server: loopback, the address it listens on, the names it was given;
    and when it listens on every address, this machine's name and any address it has now (they change as
    the laptop joins another network)."""

    REFRESH_S = 10.0

    def __init__(self, ip: str, names: list[str]):
        self.everywhere = ip in ("", "0.0.0.0", "::")
        self.names = {"localhost", "127.0.0.1", "::1", *(n.lower() for n in names)}
        if not self.everywhere:
            self.names.add(ip.lower())
        else:
            hostname = socket.gethostname().lower()
            self.names |= {hostname, f"{hostname}.local"}
        self._addresses: set[str] = set()
        self._read_at = -math.inf

    def addresses(self) -> set[str]:
        if time.monotonic() - self._read_at > self.REFRESH_S:
            import psutil

            self._addresses = {a.address.split("%")[0].lower() for nic in psutil.net_if_addrs().values()
                               for a in nic if a.family in (socket.AF_INET, socket.AF_INET6)}
            self._read_at = time.monotonic()
        return self._addresses

    def __call__(self, host_header: str) -> bool:
        host, _port = split_host_and_port(host_header.lower())
        host = host.strip("[]").rstrip(".")
        if host in self.names:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_loopback or (self.everywhere and str(address) in self.addresses())


class ForeignHost(tornado.web.RequestHandler):
    """The answer to a request under a name this server does not have."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def prepare(self):
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("403: this server does not answer to that name.\n")


main = WorkshopVoila.launch_instance

if __name__ == "__main__":
    main()

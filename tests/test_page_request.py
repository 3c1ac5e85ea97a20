"""The page-request socket (/voila/query/<kernel id>), where a preheated kernel waits for the request of the page
it is handed to: only that kernel may use it, a stranger's socket changes nothing, and a closing socket never
takes another kernel's request away.

The server here is WorkshopVoila's own tornado application with its own routes (no kernel started: the pool is
empty); the "kernels" are toolkit.apps.request.receive_page_request, the client a participant kernel runs,
in threads. A page taking a kernel is what Voila's page handler does: RequestInfoSocketHandler.send_updates."""

from __future__ import annotations

import asyncio
import inspect
import socket
import tempfile
import threading
import uuid

import pytest
import tornado.httpclient
import tornado.web
import tornado.websocket
from traitlets.config import Config
from voila.handler import VoilaHandler
from voila.request_info_handler import RequestInfoSocketHandler

from toolkit import config
from toolkit.apps.request import SECRET_HEADER, receive_page_request
from toolkit.voila_app import PageRequestSecrets, PageRequestSocket, WorkshopVoila


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila(tmp_path, monkeypatch):
    """WorkshopVoila's application (routes, kernel manager) with preheated kernels on and an empty pool."""
    monkeypatch.chdir(tmp_path)  # no voila.json from elsewhere
    c = Config()
    c.VoilaConfiguration.preheat_kernel = True
    c.VoilaConfiguration.default_pool_size = 0
    app = WorkshopVoila(config=c)
    app.initialize([str(config.notebooks_dir() / "participant.ipynb")])
    app.connection_dir = tempfile.mkdtemp(dir=tmp_path)
    settings = app.init_settings()
    app.app = tornado.web.Application(**settings)
    app.app.add_handlers(".*$", app.init_handlers())
    waiters, cache = dict(RequestInfoSocketHandler._waiters), dict(RequestInfoSocketHandler._cache)
    yield app
    RequestInfoSocketHandler._waiters.clear()
    RequestInfoSocketHandler._waiters.update(waiters)
    RequestInfoSocketHandler._cache.clear()
    RequestInfoSocketHandler._cache.update(cache)


def secrets_of(app) -> dict[str, str]:
    """The secrets of the kernels the manager started (set here by hand: no kernel is started)."""
    return app.kernel_manager.__dict__.setdefault("_page_request_secrets", {})


class Kernel(threading.Thread):
    """A preheated kernel waiting for its page request, as the participant kernel does (request.py)."""

    def __init__(self, port: int, kernel_id: str, secret: str):
        super().__init__(daemon=True)
        self.url = f"ws://127.0.0.1:{port}/voila/query/{kernel_id}"
        self.secret, self.received, self.error = secret, None, None

    def run(self):
        try:
            self.received = receive_page_request(self.url, self.secret, timeout=30)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e


async def until(condition, seconds: float = 30) -> None:
    """Wait for something the server does in its own time (a socket registered); a bounded wait, not a timing."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the server did not get there")


async def stranger(port: int, kernel_id: str, secret: str | None = None):
    """A socket from anyone else: the connection, or the status it was refused with."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    request = tornado.httpclient.HTTPRequest(f"ws://127.0.0.1:{port}/voila/query/{kernel_id}", headers=headers)
    try:
        return await tornado.websocket.websocket_connect(request)
    except tornado.httpclient.HTTPClientError as e:
        return e.code


def test_a_closing_strangers_socket_never_takes_another_kernels_page_request(voila):
    """The race behind pages stuck at "Running …": with Voila's handler, a socket that closes without being the
    one registered for its id removes the last registered kernel's socket; that kernel never gets its request."""
    port = free_port()

    async def scenario():
        server = voila.app.listen(port, "127.0.0.1")
        try:
            a, b = str(uuid.uuid4()), str(uuid.uuid4())
            secrets_of(voila).update({a: "secret-a", b: "secret-b"})
            kernels = {a: Kernel(port, a, "secret-a"), b: Kernel(port, b, "secret-b")}
            for k in kernels.values():
                k.start()
            await until(lambda: a in RequestInfoSocketHandler._waiters and b in RequestInfoSocketHandler._waiters)
            made_up = str(uuid.uuid4())
            refused = []
            for kernel_id in (made_up, made_up, b):  # two sockets for one made-up id, one more for b's
                opened = await stranger(port, kernel_id)
                refused.append(opened if isinstance(opened, int) else "accepted")
                if not isinstance(opened, int):
                    opened.close()
            await asyncio.sleep(0.5)  # let the server see those sockets close
            for kernel_id in (a, b):  # two pages take the two kernels
                RequestInfoSocketHandler.send_updates(
                    {"kernel_id": kernel_id, "payload": {"QUERY_STRING": f"code=ABC&page={kernel_id}"}})
            await until(lambda: all(k.received or k.error for k in kernels.values()))
            return refused, {kernel_id: k.received for kernel_id, k in kernels.items()}
        finally:
            server.stop()

    refused, received = asyncio.run(scenario())
    assert refused == [403, 403, 403]
    assert received == {kernel_id: {"QUERY_STRING": f"code=ABC&page={kernel_id}"} for kernel_id in received}


def test_only_the_kernel_with_its_secret_connects_and_a_refused_socket_changes_nothing(voila):
    port = free_port()

    async def scenario():
        server = voila.app.listen(port, "127.0.0.1")
        try:
            a = str(uuid.uuid4())
            secrets_of(voila)[a] = "secret-a"
            RequestInfoSocketHandler.send_updates({"kernel_id": a, "payload": {"QUERY_STRING": "token=t-a"}})
            before = dict(RequestInfoSocketHandler._waiters), dict(RequestInfoSocketHandler._cache)
            outcomes = [await stranger(port, a), await stranger(port, a, "not-the-secret"),
                        await stranger(port, str(uuid.uuid4()), "secret-a")]  # another id with a's secret
            after = dict(RequestInfoSocketHandler._waiters), dict(RequestInfoSocketHandler._cache)
            kernel = Kernel(port, a, "secret-a")  # the request came first: the kernel gets it when it asks
            kernel.start()
            await until(lambda: kernel.received or kernel.error)
            return outcomes, before == after, kernel.received, a in RequestInfoSocketHandler._cache
        finally:
            server.stop()

    outcomes, unchanged, received, still_kept = asyncio.run(scenario())
    assert outcomes == [403, 403, 403]
    assert unchanged  # nothing registered, no request handed out or dropped
    assert received == {"QUERY_STRING": "token=t-a"}
    assert not still_kept  # delivered once, not kept for a later socket


def test_a_second_socket_for_a_waiting_kernel_is_refused_even_with_the_secret(voila):
    port = free_port()

    async def scenario():
        server = voila.app.listen(port, "127.0.0.1")
        try:
            a = str(uuid.uuid4())
            secrets_of(voila)[a] = "secret-a"
            kernel = Kernel(port, a, "secret-a")
            kernel.start()
            await until(lambda: a in RequestInfoSocketHandler._waiters)
            second = await stranger(port, a, "secret-a")
            RequestInfoSocketHandler.send_updates({"kernel_id": a, "payload": {"QUERY_STRING": "code=X"}})
            await until(lambda: kernel.received or kernel.error)
            await until(lambda: a not in RequestInfoSocketHandler._waiters)  # its socket closed: unregistered
            return second, kernel.received
        finally:
            server.stop()

    second, received = asyncio.run(scenario())
    assert second == 403
    assert received == {"QUERY_STRING": "code=X"}


def test_a_waiting_kernel_does_its_waiting_work_on_the_same_socket_until_its_page_comes(voila):
    """A pool kernel reads ahead what the room shows now while it waits (ParticipantApp._read_ahead): its socket
    stays the one registered, and the request, when it comes, still reaches it."""
    port = free_port()
    calls: list[float] = []

    class Waiting(Kernel):
        def run(self):
            try:
                self.received = receive_page_request(self.url, self.secret, timeout=30,
                                                     while_waiting=lambda: calls.append(1), every=0.05)
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.error = e

    async def scenario():
        server = voila.app.listen(port, "127.0.0.1")
        try:
            a = str(uuid.uuid4())
            secrets_of(voila)[a] = "secret-a"
            kernel = Waiting(port, a, "secret-a")
            kernel.start()
            await until(lambda: a in RequestInfoSocketHandler._waiters and len(calls) >= 3)
            registered = RequestInfoSocketHandler._waiters[a]
            await until(lambda: len(calls) >= 6)
            same = RequestInfoSocketHandler._waiters.get(a) is registered
            RequestInfoSocketHandler.send_updates({"kernel_id": a, "payload": {"QUERY_STRING": "code=W"}})
            await until(lambda: kernel.received or kernel.error)
            return same, kernel.received, kernel.error
        finally:
            server.stop()

    same, received, error = asyncio.run(scenario())
    assert error is None and received == {"QUERY_STRING": "code=W"}
    assert same  # one socket all along: the waiting work did not reconnect


def test_a_waiting_kernel_gives_up_after_its_timeout_whatever_its_waiting_work():
    import websocket

    async def scenario():
        sockets = []

        class Quiet(tornado.websocket.WebSocketHandler):
            def open(self, *_):
                sockets.append(self)  # never sends a page request

        port = free_port()
        server = tornado.web.Application([(r"/voila/query/(.*)", Quiet)]).listen(port, "127.0.0.1")
        calls = []
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(websocket.WebSocketTimeoutException):
                await loop.run_in_executor(None, lambda: receive_page_request(
                    f"ws://127.0.0.1:{port}/voila/query/k", "s", timeout=0.6, while_waiting=lambda: calls.append(1),
                    every=0.1))
            return loop.time() - started, len(calls), len(sockets)
        finally:
            server.stop()

    waited, calls, sockets = asyncio.run(scenario())
    assert sockets == 1 and calls >= 2 and waited < 5  # bounded by its timeout, not by the waiting work


class StandInManager:
    """The kernel manager below PageRequestSecrets: records what it was asked."""

    def __init__(self):
        self.started, self.shut_down = [], []

    async def start_kernel(self, *, kernel_id=None, **kwargs):
        self.started.append((kernel_id, kwargs))
        return kernel_id or "plain-kernel"

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self.shut_down.append(kernel_id)


class Manager(PageRequestSecrets, StandInManager):
    pass


def test_each_preheated_kernel_starts_with_a_secret_of_its_own_forgotten_at_shutdown():
    async def scenario():
        m = Manager()
        shared = {"VOILA_PREHEAT": "True", "PATH": "/bin"}  # Voila's pool passes one env to all its kernels
        first = await m.start_kernel(kernel_name="python3", env=shared)
        second = await m.start_kernel(kernel_name="python3", env=shared)
        plain = await m.start_kernel(kernel_name="python3", env={"VOILA_PREHEAT": "False"})
        RequestInfoSocketHandler._cache[first] = {"QUERY_STRING": "token=secret-token"}
        await m.shutdown_kernel(first)
        return m, first, second, plain, shared

    m, first, second, plain, shared = asyncio.run(scenario())
    envs = {kernel_id or "plain-kernel": kwargs["env"] for kernel_id, kwargs in m.started}
    assert envs[first]["TOOLKIT_PAGE_REQUEST_SECRET"] != envs[second]["TOOLKIT_PAGE_REQUEST_SECRET"]
    assert len(envs[second]["TOOLKIT_PAGE_REQUEST_SECRET"]) >= 32
    assert "TOOLKIT_PAGE_REQUEST_SECRET" not in shared and "TOOLKIT_PAGE_REQUEST_SECRET" not in envs[plain]
    assert m.page_request_secrets == {second: envs[second]["TOOLKIT_PAGE_REQUEST_SECRET"]}
    assert first not in RequestInfoSocketHandler._cache and m.shut_down == [first]
    assert plain == "plain-kernel"


def test_voila_still_routes_and_delivers_the_page_request_the_way_this_replacement_relies_on(voila):
    """Fails loudly when Voila changes what PageRequestSocket replaces or shares."""
    routes = {pattern: handler for pattern, handler, *_ in voila.init_handlers()}
    query = [handler for pattern, handler in routes.items() if "/voila/query/" in pattern]
    assert query == [PageRequestSocket]
    assert RequestInfoSocketHandler not in routes.values()
    # Voila's page handler hands the request to the kernel through these (voila/handler.py, get_generator)
    assert "RequestInfoSocketHandler.send_updates" in inspect.getsource(VoilaHandler.get_generator)
    assert isinstance(RequestInfoSocketHandler._waiters, dict) and isinstance(RequestInfoSocketHandler._cache, dict)
    assert "_waiters" in inspect.getsource(RequestInfoSocketHandler.send_updates)
    assert "_cache" in inspect.getsource(RequestInfoSocketHandler.send_updates)
    # the kernel manager Voila builds has the secrets below its pooling class (the first fill included)
    mro = type(voila.kernel_manager).__mro__
    pooling = next(i for i, c in enumerate(mro) if c.__name__ == "VoilaKernelManager")
    assert mro.index(PageRequestSecrets) > pooling


def test_a_page_voila_does_not_send_in_time_is_ended_saying_so_and_its_request_closes(voila, monkeypatch):
    """No request stays open for good: a page whose rendering is held (here Voila's page handler sends the head
    and then waits for ever) is ended at the limit with page_ended(), in the page's language; a page of which
    nothing was sent gets the whole short page (503, it reloads by itself)."""
    from toolkit.apps.texts import T
    from toolkit.voila_app import TornadoVoilaHandler

    held = {"write": True}

    async def hung_render(self, path=None):
        if held["write"]:
            self.write("<html><head><script>/* recover.js */</script></head><body><div>Running participant...</div>")
            self.flush()
        await asyncio.Event().wait()  # a rendering that never ends

    monkeypatch.setattr(TornadoVoilaHandler, "get", hung_render)
    voila.app.settings["toolkit_page_limit_s"] = 1.0
    port = free_port()

    async def scenario():
        server = voila.app.listen(port, "127.0.0.1")
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            part = await client.fetch(f"http://127.0.0.1:{port}/?lang=ur", request_timeout=30, raise_error=False)
            held["write"] = False
            whole = await client.fetch(f"http://127.0.0.1:{port}/", request_timeout=30, raise_error=False)
            return part, whole
        finally:
            server.stop()

    part, whole = asyncio.run(scenario())
    body = part.body.decode()
    assert part.code == 200 and body.startswith("<html><head>")  # the head was sent: the page is ended in its body
    ending = body.split('id="tk-page-ended"')[1]
    assert T["page_reloading"]["ur"] in ending and T["page_reloading"]["en"] not in ending
    assert "window.toolkitReloadOnce()" in ending
    assert whole.code == 503 and whole.headers["Retry-After"] == "5"
    text = whole.body.decode()
    assert '<meta http-equiv="refresh" content="5">' in text
    assert T["page_reloading"]["en"] in text and T["page_reloading"]["ur"] in text  # no language known: both

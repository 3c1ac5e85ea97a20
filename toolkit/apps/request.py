"""The page request a participant kernel serves.

A preheated kernel runs the notebook before anybody asks for the page (that is what makes joining
fast); who is joining is only known once the request arrives. Voila then sends the request's
variables (QUERY_STRING, …) over a WebSocket to the waiting kernel. This is a small client for that
message, so the participant kernel does not import Voila's server-side packages. The kernel presents the
secret it was started with (toolkit.voila_app.PageRequestSecrets): the server takes no other socket.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Callable

from ..limits import is_this_laptop

# the kernel's secret: in its environment, presented in this header (toolkit.voila_app.PageRequestSecrets)
SECRET_ENV = "TOOLKIT_PAGE_REQUEST_SECRET"
SECRET_HEADER = "X-Toolkit-Page-Request-Secret"


# While it waits, a kernel does what `while_waiting` asks this often (ParticipantApp reads ahead what the room
# shows now: a pool kernel may have been warmed before the trainer opened the pre-test)
WHILE_WAITING_EVERY_S = 20.0


def receive_page_request(url: str, secret: str, timeout: float | None = None,
                         while_waiting: Callable[[], None] | None = None,
                         every: float = WHILE_WAITING_EVERY_S) -> dict[str, str]:
    """Wait on the server's page-request socket at `url` until a page takes this kernel; its variables.

    `while_waiting` is called every `every` seconds in which no request arrived (the socket stays open)."""
    import websocket  # websocket-client: small and synchronous

    connection = websocket.create_connection(url, timeout=timeout, header=[f"{SECRET_HEADER}: {secret}"])
    try:
        if while_waiting is not None:
            _until_readable(connection, timeout, while_waiting, every)
        payload = connection.recv()
    finally:
        connection.close()
    return {str(name): str(value) for name, value in json.loads(payload).items()}


def _until_readable(connection, timeout: float | None, while_waiting: Callable[[], None], every: float) -> None:
    """Return once the socket has something to read, calling `while_waiting` after each `every` seconds without;
    websocket-client's timeout error after `timeout` seconds in all."""
    import websocket

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = every if deadline is None else min(every, deadline - time.monotonic())
        if wait <= 0:
            raise websocket.WebSocketTimeoutException("no page request arrived in time")
        readable, _, _ = select.select([connection.sock], [], [], wait)
        if readable:
            return
        while_waiting()


def page_query_string(timeout: float | None = None, while_waiting: Callable[[], None] | None = None) -> str:
    """The page address's query string; in a preheated kernel, wait for the page request first (calling
    `while_waiting` now and then meanwhile: receive_page_request)."""
    if os.environ.get("VOILA_PREHEAT", "False") == "True" and os.environ.get("VOILA_KERNEL_ID"):
        host = os.environ.get("VOILA_APP_IP") or "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        port = os.environ.get("VOILA_APP_PORT", "8866")
        protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
        base = os.environ.get("VOILA_WS_BASE_URL") or os.environ.get("VOILA_SERVER_URL") or "/"
        url = f"{protocol}://{host}:{port}{base}voila/query/{os.environ['VOILA_KERNEL_ID']}"
        os.environ.update(receive_page_request(url, os.environ.get(SECRET_ENV, ""), timeout, while_waiting))
        os.environ.pop(SECRET_ENV, None)  # used once
        os.environ["VOILA_PREHEAT"] = "False"  # the request is here: a second app in this kernel must not wait
    return os.environ.get("QUERY_STRING", "")


CLIENT_ADDRESS = "HTTP_X_TOOLKIT_CLIENT"  # set by `toolkit serve` from the connection, never taken from the phone


def client_address() -> str | None:
    """The phone's address, as the participant server saw it (after `page_query_string`); None when the page was
    not served by `toolkit serve` (a test, plain Voila) or comes from the laptop itself (a rehearsal, the browser
    tests, the trainer trying the page): then only this page's own tries are bounded."""
    address = os.environ.get(CLIENT_ADDRESS) or None
    return None if is_this_laptop(address) else address

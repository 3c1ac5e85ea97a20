"""`toolkit rehearse`: play N participants against a running participant app, the way phones would.

Each simulated participant loads the page over HTTP, connects to its kernel's WebSocket and speaks the
Jupyter widget protocol as the browser does: it asks for the widgets' state, fills in the join form,
taps an answer to every question, moves on and submits. No browser is needed, so a laptop can play a
whole room against itself before the workshop. It prints the time to the first question, the time to
see an answer saved, and every failure.

Its WebSocket speaks the browser's protocol: JupyterLab's page (Voila's) asks for jupyter_server's
`v1.kernel.websocket.jupyter.org`, in which the server passes each kernel message on as it came, without
checking its signature, parsing it and writing it out again as JSON. A rehearsal on the older JSON protocol
would make the server do that for every message of every phone, work no phone asks of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect


class RehearsalError(Exception):
    pass


V1 = "v1.kernel.websocket.jupyter.org"  # the kernel WebSocket protocol JupyterLab's page asks for


def to_v1(channel: str, parts: list[bytes]) -> bytes:
    """A kernel message as a v1 WebSocket frame: the count of offsets, the offsets (8 bytes each, little-endian),
    the channel, then the message's parts (header, parent header, metadata, content, buffers) as they are."""
    chunks = [channel.encode(), *parts]
    offsets = [8 * (len(chunks) + 2)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    return b"".join([len(offsets).to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets), *chunks])


def from_v1(frame: bytes) -> tuple[str, list[bytes]]:
    """The channel and the parts of a v1 WebSocket frame (to_v1)."""
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    channel = frame[offsets[0]:offsets[1]].decode()
    return channel, [frame[offsets[i]:offsets[i + 1]] for i in range(1, count - 1)]


@dataclass
class Outcome:
    first_question_s: float | None = None
    save_latencies_s: list[float] = field(default_factory=list)
    # … of those, the saves that the page's own bound held (toolkit.apps.saving: SAVES_PER_WINDOW a page in
    # WINDOW_S): a phone that taps without pause reaches it, a person does not
    held_latencies_s: list[float] = field(default_factory=list)
    answered: int = 0
    submitted: bool = False
    error: str | None = None
    messages: int = 0  # kernel messages the page received over its WebSocket
    message_bytes: int = 0
    first_question_messages: int | None = None  # … of which before the first question showed
    kinds: Counter = field(default_factory=Counter)  # … by kind: "comm_close", "comm_msg update", "status", …


class WidgetClient:
    """One page's widgets as the browser sees them, kept up to date from the kernel's messages."""

    def __init__(self, ws, session: str, protocol: str | None = None):
        self.ws = ws
        self.session = session
        self.v1 = protocol == V1  # else the older JSON protocol (a server that offers no v1)
        self.models: dict[str, dict] = {}
        self.changed = asyncio.Event()
        self.reader: asyncio.Task | None = None
        self.handled: set[str] = set()  # our messages the kernel has finished with (status idle)
        self.messages = self.message_bytes = 0  # received
        self.kinds: Counter = Counter()  # received, by kind (Outcome.kinds)

    def _message(self, channel: str, msg_type: str, content: dict, metadata: dict | None = None,
                 msg_id: str | None = None) -> str | bytes:
        header = {"msg_id": msg_id or uuid.uuid4().hex, "msg_type": msg_type, "username": "rehearsal",
                  "version": "5.3", "session": self.session, "date": datetime.now(timezone.utc).isoformat()}
        if self.v1:
            return to_v1(channel, [json.dumps(part).encode() for part in (header, {}, metadata or {}, content)])
        return json.dumps({"header": header, "parent_header": {}, "metadata": metadata or {}, "content": content,
                           "channel": channel, "buffers": []})

    async def _comm_msg(self, model_id: str, data: dict) -> str:
        msg_id = uuid.uuid4().hex
        await self._send(self._message("shell", "comm_msg", {"comm_id": model_id, "data": data}, msg_id=msg_id))
        return msg_id

    async def handled_by_kernel(self, msg_id: str, timeout: float) -> None:
        """Wait until the kernel has finished with one of our messages: every change it made is here by then
        (a new question's counter arrives before its answer buttons; acting in between taps old buttons)."""
        await self.wait_for(lambda: msg_id in self.handled, timeout)

    async def start(self) -> None:
        self.reader = asyncio.ensure_future(self._read())
        control = uuid.uuid4().hex
        await self._send(self._message("shell", "comm_open", {
            "comm_id": control, "target_name": "jupyter.widget.control", "data": {}}, {"version": "1.0.0"}))
        await self._send(self._message("shell", "comm_msg", {
            "comm_id": control, "data": {"method": "request_states"}}))

    async def _send(self, message: str | bytes) -> None:
        await self.ws.write_message(message, binary=isinstance(message, bytes))

    def _parse(self, raw: str | bytes) -> dict | None:
        """A kernel message from the WebSocket (its header, parent header and content), or None for binary buffers
        of the JSON protocol (the toolkit's widgets use none)."""
        if not self.v1:
            return None if isinstance(raw, bytes) else json.loads(raw)
        if isinstance(raw, str):
            return json.loads(raw)
        _channel, parts = from_v1(raw)
        return {"header": json.loads(parts[0]), "parent_header": json.loads(parts[1]), "content": json.loads(parts[3])}

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                return
            self.messages += 1
            self.message_bytes += len(raw)
            msg = self._parse(raw)
            if msg is None:
                continue
            kind, content = msg["header"]["msg_type"], msg.get("content", {})
            data = content.get("data", {})
            self.kinds[f"{kind} {data['method']}" if kind == "comm_msg" and "method" in data else kind] += 1
            if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                self.models[content["comm_id"]] = dict(data.get("state", {}))
            elif kind == "comm_msg":
                if data.get("method") == "update_states":
                    for model_id, state in data.get("states", {}).items():
                        self.models.setdefault(model_id, {}).update(state.get("state", state))
                elif data.get("method") == "update":
                    self.models.setdefault(content["comm_id"], {}).update(data.get("state", {}))
            elif kind == "comm_close":
                self.models.pop(content.get("comm_id"), None)
            elif kind == "status" and content.get("execution_state") == "idle":
                self.handled.add(msg.get("parent_header", {}).get("msg_id"))
            self.changed.set()

    async def set(self, model_id: str, **state) -> str:
        self.models[model_id].update(state)
        return await self._comm_msg(model_id, {"method": "update", "state": state, "buffer_paths": []})

    async def click(self, model_id: str) -> str:
        return await self._comm_msg(model_id, {"method": "custom", "content": {"event": "click"}})

    def children(self, model_id: str) -> list[str]:
        return [c.removeprefix("IPY_MODEL_") for c in self.models.get(model_id, {}).get("children", [])]

    def find(self, model: str | None = None, css: str | None = None, **match) -> list[str]:
        found = []
        for model_id, state in self.models.items():
            if model and state.get("_model_name") != model:
                continue
            if css and css not in state.get("_dom_classes", ()):
                continue
            if all(str(v) in str(state.get(k, "")) for k, v in match.items()):
                found.append(model_id)
        return found

    def shown(self, model: str | None = None, css: str | None = None, **match) -> list[str]:
        """`find` among the widgets on screen (under the page's body): a browser keeps the models of widgets the
        kernel closed without telling it (toolkit.apps.screens.close_quietly), and so does this client."""
        on_screen = set(_descendants(self, self.body()))
        return [m for m in self.find(model, css, **match) if m in on_screen]

    def body(self) -> str | None:
        found = self.find("VBoxModel", css="tk-body")
        return found[0] if found else None

    def page_text(self) -> str:
        """The text of the HTML widgets on screen now (under the page's body)."""
        root = self.body()
        out, stack = [], [root] if root else []
        while stack:
            model_id = stack.pop()
            state = self.models.get(model_id, {})
            if state.get("_model_name") == "HTMLModel":
                out.append(state.get("value", ""))
            stack.extend(self.children(model_id))
        return "\n".join(out)

    async def wait_for(self, predicate, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise RehearsalError("the page did not change in time")
            self.changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))


def _question_position(text: str) -> tuple[int, int] | None:
    import re

    m = re.search(r"Question (\d+) of (\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


async def _answer(client: WidgetClient, rng: random.Random, taps: list[float]) -> None:
    """Tap an answer to the question on screen, whatever its type; the time of each tap (each gives an answer to
    save) is added to `taps`."""
    body = client.body()
    inputs = [m for m in _descendants(client, body) if "tk-input" in client.models[m].get("_dom_classes", ())]
    if not inputs:
        raise RehearsalError("no answer widget on the question screen")
    parts = _descendants(client, inputs[0])
    toggles = [m for m in parts if client.models[m].get("_model_name") == "ToggleButtonModel"]
    buttons = [m for m in parts if client.models[m].get("_model_name") == "ButtonModel"
               and "tk-choice" in client.models[m].get("_dom_classes", ())]
    dropdowns = [m for m in parts if client.models[m].get("_model_name") == "DropdownModel"]
    texts = [m for m in parts if client.models[m].get("_model_name") in ("TextModel", "TextareaModel")]
    if toggles:
        taps.append(time.monotonic())
        await client.set(rng.choice(toggles), value=True)
    elif buttons:
        for b in buttons:  # ordering: tap the items one after the other
            taps.append(time.monotonic())
            await client.click(b)
    elif dropdowns:
        for d in dropdowns:
            taps.append(time.monotonic())
            await client.set(d, index=1)
    elif texts:
        taps.append(time.monotonic())
        await client.set(texts[0], value="18")
    else:
        raise RehearsalError("an answer widget the rehearsal does not know")


def held_by_page_bound(taps: list[float], new: int) -> bool:
    """Whether the page's own bound on saves (toolkit.apps.saving: its SlidingWindow, replayed over this phone's
    taps) held any of the last `new` taps, so that its save waited for the window and not for the server."""
    from .apps.saving import save_window

    now = 0.0
    window = save_window(clock=lambda: now)
    held = False
    for i, tap in enumerate(taps):
        now = max(now, tap)  # a held save goes when the window has room; taps after it come later still
        if not window.allow("save"):
            now += window.retry_after("save")
            window.allow("save")
            held = held or i >= len(taps) - new
    return held


def _descendants(client: WidgetClient, root: str | None) -> list[str]:
    out, stack = [], [root] if root else []
    while stack:
        model_id = stack.pop(0)
        out.append(model_id)
        stack.extend(client.children(model_id))
    return out


async def play_participant(address: str, code: str, number: int, think_s: float = 0.0, timeout: float = 120,
                           seed: int | None = None, source_address: str | None = None,
                           at_first_question=None) -> Outcome:
    """One simulated participant: join, answer every question, submit. `source_address`: the local address its
    page and its WebSocket come from, as one phone's do (e.g. 127.0.0.7; a proxy in front picks the server by it).
    `at_first_question`: an async callable awaited once question 1 is on screen, before the first answer (a
    benchmark holds everyone there until all have joined, to measure joining alone)."""
    outcome = Outcome()
    rng = random.Random(seed if seed is not None else number)
    base = address.rstrip("/") + "/"
    started = time.monotonic()
    client = None
    taps: list[float] = []
    try:
        http = AsyncHTTPClient()
        response = await http.fetch(f"{base}?{urlencode({'code': code})}", request_timeout=timeout,
                                    network_interface=source_address)
        page = response.body.decode("utf-8", "replace")
        marker = '<script id="jupyter-config-data" type="application/json">'
        kernel = json.loads(page.split(marker)[1].split("</script>")[0])["kernelId"]
        cookies = SimpleCookie()
        for header in response.headers.get_list("Set-Cookie"):
            cookies.load(header)
        parts = urlsplit(base)
        ws_url = f"ws://{parts.netloc}{parts.path}api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}"
        request = HTTPRequest(ws_url, headers={"Cookie": "; ".join(f"{k}={v.value}" for k, v in cookies.items())},
                              request_timeout=timeout, network_interface=source_address)
        ws = await websocket_connect(request, max_message_size=64 * 2**20, subprotocols=[V1])
        client = WidgetClient(ws, uuid.uuid4().hex, ws.selected_subprotocol)
        await client.start()
        await client.wait_for(lambda: client.shown("CheckboxModel", description="I understand"), timeout)
        name = client.shown("TextModel", placeholder="anonymous")
        await client.set(name[0], value=f"Rehearsal {number}")
        await client.set(client.shown("CheckboxModel", description="I understand")[0], value=True)
        await client.handled_by_kernel(await client.click(client.shown("ButtonModel", description="Join")[0]), timeout)
        await client.wait_for(lambda: _question_position(client.page_text()), timeout)
        outcome.first_question_s = time.monotonic() - started
        outcome.first_question_messages = client.messages
        if at_first_question is not None:
            await at_first_question()
        while True:
            position = _question_position(client.page_text())
            if position is None:
                break
            if think_s:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
            sent, tapped = time.monotonic(), len(taps)
            await _answer(client, rng, taps)
            await client.wait_for(lambda: "✓ Saved" in client.page_text(), timeout)
            outcome.save_latencies_s.append(time.monotonic() - sent)
            if held_by_page_bound(taps, len(taps) - tapped):
                outcome.held_latencies_s.append(outcome.save_latencies_s[-1])
            outcome.answered += 1
            forward = [m for m in client.find("ButtonModel") if client.models[m].get("description") in ("Next", "Review")
                       and m in _descendants(client, client.body())]
            await client.handled_by_kernel(await client.click(forward[0]), timeout)
            current = position
            await client.wait_for(lambda current=current: _question_position(client.page_text()) != current, timeout)
        await client.click(client.shown("ButtonModel", description="Submit my answers")[0])
        await client.wait_for(lambda: client.shown("ButtonModel", description="Yes, submit"), timeout)
        await client.click(client.shown("ButtonModel", description="Yes, submit")[0])
        await client.wait_for(lambda: "answers are submitted" in client.page_text(), timeout)
        outcome.submitted = True
        ws.close()
    except Exception as e:  # a rehearsal reports every failure and goes on with the others
        outcome.error = f"participant {number}: {type(e).__name__}: {e}"
    finally:
        if client is not None:
            outcome.messages, outcome.message_bytes, outcome.kinds = client.messages, client.message_bytes, client.kinds
    return outcome


def held_note(held: list[float]) -> str:
    """What to say of the saves that a page's own bound held (Outcome.held_latencies_s)."""
    from .apps.saving import SAVES_PER_WINDOW, WINDOW_S

    return (f"{len(held)} of them held by the page's own bound of {SAVES_PER_WINDOW} saves in {WINDOW_S:g} s, "
            f"which these phones reach by tapping without pause: the longest waited {max(held):.2f} s")


@dataclass
class Report:
    participants: int
    outcomes: list[Outcome]
    wall_s: float

    @property
    def failures(self) -> list[str]:
        return [o.error for o in self.outcomes if o.error]

    def _summary(self, values: list[float]) -> str:
        if not values:
            return "–"
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
        return f"median {statistics.median(values):.2f} s, p95 {p95:.2f} s, max {values[-1]:.2f} s"

    def lines(self) -> list[str]:
        first = [o.first_question_s for o in self.outcomes if o.first_question_s is not None]
        saves = [s for o in self.outcomes for s in o.save_latencies_s]
        held = [s for o in self.outcomes for s in o.held_latencies_s]
        done = sum(1 for o in self.outcomes if o.submitted)
        return [
            f"{self.participants} simulated participants, {done} submitted, {len(self.failures)} failed, "
            f"{self.wall_s:.1f} s in all",
            f"time to first question: {self._summary(first)}",
            f"answer saved (tap to ✓ Saved): {self._summary(saves)} over {len(saves)} answers"
            + (f" ({held_note(held)})" if held else ""),
            *self.failures,
        ]


async def rehearse_async(address: str, code: str, participants: int, think_s: float = 3.0, stagger_s: float = 0.0,
                         timeout: float = 180) -> Report:
    started = time.monotonic()

    async def one(i: int) -> Outcome:
        await asyncio.sleep(i * stagger_s)
        return await play_participant(address, code, i + 1, think_s=think_s, timeout=timeout)

    outcomes = await asyncio.gather(*(one(i) for i in range(participants)))
    return Report(participants, list(outcomes), time.monotonic() - started)


def rehearse(address: str, code: str, participants: int, think_s: float = 3.0, stagger_s: float = 0.0,
             timeout: float = 180) -> Report:
    """Play `participants` participants against the participant app at `address`, all joining `code`."""
    AsyncHTTPClient.configure(None, max_clients=max(10, participants))
    return asyncio.run(rehearse_async(address, code, participants, think_s, stagger_s, timeout))

"""The rehearsal's phones speak the kernel WebSocket protocol a browser's page speaks (JupyterLab asks for
jupyter_server's v1.kernel.websocket.jupyter.org), so that the server does for them only the work it does for a
phone: on the older JSON protocol it checks, parses and rewrites every kernel message of every phone."""

from __future__ import annotations

import asyncio
import json
import socket

import tornado.web
import tornado.websocket
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

from toolkit.rehearse import V1, WidgetClient, from_v1, play_participant, to_v1

PAGE = ('<html><script id="jupyter-config-data" type="application/json">{"kernelId": "k1"}</script></html>')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_simulated_phone_asks_for_the_browsers_protocol_and_writes_its_frames():
    offered, frames = [], []

    class Page(tornado.web.RequestHandler):
        def get(self):
            self.finish(PAGE)

    class Channels(tornado.websocket.WebSocketHandler):
        def select_subprotocol(self, subprotocols):
            offered.extend(subprotocols)
            return V1 if V1 in subprotocols else None

        def on_message(self, message):
            frames.append(message)
            if len(frames) == 2:  # the widget control's comm_open and request_states: enough
                self.close()

    async def scenario():
        port = _free_port()
        server = tornado.web.Application([(r"/", Page), (r"/api/kernels/(.*)/channels", Channels)]).listen(
            port, "127.0.0.1")
        try:
            return await play_participant(f"http://127.0.0.1:{port}/", "CODE", 1, timeout=5)
        finally:
            server.stop()

    outcome = asyncio.run(scenario())
    assert outcome.error  # the stand-in server sends no widgets: the phone gives up, having spoken
    assert offered == [V1]
    assert len(frames) == 2 and all(isinstance(f, bytes) for f in frames)
    (channel, parts), (_, parts2) = (deserialize_msg_from_ws_v1(f) for f in frames)  # as jupyter_server reads it
    assert channel == "shell" and len(parts) == 4
    header, content = json.loads(parts[0]), json.loads(parts[3])
    assert header["msg_type"] == "comm_open" and content["target_name"] == "jupyter.widget.control"
    assert json.loads(parts2[3])["data"] == {"method": "request_states"}


class Socket:
    def __init__(self, frames):
        self.frames, self.written = list(frames), []

    async def read_message(self):
        return self.frames.pop(0) if self.frames else None

    async def write_message(self, message, binary=False):
        self.written.append((message, binary))


def _kernel_message(msg_type: str, content: dict, parent: str = "") -> list[bytes]:
    header = {"msg_id": "m", "msg_type": msg_type, "session": "s", "username": "k", "version": "5.3", "date": ""}
    return [json.dumps(x).encode() for x in (header, {"msg_id": parent} if parent else {}, {}, content)]


def test_the_phone_reads_widgets_from_v1_frames_as_the_server_writes_them():
    opened = _kernel_message("comm_open", {"comm_id": "w1", "target_name": "jupyter.widget",
                                           "data": {"state": {"_model_name": "HTMLModel", "value": "a"}}})
    updated = _kernel_message("comm_msg", {"comm_id": "w1", "data": {"method": "update", "state": {"value": "b"}}})
    idle = _kernel_message("status", {"execution_state": "idle"}, parent="mine")
    ws = Socket([serialize_msg_to_ws_v1(m, "iopub") for m in (opened, updated, idle)])
    client = WidgetClient(ws, "s", V1)

    async def scenario():
        await client.start()
        await client.reader

    asyncio.run(scenario())
    assert client.models == {"w1": {"_model_name": "HTMLModel", "value": "b"}}
    assert "mine" in client.handled
    assert all(binary for _, binary in ws.written)


def test_v1_frames_round_trip_with_jupyter_servers_own_reader_and_writer():
    parts = _kernel_message("comm_msg", {"x": 1})
    assert deserialize_msg_from_ws_v1(to_v1("shell", parts)) == ("shell", parts)
    assert from_v1(serialize_msg_to_ws_v1(parts, "iopub")) == ("iopub", parts)


def test_a_server_without_v1_still_gets_json_messages():
    ws = Socket([])
    client = WidgetClient(ws, "s", None)
    asyncio.run(client.start())
    client.reader.cancel()
    assert all(isinstance(m, str) and not binary for m, binary in ws.written)
    assert json.loads(ws.written[0][0])["header"]["msg_type"] == "comm_open"

"""Serving a workshop: nothing but the participant page is reachable, no code runs from a page, the coach app
is behind its secret, pages load with no internet, and kernels do not pile up."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

import psutil
import pytest

from toolkit.apps.texts import T
from toolkit.limits import SlidingWindow
from toolkit.serve import capacity, lan_address, voila_config
from toolkit.voila_app import PAGE_LOADS_PER_MINUTE, LimitedPageHandler


def fetch(url: str, follow: bool = True) -> tuple[int, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(*([] if follow else [NoRedirect]))
    try:
        with opener.open(url, timeout=180) as r:  # generous: the kernel pool may still be warming
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def kernel_id(page: str) -> str:
    return json.loads(page.split('<script id="jupyter-config-data" type="application/json">')[1]
                      .split("</script>")[0])["kernelId"]


def _cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # it ended (or is a zombie until its server reaps it) while we looked: not running
        return ""


def participant_kernels(served) -> int:
    """Kernels started by the participant server (the warm pool included)."""
    server = next(p for p in psutil.Process(served["process"].pid).children() if "participant.ipynb" in _cmdline(p))
    return sum(1 for c in server.children(recursive=True) if "ipykernel" in _cmdline(c))


def test_the_participant_servers_kernels_are_forked_from_its_template(served):
    # what `toolkit serve` says it does ("kernels forked") is what its kernels are: each a child of the template,
    # not a process started from scratch (a command line the template did not expect once made them all so)
    from toolkit import forking

    server = next(p for p in psutil.Process(served["process"].pid).children() if "participant.ipynb" in _cmdline(p))
    deadline = time.monotonic() + 60
    while participant_kernels(served) == 0 and time.monotonic() < deadline:  # the warm pool is filling
        time.sleep(0.5)
    kernels = [c for c in server.children(recursive=True) if "ipykernel" in _cmdline(c)]
    assert kernels
    templates = {k.ppid() for k in kernels}
    assert len(templates) == 1 and templates != {server.pid}
    assert " ".join(forking.Template.command) in _cmdline(psutil.Process(templates.pop()))


@pytest.mark.browser
@pytest.mark.parametrize("path", [
    "tree", "tree/coach.ipynb", "voila/render/coach.ipynb", "voila/files/coach.ipynb",
    "voila/files/participant.ipynb", "api/contents", "api/contents/coach.ipynb", "notebooks/coach.ipynb",
    "files/coach.ipynb", "voila/api/contents", "api/kernels", "api/sessions", "lab", "edit/coach.ipynb",
    "voila/static/../../../coach.ipynb",
])
def test_a_participant_reaches_no_other_notebook_file_or_api(served, path):
    status, body = fetch(served["participant"] + path)
    assert status in (403, 404, 405), (path, status)
    assert "CoachApp" not in body and "ParticipantApp" not in body and '"cells"' not in body


@pytest.mark.browser
def test_the_page_keeps_its_template_whatever_the_address_says(served):
    status, body = fetch(served["participant"] + "?voila-template=classic&voila-theme=dark")
    assert status == 200
    assert "NotoNastaliqUrdu-Regular.woff2" in body  # the toolkit's own template
    assert "cdn.jsdelivr.net" not in body


@pytest.mark.browser
def test_the_coach_app_needs_its_secret_and_listens_on_this_laptop_only(served):
    status, body = fetch(served["coach_bare"], follow=False)
    assert status in (302, 403) and "CoachApp" not in body
    status, _ = fetch(served["coach"])
    assert status == 200
    address = lan_address()
    if address.startswith("127."):
        pytest.skip("this machine has no network address besides loopback")
    import socket

    with socket.socket() as s:
        assert s.connect_ex((address, served["coach_port"])) != 0  # refused from the network


@pytest.mark.browser
def test_a_page_cannot_run_code_in_its_kernel(served, tmp_path):
    import websocket

    status, page = fetch(served["participant"])
    assert status == 200
    marker = tmp_path / "ran"
    url = f"ws://127.0.0.1:{served['port']}/api/kernels/{kernel_id(page)}/channels?session_id={uuid.uuid4()}"
    ws = websocket.create_connection(url, timeout=10)
    message = {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "", "version": "5.3",
                   "session": uuid.uuid4().hex, "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": f"open({str(marker)!r}, 'w').write('ran')", "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }
    ws.send(json.dumps(message))
    replies = []
    ws.settimeout(1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with contextlib.suppress(websocket.WebSocketTimeoutException, ValueError, KeyError):
            replies.append(json.loads(ws.recv())["header"]["msg_type"])
    ws.close()
    assert not marker.exists()
    assert "execute_reply" not in replies


@pytest.mark.browser
def test_pages_load_completely_with_no_internet(served, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    beyond = []

    def only_this_laptop(route):
        if route.request.url.startswith("http://127.0.0.1") or route.request.url.startswith("ws://127.0.0.1"):
            route.continue_()
        else:
            beyond.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_laptop)
    fonts = []
    context.on("response", lambda r: fonts.append((r.url, r.status)) if r.url.endswith(".woff2") else None)
    phone = context.new_page()
    phone.goto(f"{served['participant']}?code={served['session']['join_code']}")
    phone.get_by_placeholder("Leave empty to stay anonymous").wait_for(timeout=60_000)

    # In Urdu, the page's text is drawn with the Noto Nastaliq Urdu that the laptop serves, not a system font.
    phone.get_by_role("button", name="اردو").click()
    label = phone.get_by_text(T["name"]["ur"], exact=True)
    label.wait_for(timeout=30_000)
    # the template's @font-face, loaded because the Urdu text needs it (without the @font-face this never comes)
    phone.wait_for_function("[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Noto Nastaliq Urdu'"
                            " && f.status === 'loaded')", timeout=30_000)
    assert (f"{served['participant']}voila/templates/toolkit/static/fonts/NotoNastaliqUrdu-Regular.woff2", 200) in fonts
    label.evaluate("e => e.setAttribute('data-tk-probe', '')")
    cdp = context.new_cdp_session(phone)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-tk-probe]"})["nodeId"]
    drawn_with = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert drawn_with and drawn_with[0]["familyName"] == "Noto Nastaliq Urdu" and drawn_with[0]["isCustomFont"], drawn_with
    laptop = context.new_page()
    laptop.goto(served["coach"])
    laptop.get_by_role("button", name="Continue this session").wait_for(timeout=60_000)
    assert beyond == []
    context.close()


@pytest.mark.browser
def test_closing_or_reloading_a_page_shuts_its_kernel_down(served, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served['participant']}?code={served['session']['join_code']}")
    page.get_by_placeholder("Leave empty to stay anonymous").wait_for(timeout=60_000)
    time.sleep(3)  # the pool refills behind the page that took a kernel
    settled = participant_kernels(served)
    for _ in range(3):
        page.reload()
        page.get_by_placeholder("Leave empty to stay anonymous").wait_for(timeout=60_000)
    page.close()
    deadline = time.monotonic() + 30
    while participant_kernels(served) > settled - 1 and time.monotonic() < deadline:
        time.sleep(1)
    assert participant_kernels(served) <= settled - 1  # the page's own kernel is gone; the pool stays
    context.close()


@pytest.mark.browser
def test_the_page_request_socket_refuses_strangers_and_the_page_carries_its_recovery(served):
    import websocket

    from toolkit.apps.texts import T

    status, page = fetch(served["participant"])
    assert status == 200
    texts = json.loads(page.split('<script id="tk-recovery-texts" type="application/json">')[1].split("</script>")[0])
    assert texts["page_reloading"] == T["page_reloading"] and texts["page_still_closed"] == T["page_still_closed"]
    assert "sessionStorage" in page.split('id="tk-recovery-texts"')[1]  # recover.js, inline
    for kernel in (kernel_id(page), str(uuid.uuid4())):  # this page's kernel, and one that does not exist
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"ws://127.0.0.1:{served['port']}/voila/query/{kernel}", timeout=30)
        assert refused.value.status_code == 403


def test_page_loads_per_address_are_limited_over_a_sliding_minute():
    assert isinstance(LimitedPageHandler.limit, SlidingWindow)  # the page handler's limit is this window
    assert (LimitedPageHandler.limit.most, LimitedPageHandler.limit.seconds) == (PAGE_LOADS_PER_MINUTE, 60)
    now = [0.0]
    limit = SlidingWindow(3, 60, clock=lambda: now[0])
    assert [limit.allow("10.0.0.7") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("10.0.0.8")  # another phone is not affected
    now[0] = 61
    assert limit.allow("10.0.0.7")


def test_the_room_is_sized_from_memory_and_the_expected_participants():
    assert capacity(30, available_mb=8000).pool == 30
    small = capacity(30, available_mb=2000)
    assert small.participants == (2000 - 250 - 1024) // 110 and small.pool == small.participants
    assert capacity(30, available_mb=500).pool == 1


def test_the_participant_server_is_configured_to_expose_nothing_else():
    settings = voila_config(8866, "0.0.0.0", pool=10)
    assert settings["VoilaConfiguration"]["file_allowlist"] == []
    assert settings["VoilaConfiguration"]["allow_template_override"] == "NO"
    assert settings["VoilaConfiguration"]["allow_theme_override"] == "NO"
    assert settings["MappingKernelManager"]["cull_connected"] is False
    assert settings["VoilaConfiguration"]["default_pool_size"] == 10


def test_the_pages_the_server_answers_by_itself_speak_english_and_urdu():
    from html.parser import HTMLParser

    from toolkit.apps.texts import T
    from toolkit.voila_app import ROOM_FULL_RETRY_S, plain_page, room_full_page

    class Read(HTMLParser):
        def __init__(self):
            super().__init__()
            self.text, self.refresh, self.rtl = [], None, 0

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "meta" and attrs.get("http-equiv") == "refresh":
                self.refresh = attrs["content"]
            self.rtl += attrs.get("dir") == "rtl" and attrs.get("lang") == "ur"

        def handle_data(self, data):
            self.text.append(data)

    for page, key, refresh in ((plain_page("too_many"), "too_many", None),
                               (room_full_page(), "room_full", str(ROOM_FULL_RETRY_S))):
        read = Read()
        read.feed(page)
        shown = "".join(read.text)
        for part in ("title", "body"):
            assert T[f"{key}_{part}"]["en"] in shown and T[f"{key}_{part}"]["ur"] in shown
        assert read.refresh == refresh and read.rtl == 2  # the Urdu heading and text are marked right to left

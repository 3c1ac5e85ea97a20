"""CalmRefill: the pool of warm kernels is refilled after the room has joined, one kernel at a time, and a page
takes the warmest kernel or (when none has started) its own, never a replacement still waiting its turn.

Voila's kernel manager is replaced here by a stand-in with the same two methods CalmRefill builds on, whose
kernels "start" at once and "warm" (reach the page request) 0.2 s later."""

from __future__ import annotations

import asyncio
import time

import pytest
from voila.request_info_handler import RequestInfoSocketHandler

from toolkit.voila_app import CalmRefill

WARM_S = 0.2


class StandIn:
    def __init__(self):
        self._pools: dict[str, list] = {}
        self.events: list[tuple[str, str, float]] = []

    async def _initialize(self, notebook, kernel_id=None, **kwargs):
        kernel = f"k{sum(1 for e in self.events if e[0] == 'start')}"
        self.events.append(("start", kernel, time.monotonic()))

        async def run_notebook():
            await asyncio.sleep(WARM_S)
            RequestInfoSocketHandler._waiters[kernel] = object()
            self.events.append(("warm", kernel, time.monotonic()))
            await asyncio.sleep(3600)  # the notebook now waits for its page request

        return {"kernel_id": kernel, "task": asyncio.ensure_future(run_notebook())}

    async def get_rendered_notebook(self, notebook, *args, **kwargs):
        content = await self._pools[notebook].pop(0)
        return content["kernel_id"]


class Manager(CalmRefill, StandIn):
    QUIET_S = 0.6


@pytest.fixture(autouse=True)
def no_waiters():
    yield
    for kernel in [k for k in RequestInfoSocketHandler._waiters if k.startswith("k")]:
        del RequestInfoSocketHandler._waiters[kernel]


def test_replacements_wait_for_the_room_to_settle_then_warm_one_at_a_time():
    async def scenario():
        m = Manager()
        m._calm_refill = True
        pool = m._pools.setdefault("nb", [])
        for _ in range(3):  # three phones load the page 0.1 s apart; each asks for a replacement
            m.note_page_load()
            pool.append(asyncio.ensure_future(m._initialize("nb")))
            await asyncio.sleep(0.1)
        last_page = m._last_page_load
        assert m.get_pool_size("nb") == 0  # nothing has started: a page now starts its own kernel
        done = await asyncio.gather(*pool)
        for content in done:
            content["task"].cancel()
        return m.events, last_page

    events, last_page = asyncio.run(scenario())
    starts = [t for kind, _, t in events if kind == "start"]
    warms = [t for kind, _, t in events if kind == "warm"]
    assert len(starts) == len(warms) == 3
    assert starts[0] >= last_page + Manager.QUIET_S - 0.05  # nothing started while pages were loading
    assert starts[1] >= warms[0] and starts[2] >= warms[1]  # the next starts once the previous is warm


def test_a_page_takes_the_warmest_started_kernel_and_never_a_failed_one():
    async def scenario():
        m = Manager()
        pool = m._pools.setdefault("nb", [])

        async def failed():
            raise RuntimeError("the kernel died")

        async def started(kernel, warm):
            if warm:
                RequestInfoSocketHandler._waiters[kernel] = object()
            return {"kernel_id": kernel, "task": None}

        pending = asyncio.get_running_loop().create_future()  # a replacement that has not started
        pool += [asyncio.ensure_future(failed()), pending, asyncio.ensure_future(started("k-cold", False)),
                 asyncio.ensure_future(started("k-warm", True))]
        await asyncio.sleep(0.01)
        assert m.get_pool_size("nb") == 2
        first = await m.get_rendered_notebook("nb")
        second = await m.get_rendered_notebook("nb")
        assert m.get_pool_size("nb") == 0 and pool == [pending]
        pending.cancel()
        return first, second

    assert asyncio.run(scenario()) == ("k-warm", "k-cold")


def test_a_kernel_whose_notebook_already_ended_is_never_handed_to_a_page():
    """Its notebook ran to the end without a page (it failed, or the kernel died): a page would wait for good."""
    async def scenario():
        m = Manager()
        shut = []

        async def shutdown_kernel(kernel_id):
            shut.append(kernel_id)

        m.shutdown_kernel = shutdown_kernel
        m.log = __import__("logging").getLogger("test")
        pool = m._pools.setdefault("nb", [])
        ended = asyncio.ensure_future(asyncio.sleep(0))

        async def started(kernel, render):
            RequestInfoSocketHandler._waiters[kernel] = object()  # even one that looks warm
            return {"kernel_id": kernel, "task": render}

        waiting = asyncio.get_running_loop().create_future()  # a notebook waiting for its page request
        pool += [asyncio.ensure_future(started("k-ended", ended)), asyncio.ensure_future(started("k-live", waiting))]
        await asyncio.sleep(0.01)
        size = m.get_pool_size("nb")
        taken = await m.get_rendered_notebook("nb")
        await asyncio.sleep(0.01)
        waiting.cancel()
        return size, taken, shut, pool

    size, taken, shut, pool = asyncio.run(scenario())
    assert size == 1 and taken == "k-live"
    assert shut == ["k-ended"] and pool == []

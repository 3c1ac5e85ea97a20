"""Following the store: both apps look for changes every fraction of a second, on the kernel's event loop."""

from __future__ import annotations

import asyncio


class FollowsStore:
    """Mixin: `start()` calls `refresh()` every `poll_seconds` until `stop()`; a failure is shown, not fatal."""

    poll_seconds: float = 1.0
    _task: asyncio.Task | None = None

    def refresh(self) -> None:  # pragma: no cover - each app defines it
        raise NotImplementedError

    def show_problem(self, text: str) -> None:  # pragma: no cover - each app defines it
        raise NotImplementedError

    def refresh_failed(self, error: Exception) -> None:
        """A look at the store failed: say so (the participant app says it in the person's language)."""
        self.show_problem(f"Could not read the store just now ({error}); trying again.")

    def start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._task = loop.create_task(self._follow())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                self.refresh()
            except Exception as e:  # keep following through a locked or restarting store
                self.refresh_failed(e)

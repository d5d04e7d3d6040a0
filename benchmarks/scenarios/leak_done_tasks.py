"""Leak: fire-and-forget audit tasks kept in a set that is never pruned.

The tasks finish, so ``asyncio.all_tasks()`` no longer lists them, but the set
keeps every one (and its result) alive.
"""

from __future__ import annotations

import asyncio

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = True
CULPRITS = ("tasks:*", "type:*.Task", "container:builtins.set*")
REQUESTS = 20
WORK = REQUESTS


class Scenario:
    """An asyncio service driven one batch at a time on its own loop."""

    def setup(self) -> None:
        """Create the loop."""
        self.loop = asyncio.new_event_loop()
        # The bug: "keep a reference so the task is not garbage collected", never discarded.
        self.background: set[asyncio.Task[str]] = set()
        self.rng = rng_for(__name__)

    async def _audit(self, req: Request, status: int) -> str:
        await asyncio.sleep(0)
        return f"{req.headers['x-request-id']} {status}"

    async def _batch(self, i: int) -> None:
        for k in range(REQUESTS):
            req = make_request(self.rng, i * REQUESTS + k)
            resp = handle(req)
            self.background.add(asyncio.create_task(self._audit(req, resp.status)))
            await asyncio.sleep(0)
        for _ in range(3):
            await asyncio.sleep(0)

    def step(self, i: int) -> None:
        """Serve one batch."""
        self.loop.run_until_complete(self._batch(i))

    def teardown(self) -> None:
        """Drop the tasks and close the loop."""
        self.background.clear()
        self.loop.close()

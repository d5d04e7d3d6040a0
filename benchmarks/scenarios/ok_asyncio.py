"""Healthy: an asyncio service whose tasks are awaited, background tasks discarded when done."""

from __future__ import annotations

import asyncio
import threading

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Scenario:
    """An asyncio service on a loop in a background thread."""

    def setup(self) -> None:
        """Start the loop thread."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="service-loop")
        self.thread.start()
        self.background: set[asyncio.Task[None]] = set()
        self.rng = rng_for(__name__)

    async def _notify(self, status: int) -> None:
        await asyncio.sleep(0)

    async def _handle_one(self, req: Request) -> int:
        await asyncio.sleep(0)
        resp = handle(req)
        task = asyncio.create_task(self._notify(resp.status))
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return resp.status

    async def _batch(self, i: int) -> None:
        reqs = [make_request(self.rng, i * REQUESTS + k) for k in range(REQUESTS)]
        await asyncio.gather(*(self._handle_one(r) for r in reqs))
        for _ in range(3):
            await asyncio.sleep(0)

    def step(self, i: int) -> None:
        """Serve one batch on the loop and wait for it."""
        asyncio.run_coroutine_threadsafe(self._batch(i), self.loop).result()

    def teardown(self) -> None:
        """Stop and close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

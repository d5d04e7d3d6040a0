"""Leak: asyncio handlers await replies from a backend that drops one request in ten.

The event loop runs in its own thread, as in a service; every lost reply leaves
a task pending forever, its future parked in the client's in-flight table.
"""

from __future__ import annotations

import asyncio
import threading

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = True
CULPRITS = (
    "tasks:*",
    "type:*.Task",
    "type:*.Future",
    "type:*.coroutine",
    "container:builtins.dict*",
)
REQUESTS = 20
WORK = REQUESTS


class BackendClient:
    """Sends a request over a message bus and waits for the reply with the same id."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.inflight: dict[int, asyncio.Future[str]] = {}

    async def call(self, correlation: int, body: str) -> str:
        """Send and await the reply (the bug: no timeout)."""
        fut: asyncio.Future[str] = self.loop.create_future()
        self.inflight[correlation] = fut
        if correlation % 10 != 3:
            self.loop.call_soon(self._reply, correlation, body[:16])
        return await fut

    def _reply(self, correlation: int, text: str) -> None:
        fut = self.inflight.pop(correlation)
        fut.set_result(text)


class Scenario:
    """An asyncio service on a loop in a background thread."""

    def setup(self) -> None:
        """Start the loop thread."""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="service-loop")
        self.thread.start()
        self.client = BackendClient(self.loop)
        self.connections: set[asyncio.Task[str]] = set()
        self.rng = rng_for(__name__)

    async def _handle_one(self, req: Request) -> str:
        resp = handle(req)
        return await self.client.call(req.request_id, resp.body)

    async def _batch(self, i: int) -> None:
        for k in range(REQUESTS):
            task = asyncio.create_task(self._handle_one(make_request(self.rng, i * REQUESTS + k)))
            self.connections.add(task)
            task.add_done_callback(self.connections.discard)
        for _ in range(6):
            await asyncio.sleep(0)

    def step(self, i: int) -> None:
        """Serve one batch on the loop and wait for it."""
        asyncio.run_coroutine_threadsafe(self._batch(i), self.loop).result()

    def teardown(self) -> None:
        """Cancel what is stuck, stop and close the loop."""

        async def cancel_all() -> None:
            for task in list(self.connections):
                task.cancel()
            await asyncio.gather(*self.connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

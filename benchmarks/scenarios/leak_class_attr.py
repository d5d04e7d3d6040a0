"""Leak: a rate limiter keeps a window per client in a class attribute, keyed by address:port."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("container:builtins.dict*", "type:*.deque")
REQUESTS = 20
WORK = REQUESTS


class RateLimiter:
    """Allows ``limit`` requests per client in a sliding window of request numbers."""

    # The bug: the key includes the ephemeral source port, so almost every request is a
    # new client, and windows are never expired.
    _windows: ClassVar[dict[str, deque[int]]] = {}

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def allow(self, client: str, now: int) -> bool:
        """Record a request from ``client`` and tell whether it is within the limit."""
        window = self._windows.setdefault(client, deque(maxlen=self.limit))
        full = len(window) == self.limit and now - window[0] < 1000
        window.append(now)
        return not full


_limiter = RateLimiter(limit=16)
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch through the rate limiter."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        client = f"203.0.113.{_rng.randint(1, 254)}:{_rng.randint(32768, 60999)}"
        if _limiter.allow(client, req.request_id):
            handle(req)


def teardown() -> None:
    """Forget all windows."""
    RateLimiter._windows.clear()

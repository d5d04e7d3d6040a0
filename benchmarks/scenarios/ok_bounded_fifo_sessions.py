"""Healthy: a session store that evicts its oldest entry beyond 500, 20 new sessions a step."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS
CAPACITY = 500


class WebSession:
    """A web session."""

    def __init__(self, sid: int) -> None:
        self.sid = sid
        self.data = {"cart": [], "sid": sid}


_store: dict[int, WebSession] = {}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; 20 new sessions, the oldest evicted beyond capacity."""
    for k in range(20):
        _store[i * 20 + k] = WebSession(i * 20 + k)
        if len(_store) > CAPACITY:
            del _store[next(iter(_store))]
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop the sessions."""
    _store.clear()

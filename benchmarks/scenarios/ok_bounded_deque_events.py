"""Healthy: recent events kept in ``deque(maxlen=700)``, 25 per step: full after 28 steps."""

from __future__ import annotations

from collections import deque

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class Event:
    """An audit event kept for the status page."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.fields = {"kind": "order", "n": n}


_recent: deque[Event] = deque(maxlen=700)
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, remembering 25 events."""
    for k in range(25):
        _recent.append(Event(i * 25 + k))
    serve_batch(_rng, i)


def teardown() -> None:
    """Forget the events."""
    _recent.clear()

"""Healthy: a job backlog: 0-16 jobs queued and 0-16 done per step (unbounded walk)."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class QueuedJob:
    """One item whose number wanders."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.state = {"n": n}


_items: list[QueuedJob] = []
_rng = rng_for(__name__)


def setup() -> None:
    """Start with 300 items."""
    _items.extend(QueuedJob(n) for n in range(300))


def step(i: int) -> None:
    """Serve a batch; 0-16 items arrive and 0-16 leave, as many of each on average."""
    _items.extend(QueuedJob(i * 100 + k) for k in range(_rng.randint(0, 16)))
    del _items[: _rng.randint(0, 16)]
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop everything."""
    _items.clear()

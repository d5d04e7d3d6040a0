"""Healthy: finished jobs kept in ``deque(maxlen=500)`` for a status page, 10-30 a step at random: full near 25."""

from __future__ import annotations

from collections import deque

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class FinishedJob:
    """A finished background job's summary."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.result = {"ok": True, "n": n}


_finished: deque[FinishedJob] = deque(maxlen=500)
_rng = rng_for(__name__)
_count = 0


def step(i: int) -> None:
    """Serve a batch; 10-30 jobs finish."""
    global _count
    for _ in range(_rng.randint(10, 30)):
        _finished.append(FinishedJob(_count))
        _count += 1
    serve_batch(_rng, i)


def teardown() -> None:
    """Forget the jobs."""
    _finished.clear()

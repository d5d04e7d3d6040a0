"""Healthy: traffic that rises and falls in waves; requests queued at a sample scale with load."""

from __future__ import annotations

import math

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
PERIOD = 20


def load(i: int) -> int:
    """Requests arriving during step ``i``: a wave between 8 and 52."""
    return round(30 + 22 * math.sin(2 * math.pi * i / PERIOD))


WORK = load

# Requests accepted during a step are answered during the next one, as by a worker pool.
_queue: list[Request] = []
_next_id = [0]
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Answer what was queued, then accept this step's arrivals."""
    for req in _queue:
        handle(req)
    _queue.clear()
    for _ in range(load(i)):
        _queue.append(make_request(_rng, _next_id[0]))
        _next_id[0] += 1


def teardown() -> None:
    """Drop the queue."""
    _queue.clear()

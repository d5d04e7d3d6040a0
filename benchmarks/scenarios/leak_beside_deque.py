"""Leak: ``Order`` objects kept in a "recent" ``deque(maxlen=300)`` and, by mistake, in a list.

The deque alone would cap them at 300; the list keeps every one: the type climbs
past the deque's bound and is a leak.
"""

from __future__ import annotations

from collections import deque

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = True
CULPRITS = ("type:*.Order", "container:builtins.list*")
WORK = REQUESTS


class Order:
    """A placed order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n, n + 1]


_recent: deque[Order] = deque(maxlen=300)
_by_id: list[Order] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; every order goes to the recent deque and to the forgotten list."""
    for k in range(REQUESTS):
        order = Order(i * REQUESTS + k)
        _recent.append(order)
        _by_id.append(order)
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop both."""
    _recent.clear()
    _by_id.clear()

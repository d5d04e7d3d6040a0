"""Healthy: open websockets: 0-10 connect and 0-10 disconnect per step, reflected at zero."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class Socket:
    """One item whose number wanders."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.state = {"n": n}


_items: list[Socket] = []
_rng = rng_for(__name__)


def setup() -> None:
    """Start with 0 items."""
    _items.extend(Socket(n) for n in range(0))


def step(i: int) -> None:
    """Serve a batch; 0-10 items arrive and 0-10 leave, as many of each on average."""
    _items.extend(Socket(i * 100 + k) for k in range(_rng.randint(0, 10)))
    del _items[: _rng.randint(0, 10)]
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop everything."""
    _items.clear()

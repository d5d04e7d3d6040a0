"""Leak: a price cache fills over ~15 steps while every request also keeps a ``Receipt``."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = True
CULPRITS = ("type:*.Receipt", "container:builtins.list*")
WORK = REQUESTS


class Receipt:
    """A receipt nobody reads again."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n]


_prices: dict[int, float] = {}
_receipts: list[Receipt] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; fill the price cache at random; keep one receipt per request."""
    for _ in range(60):
        _prices.setdefault(_rng.randrange(300), 1.0)
    _receipts.extend(Receipt(i * REQUESTS + k) for k in range(REQUESTS))
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop both."""
    _prices.clear()
    _receipts.clear()

"""Healthy: ``lru_cache(maxsize=600)`` over quotes of ever-new keys, 24 per step: full at 25."""

from __future__ import annotations

import functools

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class Quote:
    """A priced quote."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.lines = [key, key + 1]


@functools.lru_cache(maxsize=600)
def quote(key: int) -> Quote:
    """Price a quote (pretend it is expensive)."""
    return Quote(key)


_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, quoting 24 new keys."""
    for k in range(24):
        quote(i * 24 + k)
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the cache."""
    quote.cache_clear()

"""Healthy: geocoding through ``lru_cache(maxsize=900)`` over ever-new addresses, 30-42 a step: full near 25."""

from __future__ import annotations

import functools

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class Location:
    """A geocoded address."""

    def __init__(self, key: int) -> None:
        self.lat = key * 0.001
        self.lon = key * 0.002
        self.tags = [key]


@functools.lru_cache(maxsize=900)
def geocode(address: int) -> Location:
    """Geocode an address (pretend it calls a remote service)."""
    return Location(address)


_rng = rng_for(__name__)
_next = 0


def step(i: int) -> None:
    """Serve a batch, geocoding 30-42 new addresses."""
    global _next
    for _ in range(_rng.randint(30, 42)):
        geocode(_next)
        _next += 1
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the cache."""
    geocode.cache_clear()

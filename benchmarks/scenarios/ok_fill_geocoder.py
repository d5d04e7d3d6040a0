"""Healthy: a geocoder cache over 900 addresses, 60 random lookups a step (95% full after ~45 steps)."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS
KEYS = 900
LOOKUPS = 60


class GeoPoint:
    """One cached entry."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.coords = {"id": key, "label": f"k-{key}"}


_cache: dict[int, GeoPoint] = {}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; each lookup hits a random key of a fixed population."""
    for _ in range(LOOKUPS):
        key = _rng.randrange(KEYS)
        if key not in _cache:
            _cache[key] = GeoPoint(key)
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the cache."""
    _cache.clear()

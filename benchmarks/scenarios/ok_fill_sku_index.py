"""Healthy: a search index of 250 SKUs built on demand, 36 random lookups a step (95% full after ~21)."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS
KEYS = 250
LOOKUPS = 36


class IndexEntry:
    """One cached entry."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.postings = {"id": key, "label": f"k-{key}"}


_cache: dict[int, IndexEntry] = {}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; each lookup hits a random key of a fixed population."""
    for _ in range(LOOKUPS):
        key = _rng.randrange(KEYS)
        if key not in _cache:
            _cache[key] = IndexEntry(key)
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the cache."""
    _cache.clear()

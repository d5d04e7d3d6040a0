"""Healthy: Babel's date-pattern cache, ``lru_cache(maxsize=1024)``: fills in 10 steps, then only hits.

After step 10 every key is cached and nothing is evicted: the cache is flat for the
rest of the run.
"""

from __future__ import annotations

import functools

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class DatePattern:
    """A parsed date pattern."""

    def __init__(self, key: int) -> None:
        self.pattern = f"yyyy-MM-dd #{key}"
        self.parts = [key, "yyyy", "MM", "dd"]


@functools.lru_cache(maxsize=1024)
def parse_pattern(key: int) -> DatePattern:
    """Parse a pattern (pretend it is expensive)."""
    return DatePattern(key)


_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, formatting dates with 100 patterns: new ones until 1,000 are known."""
    for k in range(100):
        parse_pattern(min(i, 9) * 100 + k)
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the cache."""
    parse_pattern.cache_clear()

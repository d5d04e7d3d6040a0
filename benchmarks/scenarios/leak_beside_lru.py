"""Leak: an audit trail keeps 15 receipt lines (str) per request, beside a churning price cache.

The cache is ``lru_cache(maxsize=400)`` over 3,000 price keys: full after two steps,
then it evicts as fast as it fills, so its line's live strings are all young. Only
the audit trail grows.
"""

from __future__ import annotations

import functools

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = True
CULPRITS = (
    "container:builtins.list*",
    "type:*.str",
    "site:*leak_beside_lru.py:*",
    "memory:*",
)
WORK = REQUESTS


@functools.lru_cache(maxsize=400)
def rendered_price(key: int) -> str:
    """A price rendered for display (pretend it is expensive)."""
    return f"price #{key}: {key * 1.07:.2f} EUR incl. VAT " + "-" * 200


_audit: list[str] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch: 400 cached renders at random, 15 audit lines kept per request."""
    for _ in range(400):
        rendered_price(_rng.randrange(3000))
    for k in range(REQUESTS * 15):
        _audit.append(f"receipt {i}-{k}: " + "x" * 300)
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop both."""
    rendered_price.cache_clear()
    _audit.clear()

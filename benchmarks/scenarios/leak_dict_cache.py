"""Leak: an idempotency-key store keyed by unique request ids, with no expiry.

Keys are strings and values small ints, neither tracked by the gc: the number of
objects per type stays flat, only the one dict grows.
"""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("container:builtins.dict*", "site:*leak_dict_cache.py:*")
REQUESTS = 20
WORK = REQUESTS

# The bug: keys are meant to expire after 24 hours, but nothing ever evicts them.
_seen: dict[str, int] = {}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch of requests, remembering each idempotency key and its status."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        key = "idem-" + req.headers["x-request-id"]
        if key in _seen:
            continue
        _seen[key] = handle(req).status


def teardown() -> None:
    """Forget the keys."""
    _seen.clear()

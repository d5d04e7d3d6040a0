"""Healthy: a session-profile cache in an ``OrderedDict`` capped at 128 entries (LRU eviction)."""

from __future__ import annotations

import json
from collections import OrderedDict

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS
CAPACITY = 128


class Profile:
    """A customer's profile as cached."""

    def __init__(self, customer: str) -> None:
        self.customer = customer
        self.preferences = {"currency": "EUR", "newsletter": customer.endswith("3")}
        self.recent_skus: list[str] = []


_cache: OrderedDict[str, Profile] = OrderedDict()
_rng = rng_for(__name__)


def _profile(customer: str) -> Profile:
    if customer in _cache:
        _cache.move_to_end(customer)
        return _cache[customer]
    profile = _cache[customer] = Profile(customer)
    if len(_cache) > CAPACITY:
        _cache.popitem(last=False)
    return profile


def step(i: int) -> None:
    """Serve a batch, looking each customer's profile up through the cache."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        payload = json.loads(req.body)
        profile = _profile(payload["customer"])
        profile.recent_skus = [line["sku"] for line in payload["lines"]][-5:]
        handle(req)


def teardown() -> None:
    """Empty the cache."""
    _cache.clear()

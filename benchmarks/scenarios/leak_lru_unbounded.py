"""Leak: an unbounded ``functools.lru_cache`` on a quote function whose arguments are unique."""

from __future__ import annotations

import functools
import json

from benchmarks.scenarios._service import PRICES, handle, make_request, rng_for

LEAK = True
CULPRITS = (
    "container:functools._lru_cache_wrapper*",
    "container:builtins.dict*",
    "type:*.tuple",
    "site:*leak_lru_unbounded.py:*",
)
REQUESTS = 20
WORK = REQUESTS


# The bug: the request id is part of the key, so every call misses and is kept forever.
@functools.lru_cache(maxsize=None)  # noqa: UP033 - the spelling found in services
def quote(customer: str, sku: str, qty: int, request_id: int) -> tuple[float, str, int]:
    """Price one line for a customer (pretend it is expensive)."""
    discount = 0.9 if customer.endswith("7") else 1.0
    return (round(PRICES[sku] * qty * discount, 2), "EUR", request_id)


_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, quoting every line through the cache."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        payload = json.loads(req.body)
        for line in payload["lines"]:
            quote(payload["customer"], line["sku"], line["qty"], req.request_id)
        handle(req)


def teardown() -> None:
    """Empty the cache."""
    quote.cache_clear()

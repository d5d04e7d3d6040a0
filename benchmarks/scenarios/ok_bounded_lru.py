"""Healthy: product lookups through ``lru_cache(maxsize=256)``; it fills, then evicts."""

from __future__ import annotations

import functools
import json
from typing import Any

from benchmarks.scenarios._service import PRICES, handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


@functools.lru_cache(maxsize=256)
def product_info(sku: str) -> dict[str, Any]:
    """Load a product record (pretend it comes from a database)."""
    return {"sku": sku, "price": PRICES[sku], "tags": [sku[:3], sku[-2:]], "stock": len(sku)}


_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, looking every line's product up through the cache."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        for line in json.loads(req.body)["lines"]:
            product_info(line["sku"])
        handle(req)


def teardown() -> None:
    """Empty the cache."""
    product_info.cache_clear()

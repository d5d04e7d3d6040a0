"""Leak: every order handled is kept in a module-level "recent orders" list nobody trims."""

from __future__ import annotations

import json
from dataclasses import dataclass

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.OrderDTO", "container:builtins.list*")
REQUESTS = 20
WORK = REQUESTS


@dataclass
class OrderDTO:
    """An order as the service hands it on."""

    order_id: int
    customer: str
    total: float
    skus: tuple[str, ...]


# The bug: "keep recent orders for the debug page", never trimmed.
_recent: list[OrderDTO] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch of order requests, keeping each order."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        resp = handle(req)
        payload = json.loads(req.body)
        total = json.loads(resp.body)["total"]
        skus = tuple(line["sku"] for line in payload["lines"])
        _recent.append(OrderDTO(req.request_id, payload["customer"], total, skus))


def teardown() -> None:
    """Drop the kept orders."""
    _recent.clear()

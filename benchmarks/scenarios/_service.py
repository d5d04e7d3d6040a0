"""A tiny request-handling service that every scenario runs, so each has real tidal garbage.

A request is parsed from a JSON body, routed, priced and rendered back to JSON,
building the dicts, lists, tuples, strings and small objects a web handler
builds. Everything it creates dies with the request: this is the healthy tide
around whatever a scenario keeps (or leaks).
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from typing import Any

SKUS = tuple(f"SKU-{i:04d}" for i in range(400))
PRICES = {sku: round(1.0 + (i % 41) * 0.65, 2) for i, sku in enumerate(SKUS)}


@dataclass
class Request:
    """An incoming HTTP-like request."""

    request_id: int
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Response:
    """What a handler returns."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def rng_for(name: str) -> random.Random:
    """Return a random generator seeded from a scenario's name (runs are reproducible)."""
    return random.Random(zlib.crc32(name.encode()))


def make_request(rng: random.Random, request_id: int) -> Request:
    """Build a request with a JSON order body of a few lines."""
    lines = [{"sku": rng.choice(SKUS), "qty": rng.randint(1, 5)} for _ in range(rng.randint(1, 6))]
    body = json.dumps({"customer": f"cust-{rng.randint(1, 5000)}", "lines": lines})
    headers = {
        "content-type": "application/json",
        "x-request-id": f"req-{request_id:08d}",
        "user-agent": rng.choice(("curl/8.5", "python-httpx/0.27", "Mozilla/5.0")),
    }
    return Request(request_id, "POST", "/orders", headers, body)


def price_lines(lines: list[dict[str, Any]]) -> tuple[list[tuple[str, int, float]], float]:
    """Price order lines: the per-request temporaries of a typical handler."""
    priced = [(ln["sku"], ln["qty"], PRICES[ln["sku"]] * ln["qty"]) for ln in lines]
    total = round(sum(p[2] for p in priced), 2)
    return priced, total


def handle(req: Request) -> Response:
    """Parse, price and render one request; nothing it builds outlives the call."""
    payload = json.loads(req.body)
    priced, total = price_lines(payload["lines"])
    rendered = {
        "request": req.headers["x-request-id"],
        "customer": payload["customer"],
        "lines": [{"sku": s, "qty": q, "amount": a} for s, q, a in priced],
        "total": total,
    }
    return Response(200, json.dumps(rendered), {"content-length": "0"})


def serve(rng: random.Random, first_id: int, count: int) -> list[Response]:
    """Serve ``count`` requests; the responses are returned so callers may inspect them."""
    return [handle(make_request(rng, first_id + k)) for k in range(count)]

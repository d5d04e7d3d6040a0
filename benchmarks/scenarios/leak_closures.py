"""Leak: settlement callbacks (closures) registered per payment, kept when no settlement comes."""

from __future__ import annotations

import json
from collections.abc import Callable

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.function", "type:*.cell", "container:builtins.dict*")
REQUESTS = 20
WORK = REQUESTS

# Callbacks wait here for the gateway; declined payments never get a settlement and stay.
_pending: dict[str, Callable[[str], str]] = {}
_settled_log: list[str] = []
_rng = rng_for(__name__)


def _register(req: Request) -> str:
    payload = json.loads(req.body)
    customer = payload["customer"]
    request_id = req.headers["x-request-id"]

    def on_settled(outcome: str) -> str:
        return f"{request_id} for {customer}: {outcome}"

    _pending[request_id] = on_settled
    return request_id


def step(i: int) -> None:
    """Serve payments; the gateway settles about 70% of the previous ones."""
    _settled_log.clear()
    for key in list(_pending)[-REQUESTS:]:
        if key in _pending and _rng.random() < 0.7:
            _settled_log.append(_pending.pop(key)("settled"))
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        _register(req)
        handle(req)


def teardown() -> None:
    """Forget pending callbacks."""
    _pending.clear()

"""Healthy: a config reload at step 20 builds a much larger routing table, kept from then on."""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS
RELOAD_AT = 20


class Route:
    """One entry of the routing table."""

    def __init__(self, method: str, pattern: str, target: str) -> None:
        self.method = method
        self.pattern = pattern
        self.target = target
        self.params = pattern.count("{")


def _build_routes(tenants: int) -> dict[str, Route]:
    routes = {}
    for t in range(tenants):
        for method, path in (("GET", "orders/{id}"), ("POST", "orders"), ("GET", "items/{sku}")):
            pattern = f"/t{t}/{path}"
            routes[f"{method} {pattern}"] = Route(method, pattern, f"svc-{t % 8}")
    return routes


_state = {"routes": _build_routes(10)}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; at the reload step the table is rebuilt for all tenants."""
    if i == RELOAD_AT:
        _state["routes"] = _build_routes(1000)
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        _state["routes"].get(f"{req.method} /t0/orders")
        handle(req)


def teardown() -> None:
    """Back to the small table."""
    _state["routes"] = _build_routes(10)

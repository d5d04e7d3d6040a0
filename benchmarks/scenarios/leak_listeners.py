"""Leak: per-request scopes subscribe to a config-reload event bus and never unsubscribe."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.RequestScope", "type:*.method", "container:builtins.list*")
REQUESTS = 20
WORK = REQUESTS


class EventBus:
    """A minimal observer registry."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` on every event."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def publish(self, event: str) -> None:
        """Deliver an event to every listener."""
        for listener in list(self._listeners):
            listener(event)


class RequestScope:
    """Per-request state that wants to hear about config reloads while it lives."""

    def __init__(self, req: Request) -> None:
        self.request_id = req.request_id
        self.user_agent = req.headers["user-agent"]
        self.stale = False

    def on_config_reload(self, event: str) -> None:
        """Mark the request's view of the config as stale."""
        self.stale = True


_bus = EventBus()
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; each request subscribes its scope (the bug: it never unsubscribes)."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        scope = RequestScope(req)
        _bus.subscribe(scope.on_config_reload)
        handle(req)
    if i % 10 == 9:
        _bus.publish("config-reloaded")


def teardown() -> None:
    """Drop every listener."""
    _bus._listeners.clear()

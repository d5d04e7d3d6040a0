"""WSGI and ASGI middleware: one unit of work per request, for the process-wide guard.

Counting work lets a report say "1 OrderDTO per request" instead of "per
minute", so a load spike is not mistaken for a leak. ``tick()`` also checks
the pid, which is how a worker forked by gunicorn or uWSGI gets a fresh guard
on its first request even where fork hooks do not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from leakguard import _api

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class WSGIMiddleware:
    """Wrap a WSGI app so that every request counts as one unit of work.

    Args:
        app: the WSGI application.
        tick: the work counter (default: the process-wide ``leakguard.tick``).
    """

    def __init__(self, app: WSGIApp, *, tick: Callable[[int], None] = _api.tick) -> None:
        self.app = app
        self._tick = tick

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self._tick(1)
        return self.app(environ, start_response)


class ASGIMiddleware:
    """Wrap an ASGI app so that every HTTP request or websocket counts as one unit of work.

    Args:
        app: the ASGI application.
        tick: the work counter (default: the process-wide ``leakguard.tick``).
    """

    def __init__(self, app: ASGIApp, *, tick: Callable[[int], None] = _api.tick) -> None:
        self.app = app
        self._tick = tick

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope.get("type") in ("http", "websocket"):
            self._tick(1)
        await self.app(scope, receive, send)

"""Leak: an in-memory debug log keeps a line (str) and the raw response (bytes) per request.

Neither str nor bytes is tracked by the gc: only the list's length and the heap grow.
"""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = (
    "container:builtins.list*",
    "type:*.str",
    "type:*.bytes",
    "site:*leak_str_accumulation.py:*",
)
REQUESTS = 20
WORK = REQUESTS

# The bug: meant to be a ring buffer of the last 100 entries, it is a plain list.
_debug_log: list[str | bytes] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, logging each request and its raw response in memory."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        resp = handle(req)
        _debug_log.append(f"{req.method} {req.path} {req.headers['x-request-id']} -> {resp.status}")
        _debug_log.append(resp.body.encode())


def teardown() -> None:
    """Drop the log."""
    _debug_log.clear()

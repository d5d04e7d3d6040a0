"""Healthy: a thread per slow call (fan-out), each joined before the request returns."""

from __future__ import annotations

import threading

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS

_rng = rng_for(__name__)


def _lookup(results: list[int], n: int) -> None:
    results.append(sum(range(n)))


def step(i: int) -> None:
    """Serve a batch; one request in five fans out to three threads and joins them."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        handle(req)
        if req.request_id % 5 == 0:
            results: list[int] = []
            threads = [threading.Thread(target=_lookup, args=(results, 100 * n)) for n in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

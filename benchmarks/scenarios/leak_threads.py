"""Leak: a webhook thread per order event that waits for an acknowledgement that never comes."""

from __future__ import annotations

import threading

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("threads:*", "type:*.Thread")
REQUESTS = 20
WORK = REQUESTS

_ack = threading.Event()
_rng = rng_for(__name__)


def _deliver(url: str, body: str) -> None:
    # The bug: waits for an ack with no timeout; the receiver never answers.
    _ack.wait()


def step(i: int) -> None:
    """Serve a batch; one request in ten triggers a webhook delivery thread."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        resp = handle(req)
        if req.request_id % 10 == 0:
            name = f"webhook-{req.request_id}"
            args = ("https://hooks.example/orders", resp.body)
            threading.Thread(target=_deliver, args=args, name=name, daemon=True).start()


def teardown() -> None:
    """Release and join the stuck threads."""
    _ack.set()
    for thread in threading.enumerate():
        if thread.name.startswith("webhook-"):
            thread.join()

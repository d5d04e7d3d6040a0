"""Healthy: an audit batch writer that buffers records and flushes every 160 (about 8 steps)."""

from __future__ import annotations

import json

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS
FLUSH_AT = 160


class AuditRecord:
    """One audit entry waiting to be written."""

    def __init__(self, request_id: int, customer: str, status: int) -> None:
        self.request_id = request_id
        self.customer = customer
        self.status = status
        self.fields = {"path": "/orders", "method": "POST"}


_batch: list[AuditRecord] = []
_written: list[int] = []
_rng = rng_for(__name__)


def _flush() -> None:
    blob = json.dumps([[r.request_id, r.customer, r.status, r.fields] for r in _batch])
    _written.append(len(blob))
    del _written[:-4]
    _batch.clear()


def step(i: int) -> None:
    """Serve a batch, buffering an audit record per request."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        resp = handle(req)
        _batch.append(AuditRecord(req.request_id, json.loads(req.body)["customer"], resp.status))
        if len(_batch) >= FLUSH_AT:
            _flush()


def teardown() -> None:
    """Drop the buffer."""
    _batch.clear()

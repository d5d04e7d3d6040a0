"""Healthy: billing events batched and flushed every 30 steps."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS
FLUSH_EVERY = 30


class BillingEvent:
    """A record waiting for the next flush."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.payload = {"n": n}


_buffer: list[BillingEvent] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, buffering 15 records; flush on the timer."""
    _buffer.extend(BillingEvent(i * 15 + k) for k in range(15))
    if (i + 1) % FLUSH_EVERY == 0:
        _buffer.clear()
    serve_batch(_rng, i)


def teardown() -> None:
    """Drop the buffer."""
    _buffer.clear()

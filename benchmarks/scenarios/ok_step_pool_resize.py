"""Healthy: a worker pool resized at step 30 (400 slots), then stable."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class PoolSlot:
    """One entry loaded once."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.meta = {"n": n}


_loaded: list[PoolSlot] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; at step 30 load 400 entries once, kept for the process's life."""
    if i == 30:
        _loaded.extend(PoolSlot(n) for n in range(400))
    serve_batch(_rng, i)


def teardown() -> None:
    """Unload."""
    _loaded.clear()

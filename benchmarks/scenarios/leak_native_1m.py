"""Leak: a compression binding leaks 1 MiB of C buffers per batch."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, NativeHeap, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = True
CULPRITS = ("memory:native*", "memory:rss")
WORK = REQUESTS
BYTES_PER_STEP = 1048576


class Scenario:
    """A C extension that allocates per batch and never frees."""

    def __init__(self) -> None:
        self.heap = NativeHeap()
        self.rng = rng_for(__name__)

    def step(self, i: int) -> None:
        """Serve a batch; the extension keeps its scratch buffers."""
        for _ in range(4):
            self.heap.alloc(BYTES_PER_STEP // 4)
        serve_batch(self.rng, i)

    def teardown(self) -> None:
        """Give the blocks back."""
        self.heap.free_all()

"""Healthy: a plugin registry loaded at step 15 (2,000 entries), then stable."""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class PluginEntry:
    """One entry loaded once."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.meta = {"n": n}


_loaded: list[PluginEntry] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; at step 15 load 2000 entries once, kept for the process's life."""
    if i == 15:
        _loaded.extend(PluginEntry(n) for n in range(2000))
    serve_batch(_rng, i)


def teardown() -> None:
    """Unload."""
    _loaded.clear()

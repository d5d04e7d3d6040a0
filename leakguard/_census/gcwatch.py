"""Garbage collector churn, counted by a callback in ``gc.callbacks``."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from leakguard._model.snapshot import GcStats

GcCallback = Callable[[str, dict[str, Any]], None]


class GcWatcher:
    """Counts collections, their time and what they reclaim, since the first install or read.

    Collections, objects collected and uncollectable per generation come from
    ``gc.get_stats()``, which the collector keeps anyway, read against a
    baseline taken at the first :meth:`install` or :meth:`read` (so they are
    counted even with no callback installed). The time spent and the size of the
    latest full collection need a callback in ``gc.callbacks``; it runs inside
    every collection, in whichever thread triggered it, so it does as little as
    possible: two clock reads and two stores, no lock (a reader that allocated
    while holding one could deadlock against its own collection). Collections
    never overlap, so one start time suffices.
    """

    def __init__(self) -> None:
        # [start of the running collection or 0, seconds in total, last full collected]
        self._state: list[float] = [0.0, 0.0, 0.0]
        self._base: list[dict[str, Any]] | None = None
        # One callback kept for the watcher's life: it is found and removed by
        # identity, so another library's equal-comparing callback is never touched.
        self._callback = _make_callback(self._state)

    def install(self) -> None:
        """Append the callback to ``gc.callbacks``; a second call does nothing."""
        if self._base is None:
            self._base = gc.get_stats()
        if not self.installed:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        """Remove this watcher's callback only, leaving the others in their order."""
        callbacks = gc.callbacks
        for i in range(len(callbacks) - 1, -1, -1):
            if callbacks[i] is self._callback:
                del callbacks[i]

    @property
    def installed(self) -> bool:
        """Whether the callback is in ``gc.callbacks`` now."""
        return any(cb is self._callback for cb in gc.callbacks)

    def reset(self) -> None:
        """Start counting afresh from now (a new baseline, e.g. in a forked child)."""
        self._base = gc.get_stats()
        self._state[1] = self._state[2] = 0.0

    def read(self) -> GcStats:
        """Return the activity since the first install or read, and ``len(gc.garbage)``.

        ``seconds`` and ``last_full_collected`` are counted only while installed.

        Returns:
            A :class:`GcStats` of cumulative counts.
        """
        now = gc.get_stats()
        base = self._base
        if base is None:
            base = self._base = now
        return GcStats(
            collections=(
                now[0]["collections"] - base[0]["collections"],
                now[1]["collections"] - base[1]["collections"],
                now[2]["collections"] - base[2]["collections"],
            ),
            collected=sum(now[g]["collected"] - base[g]["collected"] for g in range(3)),
            uncollectable=sum(now[g]["uncollectable"] - base[g]["uncollectable"] for g in range(3)),
            seconds=self._state[1],
            garbage=len(gc.garbage),
            last_full_collected=int(self._state[2]),
        )


def _make_callback(state: list[float]) -> GcCallback:
    """Build the gc callback over ``state`` alone, so it never keeps the watcher alive."""
    clock = time.perf_counter

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            state[0] = clock()
            return
        if state[0]:
            state[1] += clock() - state[0]
            state[0] = 0.0
        if info["generation"] == 2:
            state[2] = info["collected"]

    return on_gc

"""Garbage collector churn, counted by a callback in ``gc.callbacks``."""

from __future__ import annotations

import gc
import time
from typing import Any

from leakguard._snapshot import GcStats


class GcWatcher:
    """Counts collections, their time and what they reclaim, from ``gc.callbacks``.

    The callback runs inside every collection, in whichever thread triggered
    it, so it only adds to a few counters: no lock (a lock taken by a reader
    that then allocates could deadlock against its own collection), no
    allocation beyond small ints. A collection cannot start while another runs,
    so one start time suffices. A :meth:`read` racing a collection may see the
    counters of one collection half-added; the next read is whole.
    """

    def __init__(self) -> None:
        self._counts = [0, 0, 0]
        self._collected = 0
        self._uncollectable = 0
        self._seconds = 0.0
        self._last_full = 0
        self._started = 0.0
        # One bound method kept for the watcher's life: it is found and removed
        # by identity, so another library's equal-comparing callback is never touched.
        self._callback = self._on_gc

    def install(self) -> None:
        """Append the callback to ``gc.callbacks``; a second call does nothing."""
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

    def read(self) -> GcStats:
        """Return the activity counted since :meth:`install`, and ``len(gc.garbage)``.

        Returns:
            A :class:`GcStats` of cumulative counts.
        """
        return GcStats(
            collections=(self._counts[0], self._counts[1], self._counts[2]),
            collected=self._collected,
            uncollectable=self._uncollectable,
            seconds=self._seconds,
            garbage=len(gc.garbage),
            last_full_collected=self._last_full,
        )

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        started, self._started = self._started, 0.0
        if started:
            self._seconds += time.perf_counter() - started
        generation = info.get("generation", 0)
        collected = info.get("collected", 0)
        if 0 <= generation <= 2:
            self._counts[generation] += 1
        self._collected += collected
        self._uncollectable += info.get("uncollectable", 0)
        if generation == 2:
            self._last_full = collected

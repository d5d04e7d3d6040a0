"""Prometheus metrics: the guard's view of the process, as a scrape-time collector.

Nothing is computed on the hot path: a scrape reads the guard's latest sample
and its suspects. ``prometheus_client`` is optional and imported only when
:func:`register_metrics` is called (``pip install 'pyleakguard[prometheus]'``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leakguard._guard import Guard
    from leakguard._model.snapshot import Snapshot

SUSPECT_LABELS = ("kind", "name", "unit")


class LeakguardCollector:
    """A ``prometheus_client`` collector reading one guard at scrape time.

    Args:
        guard: the guard to read; None reads the process-wide guard of
            ``leakguard.start()`` (nothing is exported while none runs).
    """

    def __init__(self, guard: Guard | None = None) -> None:
        self._guard = guard

    def collect(self) -> Iterator[Any]:
        """Yield the metric families (called by the registry on every scrape)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from leakguard._api import current

        guard = self._guard if self._guard is not None else current()
        if guard is None:
            return
        snaps = guard.snapshots
        suspects = guard.suspects()
        overhead = guard.overhead()
        yield CounterMetricFamily(
            "leakguard_samples", "Samples taken by the guard.", value=overhead["samples"]
        )
        yield CounterMetricFamily(
            "leakguard_pause_seconds",
            "Time the guard's samples held the program.",
            value=overhead["pause_total"],
        )
        yield GaugeMetricFamily(
            "leakguard_pause_max_seconds", "Longest single sample.", value=overhead["pause_max"]
        )
        yield GaugeMetricFamily(
            "leakguard_suspects", "Confirmed leak suspects.", value=float(len(suspects))
        )
        level = GaugeMetricFamily(
            "leakguard_suspect_level", "Level now of each suspect.", labels=SUSPECT_LABELS
        )
        growth = GaugeMetricFamily(
            "leakguard_suspect_growth", "Growth since the baseline.", labels=SUSPECT_LABELS
        )
        confidence = GaugeMetricFamily(
            "leakguard_suspect_confidence", "Confidence 0-1.", labels=SUSPECT_LABELS
        )
        for s in suspects:
            labels = [s.kind, s.name, s.unit]
            level.add_metric(labels, s.count)
            growth.add_metric(labels, s.growth)
            confidence.add_metric(labels, s.confidence)
        yield from (level, growth, confidence)
        if snaps:
            yield from _process(snaps[-1])


def _process(snap: Snapshot) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily

    p, r = snap.process, snap.resources
    values = {
        "leakguard_rss_bytes": ("Resident set size.", p.rss),
        "leakguard_allocated_blocks": ("sys.getallocatedblocks().", p.blocks),
        "leakguard_open_fds": ("Open file descriptors.", r.fds),
        "leakguard_threads": ("Live Python threads.", r.threads),
        "leakguard_tasks_pending": ("asyncio tasks not done.", r.tasks_pending),
        "leakguard_tasks_done_retained": ("Done asyncio tasks still referenced.", r.tasks_done),
        "leakguard_gc_garbage": ("len(gc.garbage).", snap.gc.garbage),
    }
    if snap.census is not None:
        values["leakguard_gc_objects"] = ("gc-tracked objects.", snap.census.objects)
    if p.cgroup_usage is not None:
        values["leakguard_cgroup_usage_bytes"] = ("Memory charged to the cgroup.", p.cgroup_usage)
    if p.cgroup_limit is not None:
        values["leakguard_cgroup_limit_bytes"] = ("The cgroup's memory limit.", p.cgroup_limit)
    for name, (doc, value) in values.items():
        if value is not None and value >= 0:
            yield GaugeMetricFamily(name, doc, value=float(value))


def register_metrics(registry: Any = None, guard: Guard | None = None) -> LeakguardCollector:
    """Export the guard's signals and suspects to Prometheus.

    Args:
        registry: a ``prometheus_client`` registry (default: the global ``REGISTRY``).
        guard: the guard to read (default: the process-wide guard, at each scrape).

    Returns:
        The registered collector (``registry.unregister(collector)`` removes it).

    Raises:
        ImportError: ``prometheus_client`` is not installed, with the command that installs it.
    """
    try:
        from prometheus_client import REGISTRY
    except ImportError:
        raise ImportError(
            "leakguard: register_metrics() needs prometheus_client: "
            "pip install 'pyleakguard[prometheus]'"
        ) from None
    collector = LeakguardCollector(guard)
    (registry if registry is not None else REGISTRY).register(collector)
    return collector

"""Bounded history: one ring buffer per series, fed by snapshots."""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from leakguard._model.snapshot import Snapshot

NATIVE_HEAP = "native heap"
"""The series of bytes C code holds from ``malloc`` (``Process.native``)."""

# Process-level series: (kind, name, unit) and how to read them from a snapshot.
# The cgroup's usage is not among them: it counts every process in the cgroup,
# so a neighbour's growth would be blamed on this one; reports still show it.
_SIGNALS: tuple[tuple[str, str, str], ...] = (
    ("memory", "rss", "bytes"),
    ("memory", "blocks", "blocks"),
    ("memory", NATIVE_HEAP, "bytes"),
    ("fds", "open fds", "fds"),
    ("threads", "threads", "threads"),
    ("tasks", "pending tasks", "tasks"),
    ("tasks", "done tasks retained", "tasks"),
    ("gc", "gc.garbage", "objects"),
)


def _signal_values(s: Snapshot) -> tuple[float | None, ...]:
    p, r = s.process, s.resources
    return (
        float(p.rss) if p.rss else None,
        float(p.blocks) if p.blocks else None,
        None if p.native is None else float(p.native),
        None if r.fds < 0 else float(r.fds),
        float(r.threads),
        float(r.tasks_pending),
        float(r.tasks_done),
        float(s.gc.garbage),
    )


class Series:
    """The recent levels of one signal, with the sample index of each level."""

    __slots__ = ("indexes", "kind", "name", "unit", "values")

    def __init__(self, kind: str, name: str, unit: str) -> None:
        self.kind = kind
        self.name = name
        self.unit = unit
        self.indexes: array[int] = array("q")
        self.values: array[float] = array("d")

    def append(self, index: int, value: float, size: int) -> None:
        """Add a level, dropping the oldest beyond ``size``."""
        if self.indexes and self.indexes[-1] == index:
            self.values[-1] = value  # a re-taken sample replaces its level
            return
        self.indexes.append(index)
        self.values.append(value)
        if len(self.values) > size:
            del self.indexes[0], self.values[0]

    @property
    def key(self) -> tuple[str, str]:
        """``(kind, name)``."""
        return (self.kind, self.name)


@dataclass(frozen=True, slots=True)
class Mark:
    """Per-sample facts the detector needs besides the levels."""

    index: int
    time: float
    work: int
    objects: int
    verified: bool
    watched: tuple[tuple[str, int], ...]


class History:
    """Ring buffers per series, bounded in samples and in number of series.

    Args:
        size: samples kept per series.
        max_series: type and container series kept at most; the smallest idle ones go first.
    """

    def __init__(self, size: int = 120, max_series: int = 4096) -> None:
        self.size = size
        self.max_series = max_series
        self.marks: deque[Mark] = deque(maxlen=size)
        self._series: dict[tuple[str, str], Series] = {}
        self.type_bytes: dict[str, float] = {}
        self.start = 0

    def __iter__(self) -> Iterator[Series]:
        return iter(self._series.values())

    def __len__(self) -> int:
        return len(self._series)

    def get(self, kind: str, name: str) -> Series | None:
        """The series for ``(kind, name)``, if kept."""
        return self._series.get((kind, name))

    def add(self, snap: Snapshot, verified: bool = False) -> None:
        """Record a snapshot; a snapshot with the same index replaces the last one."""
        objects = snap.census.objects if snap.census is not None else 0
        watched = tuple(sorted(snap.watched.items()))
        mark = Mark(snap.index, snap.time, snap.work, objects, verified, watched)
        if self.marks and self.marks[-1].index == snap.index:
            self.marks[-1] = mark
        else:
            self.marks.append(mark)
        for (kind, name, unit), value in zip(_SIGNALS, _signal_values(snap)):
            if value is not None:
                self._put(kind, name, unit, snap.index, value)
        if snap.census is not None:
            self._add_census(snap)

    def _add_census(self, snap: Snapshot) -> None:
        census = snap.census
        assert census is not None
        seen: set[tuple[str, str]] = set()
        for name, (count, nbytes) in census.types.items():
            self._put("type", name, "objects", snap.index, float(count))
            self.type_bytes[name] = nbytes / count if count else 0.0
            seen.add(("type", name))
        for c in census.containers:
            name = f"{c.type}#{c.key:x}"
            self._put("container", name, "items", snap.index, float(c.length))
            seen.add(("container", name))
        for key, series in list(self._series.items()):
            if key[0] == "type" and key not in seen:
                series.append(snap.index, 0.0, self.size)
            elif key[0] == "container" and key not in seen:
                # Out of the top containers (or freed): its id may be reused, so forget it.
                del self._series[key]
        self._bound()

    def _put(self, kind: str, name: str, unit: str, index: int, value: float) -> None:
        series = self._series.get((kind, name))
        if series is None:
            series = self._series[(kind, name)] = Series(kind, name, unit)
        series.append(index, value, self.size)

    def _bound(self) -> None:
        """Drop the least interesting object series beyond ``max_series``."""
        objs = [s for s in self._series.values() if s.kind in ("type", "container")]
        excess = len(objs) - self.max_series
        if excess <= 0:
            return
        objs.sort(key=lambda s: (max(s.values) - min(s.values), s.values[-1]))
        for s in objs[:excess]:
            del self._series[s.key]
            self.type_bytes.pop(s.name, None)

    def reset_objects(self, start: int) -> None:
        """Forget type and container series (after ``gc.freeze()`` hid objects from the census)."""
        for key in [k for k in self._series if k[0] in ("type", "container")]:
            del self._series[key]
        self.type_bytes.clear()
        self.start = start

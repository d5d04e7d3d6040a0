"""Where leaked objects were born and who holds them, for one repeated check.

The seam between the repetition engine and the evidence machinery
(:mod:`leakguard._heap.tracing`, :mod:`leakguard._heap.paths`): a tracemalloc window
opened only for the traced runs of a suspicious check, the lines whose live
traced blocks grew, and a retention path from a root. Evidence never raises
into the check: a failure leaves the evidence empty.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import replace

from leakguard._census.safe import referents
from leakguard._heap.bounds import bounded_holders
from leakguard._heap.ownership import Owner, file_owner
from leakguard._heap.packages import package_of
from leakguard._heap.paths import retention_path as _retention_path
from leakguard._heap.tracing import TraceWindow, object_frames
from leakguard._model.suspect import Site
from leakguard._repeat.probe import instances

__all__ = [
    "LineKey",
    "TraceWindow",
    "born_holders",
    "cached_only",
    "growing_lines",
    "lines",
    "retention_path",
    "sites_of",
    "still_held",
    "with_packages",
]

LineKey = tuple[str, int]


def lines(window: TraceWindow) -> dict[LineKey, tuple[int, int]]:
    """Live traced blocks per allocating line: (filename, lineno) -> (count, bytes).

    Only the check's own window is read (the traces are all born inside it), so
    no comparison over the program's older traces is ever made. Lines in Python's
    own library and in installed packages are left out: their caches (the type
    attribute cache, reprlib, asyncio) fill over hundreds of calls, so growth
    there over a few runs says nothing.
    """
    if not window.is_open or not tracemalloc.is_tracing():
        return {}
    out: dict[LineKey, tuple[int, int]] = {}
    # Grouped first, filtered per line after: filtering each trace costs far more.
    for stat in tracemalloc.take_snapshot().statistics("lineno"):
        frame = stat.traceback[0]
        if file_owner(frame.filename) is Owner.PROGRAM:
            out[(frame.filename, frame.lineno)] = (stat.count, stat.size)
    return out


def with_packages(sites: Sequence[Site]) -> tuple[Site, ...]:
    """Name the installed distribution that owns each site's file, where one does."""
    out = []
    for site in sites:
        try:
            out.append(replace(site, package=package_of(site.filename)))
        except Exception:
            out.append(site)
    return tuple(out)


def growing_lines(
    before: dict[LineKey, tuple[int, int]],
    after: dict[LineKey, tuple[int, int]],
    min_count: int,
    limit: int = 5,
) -> tuple[Site, ...]:
    """Lines that gained at least ``min_count`` live blocks between two readings, biggest first."""
    grown: list[Site] = []
    for key, (count, size) in after.items():
        old_count, old_size = before.get(key, (0, 0))
        if count - old_count >= min_count:
            grown.append(Site(key[0], key[1], count=count - old_count, size=size - old_size))
    grown.sort(key=lambda s: (s.size, s.count), reverse=True)
    return tuple(grown[:limit])


def sites_of(window: TraceWindow, objects: Sequence[object], limit: int = 3) -> tuple[Site, ...]:
    """Allocation sites of objects born while the window was open, most common first."""
    try:
        return tuple(window.sites_of(objects, limit))
    except Exception:
        return ()


def retention_path(obj: object, seconds: float) -> tuple[str, ...]:
    """A readable reference chain from a root to ``obj``; empty when none is found in time."""
    try:
        path = _retention_path(obj, max_depth=20, seconds=seconds)
    except Exception:
        return ()
    return tuple(path) if path else ()


def _untracked_edges() -> Iterator[tuple[object, object]]:
    """Every (holder, object) reference to an object the collector does not track.

    Starts from the tracked objects and descends into untracked dicts and tuples
    (CPython stops tracking those that hold only atomic values), each once.
    """
    objects = gc.get_objects()
    seen: set[int] = set()
    try:
        for root in objects:
            stack = [root]
            while stack:
                holder = stack.pop()
                for ref in referents(holder):
                    if gc.is_tracked(ref):
                        continue
                    yield holder, ref
                    tp = type(ref)  # compared by identity: `in` would call a metaclass __eq__
                    if (tp is dict or tp is tuple) and id(ref) not in seen:
                        seen.add(id(ref))
                        stack.append(ref)
    finally:
        del objects


def born_holders(keys: set[LineKey]) -> dict[tuple[int, int], LineKey]:
    """Find untracked objects (str, bytes, numbers) born on ``keys`` lines, with their holders.

    Such objects are invisible to the collector: they are found through the
    objects it tracks (the heap must be thawed), and their birth line is read
    from their traceback, so this must run while the trace window is open.

    Args:
        keys: the (filename, lineno) lines whose memory grew.

    Returns:
        (id of the holder, id of the object) -> the object's birth line; ids only.
    """
    found: dict[tuple[int, int], LineKey] = {}
    for holder, ref in _untracked_edges():
        frames = object_frames(ref)
        if frames and (frames[0][0], frames[0][1]) in keys:
            found[(id(holder), id(ref))] = (frames[0][0], frames[0][1])
    return found


def still_held(born: dict[tuple[int, int], LineKey]) -> dict[LineKey, int]:
    """How many of the references :func:`born_holders` found still exist, per birth line."""
    held: dict[LineKey, int] = {}
    if not born:
        return held
    for holder, ref in _untracked_edges():
        line = born.get((id(holder), id(ref)))
        if line is not None:
            held[line] = held.get(line, 0) + 1
    return held


def cached_only(name: str, ids: set[int], sample: int = 5) -> bool:
    """Whether the live objects of type ``name`` among ``ids`` are held only by bounded caches.

    A holder with a cap (a ``functools.lru_cache`` with a ``maxsize``, a
    ``deque(maxlen=N)``, a cachetools cache: :mod:`leakguard._heap.bounds`, the
    definition the service guard uses too) evicts what it holds once full, so
    growth it alone keeps is bounded by design, however long it takes to fill.
    Reads a few objects' referrers (the heap must be thawed); calls no user code.

    Args:
        name: the full type name.
        ids: ids of the objects that outlived the cleanup.
        sample: how many of them to look at.
    """
    found = instances(name, ids, sample)
    try:
        return bool(found) and bool(bounded_holders(found, seconds=1.0, ignore=(id(found),)))
    finally:
        del found

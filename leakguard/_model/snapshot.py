"""Frozen values that one sample produces: counts, never objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Container:
    """One big container seen by the census.

    Attributes:
        key: ``id()`` of the container when it was counted. It is an identity
            for following the same container across samples, not a reference.
        type: full type name, e.g. ``builtins.dict``.
        length: number of items at the time of the census.
    """

    key: int
    type: str
    length: int


@dataclass(frozen=True, slots=True)
class Census:
    """Objects per type from one pass over the gc-tracked heap.

    Attributes:
        types: full type name -> (count, approximate shallow bytes).
        containers: the biggest dict/list/set/deque objects, biggest first.
        objects: total number of gc-tracked objects seen.
        frozen: ``gc.get_freeze_count()`` at the time (objects hidden by ``gc.freeze()``).
        seconds: how long the census held the GIL, in total.
    """

    types: Mapping[str, tuple[int, int]]
    containers: tuple[Container, ...]
    objects: int
    frozen: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Process:
    """Process-level memory, read without touching the Python heap.

    Attributes:
        rss: resident set size in bytes (0 when unknown).
        blocks: ``sys.getallocatedblocks()``: live pymalloc/raw blocks.
        cgroup_usage: bytes charged to the process's cgroup (None when unknown).
        cgroup_limit: the cgroup's memory limit in bytes (None when unlimited or unknown).
        native: bytes C code holds from ``malloc`` (glibc ``mallinfo2``: in use in the
            arenas plus mapped chunks, tracemalloc's own tables left out); Python objects
            over 512 bytes are among them. None where it cannot be read cheaply.
    """

    rss: int = 0
    blocks: int = 0
    cgroup_usage: int | None = None
    cgroup_limit: int | None = None
    native: int | None = None


@dataclass(frozen=True, slots=True)
class GcStats:
    """Cumulative garbage collector activity since the guard started.

    Attributes:
        collections: collections per generation (0, 1, 2).
        collected: objects reclaimed, in total.
        uncollectable: objects found uncollectable, in total.
        seconds: time spent in collections, in total.
        garbage: ``len(gc.garbage)`` now.
        last_full_collected: objects reclaimed by the latest full (gen 2) collection.
    """

    collections: tuple[int, int, int] = (0, 0, 0)
    collected: int = 0
    uncollectable: int = 0
    seconds: float = 0.0
    garbage: int = 0
    last_full_collected: int = 0


@dataclass(frozen=True, slots=True)
class Resources:
    """Operating-system and runtime resources that leak like memory does.

    Attributes:
        fds: open file descriptors (-1 when unknown).
        threads: live Python threads.
        tasks_pending: asyncio tasks not yet done.
        tasks_done: asyncio tasks that are done but still referenced somewhere.
    """

    fds: int = -1
    threads: int = 0
    tasks_pending: int = 0
    tasks_done: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one sample saw, as plain numbers.

    Attributes:
        index: sample number, from 0, since the guard (re)started.
        time: wall-clock time of the sample (``time.time()``).
        work: units of work counted by ``tick()`` so far.
        census: the type census, or None when it was skipped.
        process: process memory.
        gc: garbage collector activity.
        resources: fds, threads and tasks.
        watched: calls so far per ``@watch``-ed function (qualified name).
        pause: seconds this sample held the program, census included.
    """

    index: int
    time: float
    work: int
    census: Census | None
    process: Process = field(default_factory=Process)
    gc: GcStats = field(default_factory=GcStats)
    resources: Resources = field(default_factory=Resources)
    watched: Mapping[str, int] = field(default_factory=dict)
    pause: float = 0.0

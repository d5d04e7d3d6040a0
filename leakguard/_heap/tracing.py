"""Where it is born: a bounded tracemalloc window opened on suspicion.

tracemalloc slows allocation-heavy code by x15 with one frame (BASELINES.md), so
it is never left on: a :class:`TraceWindow` switches it on only if it is off,
and on close restores exactly what it found. A user who traces already keeps
their tracing and their traces.

While it is open, new objects get a traceback. Two questions are answered from it:
which lines allocated a sample of suspect objects (:meth:`TraceWindow.sites_of`),
and which lines hold the most memory born since the window opened
(:meth:`TraceWindow.growing_lines`), for leaks of untracked objects such as
``str`` and ``bytes`` that the census cannot see.
"""

from __future__ import annotations

import collections
import functools
import sys
import time
import tracemalloc
from collections.abc import Iterable, Sequence
from typing import Any

from leakguard._census.safe import type_flags
from leakguard._heap.ownership import Owner, file_owner, is_helper_file
from leakguard._heap.packages import package_of
from leakguard._model.suspect import Site

_OURS, _MACHINERY, _LIBRARY, _USER = range(4)
_TIME_CHECK_EVERY = 65_536  # traces aggregated between two looks at the deadline
_MANAGED_DICT = 1 << 4  # Py_TPFLAGS_MANAGED_DICT
_PREHEADER_311 = 32  # PyGC_Head (16) + the managed dict and values pointers (16) on 3.11


class TraceWindow:
    """tracemalloc switched on for a while, leaving the user's own state untouched.

    Attributes:
        nframes: frames stored per allocation when this window starts tracing.
        owned: True when this window started tracing (and will stop it).
        opened_at: ``time.monotonic()`` when opened (None while closed).
        baseline: the traces at opening when the user was already tracing, so that
            growth can be told from the user's older allocations (None otherwise).
    """

    def __init__(self, nframes: int = 1) -> None:
        """Prepare a window; nothing changes until :meth:`open`.

        Args:
            nframes: frames tracemalloc stores per allocation (1 is the cheapest).

        Raises:
            ValueError: nframes is not a positive integer.
        """
        if isinstance(nframes, bool) or not isinstance(nframes, int) or nframes < 1:
            raise ValueError(f"leakguard: trace frames must be a positive integer, got {nframes!r}")
        self.nframes = nframes
        self.owned = False
        self.opened_at: float | None = None
        self.baseline: tracemalloc.Snapshot | None = None
        self.samples = 0

    @property
    def is_open(self) -> bool:
        """Whether the window is open (tracing is on, by us or by the user)."""
        return self.opened_at is not None

    def open(self, *, baseline: bool = False) -> None:
        """Start tracing unless it is on already; idempotent.

        Args:
            baseline: when the user already traces, keep a snapshot of their traces
                so :meth:`growing_lines` can subtract them (costs ~170 B per block).
        """
        if self.is_open:
            return
        if tracemalloc.is_tracing():
            self.owned = False
            self.baseline = tracemalloc.take_snapshot() if baseline else None
        else:
            if sys.version_info[:2] == (3, 11):
                _raw_lookup()  # import ctypes now, not inside the window's traces
            tracemalloc.start(self.nframes)
            self.owned = True
        self.opened_at = time.monotonic()
        self.samples = 0

    def close(self) -> None:
        """Stop tracing if this window started it; idempotent; never touches the user's traces."""
        if self.owned and tracemalloc.is_tracing():
            tracemalloc.stop()
        self.owned = False
        self.opened_at = None
        self.baseline = None

    def seconds_open(self) -> float:
        """How long the window has been open (0 when closed)."""
        return 0.0 if self.opened_at is None else time.monotonic() - self.opened_at

    def memory(self) -> int:
        """Bytes tracemalloc uses for its own tables now (0 when not tracing)."""
        return tracemalloc.get_tracemalloc_memory() if tracemalloc.is_tracing() else 0

    def sites_of(
        self, objects: Iterable[object], limit: int, *, enough: int | None = None
    ) -> list[Site]:
        """Allocation sites of objects, most common first.

        Args:
            objects: suspect objects (not kept); may be a lazy iterable.
            limit: the most sites to return.
            enough: stop reading objects once this many had a traceback.

        Returns:
            One :class:`Site` per line, counting the objects born there. Objects born
            while tracing was off, or by leakguard itself, are not counted.
        """
        return self.sample_sites(objects, limit, enough=enough)[0]

    def sample_sites(
        self, objects: Iterable[object], limit: int, *, enough: int | None = None, keep: int = 0
    ) -> tuple[list[Site], list[object], int]:
        """Allocation sites as :meth:`sites_of`, with a few objects born at the top one.

        Args:
            objects: suspect objects; may be a lazy iterable.
            limit: the most sites to return.
            enough: stop reading objects once this many had a traceback.
            keep: the most objects born at the most common line to return, in the
                order read (the caller must drop them soon).

        Returns:
            (sites, objects born at the first site, how many objects were read).
        """
        if not tracemalloc.is_tracing():
            return [], [], 0
        counts: collections.Counter[tuple[str, int]] = collections.Counter()
        kept: dict[tuple[str, int], list[object]] = {}
        traced = read = 0
        for obj in objects:
            read += 1
            frames = object_frames(obj)
            line = _site_line(tuple(frames)) if frames else None
            if line is None:  # not traced, or leakguard's own
                continue
            counts[line] += 1
            if keep and len(at := kept.setdefault(line, [])) < keep:
                at.append(obj)
            traced += 1
            if enough is not None and traced >= enough:
                break
        top = counts.most_common(limit)
        sample = kept.get(top[0][0], []) if top else []
        kept.clear()
        sites = [Site(f, n, count=c, package=package_of(f)) for (f, n), c in top]
        return sites, sample, read

    def growing_lines(
        self, since: tracemalloc.Snapshot | None, limit: int, *, deadline: float | None = None
    ) -> list[Site]:
        """Lines holding the most memory allocated since tracing began, biggest first.

        When this window started tracing, every live trace was born inside it, so
        the lines holding the most live bytes are the lines that grew: no
        ``compare_to`` is needed. When the user traced already, ``since`` (or the
        window's baseline) is subtracted, for the top lines only.

        Args:
            since: traces to subtract (None: the window's own baseline, if any).
            limit: the most lines to return.
            deadline: ``time.monotonic()`` after which aggregation stops early.

        Returns:
            Sites with the live blocks (``count``) and bytes (``size``) grown per line.
        """
        if not tracemalloc.is_tracing():
            return []
        now = _by_line(_raw_traces(tracemalloc.take_snapshot()), deadline)
        base = since if since is not None else self.baseline
        top = sorted(now.items(), key=lambda kv: kv[1][1], reverse=True)[: max(limit * 4, limit)]
        if base is not None:
            wanted = {line for line, _ in top}
            before = _by_line(_raw_traces(base), deadline, wanted)
            top = [(ln, _minus(now_cs, before.get(ln))) for ln, now_cs in top]
            top.sort(key=lambda kv: kv[1][1], reverse=True)
        return [
            Site(f, n, count=c, size=s, package=package_of(f))
            for (f, n), (c, s) in top[:limit]
            if s > 0
        ]


def object_frames(obj: object) -> Sequence[tuple[str, int]] | None:
    """Where obj was allocated, most recent frame first (None: not traced).

    On 3.11, ``get_object_traceback`` misses objects with a managed ``__dict__``
    (most instances of plain classes): it forgets the two words stored before
    their gc header. Their trace is looked up at the real block start instead.
    """
    tb = tracemalloc.get_object_traceback(obj)
    if tb is not None:
        return [(f.filename, f.lineno) for f in reversed(tb)]
    if sys.version_info[:2] == (3, 11) and type_flags(type(obj)) & _MANAGED_DICT:
        lookup = _raw_lookup()
        found = lookup(0, id(obj) - _PREHEADER_311) if lookup is not None else None
        if isinstance(found, tuple) and found:
            return list(found)
    return None


def prepare() -> None:
    """Build now what the first window builds (3.11: ctypes and its traceback reader).

    ``leakguard run`` calls it before the program's baseline, so that these objects,
    kept for the process's life, are not growth in the program's snapshots; the
    pytest plugin calls it before the first test, so no test's runs see them.
    """
    if sys.version_info[:2] == (3, 11):
        _raw_lookup()


@functools.cache
def _raw_lookup() -> Any:
    """The C API behind get_object_traceback, which takes a block address (3.11 only)."""
    try:
        import ctypes  # only 3.11 needs it, and only while tracing

        lookup = ctypes.pythonapi._PyTraceMalloc_GetTraceback
    except (ImportError, AttributeError):
        return None
    lookup.restype = ctypes.py_object
    lookup.argtypes = [ctypes.c_uint, ctypes.c_size_t]
    return lookup


def is_own(obj: object) -> bool:
    """Whether obj was allocated by leakguard itself (False when it was not traced)."""
    frames = object_frames(obj) if tracemalloc.is_tracing() else None
    return bool(frames) and _is_ours(tuple(frames))  # type: ignore[arg-type]


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def is_program_file(filename: str) -> bool:
    """Whether a source file is the program's code (its own, an installed package's, run-time)."""
    return _kind(filename) == _USER


# What tracemalloc attribution makes of each owner: machinery frames are skipped,
# leakguard's own allocations dropped, library frames passed through to the caller,
# and the program's frames (third-party packages and run-time code included) blamed.
_KINDS = {
    Owner.LEAKGUARD: _OURS,
    Owner.MACHINERY: _MACHINERY,
    Owner.STDLIB: _LIBRARY,
    Owner.TOOLING: _LIBRARY,
    Owner.THIRD_PARTY: _USER,
    Owner.GENERATED: _USER,
    Owner.PROGRAM: _USER,
    Owner.UNKNOWN: _USER,
}


def _kind(filename: str) -> int:
    """Whose code a file is, as attribution treats it (see ``_KINDS``).

    objgraph's and pympler's files count as leakguard's: only leakguard calls them
    while a window is open, and with one traced frame nothing below them is seen.
    """
    return _OURS if is_helper_file(filename) else _KINDS[file_owner(filename)]


def _is_ours(frames: tuple[tuple[str, int], ...]) -> bool:
    """Whether leakguard is on the stack below any frame of the program's own code."""
    for filename, _ in frames:
        kind = _kind(filename)
        if kind == _OURS:
            return True
        if kind == _USER:
            return False
    return False


def _site_line(frames: tuple[tuple[str, int], ...]) -> tuple[str, int] | None:
    """The line to blame for an allocation; frames come most recent first.

    The innermost frame that is not machinery, unless leakguard's own code made
    the allocation (directly, or through the standard library) before any of the
    program's frames: then None, as for an allocation made only by machinery.
    """
    site = None
    for frame in frames:
        kind = _kind(frame[0])
        if kind == _OURS:
            return None
        if kind == _MACHINERY:
            continue
        if site is None:
            site = frame
        if kind == _USER:
            return site
    return site


def _minus(now: tuple[int, int], before: tuple[int, int] | None) -> tuple[int, int]:
    return now if before is None else (now[0] - before[0], now[1] - before[1])


def _raw_traces(snapshot: tracemalloc.Snapshot) -> list[tuple[object, ...]]:
    # Snapshot.traces wraps every trace in Python objects on access (seconds at 2M
    # blocks); the raw tuples (domain, size, frames most recent first, ...) are
    # what statistics() itself reads.
    raw = getattr(snapshot.traces, "_traces", None)
    if isinstance(raw, list):
        return raw
    return [
        (t.domain, t.size, tuple((f.filename, f.lineno) for f in reversed(t.traceback)))
        for t in snapshot.traces
    ]


def _by_line(
    traces: list[tuple[object, ...]],
    deadline: float | None,
    wanted: set[tuple[str, int]] | None = None,
) -> dict[tuple[str, int], tuple[int, int]]:
    """Blocks and bytes per innermost non-machinery line."""
    lines: dict[object, tuple[str, int] | None] = {}
    totals: dict[tuple[str, int], list[int]] = {}
    for i, trace in enumerate(traces):
        if i % _TIME_CHECK_EVERY == 0 and _past(deadline):
            break
        frames = trace[2]
        if frames in lines:
            line = lines[frames]
        else:
            line = lines[frames] = _site_line(frames)  # type: ignore[arg-type]
        if line is None or (wanted is not None and line not in wanted):
            continue
        acc = totals.get(line)
        if acc is None:
            acc = totals[line] = [0, 0]
        acc[0] += 1
        acc[1] += trace[1]  # type: ignore[operator]
    return {line: (c, s) for line, (c, s) in totals.items()}

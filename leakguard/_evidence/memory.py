"""Growing lines for memory suspects: named at once, or later when the window has seen enough.

A memory suspect (``rss``, ``blocks``) has no instances to sample: its evidence
is the lines of code whose live blocks, born in the trace window, grew most.
Each line that grew enough becomes a ``site`` suspect of its own. A climb often
confirms a sample or two after the window opens, too early to name a line, so
the suspect is *deferred*: :meth:`MemoryLines.late` names its lines when the
window closes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from leakguard._evidence.rules import ignored
from leakguard._evidence.signature import signature
from leakguard._heap.bounds import BOUND_SECONDS, capped_lines
from leakguard._heap.tracing import TraceWindow
from leakguard._model.options import Options
from leakguard._model.suspect import Site, Suspect

__all__ = ["SITE_BYTES", "SITE_LIMIT", "MemoryLines", "noted"]

SITE_LIMIT = 5
"""Allocation sites kept per suspect."""

SITE_BYTES = 256 * 1024
SITE_SHARE = 0.1
"""A line that holds this share of a memory suspect's growth explains it."""
"""Live bytes born in the window that make a line a ``site`` suspect even as one block."""

CAPPED_SHARE = 0.5
"""A growing line whose live blocks are at least this share held by capped caches churns."""

MEMORY_TRACE_FACTOR = 2
"""Times ``trace_samples`` a window may stay open while no line of a memory suspect grew."""


class MemoryLines:
    """The growing lines of memory suspects, read from one trace window."""

    def __init__(self, options: Options, window: TraceWindow) -> None:
        """Bind to the guard's options and its evidence's trace window.

        Args:
            options: the guard's options (``trace_samples``, ``min_growth``, ``ignore``,
                ``evidence_seconds``).
            window: the trace window the lines are read from.
        """
        self.options = options
        self.window = window
        self.deferred: dict[tuple[str, str], Suspect] = {}

    def name(self, s: Suspect, deadline: float, traced: int) -> list[Suspect]:
        """The suspect with its lines now; deferred when the window is too young to tell.

        Args:
            s: a confirmed memory or site suspect.
            deadline: monotonic time by which reading the lines stops.
            traced: samples the open window has seen, counting this one.

        Returns:
            The suspect (with a note when deferred) and a ``site`` suspect per grown line.
        """
        if traced < self.options.trace_samples:
            # A climb confirms a sample or two after the window opens: too little growth
            # to name a line (a buffer grows by reallocation, every few samples), and the
            # lines seen so far are whatever happened to be allocated, not what grows.
            # Keep tracing; late() returns the lines when the window has seen enough.
            self.deferred[s.key] = s
            more = self.options.trace_samples - traced
            return [noted(s, [f"allocation lines: tracing {more} more sample(s)"])]
        return self.lines(s, deadline)

    def lines(self, s: Suspect, deadline: float, index: int | None = None) -> list[Suspect]:
        """The suspect with its top lines, and a ``site`` suspect for each line that grew.

        A line whose live blocks are mostly (``CAPPED_SHARE``) objects kept by a capped
        ``deque`` or ``lru_cache`` is a bounded cache churning, not growth: it stays among
        the suspect's lines, with a note, but is no ``site`` suspect.
        """
        lines = self.window.growing_lines(None, SITE_LIMIT, deadline=deadline)
        found = [dataclasses.replace(s, sites=tuple(lines))]
        explaining = [site for site in lines[:3] if _explains(site, s)]
        seconds = max(0.0, min(BOUND_SECONDS, deadline - time.monotonic()))
        capped = capped_lines([(x.filename, x.lineno) for x in explaining], seconds=seconds)
        notes = []
        for site in explaining:
            held, bound = capped.get((site.filename, site.lineno), (0, None))
            if bound is not None and held >= CAPPED_SHARE * site.count:
                notes.append(f"{site.filename}:{site.lineno}: {held} objects held by {bound}")
                continue
            found.append(site_suspect(s, site, index))
        found[0] = noted(found[0], notes)
        return found

    def late(self, index: int | None, reason: str) -> list[Suspect] | None:
        """Lines for the deferred suspects as the window is due to close.

        Args:
            index: the sample's index, given to the ``site`` suspects found now.
            reason: why the window is closing (``"N samples"`` when only its age).

        Returns:
            The deferred suspects with their lines and new ``site`` suspects; None
            when no line grew yet and the window may stay open a while longer.
        """
        # A buffer grows by reallocation every few samples: with no line yet, trace
        # up to MEMORY_TRACE_FACTOR times longer before giving up on naming one.
        limit = self.options.trace_samples * MEMORY_TRACE_FACTOR
        final = self.window.samples >= limit or not reason.endswith(" samples")
        deadline = time.monotonic() + self.options.evidence_seconds
        late: list[Suspect] = []
        for s in self.deferred.values():
            try:
                found = self.lines(s, deadline, index)
            except Exception as exc:  # evidence is a bonus
                found = [noted(s, [f"evidence failed: {type(exc).__name__}"])]
            late.extend(found)
        if all(x.kind != "site" for x in late):
            if not final:
                return None
            late = [noted(x, ["no line grew enough while traced"]) for x in late]
        self.deferred.clear()
        rules = self.options.ignore
        return [x for x in late if not ignored(x.kind, x.name, x.signature, rules, path=x.path)]


def _explains(site: Site, s: Suspect) -> bool:
    """Whether a line holds a real part of a memory suspect's growth.

    A tenth of the growth (bytes for RSS, blocks for allocated blocks), or a
    buffer of SITE_BYTES: a handful of blocks from an interpreter cache is not
    what climbs.
    """
    if site.size >= SITE_BYTES:
        return True
    held = site.count if s.unit == "blocks" else site.size
    return s.growth > 0 and held >= SITE_SHARE * s.growth


def site_suspect(parent: Suspect, site: Site, index: int | None = None) -> Suspect:
    """A ``site`` suspect for one line whose live bytes grew while parent grew."""
    name = f"{site.filename}:{site.lineno}"
    return Suspect(
        kind="site",
        name=name,
        count=float(site.size),
        growth=float(site.size),
        rate_per_work=None,
        rate_per_minute=None,
        confidence=parent.confidence,
        first_seen=parent.first_seen if index is None else index,
        unit="bytes",
        nbytes=float(site.size),
        sites=(site,),
        signature=signature((), name),
        notes=(f"{site.count} live blocks born here while {parent.name} grew",),
    )


def noted(s: Suspect, notes: Sequence[str]) -> Suspect:
    """The suspect with these notes added (each once, in order)."""
    fresh = tuple(n for n in dict.fromkeys(notes) if n not in s.notes)
    return dataclasses.replace(s, notes=s.notes + fresh) if fresh else s

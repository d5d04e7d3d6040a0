"""What a repeated check measured, and the verdict drawn from it after the caller's cleanup.

:class:`Record` holds counts and ids only (per-run growth series, the births
of suspect types, allocation lines); :func:`confirm` and :func:`once_verdict`
read it, and the live heap, once the caller's cleanup has run.
"""

from __future__ import annotations

import fnmatch
import gc
import weakref

from leakguard._evidence.rules import ignored
from leakguard._evidence.signature import signature
from leakguard._model.suspect import Site
from leakguard._repeat.births import Births
from leakguard._repeat.evidence import cached_only, retention_path, still_held, with_packages
from leakguard._repeat.options import RepeatOptions
from leakguard._repeat.probe import Freezer, Sample, ids_of, instances, take_sample, unpinned
from leakguard._repeat.rank import is_user_type, rank
from leakguard._repeat.verdict import Growth, Verdict

__all__ = ["Record", "confirm", "once_verdict"]

Key = tuple[str, str]


class Record:
    """Everything a check keeps between its runs: counts, ids and lines, never objects."""

    def __init__(self, options: RepeatOptions) -> None:
        self.options = options
        self.runs = 0
        self.changed: str | None = None
        self.start: Sample | None = None
        self.series: dict[Key, tuple[int, ...]] = {}
        self.ids: dict[str, set[int]] = {}
        self.sites: dict[str, tuple[Site, ...]] = {}
        self.lines: tuple[Site, ...] = ()
        # (run, type name) -> ids packed in bytes: nothing the census would count.
        self.births = Births()
        self.holders: dict[tuple[int, int], tuple[str, int]] | None = None
        # id -> weak reference to the suspect it named before the caller's cleanup.
        self.pins: dict[int, weakref.ref[object]] = {}

    def abandon(self, why: str) -> None:
        """Repetition failed: the check falls back to judging a single run."""
        self.changed = why
        self.series.clear()

    def reset(self) -> None:
        """Forget every measurement (the repeats start over on the thawed heap)."""
        self.series.clear()
        self.ids, self.sites, self.lines = {}, {}, ()
        self.births = Births()

    def add_run(self, last: Sample, now: Sample, blocks: int) -> bool:
        """Add one measured run's growth to the series; whether anything grew past its floor."""
        floor = max(self.options.min_growth, 1)
        grew = False
        for name, n in now.types.items():
            grew |= self._add(("type", name), n - last.types.get(name, 0)) >= floor
        for name in last.types.keys() - now.types.keys():
            self._add(("type", name), -last.types[name])
        grew |= self._add(("memory", "blocks"), blocks) >= max(self.options.min_blocks, 1)
        grew |= self._add(("threads", "threads"), now.threads - last.threads) >= 1
        if now.fds >= 0 and last.fds >= 0:
            grew |= self._add(("fds", "fds"), now.fds - last.fds) >= 1
        return grew

    def _add(self, key: Key, growth: int) -> int:
        # Tuples of ints, not lists: the collector stops tracking them, so a series
        # started for a type first seen in this run is never counted as a new object.
        self.series[key] = (*self.series.get(key, ()), growth)
        return growth

    def track_births(self) -> None:
        """Follow the types that grew in the first measured run: a leak grows on every run."""
        floor = max(self.options.min_growth, 1)
        self.births.after_run(
            n for (k, n), v in self.series.items() if k == "type" and v[-1] >= floor
        )

    def keep_measured(self, measured: int) -> None:
        """Keep the first ``measured`` runs only (the code refused to run traced)."""
        self.series = {key: v[:measured] for key, v in self.series.items()}
        self.births.keep_first(measured - 1)
        self.lines = ()

    def growing(self) -> list[Key]:
        """Series that grew on every measured run so far, past their thresholds.

        Memory counts only when no type grew on every run, ignored types included:
        growth of objects the census sees is reported (or silenced) by type.
        """
        runs = max((len(v) for v in self.series.values()), default=0)
        grown = []
        for key, per_run in self.series.items():
            floor = self.options.min_blocks if key[0] == "memory" else self.options.min_growth
            if len(per_run) == runs > 0 and min(per_run) >= max(floor, 1):
                grown.append(key)
        typed = any(kind == "type" for kind, _ in grown)
        return [
            (kind, name)
            for kind, name in grown
            if not (kind == "type" and self.ignored(name)) and not (kind == "memory" and typed)
        ]

    def growing_types(self) -> list[str]:
        """The names of the types among :meth:`growing`."""
        return [name for kind, name in self.growing() if kind == "type"]

    def ignored(self, name: str, kind: str = "type", path: tuple[str, ...] = ()) -> bool:
        """Whether a growth is silenced: by the user's rules (every form) or the allowlist."""
        rules = self.options.ignore
        short = name.rsplit(".", 1)[-1]
        if kind == "type" and any(fnmatch.fnmatchcase(short, p) for p in rules):
            return True
        sig = signature(path, name) if kind == "type" and path else None
        return ignored(kind, name, sig, rules, path=path or None)


def confirm(rec: Record, freezer: Freezer) -> Verdict:
    """Judge a repeated check once the caller's cleanup has run."""
    growing = rec.growing()
    if not growing:
        return Verdict(leaked=False, runs=rec.runs)
    gc.collect()  # what the cleanup dropped may sit in cycles
    now = take_sample(census=False)
    # One pass over the heap finds the live objects of every growing type.
    alive = ids_of([name for kind, name in growing if kind == "type"])
    # An id whose pinned object died in the cleanup names a newer object now.
    alive = {name: unpinned(ids, rec.pins) for name, ids in alive.items()}
    found = (_confirmed(rec, key, now, alive.get(key[1], set())) for key in growing)
    growths = [g for g in found if g is not None]
    if any(g.kind == "type" for g in growths):
        growths = [g for g in growths if g.kind != "memory"]
    growths.sort(key=lambda g: rank(g.kind, g.name, g.per_run))
    growths = _with_paths(rec, growths, freezer)
    growths = [g for g in growths if not (g.path and rec.ignored(g.name, g.kind, g.path))]
    return Verdict(leaked=bool(growths), growths=tuple(growths), runs=rec.runs)


def _confirmed(rec: Record, key: Key, now: Sample, alive: set[int]) -> Growth | None:
    kind, name = key
    per_run = rec.series[key]
    if kind == "type":
        floor = max(rec.options.min_growth, min(per_run))
        kept = rec.births.left_by_most(name, alive, floor)
        # A bounded lru_cache filling up over more calls than the warm-up is no leak.
        if kept is None or cached_only(name, rec.ids.get(name, set()) & alive):
            return None
        return Growth(kind, name, per_run, survived=kept, sites=rec.sites.get(name, ()))
    if kind == "memory":
        return _memory(rec, per_run)
    start = rec.start
    level = now.threads - start.threads if start and kind == "threads" else None
    if kind == "fds" and start is not None:
        level = now.fds - start.fds
    if level is not None and level < len(per_run):
        return None
    return Growth(kind, name, per_run, unit=kind, survived=level)


def _memory(rec: Record, per_run: tuple[int, ...]) -> Growth | None:
    options = rec.options
    if not options.traced_runs:
        return Growth("memory", "blocks", per_run, unit="blocks")
    # Objects born on the lines that grew in every traced run, still held after cleanup.
    held = still_held(rec.holders or {})
    floor = options.traced_runs
    kept = tuple(s for s in rec.lines if held.get((s.filename, s.lineno), 0) >= floor)
    if not kept:
        return None
    return Growth("memory", "blocks", per_run, unit="blocks", sites=with_packages(kept))


def _with_paths(rec: Record, growths: list[Growth], freezer: Freezer) -> list[Growth]:
    """Find who holds one leaked object of the first leaked type (heap thawed)."""
    first = next((g for g in growths if g.kind == "type"), None)
    if first is None:
        freezer.thaw()
        return growths
    ids = rec.ids.get(first.name) or ids_of([first.name])[first.name]
    found = instances(first.name, ids, 1)
    freezer.thaw()
    try:
        path = retention_path(found[0], rec.options.path_seconds) if found else ()
    except Exception:
        path = ()
    finally:
        del found
    out = list(growths)
    out[out.index(first)] = Growth(
        first.kind, first.name, first.per_run, first.unit, first.survived, first.sites, path
    )
    return out


def once_verdict(rec: Record, freezer: Freezer) -> Verdict:
    """Judge a single run: what it made that is still alive now.

    Objects are counted only where the whole heap was counted before the run (a
    check made single-run from the start). A check whose repeats failed counts
    only threads and fds: its runs ran twice or more, and a second census of the
    whole heap per such test is the cost that made real suites slow.
    """
    start = rec.start
    if start is None:
        freezer.thaw()
        return Verdict(False, (), "once", max(rec.runs, 1), rec.changed)
    counted = bool(start.types) or start.blocks >= 0
    if rec.changed is not None or not counted:
        freezer.thaw()
        now = take_sample(census=False)
    else:
        now = take_sample()
    growths = [
        Growth("type", name, (n - start.types.get(name, 0),))
        for name, n in now.types.items()
        if n > start.types.get(name, 0) and is_user_type(name) and not rec.ignored(name)
    ]
    grew_fds = now.fds - start.fds if min(now.fds, start.fds) >= 0 else 0
    for kind, grew in (("threads", now.threads - start.threads), ("fds", grew_fds)):
        if grew > 0:
            growths.append(Growth(kind, kind, (grew,), unit=kind, survived=grew))
    growths.sort(key=lambda g: rank(g.kind, g.name, g.per_run))
    leaked = any(g.kind != "type" or g.per_run[0] >= rec.options.survivors for g in growths)
    if leaked:
        growths = _with_paths(rec, growths, freezer)
        growths = [g for g in growths if not (g.path and rec.ignored(g.name, g.kind, g.path))]
        leaked = any(g.kind != "type" or g.per_run[0] >= rec.options.survivors for g in growths)
    freezer.thaw()
    return Verdict(leaked, tuple(growths), "once", max(rec.runs, 1), rec.changed)

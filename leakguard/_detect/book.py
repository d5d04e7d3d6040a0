"""The suspect book: confirmed climbs, which of them are one leak, and their order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from leakguard._detect.assemble import at_level, suspect_from
from leakguard._detect.history import History, Series
from leakguard._detect.stats import thirds_minima
from leakguard._detect.trend import Trend, is_stdlib_type, rank_key
from leakguard._model.suspect import Suspect

Key = tuple[str, str]

OBJECT_KINDS = ("type", "container")
COUNTED_KINDS = (*OBJECT_KINDS, "threads", "tasks", "fds")
LOCKSTEP = 0.15
"""Two climbs whose slopes (or slope ratio and the nearest whole number) differ by at most
this share are one leak."""
MAX_MULTIPLE = 8
"""The largest fixed ratio of objects per leaked unit taken as one leak."""
FLAT_SHARE = 0.5
"""A suspect whose low tide rose by less than this share of its minimum growth over the
last ``window`` samples has stopped growing and is withdrawn."""
MAX_HELD = 256
"""Climbs held back by capped holders that are remembered at most (the oldest go first)."""
REFRESH_RATIO = 2.0
"""Evidence of a suspect is gathered again once its level is this many times the level
it was gathered at."""


class SuspectBook:
    """Confirmed suspects, kept in rank order, and the ones not to announce again.

    Args:
        confirm: consecutive climbing samples that confirm a suspect.
        verify_gc: whether object climbs need a verifying collection first.
    """

    def __init__(self, confirm: int, verify_gc: bool) -> None:
        self.confirm = confirm
        self.verify_gc = verify_gc
        self.suspects: dict[Key, Suspect] = {}
        # Suspects that are another face of an already announced leak: no second hook.
        self.quiet: set[Key] = set()
        # Climbs held by capped holders with room left, and the level at which they fill.
        self.held: dict[Key, tuple[Suspect, float]] = {}
        # The level at which each suspect's evidence was gathered.
        self.measured: dict[Key, float] = {}

    def __contains__(self, key: Key) -> bool:
        return key in self.suspects

    def settled(self, t: Trend) -> bool:
        """Whether ``t`` needs no verification: known, or held back with room left."""
        return t.key in self.suspects or self._held_back(t)

    def _held_back(self, t: Trend) -> bool:
        held = self.held.get(t.key)
        return held is not None and t.count <= held[1]

    def hold(self, fresh: list[Suspect], trends: Iterable[Trend] = ()) -> list[Suspect]:
        """Hold back the fresh suspects whose capped holders have room left; return the rest.

        A held climb is not confirmed again until its level passes the level at which
        its holders would be full (one object per item): then the holders are read
        again, and a climb that goes on past a full holder is reported. An interpreter
        type (``list``, ``dict``, ``tuple``) whose own holders could not be told apart
        and that grows at least as fast as a held climb, up to ``MAX_MULTIPLE`` times, is
        that climb's parts (``Quote.lines`` of the cached ``Quote``, plus the garbage of
        the same requests not collected yet): it is held with it, for as long as the
        room lasts.
        """
        slopes = {t.key: t.slope for t in trends}
        out = []
        for s in fresh:
            if s.bounds and not any(b.full for b in s.bounds):
                room = sum(b.limit - b.size for b in s.bounds)
                self._keep_held(s, s.count + room)
                continue
            part = self._part_of_held(s, slopes) if not s.bounds else None
            if part is not None:
                self._keep_held(*part)
                continue
            self.held.pop(s.key, None)
            out.append(s)
        while len(self.held) > MAX_HELD:
            del self.held[next(iter(self.held))]
        return out

    def _keep_held(self, s: Suspect, ceiling: float) -> None:
        self.held.pop(s.key, None)
        self.held[s.key] = (s, ceiling)

    def _part_of_held(self, s: Suspect, slopes: dict[Key, float]) -> tuple[Suspect, float] | None:
        if s.kind != "type" or not is_stdlib_type(s.name):
            return None
        mine = slopes.get(s.key, 0.0)
        for key, (held, ceiling) in self.held.items():
            theirs = slopes.get(key, 0.0)
            if key != s.key and _covers(mine, theirs):
                room = max(ceiling - held.count, 0.0) * mine / theirs
                note = f"grows in step with {held.name}, which is held by capped holders"
                return replace(s, bounds=held.bounds, notes=(*s.notes, note)), s.count + room
        return None

    def held_values(self, history: History) -> list[Suspect]:
        """The climbs held back by capped holders, at their level now."""
        out = []
        for key, (s, _) in self.held.items():
            series = history.get(*key)
            if series is not None and series.values:
                out.append(at_level(s, series.values[-1]))
        return out

    def withdraw(
        self, history: History, window: int, floor: Callable[[Series], float]
    ) -> list[Suspect]:
        """Withdraw the suspects that stopped growing; return them as they were last seen.

        A suspect is withdrawn when, over its last ``window`` levels, the low tide of the
        last third is less than ``FLAT_SHARE`` of its minimum growth above the low tide
        of the first third: a climb that can be confirmed rises by its minimum growth
        within ``window`` samples, twice that. A container no longer among the biggest
        (or freed) is withdrawn too, and allocation sites once no memory suspect is left.
        Climbs held back by capped holders that went flat are forgotten, with no hook.

        Args:
            history: the levels.
            window: the levels looked at (the detector's ``window``).
            floor: the minimum growth of a series.
        """
        gone = []
        for key, s in self.suspects.items():
            if key[0] == "site":
                continue
            series = history.get(*key)
            if series is None:
                if key[0] == "container":
                    gone.append(s)
                continue
            if _flat(series, window, floor(series)):
                gone.append(s)
        if not any(k[0] == "memory" and s not in gone for k, s in self.suspects.items()):
            gone.extend(s for k, s in self.suspects.items() if k[0] == "site")
        for s in gone:
            del self.suspects[s.key]
            self.quiet.discard(s.key)
            self.measured.pop(s.key, None)
        for key in list(self.held):
            series = history.get(*key)
            if series is None or _flat(series, window, floor(series)):
                del self.held[key]  # a filled cache that stays full is no news: let it go
        return gone

    def stale(self) -> list[Suspect]:
        """Object suspects whose level has grown ``REFRESH_RATIO`` times since their evidence."""
        return [
            s
            for k, s in self.suspects.items()
            if k[0] in OBJECT_KINDS
            and k in self.measured
            and s.count >= REFRESH_RATIO * max(self.measured[k], 1.0)
        ]

    def refresh(self, fresh: Iterable[Suspect]) -> None:
        """Take evidence gathered again: paths, deep sizes, sites and bounds as they are now."""
        for s in fresh:
            known = self.suspects.get(s.key)
            if known is None:
                continue
            self.suspects[s.key] = replace(
                known,
                path=s.path or known.path,
                deep_size=s.deep_size if s.deep_size is not None else known.deep_size,
                sites=s.sites or known.sites,
                bounds=s.bounds,
                notes=s.notes,
            )
            self.measured[s.key] = s.count

    def mark_measured(self, suspects: Iterable[Suspect]) -> None:
        """Record the level at which these suspects' evidence was gathered."""
        for s in suspects:
            self.measured[s.key] = s.count

    def values(self) -> list[Suspect]:
        """Suspects, most certain and specific first."""
        return list(self.suspects.values())

    def announced_at(self, index: int) -> list[Suspect]:
        """Suspects first confirmed at sample ``index`` that are new leaks."""
        return [
            s for s in self.suspects.values() if s.first_seen == index and s.key not in self.quiet
        ]

    def needs_verification(self, t: Trend) -> bool:
        """Whether ``t`` is an object climb that a full collection could still refute."""
        return self.verify_gc and (t.kind in OBJECT_KINDS or t.unit == "blocks")

    def classify(self, trends: Iterable[Trend], index: int) -> tuple[list[Suspect], list[Trend]]:
        """Refresh known suspects; return the newly confirmed ones and the candidates."""
        fresh, candidates = [], []
        for t in trends:
            known = self.suspects.get(t.key)
            if known is not None:
                self.suspects[t.key] = suspect_from(t, known.first_seen, known)
            elif self._held_back(t):
                continue
            elif t.streak >= self.confirm and (t.verified or not self.needs_verification(t)):
                fresh.append(suspect_from(t, index, None))
            else:
                candidates.append(t)
        return fresh, candidates

    def add(self, fresh: list[Suspect], trends: list[Trend], history: History) -> None:
        """Record new suspects, refresh levels, re-rank, and fold the faces of one leak."""
        new = {s.key for s in fresh}
        earlier = [s for k, s in self.suspects.items() if k not in self.quiet]
        for s in fresh:
            self.suspects[s.key] = s
        climbing = {t.key for t in trends}
        for key, s in list(self.suspects.items()):
            series = history.get(*key)
            if key not in climbing and series is not None and series.values:
                # A suspect that did not climb this sample still shows its level now.
                self.suspects[key] = at_level(s, series.values[-1])
        order = _holders_first(self.suspects)
        self.suspects = dict(sorted(self.suspects.items(), key=lambda kv: order[kv[0]]))
        ordered = [s for k, s in self.suspects.items() if k in new]
        self.quiet.update(self._same_leak(ordered, trends, earlier))

    def merge(self, late: list[Suspect]) -> list[Suspect]:
        """Take late evidence: update known suspects in place, return the new ones."""
        new = []
        for s in late:
            known = self.suspects.get(s.key)
            if known is None:
                new.append(s)
            else:
                self.suspects[s.key] = replace(
                    known, sites=s.sites, notes=s.notes, signature=s.signature or known.signature
                )
        return new

    def forget_objects(self) -> None:
        """Drop object suspects (their baseline is gone after ``gc.freeze()``)."""
        self.suspects = {k: s for k, s in self.suspects.items() if k[0] not in OBJECT_KINDS}
        self.held = {k: h for k, h in self.held.items() if k[0] not in OBJECT_KINDS}

    def _same_leak(
        self, fresh: list[Suspect], trends: list[Trend], earlier: list[Suspect]
    ) -> set[Key]:
        """Keys of fresh suspects that are another face of an announced leak.

        A leak of objects also grows the list holding them, their dicts, what
        they hold, and the RSS: those are the same leak, reported but not
        announced again. Fresh suspects come most specific first, so the first
        face of a leak is the one announced.
        """
        slopes = {t.key: t.slope for t in trends}
        announced = list(earlier)
        quiet = set()
        for s in fresh:
            if any(_one_leak(s, a, slopes) for a in announced):
                quiet.add(s.key)
            else:
                announced.append(s)
        return quiet


def _flat(series: Series, window: int, floor: float) -> bool:
    values = series.values[-window:]
    if len(values) < min(window, 6):
        return False
    first, _, last = thirds_minima(values)
    return last - first < FLAT_SHARE * floor


def _one_leak(s: Suspect, announced: Suspect, slopes: dict[Key, float]) -> bool:
    """Whether ``s`` is part of the leak already announced as ``announced``."""
    if s.kind in ("memory", "gc", "site"):
        return True  # process memory follows whatever leaks; sites explain memory growth
    if announced.kind not in COUNTED_KINDS or s.kind not in COUNTED_KINDS:
        return False
    if _in_step(slopes.get(s.key, 0.0), slopes.get(announced.key, 0.0)):
        return True
    return announced.kind in OBJECT_KINDS and _held_through(s.path, announced)


def _covers(mine: float, theirs: float) -> bool:
    """Whether a growth rate is one to ``MAX_MULTIPLE`` times another's, within ``LOCKSTEP``."""
    if mine <= 0 or theirs <= 0:
        return False
    return (1 - LOCKSTEP) * theirs <= mine <= (MAX_MULTIPLE + LOCKSTEP) * theirs


def _in_step(mine: float, theirs: float) -> bool:
    """Whether two growth rates move together: equal, or one a small whole multiple of the other.

    Each leaked thread brings three locks and two bound methods, each leaked
    task a coroutine and a Context: parts of one leak grow in fixed ratios.
    """
    if mine <= 0 or theirs <= 0:
        return False
    ratio = max(mine, theirs) / min(mine, theirs)
    whole = round(ratio)
    return 1 <= whole <= MAX_MULTIPLE and abs(ratio - whole) <= LOCKSTEP


def _held_through(path: tuple[str, ...], announced: Suspect) -> bool:
    """Whether a retention path passes through the announced suspect (its type or container)."""
    if announced.kind == "type":
        if is_stdlib_type(announced.name):
            return False  # "(list)" in a path is a container's kind, not a list suspect
        via = announced.name.rsplit(".", 1)[-1]
    elif announced.path:
        via = announced.path[-1]  # a container's own place, e.g. "_recent (list)"
    else:
        return False
    return any(step == via or step.endswith(f"({via})") for step in path[:-1])


def _holders_first(suspects: dict[Key, Suspect]) -> dict[Key, tuple[float, ...]]:
    """Sort keys by rank, with a type held through another suspect type right after it.

    ``OrderLine`` objects held by ``OrderDTO.lines`` are a consequence of the
    ``OrderDTO`` leak, whichever of them is bigger. Allocation sites sort
    right before the memory growth they explain.
    """
    order = {k: _key(s) for k, s in suspects.items()}
    memory = [order[k] for k in suspects if k[0] == "memory"]
    if memory:
        first = min(memory)
        for k in suspects:
            if k[0] == "site":
                order[k] = (*first[:-1], first[-1] - 0.5)
    for s in suspects.values():
        if s.kind != "type" or not s.path:
            continue
        for holder in suspects.values():
            if holder.kind == "type" and holder is not s and _held_through(s.path, holder):
                order[s.key] = max(order[s.key], (*order[holder.key], 1.0))
    return order


def _key(s: Suspect) -> tuple[float, ...]:
    tier, spec, size = rank_key(s)
    return (float(tier), float(spec), size)

"""The suspect book: confirmed climbs, which of them are one leak, and their order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from leakguard._detect.assemble import suspect_from
from leakguard._detect.history import History
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

    def __contains__(self, key: Key) -> bool:
        return key in self.suspects

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
                self.suspects[key] = replace(s, count=series.values[-1])
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


def _one_leak(s: Suspect, announced: Suspect, slopes: dict[Key, float]) -> bool:
    """Whether ``s`` is part of the leak already announced as ``announced``."""
    if s.kind in ("memory", "gc", "site"):
        return True  # process memory follows whatever leaks; sites explain memory growth
    if announced.kind not in COUNTED_KINDS or s.kind not in COUNTED_KINDS:
        return False
    if _in_step(slopes.get(s.key, 0.0), slopes.get(announced.key, 0.0)):
        return True
    return announced.kind in OBJECT_KINDS and _held_through(s.path, announced)


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

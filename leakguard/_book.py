"""The suspect book: confirmed climbs, which of them are one leak, and their order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from leakguard._detect import Trend
from leakguard._history import History
from leakguard._reporting import suspect_from
from leakguard._suspect import Suspect

Key = tuple[str, str]

OBJECT_KINDS = ("type", "container")
LOCKSTEP = 0.15
"""Two object climbs whose slopes differ by at most this share are one leak."""


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
        """Record new suspects, fold lockstep ones, refresh levels and re-rank."""
        quiet = self._same_leak(fresh, trends)
        for s in fresh:
            self.suspects[s.key] = s
        self.quiet.update(quiet)
        climbing = {t.key for t in trends}
        for key, s in list(self.suspects.items()):
            series = history.get(*key)
            if key not in climbing and series is not None and series.values:
                # A suspect that did not climb this sample still shows its level now.
                self.suspects[key] = replace(s, count=series.values[-1])
        self.suspects = dict(sorted(self.suspects.items(), key=rank_key(trends)))

    def forget_objects(self) -> None:
        """Drop object suspects (their baseline is gone after ``gc.freeze()``)."""
        self.suspects = {k: s for k, s in self.suspects.items() if k[0] not in OBJECT_KINDS}

    def _same_leak(self, fresh: list[Suspect], trends: list[Trend]) -> set[Key]:
        """Keys of fresh suspects that grow in lockstep with an announced one.

        A leak of objects also grows the list holding them, their dicts and
        the RSS: those are the same leak, reported but not announced again.
        """
        slopes = {t.key: t.slope for t in trends}
        announced = [k for k in self.suspects if k not in self.quiet]
        quiet = set()
        for s in fresh:
            if s.kind in ("memory", "gc") and announced:
                quiet.add(s.key)
                continue
            mine = slopes.get(s.key, 0.0)
            for other in announced:
                theirs = slopes.get(other, 0.0)
                lockstep = abs(mine - theirs) <= LOCKSTEP * max(mine, theirs)
                if other[0] in OBJECT_KINDS and mine > 0 and theirs > 0 and lockstep:
                    quiet.add(s.key)
                    break
        return quiet


def rank_key(trends: list[Trend]) -> Callable[[tuple[Key, Suspect]], float]:
    """Sort key: the detector's order; allocation sites just before the memory they explain."""
    order = {t.key: float(i) for i, t in enumerate(trends)}
    memory = [i for k, i in order.items() if k[0] == "memory"]
    site_rank = (min(memory) if memory else float(len(order))) - 0.5

    def key(item: tuple[Key, Suspect]) -> float:
        if item[0][0] == "site":
            return site_rank
        return order.get(item[0], float(len(order)))

    return key

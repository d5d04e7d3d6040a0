"""The one confirmation pipeline behind every door.

A snapshot goes into the history; the detector's climbs lose the known noise and
what the user's rules silence; a climb held ``confirm`` samples becomes a suspect,
gets its evidence, and the book ranks the suspects and folds the faces of one
leak. The live :class:`~leakguard.Guard` (and through it ``leakguard run``'s
report and the metrics) and ``leakguard report``'s replay of saved snapshots both
run this :class:`Pipeline`; they differ only in their :class:`EvidenceSource`:
the heap itself, or the report files the guard saved (:mod:`._evidence.saved`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import ParamSpec, Protocol, TypeVar

from leakguard._detect.assemble import build_report, suspect_from
from leakguard._detect.book import Key, SuspectBook
from leakguard._detect.history import History
from leakguard._detect.trend import Trend, detect, min_growth
from leakguard._evidence.rules import ignored
from leakguard._model.options import Options
from leakguard._model.report import Report
from leakguard._model.snapshot import Snapshot
from leakguard._model.suspect import Suspect

log = logging.getLogger("leakguard")
P = ParamSpec("P")
R = TypeVar("R")


class EvidenceSource(Protocol):
    """Where the evidence for suspects comes from (see ``Evidence`` in ``gather``)."""

    def watch(self, candidates: Sequence[Suspect]) -> None:
        """Suspicion has begun for these climbs (not yet confirmed)."""

    def enrich(self, suspects: Sequence[Suspect]) -> list[Suspect]:
        """Newly confirmed suspects with their evidence; the ones found to be noise dropped."""
        ...

    def step(self, index: int | None = None) -> list[Suspect]:
        """After sample ``index``: evidence that arrived late (updates and new suspects)."""
        ...

    def close(self) -> None:
        """Release what gathering holds (the trace window)."""


class Pipeline:
    """History, detector, noise filter, confirmation, evidence, rank and fold, in one place.

    Args:
        options: the guard's options (``history``, ``max_series``, ``confirm``,
            ``verify_gc``, ``ignore`` and the detector's).
        evidence: makes the evidence source on first need; None gathers none.
        frozen: ``gc.get_freeze_count()`` at the baseline; None takes the first census's.
    """

    def __init__(
        self,
        options: Options,
        evidence: Callable[[], EvidenceSource] | None = None,
        frozen: int | None = None,
    ) -> None:
        self.options = options
        self._make_evidence = evidence
        self.evidence: EvidenceSource | None = None
        self.reset(frozen)

    def reset(self, frozen: int | None = None) -> None:
        """A fresh baseline (a forked child); the evidence source is kept."""
        self.history = History(self.options.history, self.options.max_series)
        self.book = SuspectBook(self.options.confirm, self.options.verify_gc)
        self.resolved: list[Suspect] = []  # withdrawn at the latest sample
        self._frozen = frozen

    def observe(self, snap: Snapshot, verified: bool = False) -> list[Trend]:
        """Add ``snap`` to the history; the climbs that are neither noise nor silenced.

        Args:
            snap: the sample (a second one of the same index replaces the first).
            verified: ``snap`` was read right after a full collection.
        """
        census = snap.census
        if census is not None and census.frozen != self._frozen:
            if self._frozen is not None:
                # gc.freeze() hid objects from the census: a new baseline, not a leak.
                self.history.reset_objects(snap.index)
                self.book.forget_objects()
            self._frozen = census.frozen
        self.history.add(snap, verified=verified)
        rules = self.options.ignore
        return [
            t
            for t in detect(self.history, self.options)
            if not ignored(t.kind, t.name, None, rules)
        ]

    def needs_verification(self, trends: Sequence[Trend]) -> bool:
        """Whether a climb is about to be confirmed that a full collection could refute."""
        book = self.book
        return any(
            t.streak >= self.options.confirm
            and not t.verified
            and not book.settled(t)
            and book.needs_verification(t)
            for t in trends
        )

    def confirm(self, trends: list[Trend], index: int) -> None:
        """Confirm climbs that held long enough, with evidence; refresh known suspects."""
        fresh, candidates = self.book.classify(trends, index)
        source = self._source()
        if source is not None and candidates:
            _guarded(source.watch, "opening an evidence window", None)(
                [suspect_from(t, index, None) for t in candidates]
            )
        if source is not None and fresh:
            fresh = _guarded(source.enrich, "gathering evidence", fresh)(fresh)
            # Climbs that capped holders with room left explain are held back, not reported.
            fresh = self.book.hold(fresh, trends)
            self.book.mark_measured(fresh)
        self.book.add(fresh, trends, self.history)
        if self.evidence is not None:
            late = _guarded(self.evidence.step, "closing an evidence window", [])(index)
            if late:
                self.book.add(self.book.merge(late), trends, self.history)
        stale = self.book.stale() if source is not None else []
        if source is not None and stale:
            # Evidence stays current: paths and deep sizes measured again as the leak grows.
            self.book.refresh(_guarded(source.enrich, "gathering evidence again", [])(stale))
        opts = self.options
        self.resolved = self.book.withdraw(
            self.history, opts.window, lambda series: min_growth(series, opts)
        )

    def step(self, snap: Snapshot) -> None:
        """Observe and confirm one saved snapshot, as the guard did when it took it."""
        self.confirm(self.observe(snap), snap.index)

    def suspects(self) -> list[Suspect]:
        """Confirmed suspects, most certain first."""
        return self.book.values()

    def report(
        self,
        new: tuple[Key, ...],
        last: Snapshot | None,
        samples: int,
        overhead: Mapping[str, float],
        resolved: tuple[Suspect, ...] = (),
    ) -> Report:
        """The report of what the pipeline knows now (``resolved``: suspects just withdrawn)."""
        return build_report(
            self.history,
            tuple(self.book.values()),
            new,
            last,
            samples,
            overhead,
            resolved,
            tuple(self.book.held_values(self.history)),
        )

    def close(self) -> None:
        """Close the evidence source, if one was made."""
        if self.evidence is not None:
            self.evidence.close()

    def _source(self) -> EvidenceSource | None:
        if self.evidence is None and self._make_evidence is not None:
            self.evidence = self._make_evidence()
        return self.evidence


def _guarded(call: Callable[P, R], doing: str, fallback: R) -> Callable[P, R]:
    """``call``, logging instead of raising: evidence is a bonus, never a break of the guard."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except Exception:
            log.exception("leakguard: %s failed", doing)
            return fallback

    return run


def replay(
    snaps: Sequence[Snapshot], options: Options, evidence: EvidenceSource | None, pid: int = 0
) -> Report:
    """The report a guard made after taking ``snaps``, from the saved files alone.

    The snapshots go through the guard's own pipeline. They were written after the
    guard's verifying collections, so none is verified again.
    """
    pipe = Pipeline(replace(options, verify_gc=False), (lambda: evidence) if evidence else None)
    for snap in snaps:
        pipe.step(snap)
    last = snaps[-1]
    report = pipe.report((), last, last.index + 1, {})
    return replace(report, pid=pid, created=last.time)

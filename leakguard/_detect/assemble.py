"""From detector trends and history to the user-facing Suspect and Report."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import cast

from leakguard._detect.history import History
from leakguard._detect.trend import Trend
from leakguard._model.report import Point, Report
from leakguard._model.snapshot import Snapshot
from leakguard._model.suspect import Kind, Suspect

_SERIES_KEPT = 60
_TOP_SERIES = 8


def suspect_from(t: Trend, first_seen: int, known: Suspect | None) -> Suspect:
    """A Suspect for trend ``t``; evidence already gathered for ``known`` is kept."""
    fresh = Suspect(
        kind=cast(Kind, t.kind),
        name=t.name,
        count=t.count,
        growth=t.growth,
        rate_per_work=t.rate_per_work,
        rate_per_minute=t.rate_per_minute,
        confidence=round(t.confidence, 4),
        first_seen=first_seen,
        unit=t.unit,
        series=t.series[-_SERIES_KEPT:],
        nbytes=t.nbytes,
        attributed_to=t.attributed_to,
    )
    if known is None:
        return fresh
    return replace(
        at_level(known, fresh.count),
        growth=fresh.growth,
        rate_per_work=fresh.rate_per_work,
        rate_per_minute=fresh.rate_per_minute,
        confidence=max(fresh.confidence, known.confidence),
        series=fresh.series,
        nbytes=fresh.nbytes,
        attributed_to=fresh.attributed_to or known.attributed_to,
    )


def at_level(s: Suspect, count: float) -> Suspect:
    """The suspect at a new level, its deep size scaled with it (same bytes per object)."""
    deep = s.deep_size
    if deep is not None:
        deep = deep * count / s.count if s.count > 0 else None
    return replace(s, count=count, deep_size=deep)


def build_report(
    history: History,
    suspects: tuple[Suspect, ...],
    new: tuple[tuple[str, str], ...],
    last: Snapshot | None,
    samples: int,
    overhead: Mapping[str, float],
    resolved: tuple[Suspect, ...] = (),
    bounded: tuple[Suspect, ...] = (),
) -> Report:
    """Assemble a report from the history and the current suspects.

    Args:
        history: the levels.
        suspects: the confirmed suspects, in rank order.
        new: keys of the suspects new in this report.
        last: the latest snapshot, for process memory, gc and resources.
        samples: samples taken.
        overhead: the guard's own cost.
        resolved: suspects withdrawn at this sample.
        bounded: climbs held back by capped holders.
    """
    rss = _levels(history, "memory", "rss")
    blocks = _levels(history, "memory", "blocks")
    timeline = tuple(
        Point(
            m.index,
            m.time,
            m.work,
            int(rss.get(m.index, 0)),
            int(blocks.get(m.index, 0)),
            m.objects,
        )
        for m in history.marks
    )
    report = Report(
        suspects=suspects,
        new=new,
        pid=os.getpid(),
        created=time.time(),
        samples=samples,
        timeline=timeline,
        top_series=_top_series(history, suspects),
        resolved=resolved,
        bounded=bounded,
    )
    if last is not None:
        report = replace(report, process=last.process, gc=last.gc, resources=last.resources)
    return replace(report, overhead=dict(overhead))


def _levels(history: History, kind: str, name: str) -> dict[int, float]:
    series = history.get(kind, name)
    if series is None:
        return {}
    return dict(zip(series.indexes, series.values))


def _top_series(history: History, suspects: tuple[Suspect, ...]) -> dict[str, tuple[float, ...]]:
    """Suspects first, then the object series that grew most."""
    chosen: dict[str, tuple[float, ...]] = {}
    for s in suspects:
        series = history.get(s.kind, s.name)
        if series is not None and len(chosen) < _TOP_SERIES:
            chosen[s.name] = tuple(series.values[-_SERIES_KEPT:])
    objs = [s for s in history if s.kind in ("type", "container") and len(s.values) > 1]
    objs.sort(key=lambda o: o.values[-1] - min(o.values), reverse=True)
    for o in objs[:_TOP_SERIES]:
        if len(chosen) >= _TOP_SERIES:
            break
        chosen.setdefault(o.name, tuple(o.values[-_SERIES_KEPT:]))
    return chosen

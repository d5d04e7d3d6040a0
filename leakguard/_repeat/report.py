"""Turn a repeated check's verdict into words and into a :class:`Report`."""

from __future__ import annotations

import os
import statistics
import time

from leakguard._evidence.signature import signature
from leakguard._model.report import Report
from leakguard._model.suspect import Suspect
from leakguard._render.text import human
from leakguard._repeat.engine import Growth, RepeatOptions, Verdict


def per_run(g: Growth) -> str:
    """The typical growth of one run: exact when every run agrees, else ``~median``."""
    if len(set(g.per_run)) == 1:
        return human(g.per_run[0])
    return "~" + human(statistics.median(g.per_run))


def _short(g: Growth) -> str:
    return g.name.rsplit(".", 1)[-1] if g.kind == "type" else g.unit


def headline(subject: str, verdict: Verdict) -> str:
    """One line: ``tests/t.py::test_x leaked 1 OrderDTO per run [1, 1, 1]``."""
    if not verdict.growths:
        return f"{subject}: no leak"
    if verdict.mode == "once":
        parts = [f"{g.per_run[0]} {_short(g)}" for g in verdict.growths[:3]]
        return f"{subject} left {', '.join(parts)} alive after a single run"
    parts = [f"{per_run(g)} {_short(g)} per run {list(g.per_run)}" for g in verdict.growths[:3]]
    return f"{subject} leaked " + ", ".join(parts)


def render(subject: str, verdict: Verdict, options: RepeatOptions, hint: str = "") -> str:
    """The whole failure text: what grew, where it was born, who holds it, how it was measured."""
    lines = [headline(subject, verdict)]
    for g in verdict.growths[:5]:
        lines.extend(_details(g, verdict.mode))
    if verdict.changed:
        lines.append(f"  repetition stopped: {verdict.changed}; judged as a single run instead")
    lines.append("  " + method(options, verdict))
    if hint:
        lines.append("  " + hint)
    return "\n".join(lines)


def _details(g: Growth, mode: str) -> list[str]:
    what = g.name if g.kind == "type" else f"{g.kind} ({g.unit})"
    if mode == "once":
        line = f"  {what}: {g.per_run[0]} alive after the run"
    else:
        line = f"  {what}: +{per_run(g)} per run {list(g.per_run)}"
        if g.survived is not None:
            line += f"; {g.survived} made by the last runs still alive after cleanup"
    out = [line]
    for site in g.sites[:3]:
        seen = f" ({site.count} seen)" if site.count else ""
        out.append(f"    allocated at {_relative(str(site))}{seen}")
    if g.path:
        out.append("    held by " + " → ".join(g.path))
    if g.kind == "type" and g.path:
        out.append(f"    signature {signature(g.path, g.name)}")
    return out


def _relative(where: str) -> str:
    try:
        rel = os.path.relpath(where)
    except ValueError:
        return where
    return where if rel.startswith("..") else rel


def method(options: RepeatOptions, verdict: Verdict) -> str:
    """Say how the verdict was reached, so a reader can trust (or tune) it."""
    if verdict.mode == "once":
        return (
            f"leakguard: single run; fails when >= {options.survivors} objects of one of "
            "your own types, or a thread or fd, outlive it"
        )
    return (
        f"leakguard: {verdict.runs} runs ({options.warmup} warm-up, then measured), "
        "gc.collect() between runs; a leak grows on every measured run and outlives cleanup"
    )


def to_report(verdict: Verdict) -> Report:
    """The verdict as a :class:`Report` (one suspect per growth)."""
    suspects = tuple(_suspect(g, verdict.mode) for g in verdict.growths if verdict.leaked)
    return Report(
        suspects=suspects,
        new=tuple(s.key for s in suspects),
        pid=os.getpid(),
        created=time.time(),
        samples=verdict.runs,
    )


def _suspect(g: Growth, mode: str) -> Suspect:
    total = sum(g.per_run)
    cumulative: list[float] = []
    for n in g.per_run:
        cumulative.append((cumulative[-1] if cumulative else 0) + n)
    return Suspect(
        kind="memory" if g.kind == "memory" else g.kind,  # type: ignore[arg-type]
        name=g.name,
        count=float(g.survived if g.survived is not None else total),
        growth=float(total),
        rate_per_work=float(statistics.median(g.per_run)) if mode == "repeat" else None,
        rate_per_minute=None,
        confidence=1.0 if mode == "repeat" else 0.5,
        first_seen=0,
        unit=g.unit,
        series=tuple(cumulative),
        sites=g.sites,
        path=g.path,
        signature=signature(g.path, g.name) if g.kind == "type" else None,
        notes=() if mode == "repeat" else ("single run: survivors, judged conservatively",),
    )

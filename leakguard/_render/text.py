"""Plain-text rendering of a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leakguard._model.report import Report
    from leakguard._model.suspect import Suspect


def human(n: float, unit: str = "") -> str:
    """Format a number compactly: ``1.2M``, ``12.3k``, ``512 B``."""
    if unit == "bytes":
        for suffix in ("B", "KiB", "MiB", "GiB"):
            if abs(n) < 1024 or suffix == "GiB":
                return f"{n:.0f} {suffix}" if suffix == "B" else f"{n:.1f} {suffix}"
            n /= 1024
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.1f}{suffix}"
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.2f}"


def describe(s: Suspect) -> str:
    """One line saying what climbs, by how much and how fast."""
    unit = s.unit if s.unit != "bytes" else ""
    head = f"{s.kind} {s.name}: {human(s.count, s.unit)} {unit}".rstrip()
    head += f" (+{human(s.growth, s.unit)} since baseline"
    if s.rate_per_work is not None:
        head += f", {human(s.rate_per_work, s.unit)} per unit of work"
    if s.rate_per_minute is not None:
        head += f", {human(s.rate_per_minute, s.unit)}/min"
    return head + f"), confidence {s.confidence:.2f}"


def render_suspect(s: Suspect) -> list[str]:
    lines = [describe(s)]
    for fn, per_call in s.attributed_to:
        lines.append(f"    grows by ~{human(per_call)} {s.unit} per call of {fn}")
    for site in s.sites[:5]:
        lines.append(f"    allocated at {site}" + (f" ({site.count} seen)" if site.count else ""))
    if s.path:
        lines.append("    held by " + " → ".join(s.path))
    if s.deep_size is not None:
        lines.append(f"    deep size ~{human(s.deep_size, 'bytes')}")
    if s.signature:
        lines.append(f"    signature {s.signature}")
    for bound in s.bounds:
        lines.append(f"    capped holder {bound}" + (" (full)" if bound.full else ""))
    lines.extend(f"    note: {note}" for note in s.notes)
    return lines


def render_text(report: Report) -> str:
    """Render the whole report as text."""
    p = report.process
    lines = [
        f"leakguard report for pid {report.pid}: {len(report.suspects)} suspect(s) "
        f"after {report.samples} samples; rss {human(p.rss, 'bytes')}",
    ]
    if report.engine.census:
        lines.append(f"engines: {report.engine.describe()}")
    for i, s in enumerate(report.suspects, 1):
        mark = " [new]" if s.key in report.new else ""
        first, *rest = render_suspect(s)
        lines.append(f"{i}. {first}{mark}")
        lines.extend(rest)
    if not report.suspects:
        lines.append("no leak suspected")
    for s in report.resolved:
        lines.append(f"withdrawn (stopped growing): {s.kind} {s.name} at {human(s.count, s.unit)}")
    for s in report.bounded:
        held = "; ".join(str(b) for b in s.bounds)
        lines.append(f"not a leak while below its cap: {s.kind} {s.name}, held by {held}")
    return "\n".join(lines)

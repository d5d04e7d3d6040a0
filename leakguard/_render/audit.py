"""The audit as text: the heap's biggest parts, and the containers that can only grow."""

from __future__ import annotations

from leakguard._model.audit import Audit, Holding, TypeRow
from leakguard._render.svg import esc
from leakguard._render.text import human


def render_audit(audit: Audit) -> str:
    """Render for logs and terminals: types, containers, flags, each a short table."""
    lines = [_headline(audit)]
    if audit.flagged:
        lines.append("can only grow:")
        lines += [_holding(h) for h in audit.flagged]
    lines.append("most objects:")
    lines += [_type_row(r) for r in audit.by_count]
    lines.append("most bytes (shallow):")
    lines += [_type_row(r) for r in audit.by_bytes]
    if audit.containers:
        lines.append("biggest containers:")
        lines += [_holding(h) for h in audit.containers]
    lines += [f"note: {n}" for n in audit.notes]
    return "\n".join(lines) + "\n"


def _headline(audit: Audit) -> str:
    return (
        f"leakguard audit for pid {audit.pid}: {human(audit.objects)} objects "
        f"(looked in {audit.seconds * 1000:.0f} ms)"
    )


def _type_row(row: TypeRow) -> str:
    return f"  {human(row.count):>7}  {human(row.bytes, 'bytes'):>10}  {row.name}"


def _holding(h: Holding) -> str:
    size = f"{human(h.length)} items" + (f" of at most {human(h.bound)}" if h.bound else "")
    head = f"  {h.flag}: " if h.flag else "  "
    held = f"held by {' → '.join(h.path)}" if h.path else "holder not found"
    return f"{head}{h.type} ({size}) {held}"


def audit_html(audit: Audit) -> str:
    """The audit as a section of the HTML report: the same tables, escaped."""
    parts = [f"<h2>Audit</h2><p>{esc(_headline(audit))}</p>"]
    if audit.flagged:
        parts.append(_holdings_table("Can only grow", audit.flagged))
    parts.append(_types_table("Most objects", audit.by_count))
    parts.append(_types_table("Most bytes (shallow)", audit.by_bytes))
    if audit.containers:
        parts.append(_holdings_table("Biggest containers", audit.containers))
    return "".join(parts)


def _types_table(title: str, rows: tuple[TypeRow, ...]) -> str:
    body = "".join(
        f"<tr><td>{esc(human(r.count))}</td><td>{esc(human(r.bytes, 'bytes'))}</td>"
        f"<td><code>{esc(r.name)}</code></td></tr>"
        for r in rows
    )
    head = "<tr><th>objects</th><th>bytes</th><th>type</th></tr>"
    return f'<div class="card"><h3>{esc(title)}</h3><table>{head}{body}</table></div>'


def _holdings_table(title: str, rows: tuple[Holding, ...]) -> str:
    body = "".join(
        f"<tr><td>{esc(h.flag)}</td><td><code>{esc(h.type)}</code></td>"
        f"<td>{esc(human(h.length))}</td><td>{esc(human(h.bound) if h.bound else '')}</td>"
        f"<td>{esc(' → '.join(h.path) or 'holder not found')}</td></tr>"
        for h in rows
    )
    head = "<tr><th>why</th><th>type</th><th>items</th><th>bound</th><th>held by</th></tr>"
    return f'<div class="card"><h3>{esc(title)}</h3><table>{head}{body}</table></div>'

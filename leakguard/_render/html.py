"""The report as one self-contained HTML page: inline CSS, SVG and script, nothing fetched.

Charts show the climb (process memory, the top growing types); the table
lists the suspects with their evidence; the last section shows the gc and
resource signals. Every string from the program (type names, paths, notes)
is escaped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from leakguard._render.audit import audit_html
from leakguard._render.svg import PALETTE, Line, esc, line_chart, sparkline
from leakguard._render.text import human

if TYPE_CHECKING:
    from leakguard._model.audit import Audit
    from leakguard._model.report import Point, Report
    from leakguard._model.suspect import Suspect

TOP_TYPES = 8
"""How many of the top growing types the chart draws."""

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
  color:#1d2330;background:#f4f5f7}
main{max-width:1180px;margin:0 auto;padding:18px 22px 40px}
h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 10px}
.meta{color:#5b6475}.verdict{padding:10px 14px;border-radius:6px;margin:14px 0;font-weight:600}
.verdict.bad{background:#fde8e8;color:#8a1c1c}.verdict.ok{background:#e6f4ea;color:#1e5c2f}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:14px}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
svg.chart{width:100%;height:auto;display:block}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 14px;
  position:relative;overflow-x:auto}
.card h3{font-size:14px;margin:0 0 6px}
svg.chart .grid{stroke:#e6e8ec}svg.chart .tick{font-size:11px;fill:#6b7385;text-anchor:end}
svg.chart .xlabel{font-size:11px;fill:#6b7385}svg.chart .xlabel.end{text-anchor:end}
svg .series{fill:none;stroke-width:2;stroke-linejoin:round}
svg.chart .cursor{stroke:#9aa3b5;stroke-dasharray:3 3;visibility:hidden}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;
  font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6e8ec;vertical-align:top}
th{font-size:12px;color:#5b6475;font-weight:600}td.num{text-align:right;white-space:nowrap}
tr.evidence td{background:#fafbfc;font-size:13px;padding:4px 8px 10px 32px}
.kind{font-size:11px;border-radius:4px;padding:1px 6px;background:#e8ecf3;color:#334}
.new{font-size:11px;border-radius:4px;padding:1px 6px;background:#d62728;color:#fff}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.path code{background:#eef1f6;border-radius:3px;padding:1px 4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dt{color:#5b6475}
dd{margin:0}.empty{color:#6b7385;font-style:italic}
#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;font-size:12px;
  padding:6px 8px;border-radius:5px;display:none;white-space:pre;z-index:9}
footer{margin-top:28px;color:#8a92a3;font-size:12px}
"""

# Hover read-out. It reads the escaped JSON from data-points and writes with
# textContent only, so no program-derived string is ever parsed as markup.
_JS = """
(function(){
  var tip=document.getElementById('tip'),charts=document.querySelectorAll('svg.chart'),drawn=0;
  charts.forEach(function(svg){
    var data=JSON.parse(svg.getAttribute('data-points')),cursor=svg.querySelector('.cursor');
    var left=+svg.getAttribute('data-left'),right=+svg.getAttribute('data-right');
    if(svg.querySelector('path.series[d^="M"]'))drawn++;
    svg.addEventListener('mousemove',function(e){
      var box=svg.getBoundingClientRect(),scale=box.width/svg.viewBox.baseVal.width;
      var x=(e.clientX-box.left)/scale,n=data.x.length;
      var i=Math.max(0,Math.min(n-1,Math.round((x-left)/(right-left)*(n-1))));
      var px=left+(n>1?i/(n-1):0)*(right-left);
      cursor.setAttribute('x1',px);cursor.setAttribute('x2',px);
      cursor.style.visibility='visible';
      var lines=[data.x[i]];
      data.series.forEach(function(s){if(s.values[i]!==null)lines.push(s.label+': '+s.values[i]);});
      tip.textContent=lines.join('\\n');tip.style.display='block';
      tip.style.left=(e.clientX+14)+'px';tip.style.top=(e.clientY+10)+'px';
    });
    svg.addEventListener('mouseleave',function(){
      tip.style.display='none';cursor.style.visibility='hidden';
    });
  });
  document.body.setAttribute('data-charts-drawn',drawn);
})();
"""


def render_html(report: Report, audit: Audit | None = None) -> str:
    """Render the report as one self-contained HTML page.

    Args:
        report: the report.
        audit: a look at the heap to show after the signals (``leakguard.audit()``).

    Returns:
        The page: no external resource, every program-derived string escaped.
    """
    title = f"leakguard report, pid {report.pid}"
    sections = [
        _header(report),
        _memory_charts(report.timeline),
        _types_chart(report),
        _suspects(report),
        _signals(report),
        audit_html(audit) if audit is not None else "",
        "<footer>Made by leakguard. The same report as JSON: <code>schema 1</code>, "
        "see docs/reports.md.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>"
        f'<body><main>{"".join(sections)}</main><div id="tip"></div>'
        f"<script>{_JS}</script></body></html>\n"
    )


def _header(report: Report) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report.created or 0))
    n = len(report.suspects)
    verdict = (
        f'<div class="verdict bad">{n} leak suspect{"s" if n != 1 else ""}: '
        f"{esc(report.suspects[0].name)} grows the most surely</div>"
        if n
        else '<div class="verdict ok">No leak suspected</div>'
    )
    return (
        f"<h1>leakguard report, pid {report.pid}</h1>"
        f'<div class="meta">{esc(when)} · {report.samples} samples · '
        f"rss {esc(human(report.process.rss, 'bytes'))}</div>{verdict}"
    )


def elapsed(seconds: float) -> str:
    """A duration as ``45s``, ``3m20s`` or ``2h05m``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _axis(points: Sequence[Point]) -> tuple[list[float], list[str]]:
    """x positions and labels: seconds since the first sample, or sample numbers."""
    t0 = points[0].time if points else 0.0
    if points and points[-1].time > t0:
        return [p.time - t0 for p in points], [
            f"#{p.index} +{elapsed(p.time - t0)}" for p in points
        ]
    return [float(p.index) for p in points], [f"sample #{p.index}" for p in points]


def _chart_card(points: Sequence[Point], field: str, title: str, unit: str, color: str) -> str:
    kept = [p for p in points if getattr(p, field) > 0]  # 0 means "not measured"
    xs, labels = _axis(kept)
    values = [float(getattr(p, field)) for p in kept]
    line = Line(title, values, color)
    chart = line_chart([line], xs, labels, title=title, unit=unit, width=400, height=210)
    return f'<div class="card"><h3>{esc(title)}</h3>{chart}</div>'


def _memory_charts(points: Sequence[Point]) -> str:
    cards = [
        _chart_card(points, "rss", "Resident memory (RSS)", "bytes", PALETTE[1]),
        _chart_card(points, "blocks", "Allocated blocks", "", PALETTE[4]),
        _chart_card(points, "objects", "gc-tracked objects", "", PALETTE[2]),
    ]
    return f'<h2>Process memory</h2><div class="grid3">{"".join(cards)}</div>'


def _types_chart(report: Report) -> str:
    # The report orders them already: suspects first, then the biggest climbs.
    # top_series also holds suspects' process series (rss in bytes): not for this chart.
    others = {s.name for s in report.suspects if s.kind not in ("type", "container")}
    suspects = [s.name for s in report.suspects]

    def order(item: tuple[str, Sequence[float]]) -> tuple[int, float]:
        # Suspects first, then the biggest rise: JSON files keep mappings sorted by name.
        name, values = item
        rank = suspects.index(name) if name in suspects else len(suspects)
        return rank, -(values[-1] - min(values)) if values else 0.0

    kept = [(n, v) for n, v in report.top_series.items() if n not in others]
    top = sorted(kept, key=order)[:TOP_TYPES]
    lines = [Line(name, vals, PALETTE[i % len(PALETTE)]) for i, (name, vals) in enumerate(top)]
    longest = max((len(ln.values) for ln in lines), default=0)
    points = report.timeline[-longest:] if longest else ()
    if len(points) == longest:
        xs, labels = _axis(points)
    else:
        xs, labels = [float(i) for i in range(longest)], [f"level {i + 1}" for i in range(longest)]
    title = "Top growing types and containers (objects or items)"
    chart = line_chart(lines, xs, labels, title=title, unit="", width=1100, height=260)
    return f'<h2>What grows</h2><div class="card"><h3>{esc(title)}</h3>{chart}</div>'


def _rate(value: float | None, unit: str) -> str:
    return "-" if value is None else esc(human(value, unit))


def _suspect_rows(i: int, s: Suspect, new: bool) -> str:
    badge = ' <span class="new">new</span>' if new else ""
    unit = s.unit if s.unit != "bytes" else ""
    row = (
        f'<tr><td class="num">{i}</td><td><span class="kind">{esc(s.kind)}</span> '
        f"<code>{esc(s.name)}</code>{badge}</td>"
        f'<td class="num">{esc(human(s.count, s.unit))} {esc(unit)}</td>'
        f'<td class="num">+{esc(human(s.growth, s.unit))}</td>'
        f'<td class="num">{_rate(s.rate_per_work, s.unit)}</td>'
        f'<td class="num">{_rate(s.rate_per_minute, s.unit)}</td>'
        f'<td class="num">{s.confidence:.3f}</td>'
        f"<td>{sparkline(s.series, PALETTE[(i - 1) % len(PALETTE)])}</td></tr>"
    )
    return row + f'<tr class="evidence"><td colspan="8">{_evidence(s)}</td></tr>'


def _evidence(s: Suspect) -> str:
    items: list[tuple[str, str]] = []
    for site in s.sites[:5]:
        size = f", {human(site.size, 'bytes')}" if site.size else ""
        seen = f" ({site.count} seen{size})" if site.count else ""
        where = f"{site.filename}:{site.lineno}"
        pkg = f"<b>{esc(site.package)}</b>, " if site.package else ""
        items.append(("allocated at", f"{pkg}<code>{esc(where)}</code>{esc(seen)}"))
    if s.path:
        chain = " → ".join(f"<code>{esc(step)}</code>" for step in s.path)
        items.append(("held by", f'<span class="path">{chain}</span>'))
    for fn, per_call in s.attributed_to:
        items.append(("grows per call of", f"<code>{esc(fn)}</code>: ~{esc(human(per_call))}"))
    if s.nbytes is not None:
        items.append(("shallow size of growth", esc(human(s.nbytes, "bytes"))))
    if s.deep_size is not None:
        items.append(("deep size", "~" + esc(human(s.deep_size, "bytes"))))
    if s.signature:
        items.append(("signature", f"<code>{esc(s.signature)}</code>"))
    items.extend(("note", esc(note)) for note in s.notes)
    if not items:
        return '<span class="empty">no evidence gathered for this suspect</span>'
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _suspects(report: Report) -> str:
    if not report.suspects:
        return '<h2>Suspects</h2><p class="empty">Nothing climbs.</p>'
    head = (
        "<tr><th>#</th><th>what climbs</th><th>now</th><th>growth</th><th>per unit of work</th>"
        "<th>per minute</th><th>confidence</th><th>trend</th></tr>"
    )
    rows = "".join(
        _suspect_rows(i, s, s.key in report.new) for i, s in enumerate(report.suspects, 1)
    )
    return f'<h2>Suspects</h2><div class="card"><table>{head}{rows}</table></div>'


def _facts(title: str, facts: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
    return f'<div class="card"><h3>{esc(title)}</h3><dl>{body}</dl></div>'


_OVERHEAD = {
    "pause_total": ("time paused, in total", "{:.3f} s"),
    "pause_max": ("longest pause", "{:.3f} s"),
    "share": ("share of wall time", "{:.2%}"),
    "samples": ("samples taken", "{:.0f}"),
    "native_census": ("C census (1) or pure-Python (0)", "{:.0f}"),
}


def _overhead(key: str, value: float) -> tuple[str, str]:
    label, fmt = _OVERHEAD.get(key, (key, "{:.4g}"))
    return label, fmt.format(value)


def _signals(report: Report) -> str:
    g, r, p = report.gc, report.resources, report.process
    gc_facts = [
        ("collections (gen 0/1/2)", "/".join(str(c) for c in g.collections)),
        ("objects reclaimed", human(g.collected)),
        ("uncollectable", human(g.uncollectable)),
        ("time in gc", f"{g.seconds:.3f} s"),
        ("gc.garbage", human(g.garbage)),
        ("last full collection reclaimed", human(g.last_full_collected)),
    ]
    limit = p.cgroup_limit
    usage = "unknown" if p.cgroup_usage is None else human(p.cgroup_usage, "bytes")
    if p.cgroup_usage is not None and limit:
        usage += f" of {human(limit, 'bytes')} ({p.cgroup_usage / limit:.0%})"
    res_facts = [
        ("open fds", "unknown" if r.fds < 0 else str(r.fds)),
        ("threads", str(r.threads)),
        ("asyncio tasks pending", str(r.tasks_pending)),
        ("done tasks still referenced", str(r.tasks_done)),
        ("rss", human(p.rss, "bytes")),
        ("allocated blocks", human(p.blocks)),
        ("cgroup memory", usage),
    ]
    cost = [_overhead(k, v) for k, v in report.overhead.items()]
    if report.engine.census:
        cost.append(("engines", report.engine.describe()))
    cards = _facts("Garbage collector", gc_facts) + _facts("Resources", res_facts)
    if cost:
        cards += _facts("The guard's own cost", cost)
    return f'<h2>Signals</h2><div class="grid2">{cards}</div>'

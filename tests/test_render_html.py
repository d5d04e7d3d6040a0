"""The HTML report: one self-contained page, escaped, with charts that render in Chromium."""

from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from leakguard import GcStats, Process, Report, Resources, Site, Suspect
from leakguard._model.report import Point
from leakguard._render.html import render_html

HOSTILE = '<script>alert("x")</script>'


def make_report(name: str = "shop.orders.OrderDTO", n: int = 30) -> Report:
    t0 = 1_700_000_000.0
    timeline = tuple(
        Point(
            i,
            t0 + 15 * i,
            100 * i,
            int(80e6 + 1.5e6 * i + 3e6 * math.sin(i)),
            2000 + 30 * i,
            900 + 26 * i,
        )
        for i in range(n)
    )
    orders = tuple(100.0 + 250 * i + 80 * math.sin(1.3 * i) for i in range(n))
    leak = Suspect(
        kind="type",
        name=name,
        count=orders[-1],
        growth=orders[-1] - orders[0],
        rate_per_work=2.5,
        rate_per_minute=1000.0,
        confidence=0.9998,
        first_seen=9,
        series=orders,
        nbytes=9e5,
        sites=(
            Site("/srv/shop/orders.py", 42, 812, 90_000),
            Site("/venv/site-packages/urllib3/connectionpool.py", 812, 20, 4000, "urllib3 2.2.1"),
        ),
        path=("shop.orders (module)", "_recent (list)", "OrderDTO"),
        signature="9f2c1ab07e",
        attributed_to=(("shop.views.checkout", 2.5),),
        deep_size=3.2e6,
        notes=("path search stopped after 0.5 s",),
    )
    rss = Suspect(
        kind="memory",
        name="rss",
        count=float(timeline[-1].rss),
        growth=4e7,
        rate_per_work=None,
        rate_per_minute=5.8e6,
        confidence=0.97,
        first_seen=12,
        unit="bytes",
        series=tuple(float(p.rss) for p in timeline),
    )
    dicts = tuple(5000 + 260.0 * i for i in range(n))
    return Report(
        suspects=(leak, rss),
        new=(leak.key,),
        pid=4242,
        created=t0 + 15 * n,
        samples=n,
        timeline=timeline,
        top_series={name: orders, "builtins.dict": dicts, "builtins.list": (3000.0,) * n},
        process=Process(
            rss=timeline[-1].rss, blocks=2900, cgroup_usage=300 << 20, cgroup_limit=1 << 30
        ),
        gc=GcStats((1200, 110, 9), 450_000, 0, 1.2, 0, 120),
        resources=Resources(fds=23, threads=4),
        overhead={"pause_total": 0.8, "pause_max": 0.05, "share": 0.0013, "samples": float(n)},
    )


def test_page_needs_no_network() -> None:
    """The page loads nothing: no external scripts, styles, images or fonts."""
    page = render_html(make_report())
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "<link" not in page
    assert "@import" not in page and "url(" not in page


def test_program_strings_are_escaped() -> None:
    """A type name, path step, site or note carrying markup is shown as text, never parsed."""
    page = render_html(make_report(name=HOSTILE))
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_every_chart_and_sparkline_has_a_line() -> None:
    """Three memory charts, the types chart (one line per series) and a sparkline per suspect."""
    page = render_html(make_report())
    assert page.count('<svg class="chart"') == 4
    assert page.count('<svg class="spark"') == 2
    lines = re.findall(r'<path class="series" d="(M[^"]+)"', page)
    assert len(lines) == 3 + 3 + 2


def test_evidence_is_shown_for_each_suspect() -> None:
    """Sites with their package, the retention path, attribution, signature and notes appear."""
    page = render_html(make_report())
    for text in (
        "<b>urllib3 2.2.1</b>",
        "/srv/shop/orders.py:42",
        "<code>_recent (list)</code> → <code>OrderDTO</code>",
        "shop.views.checkout",
        "9f2c1ab07e",
        "path search stopped after 0.5 s",
        "no evidence gathered for this suspect",
    ):
        assert text in page


def test_empty_report_renders_placeholders() -> None:
    """A report with no samples and no suspects still renders, saying so."""
    page = Report(suspects=()).to_html()
    assert "No leak suspected" in page
    assert "no samples yet" in page
    assert '<svg class="chart"' not in page


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no chromium on PATH (apt-get install chromium); the HTML is not checked in a browser"
    )


def _run_chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
        ]
        cmd = [_chromium(), *flags, *args, page.as_uri()]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def _png_pixels_vary(png: bytes) -> bool:
    """True when a PNG's decompressed pixel data holds more than a few distinct byte values."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat))) > 32


def test_charts_render_in_chromium(tmp_path: Path) -> None:
    """In headless Chromium the script runs and finds every chart drawn with a line."""
    page = tmp_path / "report.html"
    page.write_text(make_report().to_html(), encoding="utf-8")
    dom = _run_chromium(page, "--dump-dom").stdout
    assert 'data-charts-drawn="4"' in dom
    assert len(re.findall(r'<path class="series" d="M[\d.,L]+"', dom)) == 8


def test_screenshot_in_chromium_is_not_blank(tmp_path: Path) -> None:
    """A screenshot of the page in headless Chromium is a PNG with varied pixels."""
    page = tmp_path / "report.html"
    page.write_text(make_report().to_html(), encoding="utf-8")
    shot = tmp_path / "shot.png"
    _run_chromium(page, "--window-size=1280,1600", f"--screenshot={shot}")
    assert _png_pixels_vary(shot.read_bytes())


def test_blank_page_screenshot_is_detected_as_blank(tmp_path: Path) -> None:
    """The blank-screenshot check itself fails on an empty white page."""
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html><body style='background:#fff'></body></html>")
    shot = tmp_path / "blank.png"
    _run_chromium(page, "--window-size=400,300", f"--screenshot={shot}")
    assert not _png_pixels_vary(shot.read_bytes())


def test_process_series_stay_out_of_the_types_chart() -> None:
    """A memory suspect's series in top_series (bytes) is not drawn among object counts."""
    report = make_report()
    series = {**report.top_series, "rss": tuple(float(p.rss) for p in report.timeline)}
    page = render_html(Report(**{**_fields(report), "top_series": series}))
    assert 'data-label="rss"' not in page
    assert 'data-label="builtins.dict"' in page


def _fields(report: Report) -> dict[str, object]:
    return {name: getattr(report, name) for name in report.__dataclass_fields__}


def test_types_chart_puts_suspects_first_whatever_the_mapping_order() -> None:
    """A report read back from JSON (names sorted) still charts its suspects first."""
    report = make_report(name="zz.Leak")
    page = render_html(
        Report(**{**_fields(report), "top_series": dict(sorted(report.top_series.items()))})
    )
    legend = re.findall(r'<li><span class="swatch" style="[^"]+"></span>([^<]+)</li>', page)
    assert legend == ["zz.Leak", "builtins.dict", "builtins.list"]

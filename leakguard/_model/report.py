"""The report: suspects plus the history behind them, and its text/JSON forms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from leakguard._model.audit import Audit
from leakguard._model.engine import Engine
from leakguard._model.snapshot import GcStats, Process, Resources
from leakguard._model.suspect import Suspect

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Point:
    """One sample on the report's timeline."""

    index: int
    time: float
    work: int
    rss: int
    blocks: int
    objects: int


@dataclass(frozen=True, slots=True)
class Report:
    """What the guard knows now, ready to render.

    Attributes:
        suspects: climbing series, most certain first.
        new: keys ``(kind, name)`` of the suspects that are new in this report.
        pid: the process the report is about.
        created: wall-clock time the report was made.
        samples: samples taken since the guard (re)started.
        timeline: process-level levels per sample, oldest first.
        top_series: recent levels of the top growing types/containers, by name.
        process: latest process memory.
        gc: latest garbage collector activity.
        resources: latest fds/threads/tasks.
        overhead: the guard's own cost (``pause_total``, ``pause_max``, ``share``...).
        resolved: suspects withdrawn at this sample because they stopped growing (their
            series flat or falling for ``window`` samples), as last seen; the report given
            to ``on_resolved`` hooks.
        bounded: climbs not reported because capped holders with room left hold them
            (a ``deque(maxlen=N)``, a bounded ``lru_cache``...), with their bounds.
        engine: the engines the guard sampled with (C or pure-Python, and why).
    """

    suspects: tuple[Suspect, ...]
    new: tuple[tuple[str, str], ...] = ()
    pid: int = 0
    created: float = 0.0
    samples: int = 0
    timeline: tuple[Point, ...] = ()
    top_series: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    process: Process = field(default_factory=Process)
    gc: GcStats = field(default_factory=GcStats)
    resources: Resources = field(default_factory=Resources)
    overhead: Mapping[str, float] = field(default_factory=dict)
    resolved: tuple[Suspect, ...] = ()
    bounded: tuple[Suspect, ...] = ()
    engine: Engine = field(default_factory=Engine)

    def to_text(self) -> str:
        """Render for logs and terminals: one paragraph per suspect."""
        from leakguard._render.text import render_text

        return render_text(self)

    def to_html(self, audit: Audit | None = None) -> str:
        """Render as one self-contained HTML page with charts (no network needed).

        Args:
            audit: a look at the heap (``leakguard.audit()``) to add as a section.
        """
        from leakguard._render.html import render_html

        return render_html(self, audit)

    def to_dict(self) -> dict[str, Any]:
        """Return the versioned JSON-ready form (see docs/reports.md for the schema)."""
        data = asdict(self)
        data["schema"] = SCHEMA_VERSION
        data["kind"] = "report"
        data["new"] = [list(k) for k in self.new]
        return data

    def to_json(self, file: TextIO | None = None, indent: int | None = 2) -> str:
        """Render as JSON; also write it to ``file`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, sort_keys=True)
        if file is not None:
            file.write(text)
        return text

"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
"""

from leakguard._api import current, on_leak, start, stop, tick
from leakguard._census.census import take_census
from leakguard._evidence.graph import graph
from leakguard._guard import Guard
from leakguard._integrations.metrics import register_metrics
from leakguard._integrations.middleware import ASGIMiddleware, WSGIMiddleware
from leakguard._model.options import Options
from leakguard._model.report import Report
from leakguard._model.snapshot import Census, Container, GcStats, Process, Resources, Snapshot
from leakguard._model.suspect import Site, Suspect
from leakguard._repeat.check import LeakError, check
from leakguard._watch import watch

__all__ = [
    "ASGIMiddleware",
    "Census",
    "Container",
    "GcStats",
    "Guard",
    "LeakError",
    "Options",
    "Process",
    "Report",
    "Resources",
    "Site",
    "Snapshot",
    "Suspect",
    "WSGIMiddleware",
    "check",
    "current",
    "graph",
    "on_leak",
    "register_metrics",
    "start",
    "stop",
    "take_census",
    "tick",
    "watch",
]

"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
"""

from leakguard._api import current, on_leak, start, stop, tick
from leakguard._census import take_census
from leakguard._check import LeakError, check
from leakguard._config import Options
from leakguard._graph import graph
from leakguard._guard import Guard
from leakguard._metrics import register_metrics
from leakguard._middleware import ASGIMiddleware, WSGIMiddleware
from leakguard._report import Report
from leakguard._snapshot import Census, Container, GcStats, Process, Resources, Snapshot
from leakguard._suspect import Site, Suspect
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

"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
``leakguard.__version__`` is the installed distribution's version (``pyleakguard``).
"""

from leakguard._api import current, on_leak, start, stop, tick
from leakguard._census.census import take_census
from leakguard._evidence.audit import audit
from leakguard._evidence.graph import graph
from leakguard._files.store import load_report
from leakguard._guard import Guard
from leakguard._integrations.metrics import register_metrics
from leakguard._integrations.middleware import ASGIMiddleware, WSGIMiddleware
from leakguard._model.audit import Audit
from leakguard._model.options import Options
from leakguard._model.report import Report
from leakguard._model.snapshot import Census, Container, GcStats, Process, Resources, Snapshot
from leakguard._model.suspect import Site, Suspect
from leakguard._repeat.check import LeakError, check
from leakguard._watch import watch

_DISTRIBUTION = "pyleakguard"

__all__ = [
    "ASGIMiddleware",
    "Audit",
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
    "audit",
    "check",
    "current",
    "graph",
    "load_report",
    "on_leak",
    "register_metrics",
    "start",
    "stop",
    "take_census",
    "tick",
    "watch",
]


def __getattr__(name: str) -> str:
    # Read lazily: the package metadata lookup costs about a millisecond that
    # `import leakguard` should not pay when nobody asks for the version.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(_DISTRIBUTION)
        except PackageNotFoundError:  # imported from a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'leakguard' has no attribute {name!r}")

"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
"""

from leakguard._api import current, on_leak, start, stop, tick
from leakguard._census import take_census
from leakguard._config import Options
from leakguard._guard import Guard
from leakguard._report import Report
from leakguard._snapshot import Census, Container, GcStats, Process, Resources, Snapshot
from leakguard._suspect import Site, Suspect

__all__ = [
    "Guard",
    "Options",
    "current",
    "on_leak",
    "start",
    "stop",
    "tick",
    "Census",
    "Container",
    "GcStats",
    "Process",
    "Report",
    "Resources",
    "Site",
    "Snapshot",
    "Suspect",
    "take_census",
]

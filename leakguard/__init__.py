"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
"""

from leakguard._census import take_census
from leakguard._report import Report
from leakguard._snapshot import Census, Container, GcStats, Process, Resources, Snapshot
from leakguard._suspect import Site, Suspect

__all__ = [
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

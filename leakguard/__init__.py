"""leakguard: an in-process memory-leak guard for Python.

The public names are re-exported here from private modules; see the docs.
``leakguard.__version__`` is the installed distribution's version (``pyleakguard``).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers and the API reference; at run time, see __getattr__
    from leakguard._api import current, on_leak, on_limit, on_resolved, start, stop, tick
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
    from leakguard._model.suspect import Bound, Site, Suspect
    from leakguard._repeat.check import LeakError, check
    from leakguard._watch import watch

    __version__: str

# Public name -> the private module that defines it, imported on first use: a service
# that only calls start() never loads the repetition engine, the CLI's file readers or
# the audit (about half of the package's import memory).
_LAZY = {
    "ASGIMiddleware": "leakguard._integrations.middleware",
    "Audit": "leakguard._model.audit",
    "Bound": "leakguard._model.suspect",
    "Census": "leakguard._model.snapshot",
    "Container": "leakguard._model.snapshot",
    "GcStats": "leakguard._model.snapshot",
    "Guard": "leakguard._guard",
    "LeakError": "leakguard._repeat.check",
    "Options": "leakguard._model.options",
    "Process": "leakguard._model.snapshot",
    "Report": "leakguard._model.report",
    "Resources": "leakguard._model.snapshot",
    "Site": "leakguard._model.suspect",
    "Snapshot": "leakguard._model.snapshot",
    "Suspect": "leakguard._model.suspect",
    "WSGIMiddleware": "leakguard._integrations.middleware",
    "audit": "leakguard._evidence.audit",
    "check": "leakguard._repeat.check",
    "current": "leakguard._api",
    "graph": "leakguard._evidence.graph",
    "load_report": "leakguard._files.store",
    "on_leak": "leakguard._api",
    "on_limit": "leakguard._api",
    "on_resolved": "leakguard._api",
    "register_metrics": "leakguard._integrations.metrics",
    "start": "leakguard._api",
    "stop": "leakguard._api",
    "take_census": "leakguard._census.census",
    "tick": "leakguard._api",
    "watch": "leakguard._watch",
}

_DISTRIBUTION = "pyleakguard"

__all__ = [
    "ASGIMiddleware",
    "Audit",
    "Bound",
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
    "on_limit",
    "on_resolved",
    "register_metrics",
    "start",
    "stop",
    "take_census",
    "tick",
    "watch",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # found once; later lookups never come back here
        return value
    # Read lazily: the package metadata lookup costs about a millisecond that
    # `import leakguard` should not pay when nobody asks for the version.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(_DISTRIBUTION)
        except PackageNotFoundError:  # imported from a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'leakguard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Whose type is it: the program's own, or Python's, an installed package's, a tool's.

Single-run checks blame only the program's own types, and reports list them first.
"""

from __future__ import annotations

from leakguard._heap.ownership import Owner, type_owner

# Runtime-made types (a module with no file) are the program's; a tool's never are:
# their objects outlive a first call by design (caches, lazy imports, pytest's records).
_USER = frozenset({Owner.PROGRAM, Owner.GENERATED})


def is_user_type(name: str) -> bool:
    """Whether a ``module.QualName`` type is the program's own (not Python's, a package's)."""
    return type_owner(name) in _USER


def rank(kind: str, name: str, per_run: tuple[int, ...]) -> tuple[int, int, int]:
    """Sort key for growths: the user's own first, types before other series, biggest first."""
    user = kind != "type" or is_user_type(name)
    return (0 if user else 1, 0 if kind == "type" else 1, -min(per_run))

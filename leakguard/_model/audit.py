"""The audit: what the heap holds now, answered from one look with no history.

``leakguard.audit()`` answers the user who starts looking when the process is
already bloated: which types are most numerous and heaviest, which containers are
biggest and who holds them, and which caches have no bound at all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

AUDIT_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class TypeRow:
    """One type of the census: how many objects and their shallow bytes."""

    name: str
    count: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Holding:
    """A big container, or a cache, and what is known of who holds it.

    Attributes:
        type: full type name of the container (``builtins.dict``,
            ``functools._lru_cache_wrapper``...).
        length: items it holds now.
        path: the chain of references from a root to it, root first (empty when
            none was found within the budget).
        bound: the most items it can hold (``maxlen``, ``maxsize``), None when it
            has no bound or none can be read without running the program's code.
        flag: why it is worth a look, empty when it is only big: ``"unbounded
            cache"``, ``"unbounded cache on a method"``, ``"unbounded deque"``,
            ``"big module-level dict"``...
    """

    type: str
    length: int
    path: tuple[str, ...] = ()
    bound: int | None = None
    flag: str = ""


@dataclass(frozen=True, slots=True)
class Audit:
    """What one look at the heap found.

    Attributes:
        pid: the process looked at.
        created: wall-clock time of the look.
        objects: gc-tracked objects counted.
        by_count: the most numerous types, most first.
        by_bytes: the heaviest types (shallow bytes), heaviest first.
        containers: the biggest containers, biggest first, with their holders.
        flagged: unbounded caches and big module-level containers, biggest first.
        seconds: what the look cost, in wall time.
        notes: what could not be done (a path search out of time...).
    """

    pid: int
    created: float
    objects: int
    by_count: tuple[TypeRow, ...]
    by_bytes: tuple[TypeRow, ...]
    containers: tuple[Holding, ...]
    flagged: tuple[Holding, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    def to_text(self) -> str:
        """Render for logs and terminals."""
        from leakguard._render.audit import render_audit

        return render_audit(self)

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON-ready form."""
        data = asdict(self)
        data["schema"] = AUDIT_SCHEMA_VERSION
        data["kind"] = "audit"
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """Render as JSON."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

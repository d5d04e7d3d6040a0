"""What the detector concludes: a suspect and the evidence attached to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["type", "container", "site", "memory", "fds", "threads", "tasks", "gc"]


@dataclass(frozen=True, slots=True)
class Site:
    """An allocation site of leaked objects or memory.

    Attributes:
        filename: source file, as tracemalloc reports it.
        lineno: line number.
        count: leaked blocks or objects seen born here.
        size: bytes born here (0 when unknown).
        package: installed distribution owning the file, e.g. ``urllib3 2.2.1``
            (None: not in an installed package).
    """

    filename: str
    lineno: int
    count: int = 0
    size: int = 0
    package: str | None = None

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}"
        return f"{self.package}, {where}" if self.package else where


@dataclass(frozen=True, slots=True)
class Bound:
    """A container with a cap that holds a climb: it evicts once full, so filling is no leak.

    Attributes:
        holder: the holder's type, e.g. ``collections.deque``, ``functools._lru_cache_wrapper``,
            ``cachetools.LRUCache``.
        attribute: where its cap was read: ``maxlen``, ``maxsize``, or the instance or class
            attribute that holds it (``_Cache__maxsize``, ``capacity``...).
        limit: the cap (items; for cachetools, the sum of ``getsizeof``).
        size: how full it was when read, in the unit of ``limit``.
    """

    holder: str
    attribute: str
    limit: int
    size: int

    def __str__(self) -> str:
        return f"{self.holder} ({self.attribute}={self.limit}), {self.size} of {self.limit}"

    @property
    def full(self) -> bool:
        """Whether the holder is at its cap: growth beyond it is not explained by filling."""
        return self.size >= self.limit


@dataclass(frozen=True, slots=True)
class Suspect:
    """One series that climbs: a type, a container, a site or a process signal.

    Attributes:
        kind: ``type``, ``container``, ``site``, ``memory``, ``fds``, ``threads``,
            ``tasks`` or ``gc``.
        name: for types ``module.QualName``, for sites ``path:line``, for containers
            ``builtins.dict#<id>``, for process signals the signal (``rss``, ``blocks``...).
        count: the level now (objects, items, bytes, fds...).
        growth: the level now minus the baseline (the low tide just after warm-up).
        rate_per_work: growth per unit of work (``tick``), when work is counted.
        rate_per_minute: growth per minute of wall time (None in a single instant).
        confidence: 0-1; 1 minus the trend test's p-value, tempered by confirmation.
        first_seen: the sample index at which the climb was first confirmed.
        unit: what ``count`` counts: ``objects``, ``items``, ``bytes``, ``blocks``, ``fds``...
        series: recent levels, oldest first (for charts and reports).
        nbytes: approximate shallow bytes of the growth, when known.
        sites: where the leaked objects were allocated (evidence, may be empty).
        path: a reference chain from a root to a leaked object (evidence, may be empty).
        signature: stable hash of the leak's shape, for folding and silencing.
        attributed_to: ``(function, growth per call)`` for ``@watch``-ed functions that explain it.
        deep_size: estimated deep bytes of all leaked instances (evidence; None: not measured).
        notes: short remarks from evidence gathering (e.g. timeouts).
        bounds: the capped holders its newest instances are held by, when every holder
            found has a cap (evidence; empty: none, or some holder has no cap). A climb
            held by holders below their caps is not reported; one whose holders are
            full is, with these bounds.
    """

    kind: Kind
    name: str
    count: float
    growth: float
    rate_per_work: float | None
    rate_per_minute: float | None
    confidence: float
    first_seen: int
    unit: str = "objects"
    series: tuple[float, ...] = ()
    nbytes: float | None = None
    sites: tuple[Site, ...] = ()
    path: tuple[str, ...] = ()
    signature: str | None = None
    attributed_to: tuple[tuple[str, float], ...] = ()
    deep_size: float | None = None
    notes: tuple[str, ...] = ()
    bounds: tuple[Bound, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """The identity of the climbing series: ``(kind, name)``."""
        return (self.kind, self.name)

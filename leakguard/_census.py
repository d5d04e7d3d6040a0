"""The census: objects per type and the biggest containers, in one pass.

This is the only module that walks the live heap on every sample. It holds
the list from ``gc.get_objects()`` for the length of one call, reads only
``type(obj)`` and C-level lengths, and never calls user code.

Two engines do the same job. The C one (``leakguard._ccensus``, built at
install time when a compiler is available) pops objects off the list a chunk
at a time and counts them while dropping the list's reference, which costs
little more than freeing the list. The pure-Python one is the fallback; its
one known gap is that counting hashes type objects, so a metaclass defining
``__hash__`` would be called.
"""

from __future__ import annotations

import collections
import gc
import heapq
import importlib
import itertools
import sys
import time
from collections.abc import Callable
from types import ModuleType

from leakguard._snapshot import Census, Container

_ccensus: ModuleType | None
try:
    _ccensus = importlib.import_module("leakguard._ccensus")
except ImportError:  # no compiler at install time: the pure-Python census serves
    _ccensus = None

# Objects per C call: about a millisecond of work, so a thread waiting for the
# GIL gets it between chunks and the longest stall is gc.get_objects() itself.
_C_CHUNK = 65_536
_PY_CHUNK = 50_000
_CONTAINER_TYPES: tuple[type, ...] = (dict, list, set, frozenset, collections.deque)
# sys.getsizeof() counts the gc header (two pointers) and, on 3.11+, the
# managed __dict__/weakref pre-header (two more) of every gc-tracked object.
_POINTER = 8 if sys.maxsize > 2**32 else 4
_GC_HEADER = 2 * _POINTER
_PREHEADER_FLAGS = (1 << 3) | (1 << 4)  # Py_TPFLAGS_MANAGED_WEAKREF | MANAGED_DICT

_Counts = dict[type, tuple[int, int]]
_Rows = list[tuple[int, type, int]]


def _type_attr(tp: type, name: str) -> object:
    """Read ``name`` through ``type``'s own descriptor, bypassing any metaclass."""
    return type.__dict__[name].__get__(tp, type)


def type_name(tp: type) -> str:
    """Return ``module.QualName`` of a type without running user code.

    Reads the type's own ``__dict__``-backed slots through ``type`` descriptors,
    so a metaclass property cannot lie or raise.

    Args:
        tp: any type object.

    Returns:
        The full name; the module part is ``?`` when it is not a string.
    """
    module = _type_attr(tp, "__module__")
    qualname = _type_attr(tp, "__qualname__")
    if not isinstance(module, str):
        module = "?"
    return f"{module}.{qualname}"


def native_available() -> bool:
    """Return True when the C census extension was built and imported."""
    return _ccensus is not None


def take_census(top_containers: int = 64, min_container: int = 64) -> Census:
    """Count gc-tracked objects by type and find the biggest containers.

    Uses the C engine when it was built, else the pure-Python one.

    Args:
        top_containers: how many of the biggest containers to report.
        min_container: containers shorter than this are never reported.

    Returns:
        A :class:`Census` holding counts and names only.
    """
    return _take(top_containers, min_container, native=_ccensus is not None)


def _take(top: int, floor: int, *, native: bool) -> Census:
    """Run one census with the chosen engine (tests and benchmarks force one)."""
    start = time.perf_counter()
    counts, rows, total = _tally_native(top, floor) if native else _tally_python(top, floor)
    names = {tp: type_name(tp) for tp in counts}
    types: dict[str, tuple[int, int]] = {}
    for tp, (n, size) in counts.items():
        # Distinct classes can share a name (made by a factory): add them up,
        # since a growing family of same-named classes is itself a leak.
        old_n, old_size = types.get(names[tp], (0, 0))
        types[names[tp]] = (old_n + n, old_size + size)
    containers = tuple(Container(key, names[tp], n) for key, tp, n in rows)
    return Census(
        types=types,
        containers=containers,
        objects=total,
        frozen=gc.get_freeze_count(),
        seconds=time.perf_counter() - start,
    )


def _tally_native(top: int, floor: int) -> tuple[_Counts, _Rows, int]:
    """Count with the C engine, which empties the object list as it goes."""
    assert _ccensus is not None
    tally = _ccensus.Tally(top, floor)
    objects = gc.get_objects()
    try:
        # A Python-level loop on purpose: between calls the interpreter hands
        # the GIL to any thread that asked for it.
        while tally.consume(objects, _C_CHUNK):
            pass
    finally:
        del objects
    counts, rows, total = tally.result()
    return counts, rows, total


def _tally_python(top: int, floor: int) -> tuple[_Counts, _Rows, int]:
    """Count with the standard library only: chunked counting, then sizes."""
    objects = gc.get_objects()
    try:
        counter: collections.Counter[type] = collections.Counter()
        for lo in range(0, len(objects), _PY_CHUNK):
            counter.update(map(type, objects[lo : lo + _PY_CHUNK]))
        sized = {tp: _Sizer(tp) for tp in counter if _Sizer.needed(tp)}
        extra, rows = _measure(objects, sized, top, floor)
        total = len(objects)
    finally:
        del objects
    counts = {tp: (n, n * _base_size(tp)) for tp, n in counter.items()}
    for tp, size in extra.items():
        n, _ = counts[tp]
        counts[tp] = (n, size)
    return counts, rows, total


def _base_size(tp: type) -> int:
    """Bytes of one fixed-size instance, headers included, as sys.getsizeof counts."""
    flags = _type_attr(tp, "__flags__")
    assert isinstance(flags, int)
    size = _type_attr(tp, "__basicsize__")
    assert isinstance(size, int)
    return size + _GC_HEADER + (2 * _POINTER if flags & _PREHEADER_FLAGS else 0)


class _Sizer:
    """Per-type measuring functions, taken from builtin base classes only."""

    __slots__ = ("headers", "length", "sizeof")

    def __init__(self, tp: type) -> None:
        base = next((b for b in _CONTAINER_TYPES if issubclass(tp, b)), object)
        # The builtin base's slot wrappers read the C struct; a subclass's own
        # __len__ or __sizeof__ is never reached this way.
        own = vars(base)
        self.sizeof: Callable[[object], int] = own["__sizeof__"]
        self.length: Callable[[object], int] | None = own.get("__len__")
        basicsize = _type_attr(tp, "__basicsize__")
        assert isinstance(basicsize, int)
        self.headers = _base_size(tp) - basicsize

    @staticmethod
    def needed(tp: type) -> bool:
        """Return True when instances of ``tp`` differ in size or are containers."""
        return bool(_type_attr(tp, "__itemsize__")) or issubclass(tp, _CONTAINER_TYPES)


def _measure(
    objects: list[object], sized: dict[type, _Sizer], top: int, floor: int
) -> tuple[dict[type, int], _Rows]:
    """Sum the sizes of variable-sized objects and keep the biggest containers."""
    totals: dict[type, int] = dict.fromkeys(sized, 0)
    best: list[tuple[int, int, type]] = []
    wanted = sized.keys().__contains__
    for lo in range(0, len(objects), _PY_CHUNK):
        chunk = objects[lo : lo + _PY_CHUNK]
        for obj in itertools.compress(chunk, map(wanted, map(type, chunk))):
            tp = type(obj)
            sizer = sized[tp]
            totals[tp] += sizer.sizeof(obj) + sizer.headers
            if sizer.length is None:
                continue
            n = sizer.length(obj)
            # (length, id) orders containers the same way the C engine does,
            # so both keep the same set whatever order they meet them in.
            if n >= floor and top > 0:
                item = (n, id(obj), tp)
                if len(best) < top:
                    heapq.heappush(best, item)
                elif item[:2] > best[0][:2]:
                    heapq.heapreplace(best, item)
        del chunk
    best.sort(key=lambda item: item[:2], reverse=True)
    return totals, [(key, tp, n) for n, key, tp in best]

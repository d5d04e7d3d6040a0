"""The census: objects per type and the biggest containers, in one pass.

This is the only module that walks the live heap on every sample. It holds
the list from ``gc.get_objects()`` for the length of one call, reads only
``type(obj)`` and C-level lengths, and never calls user code.

Two engines do the same job. The C one (``leakguard._ccensus``, built at
install time when a compiler is available) pops objects off the list a chunk
at a time and counts them while dropping the list's reference, which costs
little more than freeing the list, and sizes each object (see the C file for
the estimates). The pure-Python one is the fallback: its bytes are the fixed
part of each object only (a lower bound for lists, dicts, tuples).

Both key types by identity (``id(tp)``), never by the type object itself:
hashing a class calls its metaclass's ``__hash__``, and a metaclass defining
``__eq__`` without ``__hash__`` makes its classes unhashable. Ids are stable
for the call because the object list keeps every counted type alive.

Neither engine sees objects the gc does not track: a dict or tuple holding
only atomic values (str, int, ...) is untracked and so is not counted.
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
from typing import Any

from leakguard._census.safe import type_basicsize, type_flags, type_name
from leakguard._census.untracked import untracked_containers
from leakguard._model.snapshot import Census, Container

_ccensus: ModuleType | None
# Why the C census is missing (empty when it imported), for ``_census.engine``.
import_error = ""
try:
    _ccensus = importlib.import_module("leakguard._ccensus")
except ImportError as exc:  # no compiler at install time: the pure-Python census serves
    _ccensus = None
    import_error = str(exc) or type(exc).__name__

# Objects per C call: about a millisecond of work, so a thread waiting for the
# GIL gets it between chunks and the longest stall is gc.get_objects() itself.
_C_CHUNK = 65_536
_PY_CHUNK = 50_000
_VECTOR_TYPES = 6  # per chunk, the commonest variable-sized types measured at C speed
_CONTAINER_TYPES: tuple[type, ...] = (dict, list, set, frozenset, collections.deque)
# sys.getsizeof() counts the gc header (two pointers) and, on 3.11+, the
# managed __dict__/weakref pre-header (two more) of every gc-tracked object.
_POINTER = 8 if sys.maxsize > 2**32 else 4
_GC_HEADER = 2 * _POINTER
_PREHEADER_FLAGS = (1 << 3) | (1 << 4)  # Py_TPFLAGS_MANAGED_WEAKREF | MANAGED_DICT

# Parallel lists: types, their counts, their bytes (no tuple per type: see ccensus.c).
_Counts = tuple[list[type], list[int], list[int]]
_Rows = list[tuple[int, type, int]]


def native_available() -> bool:
    """Return True when the C census extension was built and imported."""
    return _ccensus is not None


def take_census(
    top_containers: int = 64, min_container: int = 64, *, native: bool = True
) -> Census:
    """Count gc-tracked objects by type and find the biggest containers.

    Uses the C engine when it was built (and ``native``), else the pure-Python one.

    Args:
        top_containers: how many of the biggest containers to report.
        min_container: containers shorter than this are never reported.
        native: False forces the pure-Python engine (option ``native``).

    Returns:
        A :class:`Census` holding counts and names only.
    """
    return _take(top_containers, min_container, native=native and _ccensus is not None)


def _take(top: int, floor: int, *, native: bool) -> Census:
    """Run one census with the chosen engine (tests and benchmarks force one)."""
    start = time.perf_counter()
    top = max(top, 0)
    counts, rows, total = _tally_native(top, floor) if native else _tally_python(top, floor)
    names = {id(tp): type_name(tp) for tp in counts[0]}
    types: dict[str, tuple[int, int]] = {}
    for tp, n, size in zip(*counts):
        # Distinct classes can share a name (made by a factory): add them up,
        # since a growing family of same-named classes is itself a leak.
        name = names[id(tp)]
        old_n, old_size = types.get(name, (0, 0))
        types[name] = (old_n + n, old_size + size)
    tracked = [Container(key, names[id(tp)], n) for key, tp, n in rows]
    # Untracked dicts of atomic values never appear in gc.get_objects().
    extra = _untracked(floor, top) if top else []
    merged = sorted(tracked + extra, key=lambda c: (c.length, c.key), reverse=True)
    containers = tuple(merged[:top])
    return Census(
        types=types,
        containers=containers,
        objects=total,
        frozen=gc.get_freeze_count(),
        seconds=time.perf_counter() - start,
    )


def _untracked(floor: int, top: int) -> list[Container]:
    """The optional scan for untracked caches; a surprise there must not cost the census."""
    try:
        return untracked_containers(floor, top)
    except Exception:
        return []


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
    """Count with the standard library only, a chunk at a time."""
    tally = _PyTally(top, floor)
    objects = gc.get_objects()
    try:
        for lo in range(0, len(objects), _PY_CHUNK):
            tally.feed(objects[lo : lo + _PY_CHUNK])
        total = len(objects)
    finally:
        del objects
    return tally.result(total)


def _base_size(tp: type) -> int:
    """Bytes of one fixed-size instance, headers included, as sys.getsizeof counts."""
    preheader = 2 * _POINTER if type_flags(tp) & _PREHEADER_FLAGS else 0
    return type_basicsize(tp) + _GC_HEADER + preheader


def _length_getter(tp: type) -> Callable[[Any], int] | None:
    """Return how to read the length of a ``tp`` container, or None if it is none.

    ``len`` for the builtin containers themselves; for subclasses the builtin
    base's slot wrapper, which reads the C struct and never reaches a
    subclass's own ``__len__``.
    """
    if any(tp is c for c in _CONTAINER_TYPES):  # `in` would call a metaclass __eq__
        return len
    base = next((b for b in _CONTAINER_TYPES if issubclass(tp, b)), None)
    return None if base is None else vars(base)["__len__"]


class _PyTally:
    """Counts chunks of objects; Python code runs per type or per big container.

    Bytes are the fixed part of each object only (``__basicsize__`` plus
    headers): measuring the variable part would cost a Python call per object.
    Every table is keyed by ``id(type)``; ``types`` maps it back to the type.
    """

    def __init__(self, top: int, floor: int) -> None:
        self.top = top
        self.floor = floor
        self.counts: collections.Counter[int] = collections.Counter()
        self.types: dict[int, type] = {}
        self.getters: dict[int, Callable[[Any], int] | None] = {}
        self.best: list[tuple[int, int, type]] = []

    def feed(self, chunk: list[object]) -> None:
        """Count one chunk and offer its long containers."""
        ids = list(map(id, map(type, chunk)))
        here = collections.Counter(ids)
        self.counts.update(here)
        if not self.types.keys() >= here.keys():
            # Types met for the first time: one C-speed pass maps ids to objects.
            last = dict(zip(ids, chunk))
            self.types.update((k, type(last[k])) for k in here if k not in self.types)
        if self.top <= 0:
            return
        exact: set[int] = set()
        derived: set[int] = set()
        for k in here:
            if k not in self.getters:
                self.getters[k] = _length_getter(self.types[k])
            getter = self.getters[k]
            if getter is not None:
                (exact if getter is len else derived).add(k)
        if exact:
            objs: list[Any] = list(itertools.compress(chunk, map(exact.__contains__, ids)))
            lengths = list(map(len, objs))
            # Only the long ones reach Python code.
            for i in itertools.compress(range(len(objs)), map(self.floor.__le__, lengths)):
                self._offer((lengths[i], id(objs[i]), type(objs[i])))
        for obj in itertools.compress(chunk, map(derived.__contains__, ids)):
            tp = type(obj)
            getter = self.getters[id(tp)]
            assert getter is not None
            n = getter(obj)
            if n >= self.floor:
                self._offer((n, id(obj), tp))

    def result(self, total: int) -> tuple[_Counts, _Rows, int]:
        """Return counts with bytes, the biggest containers, and the total."""
        found = [self.types[k] for k in self.counts]
        numbers = list(self.counts.values())
        counts = (found, numbers, [n * _base_size(tp) for tp, n in zip(found, numbers)])
        self.types.clear()
        self.best.sort(key=lambda item: item[:2], reverse=True)
        rows = [(key, tp, n) for n, key, tp in self.best]
        self.best.clear()
        return counts, rows, total

    def _offer(self, item: tuple[int, int, type]) -> None:
        # (length, id) orders containers the same way the C engine does, so
        # both keep the same set whatever order they meet them in.
        if len(self.best) < self.top:
            heapq.heappush(self.best, item)
        elif self.top > 0 and item[:2] > self.best[0][:2]:
            heapq.heapreplace(self.best, item)

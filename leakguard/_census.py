"""The census: objects per type and the biggest containers, in one pass.

This is the only module that walks the live heap on every sample. It holds
the list from ``gc.get_objects()`` for the length of one call, reads only
``type(obj)`` and C-level lengths, and never calls user code.
"""

from __future__ import annotations

import collections
import gc
import time
from collections.abc import Iterable

from leakguard._snapshot import Census, Container

_CHUNK = 50_000
_CONTAINER_TYPES: tuple[type, ...] = (dict, list, set, frozenset, collections.deque)


def type_name(tp: type) -> str:
    """Return ``module.QualName`` of a type without running user code.

    Reads the type's own ``__dict__``-backed slots through ``type`` descriptors,
    so a metaclass property cannot lie or raise.
    """
    module = type.__dict__["__module__"].__get__(tp, type)
    qualname = type.__dict__["__qualname__"].__get__(tp, type)
    if not isinstance(module, str):
        module = "?"
    return f"{module}.{qualname}"


def take_census(top_containers: int = 64, min_container: int = 64) -> Census:
    """Count gc-tracked objects by type and find the biggest containers.

    Args:
        top_containers: how many of the biggest containers to report.
        min_container: containers shorter than this are never reported.

    Returns:
        A :class:`Census` holding counts and names only.
    """
    start = time.perf_counter()
    objects = gc.get_objects()
    try:
        counts: collections.Counter[type] = collections.Counter()
        for lo in range(0, len(objects), _CHUNK):
            counts.update(map(type, objects[lo : lo + _CHUNK]))
        containers = _biggest(objects, counts, top_containers, min_container)
        total = len(objects)
    finally:
        del objects
    types = {type_name(tp): (n, n * tp.__basicsize__) for tp, n in counts.items()}
    return Census(
        types=types,
        containers=containers,
        objects=total,
        frozen=gc.get_freeze_count(),
        seconds=time.perf_counter() - start,
    )


def _biggest(
    objects: list[object], counts: Iterable[type], top: int, floor: int
) -> tuple[Container, ...]:
    import heapq

    wanted = tuple(tp for tp in counts if issubclass(tp, _CONTAINER_TYPES))
    best: list[tuple[int, int, type]] = []
    for obj in objects:
        tp = type(obj)
        if tp not in wanted:
            continue
        # len() of a builtin container subclass could run user code; the
        # base class's __len__ never does.
        n = _BASE_LEN[_base(tp)](obj)
        if n >= floor:
            item = (n, id(obj), tp)
            if len(best) < top:
                heapq.heappush(best, item)
            elif n > best[0][0]:
                heapq.heapreplace(best, item)
    best.sort(reverse=True)
    return tuple(Container(key, type_name(tp), n) for n, key, tp in best)


def _base(tp: type) -> type:
    for base in _CONTAINER_TYPES:
        if issubclass(tp, base):
            return base
    raise TypeError(tp)


_BASE_LEN = {tp: tp.__len__ for tp in _CONTAINER_TYPES}

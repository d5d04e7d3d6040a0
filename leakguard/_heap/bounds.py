"""Bounded holders: who keeps a climb, and whether it caps what it keeps.

A cache with a cap evicts once full, so its filling is no leak however long it
takes: ``collections.deque(maxlen=N)``, ``functools.lru_cache(maxsize=N)``, a
``cachetools`` cache, or any object that keeps its cap in an integer attribute
named like one (:data:`CAP_NAMES`: ``maxsize``, ``capacity``... and their private
and name-mangled spellings, such as cachetools' ``_Cache__maxsize``).

:func:`bounded_holders` walks up the referrers of a few live objects, one
``gc.get_referrers`` pass per level, until every route ends at a capped holder;
a route that reaches a module, a class, a function, a frame, a known uncapped
cache (``deque()``, ``lru_cache(maxsize=None)``), or goes too deep or too wide,
means the objects are not (only) held by capped holders. This is the one
definition of "bounded" for the service guard and for repeated checks.

Caps are read without running the program's code: ``deque.maxlen`` through the
C descriptor of ``deque``, ``lru_cache`` through the C ``cache_info`` of its
wrapper type, anything else from the instance's own ``__dict__`` and its classes'
namespaces (a ``property`` named ``maxsize`` is never called). A cap the code does
not enforce only delays the verdict: once the holder is full, further growth is
reported.
"""

from __future__ import annotations

import functools
import gc
import time
import types
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from leakguard._census.safe import own_dict, referents, type_dict, type_mro, type_name
from leakguard._heap.ownership import LEAKGUARD_DIR
from leakguard._heap.tracing import object_frames
from leakguard._model.suspect import Bound

__all__ = ["BOUND_SECONDS", "CAP_NAMES", "MAX_DEPTH", "bound_of", "bounded_holders", "capped_lines"]

BOUND_SECONDS = 0.5
"""The most one search for capped holders may take (evidence's budget may cut it shorter)."""

CAP_NAMES = frozenset({"maxsize", "max_size", "maxlen", "max_len", "capacity", "max_entries"})
"""Attribute names, stripped of leading underscores and name mangling, that hold a cap."""

MAX_DEPTH = 4
"""References walked up from an object to its capped holder (cachetools: value, data
dict, instance dict, cache)."""

_BATCH = 32  # objects per gc.get_referrers call: its cost grows with the batch size
MAX_WIDTH = 256
"""Holders followed per level; wider than this, the objects are held by many things."""

_LRU_WRAPPER: Any = functools._lru_cache_wrapper
_LRU_INFO: Any = _LRU_WRAPPER.cache_info
_MAXLEN: Any = vars(deque)["maxlen"]
_SIZED: tuple[type, ...] = (dict, list, set, frozenset, deque, tuple)
_ROOTS = (types.ModuleType, type, types.FunctionType, types.CodeType)
_UNCAPPED = "uncapped"


def bound_of(holder: object, child: object | None = None) -> Bound | str | None:
    """The cap of one holder: a :class:`Bound`, ``"uncapped"`` for a cache known to have
    none, or None when ``holder`` is no cache (look further up).

    Args:
        holder: the object that refers to ``child``.
        child: what it holds on the route walked up (sizes a cap read from attributes).
    """
    tp = type(holder)
    if issubclass(tp, deque):
        limit = _MAXLEN.__get__(holder, deque)
        if limit is None:
            return _UNCAPPED
        return Bound(type_name(tp), "maxlen", int(limit), deque.__len__(holder))  # type: ignore[arg-type]
    if tp is _LRU_WRAPPER:
        info = _LRU_INFO(holder)
        if info.maxsize is None:
            return _UNCAPPED
        return Bound("functools.lru_cache", "maxsize", int(info.maxsize), int(info.currsize))
    if issubclass(tp, _ROOTS) or any(tp is t for t in _SIZED):  # `in` runs a metaclass __eq__
        return None
    if issubclass(tp, _SIZED):
        # A subclass of a builtin container that keeps its own cap (``class LRU(OrderedDict)``).
        return _attribute_cap(holder, holder)
    return _attribute_cap(holder, child)


def _attribute_cap(holder: object, held: object | None) -> Bound | None:
    """A cap kept in an integer attribute of ``holder``, sized by the container it holds
    (``held``: itself for a container subclass, else a value of its own dict)."""
    namespace = own_dict(holder)
    if held is None or _length(held) is None:
        return None
    if held is not holder and not _holds(namespace, held):
        return None
    found = _cap_in(namespace) if namespace is not None else None
    if found is None:
        for base in type_mro(type(holder)):
            found = _cap_in(type_dict(base))
            if found is not None:
                break
    if found is None:
        return None
    attribute, limit = found
    size = _size_in(namespace) if namespace is not None else None
    if size is None:
        size = _length(held)
    if size is None:
        return None
    return Bound(type_name(type(holder)), attribute, limit, size)


def _holds(namespace: dict[object, object] | None, held: object) -> bool:
    """Whether ``held`` is the value of one of the object's own attributes."""
    return namespace is not None and any(v is held for v in dict.values(namespace))


def _cap_in(namespace: Any) -> tuple[str, int] | None:
    for key, value in dict.items(namespace) if type(namespace) is dict else namespace.items():
        if type(key) is str and type(value) is int and value > 0 and _plain(key) in CAP_NAMES:
            return key, value
    return None


def _size_in(namespace: dict[object, object]) -> int | None:
    for key, value in dict.items(namespace):
        if type(key) is str and type(value) is int and _plain(key) == "currsize":
            return value
    return None


def _plain(name: str) -> str:
    """``_Cache__maxsize`` -> ``maxsize``; ``_capacity`` -> ``capacity``."""
    if name.startswith("_") and "__" in name[1:]:
        name = name[1:].split("__", 1)[1]
    return name.lstrip("_")


def _length(obj: object) -> int | None:
    tp = type(obj)
    for base in _SIZED:
        if issubclass(tp, base):
            return int(base.__len__(obj))  # type: ignore[attr-defined]
    return None


def bounded_holders(
    objects: Sequence[object], *, seconds: float = BOUND_SECONDS, ignore: Iterable[int] = ()
) -> tuple[Bound, ...]:
    """The capped holders of ``objects``, when every route up from each of them ends at one.

    Args:
        objects: a few live objects of one climb (not kept).
        seconds: time budget; past it, the answer is "not bounded".
        ignore: ``id()`` s of the caller's own containers holding ``objects``.

    Returns:
        The distinct capped holders reached, or () when any route ends elsewhere.
    """
    walk = _Walk(time.monotonic() + seconds, ignore)
    try:
        return walk.run(list(objects))
    except Exception:  # evidence must never raise into the host: "not bounded"
        return ()
    finally:
        walk.clear()


class _Walk:
    """One walk up the referrer graph; holds references until clear()."""

    def __init__(self, deadline: float, ignore: Iterable[int]) -> None:
        self.deadline = deadline
        self.seen: set[int] = set(ignore)
        self.child: dict[int, object] = {}  # id(holder) -> what it holds on the route
        self.found: dict[int, Bound] = {}
        self.seen.update(map(id, (self.seen, self.child, self.found)))

    def clear(self) -> None:
        self.child.clear()

    def run(self, level: list[object]) -> tuple[Bound, ...]:
        self.seen.update(id(o) for o in level)
        self.seen.add(id(level))
        for obj in level:
            if not _is_instance_only(obj) and not self._stop(obj, None):
                return ()
        level = [o for o in level if id(o) not in self.found]
        for _ in range(MAX_DEPTH):
            if not level:
                return tuple(self.found.values())
            if time.monotonic() > self.deadline:
                return ()
            nxt = self._up(level)
            if nxt is None:
                return ()
            level = nxt
        return () if level else tuple(self.found.values())

    def _stop(self, holder: object, child: object | None) -> bool:
        """Record a capped holder; False when the route fails here."""
        found = bound_of(holder, self._through(holder, child))
        if isinstance(found, Bound):
            self.found[id(holder)] = found
            return True
        return found is None

    def _through(self, holder: object, child: object | None) -> object | None:
        """What ``holder`` holds on the route, looking through its materialized ``__dict__``."""
        if child is not None and child is own_dict(holder):
            return self.child.get(id(child))
        return child

    def _up(self, level: list[object]) -> list[object] | None:
        """The referrers of one level that are no capped holder; None when a route fails."""
        nxt: list[object] = []
        self.seen.add(id(nxt))
        for lo in range(0, len(level), _BATCH):
            if not self._batch(tuple(level[lo : lo + _BATCH]), nxt) or len(nxt) > MAX_WIDTH:
                return None
        return nxt

    def _batch(self, batch: tuple[object, ...], nxt: list[object]) -> bool:
        """Add the referrers of ``batch`` to ``nxt``; False when a route fails."""
        # A tuple, marked seen before the call: since 3.13 gc.get_referrers copies its
        # arguments, and the tuple ``*batch`` passes is a live referrer of each of them.
        by_id = {id(o): o for o in batch}
        self.seen.update((id(batch), id(by_id)))
        referrers = gc.get_referrers(*batch)
        self.seen.add(id(referrers))
        try:
            for ref in referrers:
                if id(ref) in self.seen or _is_own_frame(ref):
                    continue
                self.seen.add(id(ref))
                if issubclass(type(ref), (*_ROOTS, types.FrameType)):
                    return False  # a module, class, function or running frame holds it
                child = _child_of(ref, by_id)
                if child is None:
                    continue
                self.child[id(ref)] = child
                if not self._stop(ref, child):
                    return False
                if id(ref) not in self.found:
                    nxt.append(ref)
            return True
        finally:
            del referrers, batch, by_id


def _is_instance_only(obj: object) -> bool:
    """A leaked instance is judged by its holders, never by attributes of its own."""
    return not (issubclass(type(obj), (*_SIZED, deque)) or type(obj) is _LRU_WRAPPER)


def _is_own_frame(ref: object) -> bool:
    return type(ref) is types.FrameType and ref.f_code.co_filename.startswith(LEAKGUARD_DIR)


def _child_of(ref: object, by_id: dict[int, object]) -> object | None:
    if len(by_id) == 1:
        return next(iter(by_id.values()))
    for target in referents(ref):
        hit = by_id.get(id(target))
        if hit is not None:
            return hit
    return None


Line = tuple[str, int]


def capped_lines(
    lines: Iterable[Line], *, seconds: float = BOUND_SECONDS
) -> dict[Line, tuple[int, Bound]]:
    """Of these allocation lines, how many of the traced objects born on each are held by a
    capped ``deque`` or ``lru_cache``, and one such holder.

    A bounded cache that churns keeps only young entries, so while tracemalloc is on
    the line that makes them looks like a growing line: its live traced blocks climb
    to the cache's size. Reads the tracebacks of the items of every capped deque and
    ``lru_cache`` (one pass over the tracked objects, then at most their caps); must
    run while tracing.

    Args:
        lines: (filename, lineno) lines that grew in the trace window.
        seconds: time budget; past it, what was counted so far is returned.

    Returns:
        line -> (objects born there that capped holders keep, one of those holders).
    """
    wanted = set(lines)
    found: dict[Line, tuple[int, Bound]] = {}
    if not wanted:
        return found
    deadline = time.monotonic() + seconds
    objects = gc.get_objects()
    try:
        for holder in objects:
            tp = type(holder)
            if tp is not _LRU_WRAPPER and not issubclass(tp, deque):
                continue
            bound = bound_of(holder)
            if not isinstance(bound, Bound) or time.monotonic() > deadline:
                continue
            for item in _items(holder):
                frames = object_frames(item)
                line = frames[0] if frames else None
                if line is not None and line in wanted:
                    found[line] = (found.get(line, (0, bound))[0] + 1, bound)
    finally:
        del objects
    return found


def _items(holder: object) -> list[object]:
    """What a capped holder keeps: a deque's items; an ``lru_cache``'s keys, results and the
    link nodes of its cache dict (one block per entry, born on the caller's line)."""
    items = referents(holder)
    if type(holder) is not _LRU_WRAPPER:
        return items
    own = own_dict(holder)
    size = _LRU_INFO(holder).currsize
    for cache in items:
        if type(cache) is dict and cache is not own and dict.__len__(cache) == size:
            return [*items, *dict.values(cache)]
    return items

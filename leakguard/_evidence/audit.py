"""One look at the heap, with no history: ``leakguard.audit()``.

One census gives the top types by count and by bytes and the biggest containers;
each of those is then followed to a root within the time budget. A scan of the
places long-lived caches live (module globals and their classes' attributes)
flags the containers that can only grow: ``lru_cache(maxsize=None)`` and
``functools.cache`` wrappers (on methods they also pin every ``self`` they saw),
``deque()`` without ``maxlen``, and big module-level dicts, lists and sets.

Everything is read through C-level getters: no ``__len__``, ``__repr__``,
``__eq__`` or property of the program's runs.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from leakguard._census.census import take_census
from leakguard._census.safe import (
    c_attribute,
    module_dict,
    own_dict,
    type_dict,
    type_name,
    type_short_name,
)
from leakguard._evidence.rules import OWN_MODULES
from leakguard._heap.bounds import bound_of
from leakguard._heap.paths import find_container, retention_path
from leakguard._model.audit import Audit, Holding, TypeRow
from leakguard._model.owner import Owner, name_owner
from leakguard._model.snapshot import Census
from leakguard._model.suspect import Bound

_LRU_WRAPPER: Any = functools._lru_cache_wrapper
_LRU_INFO: Any = _LRU_WRAPPER.cache_info
# Exact types only, compared by identity (hashing a class may run its metaclass's code).
_LENGTH: tuple[tuple[type, Any], ...] = (
    (dict, dict.__len__),
    (list, list.__len__),
    (set, set.__len__),
    (collections.deque, collections.deque.__len__),
)
_OWN = tuple(f"{m}." for m in OWN_MODULES)


@dataclass
class _Budget:
    """Wall time left for path searches; each search gets an equal share of what is left."""

    until: float
    notes: list[str] = field(default_factory=list)

    def share(self, searches_left: int) -> float:
        return max(0.0, self.until - time.monotonic()) / max(1, searches_left)


def audit(top: int = 10, min_size: int = 1000, seconds: float = 0.5) -> Audit:
    """Why is the process this big? One look at the heap, with no history needed.

    Counts every gc-tracked object once (one census), then follows the biggest
    containers to a root while ``seconds`` last, and scans module globals and class
    attributes for containers that can only grow. Runs no code of the program. Costs
    about one guard sample plus ``seconds`` at most.

    Args:
        top: how many rows each table keeps (1 to 1000).
        min_size: the fewest items for a module-level container, a deque or a
            standard-library cache to be flagged (the program's unbounded caches
            are flagged from their first entry).
        seconds: time budget for the holder searches, shared between them.

    Returns:
        An :class:`Audit`: ``to_text()``, ``to_dict()``, ``to_json()``.

    Raises:
        ValueError: an argument out of range (named in the message).
    """
    _check("top", top, 1, 1000)
    _check("min_size", min_size, 1, 2**62)
    if type(seconds) not in (int, float) or not 0 <= seconds <= 60:
        raise ValueError(f"audit(seconds={seconds!r}): must be a number from 0 to 60")
    return take_audit(top, min_size, float(seconds))


def take_audit(
    top: int = 10,
    min_size: int = 1000,
    seconds: float = 0.5,
    main: dict[str, object] | None = None,
) -> Audit:
    """The look behind :func:`audit`, its arguments already checked.

    ``main`` is a program's globals that ``sys.modules`` does not hold (``leakguard
    run`` runs the program in a namespace of its own), scanned as ``__main__``.
    """
    started = time.monotonic()
    created = time.time()
    census = take_census(top_containers=top, min_container=min(64, min_size))
    budget = _Budget(started + seconds)
    flagged = tuple(_flagged(min_size, main))
    containers = tuple(_followed(census, top, min_size, budget))
    return Audit(
        pid=os.getpid(),
        created=created,
        objects=census.objects,
        by_count=_top_types(census, top, by_bytes=False),
        by_bytes=_top_types(census, top, by_bytes=True),
        containers=containers,
        flagged=tuple(sorted(flagged, key=lambda h: -h.length)[:top]),
        seconds=time.monotonic() - started,
        notes=tuple(dict.fromkeys(budget.notes)),
    )


def _check(name: str, value: object, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"audit({name}={value!r}): must be a whole number from {low} to {high}")


def _top_types(census: Census, top: int, *, by_bytes: bool) -> tuple[TypeRow, ...]:
    rows = [
        TypeRow(name, count, size)
        for name, (count, size) in census.types.items()
        if not name.startswith(_OWN)
    ]
    rows.sort(key=(lambda r: (-r.bytes, r.name)) if by_bytes else (lambda r: (-r.count, r.name)))
    return tuple(rows[:top])


def _followed(census: Census, top: int, min_size: int, budget: _Budget) -> Iterator[Holding]:
    """The census's biggest containers, each with its holder path while time is left."""
    wanted = list(census.containers[:top])
    for i, row in enumerate(wanted):
        share = budget.share(len(wanted) - i)
        obj = find_container(row.key, row.type) if share > 0 else None
        if obj is None:
            yield Holding(row.type, row.length)
            continue
        try:
            path = retention_path(obj, seconds=share, notes=budget.notes) or ()
            limit = _limit(obj)
            yield Holding(
                row.type, row.length, path, limit, _flag_of(obj, row.length, limit, min_size)
            )
        finally:
            del obj


def _limit(obj: object) -> int | None:
    """The most items ``obj`` can hold (see ``_heap.bounds``); None if it has no cap."""
    bound = bound_of(obj)
    return bound.limit if isinstance(bound, Bound) else None


def _flag_of(
    obj: object, length: int, limit: int | None, min_size: int, *, method: bool = False
) -> str:
    """Why a container is worth a look: it cannot evict (``limit`` None), or it is big
    where caches live."""
    tp = type(obj)
    if tp is _LRU_WRAPPER:
        if limit is not None or not length:
            return ""
        return "unbounded cache on a method" if method or _on_method(obj) else "unbounded cache"
    if length < min_size:
        return ""
    return "unbounded deque" if tp is collections.deque and limit is None else ""


def _on_method(wrapper: object) -> bool:
    """Whether the cached function takes ``self`` first: every instance it saw is pinned."""
    namespace = own_dict(wrapper)
    wrapped = namespace.get("__wrapped__") if namespace is not None else None
    code = c_attribute(wrapped, "__code__") if type(wrapped) is types.FunctionType else None
    if type(code) is not types.CodeType:
        return False
    return code.co_argcount > 0 and code.co_varnames[0] in ("self", "cls")


def _flagged(min_size: int, main: dict[str, object] | None) -> Iterator[Holding]:
    """Unbounded caches and big containers held by module globals or class attributes.

    An unbounded cache of the standard library is flagged only from ``min_size``
    entries (``typing`` and ``enum`` keep a few); the program's own from its first.
    """
    for path, value, method, stdlib in _long_lived(main):
        tp = type(value)
        length = _length(tp, value)
        if length is None or (stdlib and tp is _LRU_WRAPPER and length < min_size):
            continue
        limit = _limit(value)
        flag = _flag_of(value, length, limit, min_size, method=method)
        if not flag and length >= min_size and tp is not collections.deque:
            where = "module" if len(path) == 2 else "class"
            flag = f"big {where}-level {type_short_name(tp)}"
        if flag:
            yield Holding(type_name(tp), length, path, limit, flag)


def _long_lived(
    main: dict[str, object] | None,
) -> Iterator[tuple[tuple[str, ...], object, bool, bool]]:
    """(path, value, is a class attribute, is the stdlib's) for module globals and the
    attributes of the classes they name."""
    seen: set[int] = set()
    modules: list[tuple[object, dict[str, object] | None]] = [
        (name, module_dict(module)) for name, module in list(sys.modules.items())
    ]
    if main is not None:
        modules.insert(0, ("__main__", main))
    for modname, namespace in modules:
        if namespace is None or type(modname) is not str:
            continue
        owner = name_owner(modname)
        if owner in (Owner.LEAKGUARD, Owner.TOOLING, Owner.MACHINERY):
            continue
        stdlib = owner is Owner.STDLIB
        root = f"{modname} (module)"
        for name, value in list(namespace.items()):
            if type(name) is not str or id(value) in seen:
                continue
            seen.add(id(value))
            if not issubclass(type(value), type):
                yield (root, _element(name, value)), value, False, stdlib
                continue
            cls_root = f"{name} (class)"
            for attr, member in list(type_dict(value).items()):  # type: ignore[arg-type]
                if type(attr) is str and id(member) not in seen:
                    seen.add(id(member))
                    yield (root, cls_root, _element(attr, member)), member, True, stdlib


def _length(tp: type, value: object) -> int | None:
    """Items held, by the container type's own C length; None for other types."""
    if tp is _LRU_WRAPPER:
        return int(_LRU_INFO(value).currsize)
    for known, length in _LENGTH:
        if tp is known:
            return int(length(value))
    return None


def _element(name: str, value: object) -> str:
    return f"{name} ({type_short_name(type(value))})"

"""Big caches the garbage collector does not track, found where caches live.

CPython stops tracking a dict whose keys and values are all atomic (str, int,
float, None, tuples of those): ``{request_id: "..."}`` is invisible to
``gc.get_objects()`` however big it grows. Such caches nearly always hang off
a module global or a class attribute, so those two places are scanned: a few
thousand dicts, read with C-level getters only (no user code). ``lru_cache``
wrappers found there are measured by their own ``cache_info()``.
"""

from __future__ import annotations

import functools
import gc
import sys
from types import ModuleType
from typing import Any

from leakguard._model.snapshot import Container

_MODULE_DICT: Any = vars(ModuleType)["__dict__"]
_TYPE_DICT: Any = vars(type)["__dict__"]
_DICT_LEN = dict.__len__
_LRU_WRAPPER: Any = functools._lru_cache_wrapper
_LRU_INFO: Any = _LRU_WRAPPER.cache_info


def untracked_containers(floor: int, limit: int) -> list[Container]:
    """Untracked dicts of ``floor`` items or more held by module globals or class attributes.

    Args:
        floor: the shortest dict worth reporting.
        limit: report at most this many, the longest first.
    """
    found: dict[int, Container] = {}
    seen: set[int] = set()
    for module in list(sys.modules.values()):
        if not issubclass(type(module), ModuleType):
            continue  # sys.modules may hold any object; only real modules are read
        try:
            namespace = _MODULE_DICT.__get__(module)
        except Exception:  # a broken module object is not ours to fix
            continue
        _scan(list(namespace.values()), floor, found, seen, depth=1)
    rows = sorted(found.values(), key=lambda c: c.length, reverse=True)
    return rows[:limit]


def _scan(
    values: list[object], floor: int, found: dict[int, Container], seen: set[int], depth: int
) -> None:
    for value in values:
        tp = type(value)
        if tp is _LRU_WRAPPER and id(value) not in found:
            # functools.lru_cache keeps its dict inside the C wrapper, out of the gc's sight
            # when it holds atomic keys and values; its own counter is safe to read.
            n = _LRU_INFO(value).currsize
            if n >= floor:
                found[id(value)] = Container(id(value), "functools._lru_cache_wrapper", n)
        elif issubclass(tp, dict):
            if not gc.is_tracked(value) and id(value) not in found:
                n = _DICT_LEN(value)  # type: ignore[arg-type]
                if n >= floor:
                    found[id(value)] = Container(id(value), _name(tp), n)
        elif depth and issubclass(tp, type) and id(value) not in seen:
            seen.add(id(value))
            namespace = _TYPE_DICT.__get__(value)
            if namespace is not None:  # some C types have no dict at all
                _scan(list(namespace.values()), floor, found, seen, depth - 1)


def _name(tp: type) -> str:
    from leakguard._census.census import type_name

    return type_name(tp)

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
from typing import Any

from leakguard._census.safe import module_dict, type_dict, type_name
from leakguard._model.snapshot import Container

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
        namespace = module_dict(module)  # sys.modules may hold any object: None for those
        if namespace is not None:
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
                    found[id(value)] = Container(id(value), type_name(tp), n)
        elif depth and issubclass(tp, type) and id(value) not in seen:
            seen.add(id(value))
            _scan(list(type_dict(value).values()), floor, found, seen, depth - 1)  # type: ignore[arg-type]

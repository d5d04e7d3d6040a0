"""Cheap measurements between repeated runs: young objects by type, blocks, threads, fds.

A check hides the heap that existed before it with ``gc.freeze()``: the
collector and ``gc.get_objects()`` then see only objects made since, so a
collection and a census between two runs cost time in proportion to what
the code under test made, not to the size of the heap. The freeze is undone
before anything else runs (see :class:`Freezer`).
"""

from __future__ import annotations

import gc
import sys
import threading
import warnings
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from leakguard._census.resources import count_fds
from leakguard._census.safe import type_name, type_weakrefoffset


class Freezer:
    """Freeze the existing heap for the length of one check, and undo it.

    When anything is frozen already, nothing is frozen (an ``unfreeze`` could
    not tell those objects from ours) and the check scans the whole heap. That
    includes CPython 3.12, which starts with a few hundred immortal objects
    frozen: unfreezing them would be harmless, but the program would see
    ``gc.get_freeze_count()`` change.
    """

    def __init__(self) -> None:
        self.active = False

    def freeze(self) -> None:
        """Hide every object tracked now from the collector, if that can be undone."""
        if not self.active and gc.get_freeze_count() == 0:
            gc.freeze()
            self.active = True

    def thaw(self) -> None:
        """Give the frozen objects back to the collector; safe to call twice."""
        if self.active:
            self.active = False
            gc.unfreeze()


@dataclass(frozen=True, slots=True)
class Sample:
    """Levels after one run and a collection.

    Attributes:
        types: full type name -> live (unfrozen) gc-tracked objects of that type.
        blocks: ``sys.getallocatedblocks()``.
        threads: live Python threads.
        fds: open file descriptors (-1 when unknown).
    """

    types: dict[str, int]
    blocks: int
    threads: int
    fds: int


def _is_noise_type(tp: type) -> bool:
    # pytest records every warning a test emits until the whole protocol ends;
    # one record per run is its bookkeeping, not the test's. The check's own
    # samples come and go between runs.
    if tp is Sample or tp is warnings.WarningMessage:
        return True
    return isinstance(tp, type) and issubclass(tp, Warning)


def count_types(objects: Iterable[object]) -> dict[str, int]:
    """Count objects by full type name, skipping the warnings pytest records."""
    # Keyed by id(type): hashing a class would call its metaclass's __hash__.
    by_type: dict[int, int] = {}
    types: dict[int, type] = {}
    for obj in objects:
        tp = type(obj)
        key = id(tp)
        if key not in types:
            types[key] = tp
        by_type[key] = by_type.get(key, 0) + 1
    counts: dict[str, int] = {}
    for key, n in by_type.items():
        tp = types[key]
        if not _is_noise_type(tp):
            name = type_name(tp)
            counts[name] = counts.get(name, 0) + n
    return counts


def take_sample(*, census: bool = True) -> Sample:
    """Collect garbage, then read the levels; holds no object past the call.

    Args:
        census: count objects by type (with a collection first); without it only
            the thread and fd levels are read (``types`` empty, ``blocks`` -1).
    """
    if not census:
        return Sample(types={}, blocks=-1, threads=threading.active_count(), fds=count_fds())
    # The type attribute cache keeps a reference per (type, name) it has seen and
    # fills over hundreds of calls; CPython's own -R leak hunter clears it too.
    clear = getattr(sys, "_clear_type_cache", None)
    if clear is not None:
        clear()
    gc.collect()
    blocks = sys.getallocatedblocks()
    objects = gc.get_objects()
    try:
        types = count_types(objects)
    finally:
        del objects
    return Sample(types=types, blocks=blocks, threads=threading.active_count(), fds=count_fds())


def settled_blocks() -> int:
    """Allocated blocks right after a collection, as :func:`take_sample` reads them.

    A full collection also empties the interpreter's free lists, so only counts
    taken just after one can be compared with each other.
    """
    gc.collect()
    return sys.getallocatedblocks()


def ids_of(names: Iterable[str]) -> dict[str, set[int]]:
    """Return the ``id()`` of every live object of the named types, by type name."""
    wanted = set(names)
    found: dict[str, set[int]] = {name: set() for name in wanted}
    named: dict[int, str] = {}  # by id(type): the list keeps every type alive meanwhile
    objects = gc.get_objects()
    try:
        for obj in objects:
            tp = type(obj)
            name = named.get(id(tp)) or named.setdefault(id(tp), type_name(tp))
            if name in wanted:
                found[name].add(id(obj))
    finally:
        del objects
    return found


def pin(ids: Mapping[str, set[int]]) -> dict[int, weakref.ref[object]]:
    """Weak references to the live objects of the named types whose id is in ``ids``.

    Made before the caller's cleanup, read after it (:func:`unpinned`): an object
    the cleanup freed has a dead reference, even when a new object of its type
    took its address meanwhile. Objects whose type takes no weak reference (dict,
    list, tuple, slotted classes) are left out and judged by id. One heap pass.
    """
    pins: dict[int, weakref.ref[object]] = {}
    wanted = {name: got for name, got in ids.items() if got}
    if not wanted:
        return pins
    named: dict[int, str] = {}
    objects = gc.get_objects()
    try:
        for obj in objects:
            tp = type(obj)
            name = named.get(id(tp)) or named.setdefault(id(tp), type_name(tp))
            got = wanted.get(name)
            if got is not None and id(obj) in got and type_weakrefoffset(tp):
                pins[id(obj)] = weakref.ref(obj)
    finally:
        del objects
    return pins


def unpinned(alive: set[int], pins: Mapping[int, weakref.ref[object]]) -> set[int]:
    """The ids in ``alive`` that still name the object :func:`pin` saw (or were not pinned)."""
    out = set()
    for key in alive:
        ref = pins.get(key)
        if ref is None:
            out.add(key)
            continue
        obj = ref()
        if obj is not None and id(obj) == key:
            out.add(key)
        del obj
    return out


def instances(name: str, ids: set[int], limit: int) -> list[object]:
    """Return up to ``limit`` live objects of type ``name`` whose id is in ``ids``.

    The caller must drop the list before its check ends.
    """
    out: list[object] = []
    objects = gc.get_objects()
    try:
        for obj in objects:
            # ids can be reused by objects of another type once the first is freed.
            if id(obj) in ids and type_name(type(obj)) == name:
                out.append(obj)
                if len(out) >= limit:
                    break
    finally:
        del objects
    return out

"""Who holds it: find a few live instances and the shortest path from a root to one.

A root is a module in ``sys.modules`` (its globals), the namespace of module-level
code another thread is running (a script exec'd by runpy counts as its module), a
local variable of another thread's running function, or a suspended coroutine (an
asyncio task's frame). When a module and a frame hold an object at the same depth,
the module is the root: it owns the object, the frame only borrows it.
The search walks referrers breadth-first, one ``gc.get_referrers`` call per
batch of a level rather than per object, so a path of depth d costs about d
passes over the heap. It compares objects by ``id()`` only, reads types with
``type()``, and never calls ``__repr__``, ``__eq__``, ``__hash__``, ``__class__``
or any other user code. Every reference it takes is dropped before it returns.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import types
from collections.abc import Generator, Iterable

from leakguard._census.safe import module_dict, referents, type_dict, type_name
from leakguard._heap.ownership import LEAKGUARD_DIR
from leakguard._heap.pathrender import FrameRoot, Roots, render

_BATCH = 32  # objects per gc.get_referrers call: its cost grows with the batch size
_MAX_WIDTH = 20_000  # referrers kept per level; past this the search gives up on width


def find_instances(type_name_: str, limit: int, *, newest: bool = True) -> list[object]:
    """A few live, gc-tracked instances of a type, newest first.

    "Newest" follows the order of the collector's lists, which is creation order
    until a collection merges generations; it is a good guess, not a guarantee.
    The caller must drop the list soon: it keeps the instances alive.

    Args:
        type_name_: the full type name, as :func:`leakguard._census.safe.type_name` gives it.
        limit: the most instances to return.
        newest: walk from the youngest generation's tail towards the oldest; False
            walks oldest first.

    Returns:
        Up to ``limit`` instances (empty for untracked types such as ``str``).
    """
    found: list[object] = []
    if limit <= 0:
        return found
    walk = iter_instances(type_name_, newest=newest)
    try:
        for obj in walk:
            if obj is not found:
                found.append(obj)
                if len(found) >= limit:
                    break
    finally:
        walk.close()
    return found


def iter_instances(
    type_name_: str, *, newest: bool = True, born_before: object | None = None
) -> Generator[object, None, None]:
    """Yield live instances of a type, newest first, one generation list at a time.

    Close the iterator (or exhaust it) promptly: it holds a generation's object list.

    Args:
        type_name_: the full type name.
        newest: walk from the youngest generation's tail (False: oldest first).
        born_before: a gc-tracked marker object made when evidence gathering began;
            walking newest first, everything tracked after it (the evidence's own
            lists, dicts and tuples) is skipped. Collections move objects between
            generations in order, so the marker stays a boundary; if it cannot be
            found (a ``gc.freeze()``), nothing is skipped.
    """
    wanted = {id(tp) for tp in _types_named(type_name_)}
    if not wanted:
        return
    skipping = newest and born_before is not None and gc.is_tracked(born_before)
    for generation in (0, 1, 2) if newest else (2, 1, 0):
        objects = gc.get_objects(generation=generation)
        try:
            for obj in reversed(objects) if newest else objects:
                if skipping:
                    skipping = obj is not born_before
                elif id(type(obj)) in wanted:
                    yield obj
        finally:
            del objects
    if skipping:  # the marker was not in any generation: walk again without it
        yield from iter_instances(type_name_, newest=newest)


def find_container(key: int, type_name_: str) -> object | None:
    """The object whose ``id()`` is key, if its type has that name.

    Looks among the objects gc tracks, then where untracked caches live (the
    values of module globals and of their classes' attributes), as the census
    found them.

    Args:
        key: the ``id()`` the census recorded.
        type_name_: the full type name it had (guards against a reused id).

    Returns:
        The object, or None when it is gone or the id now belongs to another type.
    """
    objects = gc.get_objects()
    try:
        for lo in range(0, len(objects), 50_000):
            chunk = objects[lo : lo + 50_000]
            try:
                # list.index compares ints in C: far faster than a Python loop over ids.
                at = list(map(id, chunk)).index(key)
            except ValueError:
                continue
            obj = chunk[at]
            return obj if type_name(type(obj)) == type_name_ else None
    finally:
        del objects
    found = _in_namespaces(key)
    return found if found is not None and type_name(type(found)) == type_name_ else None


def _in_namespaces(key: int) -> object | None:
    """A module global, or an attribute of a class that is one, whose ``id()`` is key."""
    classes: list[object] = []
    try:
        for module in list(sys.modules.values()):
            namespace = module_dict(module)  # None for the non-modules sys.modules may hold
            for value in list(namespace.values()) if namespace is not None else ():
                if id(value) == key:
                    return value
                if issubclass(type(value), type):
                    classes.append(value)
        for cls in classes:
            for value in list(type_dict(cls).values()):  # type: ignore[arg-type]
                if id(value) == key:
                    return value
        return None
    finally:
        classes.clear()


def retention_path(
    obj: object,
    *,
    max_depth: int = 20,
    seconds: float = 1.0,
    notes: list[str] | None = None,
    ignore: Iterable[int] = (),
    skip_threads: Iterable[int] = (),
) -> tuple[str, ...] | None:
    """The shortest chain of references from a root to ``obj``, rendered for humans.

    Example: ``("shop.orders (module)", "_recent (list)", "OrderDTO")``. Elements
    label how their parent holds them (attribute, ``[key]``, closure variable,
    local variable) and end with their type; detail of one instance is in
    square brackets, which leak signatures leave out.

    The calling thread's own frames are not roots: they hold ``obj`` only because
    the caller is looking at it.

    Args:
        obj: the object to explain (not kept).
        max_depth: the most references between a root and ``obj``.
        seconds: time budget; the search stops at the first level boundary past it.
        notes: a list to append one line to when no path is returned (why not).
        ignore: ``id()`` s of containers that must not count as holders (the
            caller's own lists of sampled objects).
        skip_threads: idents of threads whose frames are not roots (a thread's
            own frames always hold its ``Thread`` object).

    Returns:
        The rendered path, root first, or None on timeout or when no root holds it.
    """
    search = _Search(max_depth, seconds, ignore, skip_threads)
    try:
        chain, problem = search.run(obj)
        if chain is None:
            if notes is not None:
                notes.append(problem)
            return None
        return render(chain, search.roots)
    except Exception as exc:  # evidence must never raise into the host
        if notes is not None:
            notes.append(f"retention path search failed: {type(exc).__name__}")
        return None
    finally:
        search.clear()


def retention_chain(
    obj: object, *, max_depth: int = 20, seconds: float = 1.0, ignore: Iterable[int] = ()
) -> list[object] | None:
    """The objects of the shortest chain from a root to ``obj``, root first, unrendered.

    A module root starts with the module object itself, then its globals; for a
    thread's frame the chain starts at the local variable's value (a running
    frame's locals are not objects the collector shows). The caller must drop
    the list soon: it keeps every object on the chain alive.

    Returns:
        The chain, or None when no root was found in time.
    """
    search = _Search(max_depth, seconds, ignore)
    try:
        chain, _ = search.run(obj)
        if chain is None:
            return None
        head = chain[0]
        if type(head) is FrameRoot:
            return chain[1:]
        module = sys.modules.get(search.roots.module_dicts.get(id(head), ""))
        if module is not None and module_dict(module) is head:
            chain.insert(0, module)
        return chain
    finally:
        search.clear()


class _Search:
    """One breadth-first walk up the referrer graph; holds references until clear()."""

    def __init__(
        self, max_depth: int, seconds: float, ignore: Iterable[int], skip: Iterable[int] = ()
    ) -> None:
        self.max_depth = max_depth
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        me = threading.get_ident()
        self.roots = Roots.collect(skip_thread=me, skip_dir=LEAKGUARD_DIR, skip=skip)
        self.link: dict[int, object] = {}  # id(referrer) -> the object it refers to
        self.keep: dict[int, object] = {}  # id -> object, so that ids stay unique
        self.seen: set[int] = set(ignore) | self.roots.private_ids()
        self.seen.update(map(id, (self.link, self.keep, self.seen)))

    def clear(self) -> None:
        self.link.clear()
        self.keep.clear()
        self.roots.clear()

    def run(self, obj: object) -> tuple[list[object] | None, str]:
        """Return the chain root-first, or None and why not."""
        self.seen.add(id(obj))
        self.keep[id(obj)] = obj
        level: list[object] = [obj]
        self.seen.add(id(level))
        if self.roots.is_root(obj):
            return [obj], ""
        for _ in range(self.max_depth):
            # At equal depth a module owns what a thread's local merely borrows: look one
            # level up for a module before settling for a frame, then for a task.
            module, task, nxt = self._expand(level)
            found = module or self._frame_held(level) or task
            if found is not None:
                return found, ""
            level = nxt
            if time.monotonic() > self.deadline:
                return None, f"retention path search timed out after {self.seconds:g} s"
            if not level:
                return None, "no root holds it (held only by C code, or unreachable garbage)"
        return None, f"no root within {self.max_depth} references"

    def _frame_held(self, level: list[object]) -> list[object] | None:
        for node in level:
            if id(node) in self.roots.frame_locals:
                return [self.roots.frame_marker(id(node)), *self._chain_from(node)]
        return None

    def _expand(
        self, level: list[object]
    ) -> tuple[list[object] | None, list[object] | None, list[object]]:
        """Referrers of one level: (chain from a module, chain from a task, next level)."""
        nxt: list[object] = []
        self.seen.add(id(nxt))
        fallback: list[object] | None = None
        for lo in range(0, len(level), _BATCH):
            if time.monotonic() > self.deadline:
                return None, fallback, []
            # A tuple, marked seen before the call: since 3.13 gc.get_referrers copies
            # its arguments (Argument Clinic ``*objs``) and skips only the copy, so the
            # tuple that ``*batch`` passes is a live referrer of every object in it.
            batch = tuple(level[lo : lo + _BATCH])
            by_id = {id(o): o for o in batch}
            self.seen.update((id(batch), id(by_id)))
            referrers = gc.get_referrers(*batch)
            self.seen.add(id(referrers))
            for ref in referrers:
                if not self._admit(ref, batch, by_id):
                    continue
                nxt.append(ref)
                if self.roots.is_module_dict(ref):
                    return self._chain_from(ref), None, []
                if fallback is None and self.roots.is_root(ref):
                    fallback = self._chain_from(ref)
            del referrers, batch, by_id
            if len(nxt) > _MAX_WIDTH:
                break
        return None, fallback, nxt

    def _admit(self, ref: object, batch: tuple[object, ...], by_id: dict[int, object]) -> bool:
        rid = id(ref)
        if rid in self.seen:
            return False
        self.seen.add(rid)
        child = batch[0] if len(batch) == 1 else _referent_in(ref, by_id)
        if child is None or type(ref) is child:
            # An instance refers to its own class; that does not make it the class's holder.
            return False
        if type(ref) is types.FrameType and self.roots.is_private_frame(ref):
            return False
        self.keep[rid] = ref
        self.link[rid] = child
        return True

    def _chain_from(self, node: object) -> list[object]:
        chain = [node]
        while id(node) in self.link:
            node = self.link[id(node)]
            chain.append(node)
        return chain


def _referent_in(ref: object, by_id: dict[int, object]) -> object | None:
    for target in referents(ref):
        hit = by_id.get(id(target))
        if hit is not None:
            return hit
    return None


def _types_named(name: str) -> list[type]:
    """Every live class with this full name (a class redefined twice has two)."""
    out: list[type] = []
    seen: set[int] = set()
    stack: list[type] = [object]
    while stack:
        tp = stack.pop()
        subs: list[type] = type.__subclasses__(tp)
        for sub in subs:
            if id(sub) not in seen:
                seen.add(id(sub))
                stack.append(sub)
                if _safe_type_name(sub) == name:
                    out.append(sub)
    return out


def _safe_type_name(tp: type) -> str | None:
    try:
        return type_name(tp)
    except Exception:  # a type with a broken __module__/__qualname__ is nobody's leak
        return None

"""Roots of the referrer graph, and rendering a reference chain for a human.

Split from :mod:`leakguard._heap.paths` (the search) by concept: this module knows
what a root is and how each kind of object holds the next one. Everything is
read through C-level descriptors and base-class methods, so no user
``__getattr__``, ``__getattribute__``, ``__class__``, ``__repr__``, ``__eq__`` or
``__hash__`` runs.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from leakguard._census.safe import code_qualname, module_dict, own_dict, type_mro, type_qualname

_PLAIN_KEYS = (str, int, float, bool, bytes, type(None))
_SEQUENCES = (list, tuple, set, frozenset, deque)
_KEY_WIDTH = 40
_CO_OPTIMIZED = 0x1  # inspect.CO_OPTIMIZED: a function's frame, with locals of its own


class FrameRoot:
    """A stand-in for a running frame: its locals are not visible to ``gc``."""

    __slots__ = ("label", "var")

    def __init__(self, label: str, var: str) -> None:
        self.label = label
        self.var = var


class Roots:
    """What counts as a root during one search, and the ids the search must not follow."""

    def __init__(self) -> None:
        self.module_dicts: dict[int, str] = {}
        self.frame_locals: dict[int, tuple[str, str]] = {}
        self._held: list[object] = []  # keeps frame-local values alive so their ids stay unique
        self._private: set[int] = {id(self._held)}
        self._private_frames: set[int] = set()

    @classmethod
    def collect(cls, skip_thread: int, skip_dir: str, skip: Iterable[int] = ()) -> Roots:
        """Modules in ``sys.modules`` and the locals of other threads' running frames.

        Frames of ``skip_thread``, of the threads in ``skip`` and of leakguard's own
        code are not roots, and the search does not walk through them.
        """
        skipped = {skip_thread, *skip}
        roots = cls()
        for name, module in list(sys.modules.items()):
            namespace = module_dict(module)
            if type(name) is str and namespace is not None:
                roots.module_dicts.setdefault(id(namespace), name)
        names = thread_names()
        for (
            ident,
            top,
        ) in sys._current_frames().items():  # the only way to see other threads' frames
            for frame in _stack(top):
                if ident in skipped or frame.f_code.co_filename.startswith(skip_dir):
                    roots._private_frames.add(id(frame))
                else:
                    roots._add_frame(frame, names.get(ident, "?"))
        return roots

    def _add_frame(self, frame: types.FrameType, thread: str) -> None:
        if not frame.f_code.co_flags & _CO_OPTIMIZED and frame.f_locals is frame.f_globals:
            # Module-level code (a script's body, an import, runpy, exec): its locals are
            # its globals, a namespace the module owns, so the module is the root.
            self._add_namespace(frame.f_globals, frame)
            return
        # On 3.11/3.12 f_locals snapshots the locals into a dict the frame keeps until
        # it next refreshes it or returns; running frames hide their locals from gc
        # otherwise, and a thread's frame is a root the user must see.
        local_vars = frame.f_locals
        if type(local_vars) is dict:
            self._private.add(id(local_vars))
        label = f"{frame_name(frame)}() (thread frame) [thread {thread!r}, {_where(frame)}]"
        for var, value in _items(local_vars):
            if type(var) is str and id(value) not in self.frame_locals:
                self.frame_locals[id(value)] = (label, var)
                self._held.append(value)

    def _add_namespace(self, namespace: dict[str, Any], frame: types.FrameType) -> None:
        if type(namespace) is not dict or id(namespace) in self.module_dicts:
            return
        name = dict.get(namespace, "__name__")  # code exec'd in a dict no module owns
        self.module_dicts[id(namespace)] = name if type(name) is str else frame_name(frame)
        self._held.append(namespace)  # keeps its id unique while the search runs

    def private_ids(self) -> set[int]:
        """Ids the search must not follow: its own bookkeeping and the caller's frames."""
        return self._private | self._private_frames

    def is_private_frame(self, frame: object) -> bool:
        """Whether a frame belongs to the searching thread or to leakguard."""
        return id(frame) in self._private_frames

    def is_module_dict(self, obj: object) -> bool:
        """Whether obj is the globals of a module in ``sys.modules``."""
        return type(obj) is dict and id(obj) in self.module_dicts

    def is_root(self, obj: object) -> bool:
        """Whether obj is a root: module globals or a suspended coroutine (a task's frame)."""
        if type(obj) is types.CoroutineType:
            return obj.cr_frame is not None
        return self.is_module_dict(obj)

    def frame_marker(self, key: int) -> FrameRoot:
        """The frame root holding the object with this id in a local variable."""
        label, var = self.frame_locals[key]
        return FrameRoot(label, var)

    def clear(self) -> None:
        """Drop every reference taken."""
        self._held.clear()
        self.frame_locals.clear()


def render(chain: list[object], roots: Roots) -> tuple[str, ...]:
    """Render a root-first chain as ``("shop.orders (module)", "_recent (list)", "OrderDTO")``.

    Internal hops (an object's ``__dict__``, a class's dict, a closure tuple and its
    cell) are folded into the label of the object they lead to.
    """
    head = chain[0]
    pending: str | None = None
    if type(head) is FrameRoot:
        parts, pending = [head.label], head.var
    elif roots.is_module_dict(head):
        parts = [f"{roots.module_dicts[id(head)]} (module)"]
    elif type(head) is types.CoroutineType:
        frame = head.cr_frame
        name = frame_name(frame) if frame is not None else head.__qualname__
        parts = [f"{name}() (task coroutine)"]
    else:
        parts = [_element("", head)]
    i = 1
    while i < len(chain):
        parent, node = chain[i - 1], chain[i]
        label = pending if pending is not None else _label(parent, node, roots)
        pending = None
        skip, carried = _hidden(parent, node, chain[i + 1 : i + 3])
        if skip:
            pending, i = carried, i + skip
            continue
        parts.append(_element(label, node))
        i += 1
    return tuple(parts)


def _hidden(parent: object, node: object, after: list[object]) -> tuple[int, str | None]:
    """Whether node is an internal hop; returns (elements to skip, label for the next)."""
    if not after:
        return 0, None
    nxt = after[0]
    if type(node) is dict and node is own_dict(parent):
        return 1, _attr_label(node, nxt)
    if type(node) is types.FrameType and type(parent) is types.CoroutineType:
        # Up to 3.10 a suspended coroutine's frame is an object of its own; the task is the root.
        return 1, _find(_items(node.f_locals), nxt) or ""
    if type(parent) is types.FunctionType and node is parent.__closure__ and len(after) == 2:
        cell = after[0]
        freevars = parent.__code__.co_freevars
        for var, candidate in zip(freevars, parent.__closure__ or (), strict=False):
            if candidate is cell:
                return 2, f"closure {var}"
        return 2, "closure"
    return 0, None


def _label(parent: object, node: object, roots: Roots) -> str:
    """How parent holds node: attribute, [key], local variable or nothing (a sequence item)."""
    if type(parent) is dict and roots.is_module_dict(parent):
        return _attr_label(parent, node) or ""
    special = _builtin_label(parent, node)
    if special is not None:
        return special
    own = own_dict(parent)
    found = _find(dict.items(own), node) if own is not None else None
    return found or _slot_name(parent, node) or ""


def _builtin_label(parent: object, node: object) -> str | None:
    """The label when parent is a builtin holder (None: look at its attributes)."""
    tp = type(parent)
    if issubclass(tp, dict):
        return _key_label(parent, node)
    if issubclass(tp, _SEQUENCES):
        return ""
    if tp is types.MethodType:
        return "__self__" if parent.__self__ is node else "__func__"  # type: ignore[attr-defined]
    frame = parent.cr_frame if tp is types.CoroutineType else parent  # type: ignore[attr-defined]
    if type(frame) is types.FrameType:
        return _find(_items(frame.f_locals), node) or ""
    return "cell" if tp is types.CellType else None


def _element(label: str, node: object) -> str:
    tp = type(node)
    kind = "class" if issubclass(tp, type) else type_qualname(tp)
    return f"{label} ({kind})" if label else kind


def _slot_name(obj: object, node: object) -> str | None:
    for base in type_mro(type(obj)):
        for name, desc in dict.items(own_dict(base) or {}):
            if type(desc) is types.MemberDescriptorType:
                try:
                    if desc.__get__(obj, base) is node:
                        return str(name)
                except AttributeError:  # an unset slot
                    continue
    return None


def _attr_label(namespace: dict[object, object], node: object) -> str | None:
    for key, value in dict.items(namespace):
        if value is node:
            return str(key) if type(key) is str and key.isidentifier() else f"[{_key_text(key)}]"
    return None


def _key_label(mapping: Any, node: object) -> str:
    for key, value in dict.items(mapping):
        if value is node:
            return f"[{_key_text(key)}]"
        if key is node:
            return "(a key)"
    return ""


def _key_text(key: object) -> str:
    if any(type(key) is tp for tp in _PLAIN_KEYS):  # `in` would call a metaclass __eq__
        text = repr(key)
        return text if len(text) <= _KEY_WIDTH else text[: _KEY_WIDTH - 3] + "..."
    return f"<{type_qualname(type(key))}>"


def _find(items: Iterable[tuple[object, object]], node: object) -> str | None:
    for key, value in items:
        if value is node and type(key) is str:
            return key
    return None


def _items(mapping: object) -> Iterator[tuple[object, object]]:
    if type(mapping) is dict:
        return iter(dict.items(mapping))
    return iter(list(mapping.items()))  # type: ignore[attr-defined]  # 3.13 FrameLocalsProxy


def _stack(frame: types.FrameType | None) -> Iterator[types.FrameType]:
    while frame is not None:
        yield frame
        frame = frame.f_back


def frame_name(frame: types.FrameType) -> str:
    """``module.function`` of a frame, without running user code."""
    code = frame.f_code
    qual = code_qualname(code)
    module = frame.f_globals.get("__name__")
    return f"{module}.{qual}" if type(module) is str else qual


def _where(frame: types.FrameType) -> str:
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def thread_names() -> dict[int, str]:
    """Thread ident -> name, read through the base class so no override runs."""
    names: dict[int, str] = {}
    active: dict[int, threading.Thread] = getattr(threading, "_active", {})
    for thread in list(active.values()):  # enumerate() would call overrides
        try:
            ident = threading.Thread.ident.fget(thread)  # type: ignore[attr-defined]
            names[ident] = threading.Thread.name.fget(thread)  # type: ignore[attr-defined]
        except Exception:  # a half-built Thread subclass: its frames still count, unnamed
            continue
    return names

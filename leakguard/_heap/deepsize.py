"""How big: the deep size of a few sampled instances, by pympler's asizeof where that is safe.

pympler's ``asizeof`` is the reference deep-size tool (alignment, over-allocation,
types it knows), and the project ships it for this. But it reads attributes with
``getattr``/``hasattr``, calls ``sys.getsizeof``, ``len()`` and iteration on what
it sizes, calls ``items()`` on dict subclasses, hashes the types it meets, and
keeps every type it sized in module-level caches. Each of these can run the
program's own code, or keep the program's classes alive.

So one walk over ``gc.get_referents`` (reading ``type()`` only) comes first. It
measures with the builtin ``__sizeof__`` and, on the way, checks every object it
reaches: its type must be a C type, or a class whose own dictionaries (and its
metaclass's) define no hook that pympler would trigger (``__getattr__``,
``__getattribute__``, ``__class__``, ``__sizeof__``, ``__len__``, ``__iter__``,
Python-level descriptors on the names pympler reads, ``items()`` on a dict
subclass...). Only then does ``asizeof`` measure the same objects, with the
entries it added to its caches removed afterwards; otherwise the walk's own
figure stands. :func:`measure` says which measured it; a report hears about it
(:func:`measure_for_report`) only when something unusual happened.
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
import time
import types
import weakref
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from typing import Any

from leakguard._census.safe import (
    referents,
    type_dict,
    type_dictoffset,
    type_flags,
    type_mro,
    type_short_name,
)

DEEP_SIZE_NODES = 50_000
"""Objects a deep-size walk may visit before it gives up (a sample that reaches the whole app)."""

# Objects shared by everything: a deep size that counted them would count the program.
_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType,
           types.FrameType, types.MethodType)  # fmt: skip
# Objects pympler follows in ways gc.get_referents does not show (frames' f_locals, a
# weak reference's referent): the pre-walk cannot vouch for what lies behind them.
_OPAQUE = (types.FrameType, types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType,
           weakref.ReferenceType, weakref.ProxyType, weakref.CallableProxyType)  # fmt: skip
_MANAGED_DICT = 1 << 4  # Py_TPFLAGS_MANAGED_DICT, 3.11+
_HEAPTYPE = 1 << 9
_HAVE_GC = 1 << 14
_GC_HEADER = 16  # sizeof(PyGC_Head) on 64-bit CPython 3.8+, as sys.getsizeof adds it

# What pympler triggers on an instance, a dict subclass and a class (through its metaclass).
_HOOKS = frozenset(("__getattr__", "__getattribute__", "__class__", "__sizeof__", "__len__",
                    "__iter__", "__length_hint__"))  # fmt: skip
_DICT_HOOKS = frozenset(("items", "keys", "values", "iteritems", "iterkeys", "itervalues"))
_META_HOOKS = frozenset(("__hash__", "__eq__", "mro"))
# Names pympler reads with getattr: a property there would run.
_READ = frozenset(("__dict__", "__class__", "__slots__", "_fields", "dtype", "itemsize", "nbytes",
                   "__name__", "__module__", "__doc__", "__mro__", "__weakref__", "__flags__",
                   "__basicsize__", "__itemsize__", "gi_frame"))  # fmt: skip
_PLAIN_VALUES = (types.FunctionType, types.BuiltinFunctionType, types.MemberDescriptorType,
                 types.GetSetDescriptorType, types.MethodDescriptorType,
                 types.WrapperDescriptorType, types.ClassMethodDescriptorType)  # fmt: skip
_PYMPLER_OK = True  # set False once pympler turns out unusable (import or cache layout)


def measure(objects: Sequence[object], deadline: float | None = None) -> tuple[int | None, str]:
    """Deep size of objects, and a note saying how it was measured (the full form).

    Returns:
        (bytes, note); bytes is None when the walk passed :data:`DEEP_SIZE_NODES`
        objects or the deadline.
    """
    size, how, _ = _measured(objects, deadline)
    return size, how


def measure_for_report(
    objects: Sequence[object], deadline: float | None = None
) -> tuple[int | None, str | None]:
    """Deep size of objects, and a note for the report only when something unusual happened.

    Which tool measured a sample follows from its types (see the module docstring),
    so the normal cases, pympler or the own walk where pympler could run code or
    create a ``__dict__``, say nothing. Unusual: not measured (too big, out of
    time), or pympler missing or failing.

    Returns:
        (bytes or None, a short note or None).
    """
    size, _, unusual = _measured(objects, deadline)
    return size, unusual


def _measured(
    objects: Sequence[object], deadline: float | None
) -> tuple[int | None, str, str | None]:
    """(bytes, how it was measured, the note a report shows or None)."""
    own, why_not, over = _walk(objects, deadline, vet=True)
    if own is None:
        note = f"deep size not measured: {over}"
        return None, note, note
    if why_not is None:
        size = _asizeof(objects)
        if size is not None:
            return size, "deep size by pympler.asizeof", None
        why_not = "pympler failed on this sample" if _PYMPLER_OK else "pympler is not usable here"
        note = f"deep size by leakguard's own walk ({why_not})"
        return own, note, note
    return own, f"deep size by leakguard's own walk ({why_not})", None


def deep_size(objects: Sequence[object], deadline: float | None = None) -> int | None:
    """Bytes reachable from objects, counting each object once and no shared ones.

    Types, modules, functions, code and frames are not counted (every instance
    reaches its class). Sizes come from the builtin ``__sizeof__`` only, so no
    user code runs.

    Returns:
        The total, or None when the walk passed :data:`DEEP_SIZE_NODES` objects
        or the deadline.
    """
    return _walk(objects, deadline, vet=False)[0]


def _walk(
    objects: Sequence[object], deadline: float | None, *, vet: bool
) -> tuple[int | None, str | None, str | None]:
    """(size, why pympler may not measure these, why no size); size None past a limit."""
    seen = {id(o) for o in objects}
    stack = list(objects)
    vetted: dict[int, str | None] = {}
    why_not: str | None = None
    total = 0
    try:
        while stack:
            obj = stack.pop()
            total += _sizeof(obj)
            refs = referents(obj)
            if vet and why_not is None:
                why_not = _vet(type(obj), vetted) or _dict_made(obj, refs)
            for ref in refs:
                if id(ref) in seen:
                    continue
                if not issubclass(type(ref), _SHARED):
                    seen.add(id(ref))
                    stack.append(ref)
                elif vet and why_not is None:  # not walked, but pympler still looks at it
                    why_not = _vet(type(ref), vetted)
            del refs
            if len(seen) > DEEP_SIZE_NODES:
                return None, why_not, f"the sample reaches over {DEEP_SIZE_NODES:,} objects"
            if deadline and time.monotonic() > deadline:
                return None, why_not, "the evidence budget ran out"
        return total, why_not, None
    finally:
        stack.clear()


def _vet(tp: type, cache: dict[int, str | None]) -> str | None:
    """None when pympler can size objects of type tp without running Python code; else why not."""
    key = id(tp)
    if key not in cache:
        cache[key] = _why_unsafe(tp)
    return cache[key]


def _why_unsafe(tp: type) -> str | None:
    if issubclass(tp, _OPAQUE):
        return f"it reaches a {type_short_name(tp)} object"
    hooks = _HOOKS | (_DICT_HOOKS if issubclass(tp, dict) else frozenset())
    if issubclass(tp, type):  # a class: pympler reads and hashes it through its metaclass
        hooks = hooks | _META_HOOKS
    for base in type_mro(tp):
        if not type_flags(base) & _HEAPTYPE:
            continue
        namespace = type_dict(base)
        for name in list(namespace):
            if type(name) is not str:
                return "a class dictionary has a key that is not a str"
            if name in hooks:
                return f"{type_short_name(base)} defines {name}"
            if name in _READ and _is_code_descriptor(namespace[name]):
                return f"{type_short_name(base)}.{name} is a descriptor"
    meta = type(tp)
    return None if meta is type else _vet(meta, {})


def _dict_made(obj: object, refs: list[Any]) -> str | None:
    """Why pympler would write to obj: reading ``__dict__`` creates one it does not have yet.

    Since 3.11 the attributes of most instances live inline until someone reads
    ``__dict__``; the dict made then stays with the object for good (and would be
    counted as if it had always been there). Before 3.11 an instance with no
    attribute set yet has no dict either.
    """
    tp = type(obj)
    if not type_dictoffset(tp):
        return None
    managed = sys.version_info >= (3, 11) and type_flags(tp) & _MANAGED_DICT
    if managed or not any(type(r) is dict for r in refs):
        return f"pympler would create the __dict__ of {type_short_name(tp)} instances"
    return None


def _is_code_descriptor(value: object) -> bool:
    """Whether reading a class attribute holding value may call Python code."""
    tp = type(value)
    if issubclass(tp, _PLAIN_VALUES):
        return False
    if tp is staticmethod or tp is classmethod:
        return not isinstance(value.__func__, types.FunctionType)  # type: ignore[attr-defined]
    if tp is property:
        return True
    return any("__get__" in type_dict(b) for b in type_mro(tp)[:-1])


def _sizeof(obj: object) -> int:
    tp = type(obj)
    size = 0
    for base in type_mro(tp):
        method: Any = type_dict(base).get("__sizeof__")
        if method is not None:
            # A Python-level __sizeof__ is user code: fall back to the object's header.
            safe = object.__sizeof__ if type_flags(base) & _HEAPTYPE else method
            size = int(safe(obj))
            break
    return size + (_GC_HEADER if type_flags(tp) & _HAVE_GC else 0)


def _asizeof(objects: Sequence[object]) -> int | None:
    """pympler's deep size of vetted objects; its caches lose what this call added."""
    global _PYMPLER_OK
    asizeof = _pympler() if _PYMPLER_OK else None
    typedefs = getattr(asizeof, "_typedefs", None)
    claskeys = getattr(asizeof, "_claskeys", None)
    if asizeof is None or type(typedefs) is not dict or type(claskeys) is not dict:
        _PYMPLER_OK = False  # cannot promise to let go of the program's classes
        return None
    before = {id(k) for k in list(typedefs)}
    classes_before = set(claskeys)
    try:
        return int(asizeof.Asizer().asizeof(*objects))
    except Exception:  # pympler failed on something odd: the walk's figure stands
        return None
    finally:
        for k in [k for k in list(typedefs) if id(k) not in before]:
            typedefs.pop(k, None)
        for i in [i for i in list(claskeys) if i not in classes_before]:
            claskeys.pop(i, None)


class _NoNumpyHere(importlib.abc.MetaPathFinder):
    """Refuses ``numpy`` to one thread: pympler's import must not pull it (and its threads) in."""

    def __init__(self) -> None:
        self.ident = threading.get_ident()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname.partition(".")[0] == "numpy" and threading.get_ident() == self.ident:
            raise ImportError("leakguard: numpy is not loaded by the program")
        return None


def _pympler() -> Any:
    """``pympler.asizeof``, imported once; numpy is left out unless the program loaded it."""
    global _PYMPLER_OK
    module = sys.modules.get("pympler.asizeof")
    if module is not None:
        return module
    blocker = _NoNumpyHere() if "numpy" not in sys.modules else None
    if blocker is not None:
        sys.meta_path.insert(0, blocker)
    try:
        import pympler.asizeof as module
    except Exception:  # not installed or broken: the own walk stands
        _PYMPLER_OK = False
        return None
    finally:
        if blocker is not None:
            sys.meta_path.remove(blocker)
    return module

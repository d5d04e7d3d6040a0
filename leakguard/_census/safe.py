"""The safe readers: everything leakguard reads from the program's objects, read without
running the program's code.

Attributes are read through the C-level descriptors of the base types (``type``,
``ModuleType``), never with ``getattr``, so no metaclass property, ``__getattr__``,
``__getattribute__``, ``__class__``, ``__repr__``, ``__eq__`` or ``__hash__`` runs.
Every stage that looks at the live heap reads through this module (a check in
``tests/test_layers.py`` keeps it the only one holding those descriptors); it lives in
the census, the lowest such stage, so that the census can use it too.

``gc.get_referents`` is wrapped as well: on CPython 3.12.0-3.12.5 (and 3.13 before
its fix), traversing the ``_asyncio`` module visits its free list of ``FutureIter``
objects, handing out freed memory as objects; holding them corrupts the free list
until a later collection loops forever (CPython gh-122695). Module objects are roots,
never something a leak hides inside, so leakguard never asks for a module's
referents; a module's namespace is read through :func:`module_dict` instead.
"""

from __future__ import annotations

import gc
import types
from typing import Any

_MODULE_DICT: Any = vars(types.ModuleType)["__dict__"]
_TYPE: dict[str, Any] = {
    name: vars(type)[name]
    for name in ("__dict__", "__mro__", "__flags__", "__name__", "__qualname__", "__module__")
}
_SIZES: dict[str, Any] = {
    name: vars(type)[name] for name in ("__dictoffset__", "__basicsize__", "__weakrefoffset__")
}


def type_name(tp: type) -> str:
    """``module.QualName`` of a type; the module part is ``?`` when it is not a string.

    Reads the type's own slots through ``type``'s descriptors, so a metaclass
    property cannot lie or raise.
    """
    module = _TYPE["__module__"].__get__(tp, type)
    if not isinstance(module, str):
        module = "?"
    return f"{module}.{_TYPE['__qualname__'].__get__(tp, type)}"


def type_qualname(tp: type) -> str:
    """A type's ``__qualname__``, as the type itself holds it."""
    return str(_TYPE["__qualname__"].__get__(tp, type))


def type_short_name(tp: type) -> str:
    """A type's ``__name__``, as the type itself holds it."""
    return str(_TYPE["__name__"].__get__(tp, type))


_NO_NAMESPACE: types.MappingProxyType[str, object] = types.MappingProxyType({})


def type_dict(tp: type) -> types.MappingProxyType[str, object]:
    """A class's namespace (read-only view), as the class holds it.

    Empty for the few C types that have none (a static type never readied).
    """
    found = _TYPE["__dict__"].__get__(tp, type)
    return _NO_NAMESPACE if found is None else found


def type_mro(tp: type) -> tuple[type, ...]:
    """A class's method resolution order, as the class holds it."""
    return _TYPE["__mro__"].__get__(tp, type)  # type: ignore[no-any-return]


def type_flags(tp: type) -> int:
    """A class's ``tp_flags`` (``Py_TPFLAGS_*``)."""
    return int(_TYPE["__flags__"].__get__(tp, type))


def type_dictoffset(tp: type) -> int:
    """A class's ``tp_dictoffset``: 0 when its instances have no ``__dict__``."""
    return int(_SIZES["__dictoffset__"].__get__(tp, type))


def type_weakrefoffset(tp: type) -> int:
    """A class's ``tp_weaklistoffset``: 0 when its instances take no weak reference."""
    return int(_SIZES["__weakrefoffset__"].__get__(tp, type))


def type_basicsize(tp: type) -> int:
    """A class's ``tp_basicsize``: the bytes of its fixed part, without the gc header."""
    return int(_SIZES["__basicsize__"].__get__(tp, type))


def module_dict(module: object) -> dict[str, object] | None:
    """A module's namespace (None when ``module`` is not a module: sys.modules holds anything)."""
    if not issubclass(type(module), types.ModuleType):
        return None
    found = _MODULE_DICT.__get__(module)
    return found if type(found) is dict else None


def referents(*objs: object) -> list[object]:
    """The objects that ``objs`` refer to, skipping module objects (see the module doc)."""
    safe = [o for o in objs if not issubclass(type(o), types.ModuleType)]
    return gc.get_referents(*safe) if safe else []


def own_dict(obj: object) -> dict[object, object] | None:
    """obj's own ``__dict__``, read through C descriptors only (None: it has none)."""
    if issubclass(type(obj), type):
        proxy = _TYPE["__dict__"].__get__(obj, type)
        found = referents(proxy) if proxy is not None else []  # a mappingproxy's one referent
        return found[0] if found and type(found[0]) is dict else None
    if issubclass(type(obj), types.ModuleType):
        return module_dict(obj)  # type: ignore[return-value]
    for base in type_mro(type(obj)):
        desc = type_dict(base).get("__dict__")
        if desc is not None:
            if type(desc) is not types.GetSetDescriptorType:
                return None  # a user-defined __dict__ property: do not call it
            value = desc.__get__(obj, base)
            return value if type(value) is dict else None
    return None


def code_qualname(code: types.CodeType) -> str:
    """A code object's qualified name (``co_qualname`` is 3.11+; ``co_name`` before)."""
    return str(getattr(code, "co_qualname", code.co_name))


def c_attribute(obj: object, name: str) -> object | None:
    """An attribute that C code stores on obj's type (a slot or a getter), else None.

    Only a C-level member or getset descriptor found on the type is read; a Python
    property, ``__getattr__`` or anything in the instance's ``__dict__`` is never run.
    """
    for base in type_mro(type(obj)):
        desc = type_dict(base).get(name)
        if desc is not None:
            if type(desc) not in (types.GetSetDescriptorType, types.MemberDescriptorType):
                return None
            try:
                return desc.__get__(obj, base)  # type: ignore[attr-defined, no-any-return]
            except AttributeError:  # an unset slot
                return None
    return None


def coroutine_code(obj: object) -> types.CodeType | None:
    """The code a coroutine or generator runs (C ones such as Cython's too), else None."""
    for name in ("cr_code", "gi_code"):
        code = c_attribute(obj, name)
        if type(code) is types.CodeType:
            return code
    return None

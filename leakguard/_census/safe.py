"""The safe readers: everything leakguard reads from the program's objects, read without
running the program's code.

Attributes are read through the C-level descriptors of the base types (``type``,
``ModuleType``), never with ``getattr``, so no metaclass property, ``__getattr__``,
``__getattribute__``, ``__class__``, ``__repr__``, ``__eq__`` or ``__hash__`` runs.
Every stage that looks at the live heap reads through this module; it lives in the
census, the lowest such stage, so that the census can use it too.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_MODULE_DICT: Any = vars(ModuleType)["__dict__"]


def module_dict(module: object) -> dict[str, object] | None:
    """A module's namespace (None when ``module`` is not a module: sys.modules holds anything)."""
    if not issubclass(type(module), ModuleType):
        return None
    found = _MODULE_DICT.__get__(module)
    return found if type(found) is dict else None

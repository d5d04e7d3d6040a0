"""``gc.get_referents`` that is safe on every supported CPython.

On CPython 3.12.0-3.12.5 (and 3.13 before its fix), traversing the ``_asyncio``
module visits its free list of ``FutureIter`` objects: ``gc.get_referents`` on
that module hands out freed memory as objects, and holding them corrupts the
free list until a later collection loops forever (CPython gh-122695). Module
objects are roots, never something a leak hides inside, so leakguard never
asks for a module's referents; a module's namespace is read through its
``__dict__`` instead.
"""

from __future__ import annotations

import gc
from types import ModuleType


def referents(*objs: object) -> list[object]:
    """The objects that ``objs`` refer to, skipping module objects (see the module doc)."""
    safe = [o for o in objs if not issubclass(type(o), ModuleType)]
    return gc.get_referents(*safe) if safe else []

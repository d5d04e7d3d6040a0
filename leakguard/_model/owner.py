"""Whose code is it: the owners, and the part of the answer a dotted name alone decides.

One classification for files and for type names (:mod:`leakguard._heap.ownership`
decides files and imported modules; this module holds the values and the rule by
name, so that the pure stages can use it too). Every caller decides which owners
it counts: a single-run check blames only :attr:`Owner.PROGRAM`, a tracemalloc
site may sit in a third-party package, the trend ranking demotes the stdlib.
"""

from __future__ import annotations

import enum
import sys


class Owner(enum.Enum):
    """Who a file or a type belongs to."""

    LEAKGUARD = "leakguard"
    """leakguard itself."""
    MACHINERY = "machinery"
    """The importer and the tracer (importlib, zipimport, tracemalloc): never anyone's leak."""
    STDLIB = "stdlib"
    """The interpreter's builtins and its standard library (frozen modules included)."""
    THIRD_PARTY = "third-party"
    """An installed package: under site-packages or dist-packages."""
    TOOLING = "tooling"
    """Tools running beside the program: pytest and its plugins, leakguard's own helpers."""
    GENERATED = "generated"
    """Code the program compiled at run time: ``<string>``, ``<stdin>``, a module with no file."""
    PROGRAM = "program"
    """The program's own code: everything not claimed above."""
    UNKNOWN = "unknown"
    """Nothing to go by: an empty file name, a type whose module is not imported."""


MACHINERY_MODULES = frozenset(
    {"importlib", "zipimport", "_frozen_importlib", "_frozen_importlib_external", "tracemalloc"}
)
# Their objects outlive a first call by design (caches, lazy imports, pytest's own
# records); objgraph and pympler are leakguard's helpers.
TOOLING_MODULES = frozenset(
    {"_pytest", "pytest", "pluggy", "py", "_py", "xdist", "execnet", "objgraph", "pympler"}
)
# C accelerators (_asyncio, _thread, _io...) are listed there too; __main__ is not.
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


def name_owner(dotted: str) -> Owner | None:
    """The owner a dotted module or type name decides by its top-level package alone.

    Args:
        dotted: ``package.module`` or ``module.QualName``.

    Returns:
        The owner, or None when the name alone does not tell (the module's file does).
    """
    top = dotted.split(".", 1)[0]
    if top == "leakguard":
        return Owner.LEAKGUARD
    if top in MACHINERY_MODULES:
        return Owner.MACHINERY
    if top in STDLIB_MODULES:
        return Owner.STDLIB
    if top in TOOLING_MODULES:
        return Owner.TOOLING
    return None

"""Whose code is this? One answer for every stage: :func:`file_owner` and :func:`type_owner`.

``LEAKGUARD_DIR`` is where leakguard itself is installed (with a trailing separator), so
that leakguard's own frames, allocations and roots are told apart from the program's.
The owners and the rule by name alone live in :mod:`leakguard._model.owner`; this
module adds what needs the file system and ``sys.modules``. Each caller decides which
owners it counts as "the program".
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import sysconfig
import tracemalloc

from leakguard._census.safe import module_dict
from leakguard._model.owner import Owner, name_owner

__all__ = [
    "HELPER_PACKAGES",
    "LEAKGUARD_DIR",
    "LEAKGUARD_DIRS",
    "Owner",
    "file_owner",
    "is_helper_file",
    "type_owner",
]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEAKGUARD_DIR = _PACKAGE_DIR + os.sep
# The same directory as given and with symlinks resolved: a code object may carry either.
LEAKGUARD_DIRS = tuple(dict.fromkeys((LEAKGUARD_DIR, os.path.realpath(_PACKAGE_DIR) + os.sep)))
_SITE_NAMES = frozenset({"site-packages", "dist-packages"})
_SEPARATORS = "/" + os.sep + (os.altsep or "")


def _as_given_and_real(paths: list[str]) -> tuple[str, ...]:
    """Each directory with a trailing separator, as given and with symlinks resolved."""
    out: dict[str, None] = {}
    for path in paths:
        if path:
            out[os.path.join(os.path.abspath(path), "")] = None
            out[os.path.join(os.path.realpath(path), "")] = None
    return tuple(out)


def _machinery_paths() -> tuple[str, ...]:
    importer = os.path.dirname(os.path.abspath(importlib.__file__ or ""))
    tracer = tracemalloc.__file__ or ""
    return (*_as_given_and_real([importer]), tracer, os.path.realpath(tracer))


def _site_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = [paths.get("purelib", ""), paths.get("platlib", "")]
    found += [p for p in sys.path if os.path.basename(p.rstrip(_SEPARATORS)) in _SITE_NAMES]
    return _as_given_and_real(found)


def _stdlib_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = [paths.get("stdlib", ""), paths.get("platstdlib", ""), os.path.dirname(os.__file__)]
    found += [p for p in sys.path if p.endswith(".zip")]  # python3X.zip
    return _as_given_and_real(found)


_MACHINERY = _machinery_paths()
_SITES = _site_dirs()
_STDLIB = _stdlib_dirs()


@functools.lru_cache(maxsize=4096)
def file_owner(filename: str) -> Owner:
    """Whose code a source file is, as a code object or tracemalloc names it.

    In order: leakguard's own directory; the importer and the tracer; a file under
    site-packages or dist-packages (a testing tool's or a third party's, by its
    top-level package); Python's library; ``<frozen os>`` by its module name;
    ``<string>``-like names; everything else is the program's. leakguard's and the
    machinery's files are recognised as given or with symlinks resolved; the rest is
    judged by where the file really is (a project symlinked into site-packages is
    still the program).
    """
    if not filename:
        return Owner.UNKNOWN
    if filename.startswith("<"):
        return _bracketed_owner(filename)
    forms = (filename, os.path.realpath(os.path.abspath(filename)))
    if any(f.startswith(LEAKGUARD_DIRS) for f in forms):
        return Owner.LEAKGUARD
    if any(f.startswith(_MACHINERY) for f in forms):
        return Owner.MACHINERY
    top = _site_package(forms[1])
    if top is not None:
        return Owner.TOOLING if name_owner(top) is Owner.TOOLING else Owner.THIRD_PARTY
    if forms[1].startswith(_STDLIB):
        return Owner.STDLIB
    return Owner.PROGRAM


# The tools leakguard calls for evidence: what their code allocates is leakguard's doing.
HELPER_PACKAGES = frozenset({"objgraph", "pympler"})


@functools.lru_cache(maxsize=1024)
def is_helper_file(filename: str) -> bool:
    """Whether a source file belongs to objgraph or pympler, which leakguard calls.

    With one traced frame an allocation inside pympler shows no leakguard frame
    below it, so attribution asks this rather than looking down the stack.
    """
    if not filename or filename.startswith("<"):
        return False
    return _site_package(os.path.realpath(os.path.abspath(filename))) in HELPER_PACKAGES


def _bracketed_owner(filename: str) -> Owner:
    """``<frozen importlib._bootstrap>``, ``<frozen os>``: by the module; else run-time code."""
    if filename.startswith("<frozen ") and filename.endswith(">"):
        owner = name_owner(filename[len("<frozen ") : -1])
        return Owner.STDLIB if owner is None else owner
    return Owner.GENERATED


def _site_package(path: str) -> str | None:
    """The top-level package name of a file installed under a site directory (None: it is not)."""
    for site in _SITES:
        if path.startswith(site):
            rest = path[len(site) :]
            break
    else:
        parts = path.replace(os.sep, "/").split("/")
        cut = [i for i, part in enumerate(parts) if part in _SITE_NAMES]
        if not cut:
            return None
        rest = "/".join(parts[cut[-1] + 1 :])
    first = rest.replace(os.sep, "/").split("/", 1)[0]
    return first.split(".", 1)[0]


def type_owner(name: str) -> Owner:
    """Whose type ``module.QualName`` is, judged by its longest imported module.

    The name decides for leakguard, the machinery, the stdlib and the tools; else the
    module's ``__file__`` does (read from its namespace, never with ``getattr``), and
    a module without a file is code made at run time. A type whose module is not
    imported is :attr:`Owner.UNKNOWN`.
    """
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        found = sys.modules.get(module)
        if found is None:
            continue
        by_name = name_owner(module)
        if by_name is not None:
            return by_name
        namespace = module_dict(found)
        filename = namespace.get("__file__") if namespace is not None else None
        return file_owner(filename) if type(filename) is str else Owner.GENERATED
    return Owner.UNKNOWN

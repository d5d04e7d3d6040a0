"""Known noise: caches that grow legitimately, and the user's own ignore rules.

A rule is one string, in one of four forms:

- ``myapp.cache.*`` (no prefix): an ``fnmatch`` pattern over the suspect's name
  (``module.QualName`` for types, ``builtins.dict#<id>`` for containers,
  ``path:line`` for sites, ``rss``/``blocks`` for process memory).
- ``module:NAME``: types defined in module or package ``NAME`` (``NAME`` itself or
  ``NAME.*``), and anything whose retention path starts at that module.
- ``sig:HEX``: one leak, by its signature (see :mod:`leakguard._evidence.signature`).
- ``held:PATTERN``: an ``fnmatch`` pattern over the *holder* of a leak, the dotted
  name its retention path starts with (``re._cache``, ``shop.Registry._by_id``).

The shipped :data:`ALLOWLIST` uses the same forms.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

# leakguard and the tools it calls: what they allocate is never the program's.
OWN_MODULES = ("leakguard", "tracemalloc", "pympler", "objgraph")

ALLOWLIST: tuple[str, ...] = (
    # re.compile() caches up to _MAXCACHE compiled patterns in module dicts.
    "held:re._cache",
    "held:re._cache2",
    "held:sre_compile.*",
    # typing memoises subscripted generics (List[int]...) in functools caches.
    "module:typing",
    "held:typing.*",
    # Bounded lru_cache bookkeeping: one list element per cached call, evicted at maxsize.
    "functools._lru_list_elem",
    # linecache keeps the source of every file a traceback or warning has shown.
    "held:linecache.cache",
    # logging keeps every logger ever named, and weak references to every handler.
    "held:logging.Logger.manager*",
    "held:logging.root*",
    "held:logging._handlerList",
    "held:logging._handlers",
    "logging.PlaceHolder",
    # The import system: specs, loaders and finders per imported module and path entry.
    "module:importlib",
    "module:_frozen_importlib",
    "module:_frozen_importlib_external",
    "held:sys.path_importer_cache",
    "held:sys.modules",
    # abc caches positive/negative isinstance() answers per class, in weak sets.
    "_abc._abc_data",
    "module:_weakrefset",
    # Weak references live and die with their referents; the referents are the signal.
    "weakref.ReferenceType",
    "weakref.KeyedRef",
    # warnings remembers each (message, category, line) it has shown once.
    "held:*.__warningregistry__",
    "held:warnings.*",
    # A thread between start() and running sits in threading._limbo (its bootstrap moves it
    # to _active): a dict of threads caught mid-start looked like a growing container once.
    "held:threading._limbo",
    # encodings and codecs cache one codec lookup per encoding name.
    "held:encodings._cache",
    # The test runner keeps every test's report, node and call info until the session ends.
    "module:_pytest",
    "module:pytest",
    "module:pluggy",
    # leakguard's own bookkeeping and the tools it calls are never the user's leak.
    *(f"module:{m}" for m in OWN_MODULES),
)

_SIG = re.compile(r"^[0-9a-fA-F]{6,64}$")
_PREFIXES = ("module:", "sig:", "held:")


def holder(path: Sequence[str]) -> str | None:
    """The dotted name a retention path starts with, e.g. ``shop.Registry._by_id``.

    Args:
        path: a rendered retention path, root first.

    Returns:
        The root module and the attribute names that follow it, or None when the
        path does not start at a module.
    """
    if not path or not path[0].endswith(" (module)"):
        return None
    names = [path[0][: -len(" (module)")]]
    for part in path[1:]:
        label = part.split(" (", 1)[0] if " (" in part else ""
        if not label.isidentifier():
            break
        names.append(label)
    return ".".join(names)


def check_rules(rules: Sequence[str], source: str = "option 'ignore'") -> None:
    """Validate ignore rules.

    Args:
        rules: the user's rules.
        source: where they came from, for the error message.

    Raises:
        ValueError: one line naming the bad rule and its source.
    """
    for rule in rules:
        if not isinstance(rule, str) or not rule.strip():
            raise ValueError(f"leakguard: empty ignore rule {rule!r} from {source}")
        if rule.startswith("sig:") and not _SIG.match(rule[4:]):
            raise ValueError(
                f"leakguard: ignore rule {rule!r} from {source}: a signature is 6-64 hex characters"
            )
        if rule.startswith(("module:", "held:")) and not rule.split(":", 1)[1]:
            raise ValueError(f"leakguard: ignore rule {rule!r} from {source} names nothing")


def ignored(
    kind: str,
    name: str,
    signature: str | None,
    rules: Sequence[str],
    *,
    path: Sequence[str] | None = None,
    allowlist: bool = True,
) -> bool:
    """Whether a suspect is known noise or silenced by a user rule.

    Never raises: a malformed rule simply matches nothing.

    Args:
        kind: the suspect's kind (``type``, ``container``, ``site``, ``memory``...).
        name: the suspect's name.
        signature: its leak signature, when known.
        rules: the user's ignore rules.
        path: its rendered retention path, when known (for ``held:`` and ``module:``).
        allowlist: also apply the shipped :data:`ALLOWLIST`.

    Returns:
        True when any rule matches.
    """
    where = holder(path) if path else None
    chosen = (*rules, *ALLOWLIST) if allowlist else tuple(rules)
    return any(_matches(rule, kind, name, signature, where) for rule in chosen)


def _matches(rule: str, kind: str, name: str, signature: str | None, where: str | None) -> bool:
    if rule.startswith("sig:"):
        return signature is not None and signature.lower() == rule[4:].strip().lower()
    if rule.startswith("module:"):
        module = rule[7:].strip()
        if not module:
            return False
        in_module = kind in ("type", "container") and _under(name, module)
        return in_module or (where is not None and _under(where, module))
    if rule.startswith("held:"):
        return where is not None and fnmatch.fnmatchcase(where, rule[5:].strip())
    return fnmatch.fnmatchcase(name, rule)


def _under(dotted: str, module: str) -> bool:
    return dotted == module or dotted.startswith(module + ".")

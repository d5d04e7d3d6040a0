"""A picture of who holds a leak: a Graphviz file drawn by objgraph, on request only.

objgraph draws reference graphs better than anything else a user has at hand,
and it is one of leakguard's two dependencies for that. Its drawing reads
``repr()`` of every object it labels, follows ``__class__`` and ``items()``,
and runs ``gc.collect()`` first: user code runs, which the guard never does on
its own. So this is only ever done when the user calls :func:`graph`, never by
the guard, the pytest plugin or the command line.

The chain itself comes from leakguard's retention search (quicker than
objgraph's ``find_backref_chain``, and it knows threads and tasks); objgraph
draws it. When no root holds the object, objgraph's ``show_backrefs`` draws
whatever does refer to it, a few levels up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from leakguard._heap.paths import find_container, find_instances, retention_chain
from leakguard._model.suspect import Suspect

BACKREF_DEPTH = 3
"""Levels of back-references drawn when no root holds the object."""


def graph(
    target: object,
    filename: str | os.PathLike[str] = "leakguard-graph.dot",
    *,
    max_depth: int = 20,
    seconds: float = 5.0,
) -> Path:
    """Write a Graphviz ``.dot`` file showing what keeps ``target`` alive.

    Render it with ``dot -Tsvg leakguard-graph.dot -o leak.svg`` (or ``xdot``).
    objgraph labels the nodes with ``repr()`` and runs ``gc.collect()`` first:
    call this while debugging, not from a hook in production.

    Args:
        target: a :class:`Suspect` of kind ``type`` or ``container`` (its newest
            instance, or the container, is drawn), a full type name such as
            ``"shop.orders.OrderDTO"``, or any object.
        filename: where to write the ``.dot`` file (mode 0600: labels show data).
        max_depth: the most references searched between a root and the object.
        seconds: time budget of the search for a root.

    Returns:
        The path written.

    Raises:
        ValueError: the target names no live object.
    """
    import objgraph  # type: ignore[import-untyped]  # objgraph ships no type hints

    obj = _resolve(target)
    path = Path(filename)
    chain = retention_chain(obj, max_depth=max_depth, seconds=seconds)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if chain is not None and len(chain) > 1:
                objgraph.show_chain(chain, backrefs=False, output=out)
            else:
                mine = (id(chain), id(sys._getframe()))  # this frame holds obj too
                objgraph.show_backrefs([obj], BACKREF_DEPTH, extra_ignore=mine, output=out)
        os.replace(tmp, path)
    finally:
        del obj, chain
        tmp.unlink(missing_ok=True)
    return path


def _resolve(target: object) -> Any:
    """The object to draw: a suspect's newest instance or container, a type's, or target."""
    if isinstance(target, Suspect):
        if target.kind not in ("type", "container"):
            raise ValueError(
                f"leakguard.graph: a {target.kind!r} suspect has no object to draw "
                "(pass a 'type' or 'container' suspect, a type name, or an object)"
            )
        target = target.name
    if type(target) is not str:
        return target
    type_part, _, key = target.rpartition("#")
    if type_part and key and all(c in "0123456789abcdefABCDEF" for c in key):
        found = find_container(int(key, 16), type_part)
    else:
        newest = find_instances(target, 1)
        found = newest[0] if newest else None
        del newest
    if found is None:
        raise ValueError(f"leakguard.graph: no live object for {target!r} (the target argument)")
    return found

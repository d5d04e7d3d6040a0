"""The detection scenario suite: one module per service-style workload.

A scenario module defines, at module level:

- ``LEAK``: ``True`` when the workload leaks, ``False`` when it is healthy.
- ``CULPRITS``: fnmatch patterns over ``"kind:name"`` of an acceptable top
  suspect (empty for a healthy scenario), e.g. ``("type:*.OrderDTO",
  "container:builtins.list*")``. A pattern whose name starts with ``*.`` also
  matches the unqualified name the baselines print (``type:OrderDTO``).
- ``step(i)``: one batch of service work done between two samples.
- optional ``setup()`` (once, before the first step), ``teardown()`` (once, at
  the end) and ``WORK``: the units of work one step does, an ``int`` or a
  function of the step index (default 1).

Instead of module functions a module may define a class ``Scenario`` with the
same methods; it is instantiated once.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

KINDS = ("type", "container", "site", "memory", "fds", "threads", "tasks", "gc")
# pympler names functions "function (name)"; the detail is dropped before matching.
_DETAIL = re.compile(r" \(.*\)$")


def _nothing() -> None:
    """Stand-in for a missing setup() or teardown()."""


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario, ready to run.

    Attributes:
        name: the module name inside ``benchmarks.scenarios``.
        leak: whether the workload leaks.
        culprits: fnmatch patterns of acceptable top suspects.
        setup: called once before the first step.
        step: one batch of work, given the step index.
        teardown: called once after the last step.
        work: units of work of step ``i``.
        summary: the first line of the module's docstring.
    """

    name: str
    leak: bool
    culprits: tuple[str, ...]
    setup: Callable[[], None]
    step: Callable[[int], None]
    teardown: Callable[[], None]
    work: Callable[[int], int]
    summary: str


def names() -> list[str]:
    """Return the names of all scenario modules, sorted."""
    found = pkgutil.iter_modules(__path__)
    return sorted(m.name for m in found if not m.name.startswith("_"))


def _work_of(value: Any) -> Callable[[int], int]:
    if callable(value):
        return lambda i: int(value(i))
    return lambda i: int(value)


def load(name: str) -> Scenario:
    """Import a scenario module and wrap it.

    Raises:
        ValueError: no such scenario, or its metadata is inconsistent.
    """
    if name not in names():
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(names())})")
    module = importlib.import_module(f"{__name__}.{name}")
    problems = check(module)
    if problems:
        raise ValueError(f"scenario {name!r}: {problems[0]}")
    impl: Any = module.Scenario() if hasattr(module, "Scenario") else module
    doc = (module.__doc__ or "").strip().splitlines()
    return Scenario(
        name=name,
        leak=module.LEAK,
        culprits=tuple(module.CULPRITS),
        setup=getattr(impl, "setup", _nothing),
        step=impl.step,
        teardown=getattr(impl, "teardown", _nothing),
        work=_work_of(getattr(module, "WORK", 1)),
        summary=doc[0] if doc else "",
    )


def check(module: ModuleType) -> list[str]:
    """Return what is wrong with a scenario module's metadata (empty: consistent)."""
    problems = []
    leak = getattr(module, "LEAK", None)
    culprits = getattr(module, "CULPRITS", None)
    impl = getattr(module, "Scenario", module)
    if not isinstance(leak, bool):
        problems.append("LEAK must be True or False")
    if not isinstance(culprits, tuple) or not all(isinstance(c, str) for c in culprits):
        problems.append("CULPRITS must be a tuple of strings")
    elif leak and not culprits:
        problems.append("a leaking scenario needs at least one CULPRITS pattern")
    elif not leak and culprits:
        problems.append("a healthy scenario has no culprits")
    else:
        bad = [c for c in culprits if c.partition(":")[0] not in KINDS or ":" not in c]
        if bad:
            problems.append(f"CULPRITS pattern {bad[0]!r} does not start with one of {KINDS}")
    if not callable(getattr(impl, "step", None)):
        problems.append("step(i) is missing")
    return problems


def _variants(pattern: str) -> Iterable[str]:
    yield pattern
    kind, _, name = pattern.partition(":")
    if name.startswith("*."):
        yield f"{kind}:{name[2:]}"


def matches(suspect: str, culprits: Iterable[str]) -> bool:
    """Tell whether a ``"kind:name"`` suspect matches any culprit pattern."""
    candidate = _DETAIL.sub("", suspect)
    return any(
        fnmatch.fnmatchcase(candidate, variant) for p in culprits for variant in _variants(p)
    )

"""Fork survival: a child process gets fresh guards.

``os.register_at_fork`` is used when available, and the guard also compares
its pid on every ``sample()`` and ``tick()``, since uWSGI does not run fork
hooks unless asked to.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable

ForkHook = Callable[[], object]
"""A bound method to run in a forked child, e.g. a guard's fresh start."""

# Weak: a guard that is gone needs no fresh start, and registering must not keep it alive.
_hooks: list[weakref.WeakMethod[ForkHook]] = []
_registered = False


def after_fork_in_child(hook: ForkHook) -> None:
    """Have the bound method ``hook`` run in every forked child while its object lives.

    Registering the same method twice runs it once.
    """
    global _registered
    _hooks[:] = [h for h in _hooks if h() is not None]
    if not any(h() == hook for h in _hooks):
        _hooks.append(weakref.WeakMethod(hook))
    if not _registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_in_child)
        _registered = True


def _in_child() -> None:
    for ref in list(_hooks):
        hook = ref()
        if hook is not None:
            with contextlib.suppress(Exception):  # a fork hook must never break the child
                hook()

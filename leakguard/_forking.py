"""Fork survival: a child process gets fresh guards.

``os.register_at_fork`` is used when available, and the guard also compares
its pid on every ``sample()`` and ``tick()``, since uWSGI does not run fork
hooks unless asked to.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from typing import Any

_guards: weakref.WeakSet[Any] = weakref.WeakSet()
_registered = False


def after_fork_in_child(guard: Any) -> None:
    """Have ``guard._forked()`` run in every forked child while the guard lives."""
    global _registered
    _guards.add(guard)
    if not _registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_in_child)
        _registered = True


def _in_child() -> None:
    for guard in list(_guards):
        with contextlib.suppress(Exception):  # a fork hook must never break the child
            guard._forked()

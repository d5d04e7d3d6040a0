"""The process-wide guard: ``start()``, ``stop()``, ``on_leak()``, ``on_resolved()``,
``on_limit()``, ``tick()``."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, TypeVar

from leakguard._config import source
from leakguard._guard import Guard, Hook

H = TypeVar("H", bound=Hook)

_lock = threading.Lock()
_guard: Guard | None = None
_hooks: list[Hook] = []
_resolved_hooks: list[Hook] = []
_limit_hooks: list[Hook] = []

log = logging.getLogger("leakguard")


def start(**options: Any) -> Guard:
    """Start the process-wide guard on a daemon thread; idempotent.

    Args:
        **options: any guard option (see the configuration reference). A second
            call while running returns the running guard; its options stay.

    Returns:
        The running :class:`Guard`.

    Raises:
        ValueError: a bad option, naming it and where it came from.
    """
    global _guard
    with _lock:
        if _guard is not None and _guard.running:
            if options:
                log.warning("leakguard: already started; start(%s) ignored", ", ".join(options))
            return _guard
        guard = Guard(**options)
        if guard.options.interval is None:
            where = source("interval", options)
            raise ValueError(
                f"leakguard: start() runs a thread, but option 'interval' from {where} is None "
                "(manual mode): use Guard(interval=None) and call sample() for manual mode"
            )
        for hook in _hooks:
            guard.on_leak(hook)
        for hook in _resolved_hooks:
            guard.on_resolved(hook)
        for hook in _limit_hooks:
            guard.on_limit(hook)
        guard.start()
        _guard = guard
        return guard


def stop() -> None:
    """Stop the process-wide guard and restore what it changed; idempotent."""
    global _guard
    with _lock:
        guard, _guard = _guard, None
    if guard is not None:
        guard.stop()


def on_leak(hook: H) -> H:
    """Register ``hook(report)`` for every new leak; a decorator, before or after start()."""
    return _register(hook, "on_leak", _hooks)


def on_resolved(hook: H) -> H:
    """Register ``hook(report)`` for suspects withdrawn because they stopped growing.

    The same contract as :func:`on_leak` (a decorator, before or after start());
    ``report.resolved`` lists the withdrawn suspects.
    """
    return _register(hook, "on_resolved", _resolved_hooks)


def on_limit(hook: H) -> H:
    """Register ``hook(report)`` for process memory crossing ``memory_limit``.

    The same contract as :func:`on_leak`; called after the report and snapshot are
    saved and before ``memory_limit_action="exit"`` sends SIGTERM.
    """
    return _register(hook, "on_limit", _limit_hooks)


def _register(hook: H, what: str, hooks: list[Hook]) -> H:
    """Keep a hook for guards started later and give it to the running one."""
    if not callable(hook):
        raise TypeError(f"leakguard: {what}() needs a callable, got {type(hook).__name__}")
    with _lock:
        hooks.append(hook)
        if _guard is not None:
            getattr(_guard, what)(hook)
    return hook


def tick(n: int = 1) -> None:
    """Count ``n`` units of work for the process-wide guard (no-op when not started)."""
    guard = _guard
    if guard is not None:
        guard.tick(n)


def current() -> Guard | None:
    """The process-wide guard, if started (in this process)."""
    guard = _guard
    if guard is not None and guard._pid != os.getpid():
        guard.tick(0)  # a forked child: let the guard re-baseline itself
    return guard

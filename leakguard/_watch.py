"""``leakguard.watch``: count the calls of a function as its units of work.

The running guard reads the cumulative counts on every sample
(:func:`watched_counts`, into ``Snapshot.watched``) and attributes growth to
the functions whose calls explain it: ``grows by ~1 OrderDTO per call of
shop.api.checkout``. A watched call costs one ``next()`` on an
``itertools.count`` (atomic under the GIL) on top of the call itself; the
wrapper never raises and never changes arguments, results or exceptions.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])


class Registry:
    """Call counters by qualified function name; one counter per name."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def counter(self, name: str) -> itertools.count[int]:
        """The counter for ``name``, created on first use (shared by same-named functions)."""
        with self._lock:
            return self._counters.setdefault(name, itertools.count())

    def counts(self) -> dict[str, int]:
        """Cumulative calls per qualified name, read without advancing any counter."""
        with self._lock:
            items = list(self._counters.items())
        # repr is "count(N)": the one way to read a count without taking a number from it.
        return {name: int(repr(c)[6:-1]) for name, c in items}


REGISTRY = Registry()


def watched_counts() -> dict[str, int]:
    """Cumulative calls of every ``@watch``-ed function: qualified name -> calls."""
    return REGISTRY.counts()


def qualified_name(func: Callable[..., Any]) -> str:
    """``module.QualName`` of a function, as reports print it."""
    module = getattr(func, "__module__", None) or "?"
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    return f"{module}.{qualname}"


@overload
def watch(func: F, /) -> F: ...


@overload
def watch(
    func: None = None, /, *, name: str | None = None, registry: Registry | None = None
) -> Callable[[F], F]: ...


def watch(
    func: F | None = None, /, *, name: str | None = None, registry: Registry | None = None
) -> F | Callable[[F], F]:
    """Count each call of a function (sync, async, generator, method) as its unit of work.

    Args:
        func: the function, when used as ``@watch`` without parentheses.
        name: the name reports use (default ``module.QualName``).
        registry: where to count (default: the process-wide one the guard reads).

    Returns:
        A wrapper with the function's name, docstring and signature
        (``functools.wraps``), or a decorator when ``func`` is omitted.

    Raises:
        TypeError: at decoration, when what is decorated cannot be called.
    """

    def decorate(target: F) -> F:
        return _wrap(target, name, registry or REGISTRY)

    return decorate if func is None else decorate(func)


def _wrap(func: F, name: str | None, registry: Registry) -> F:
    if isinstance(func, (classmethod, staticmethod)):
        inner = _wrap(func.__func__, name, registry)
        return type(func)(inner)
    if not callable(func):
        raise TypeError(
            f"leakguard.watch decorates functions and methods, not {type(func).__name__}; "
            "use @leakguard.watch or @leakguard.watch(name='...')"
        )
    tick = registry.counter(name or qualified_name(func)).__next__
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def watched_async(*args: Any, **kwargs: Any) -> Any:
            tick()
            return await func(*args, **kwargs)

        return watched_async  # type: ignore[return-value]
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def watched_gen(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            tick()
            return (yield from func(*args, **kwargs))

        return watched_gen  # type: ignore[return-value]

    @functools.wraps(func)
    def watched(*args: Any, **kwargs: Any) -> Any:
        tick()
        return func(*args, **kwargs)

    return watched  # type: ignore[return-value]

"""``leakguard.check``: one object, three spellings, one engine with the pytest plugin.

The spellings do not judge alike, because a ``with`` block cannot be run again:

- ``@check`` and ``@check(iterations=5)`` call the decorated function repeatedly
  (warm-up, then measured runs) and raise :class:`LeakError` when something grows
  on *every* measured run: one leaked object per call is caught.
- ``with check():`` runs its block *once* and raises only when at least
  ``survivors`` (default 10) objects of one of the user's own types, or a thread or
  a file descriptor, made by the block are still alive after it. The options that
  only repetition uses (``iterations``, ``warmup``...) are refused there.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from leakguard._model.report import Report
from leakguard._repeat.engine import RepeatOptions, Repetition, Verdict, run_repeated
from leakguard._repeat.options import build
from leakguard._repeat.report import render, to_report

P = ParamSpec("P")
R = TypeVar("R")


class LeakError(AssertionError):
    """A checked function or block leaked; test runners show it as a failure.

    Attributes:
        report: the leak as a :class:`leakguard.Report` (one suspect per growth).
        verdict: the engine's verdict, with the per-run series.
    """

    def __init__(self, message: str, report: Report, verdict: Verdict) -> None:
        super().__init__(message)
        self.report = report
        self.verdict = verdict


# Options only repetition reads: given to a `with` block they would silently do nothing.
REPEAT_ONLY = ("warmup", "iterations", "min_growth", "min_blocks", "traced_runs", "trace_frames")


class Checker:
    """A configured check: a decorator that repeats, and a context manager that runs once.

    As a decorator each call repeats the function and fails on growth in every
    measured run. As a ``with`` block the body runs once and fails only when
    ``survivors`` objects of one of your types (or a thread, an fd) outlive it.

    Args:
        options: the validated options.
        given: the names of the options the caller passed, to refuse those a block ignores.
    """

    def __init__(self, options: RepeatOptions, given: frozenset[str] = frozenset()) -> None:
        self.options = options
        self.given = given
        self._active: list[tuple[Repetition, str]] = []

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``func``: each call runs it repeatedly and raises LeakError on a leak."""
        if not callable(func):
            raise TypeError(
                "leakguard.check takes options by keyword: use @leakguard.check(iterations=5)"
            )
        if inspect.iscoroutinefunction(func):
            raise TypeError(
                f"leakguard.check cannot repeat the coroutine function {func.__qualname__}; "
                "use `with leakguard.check():` inside it, or check a sync function that runs it"
            )
        subject = f"{getattr(func, '__module__', '?')}.{func.__qualname__}"

        @functools.wraps(func)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            result, verdict = run_repeated(lambda: func(*args, **kwargs), self.options)
            _raise_on_leak(subject, verdict, self.options)
            return result  # type: ignore[return-value]

        return checked

    def __enter__(self) -> Checker:
        """Start checking a block that runs once (no repetition).

        Raises:
            TypeError: an option only repetition uses was given, saying what to do instead.
        """
        unused = [name for name in REPEAT_ONLY if name in self.given]
        if unused:
            raise TypeError(
                f"leakguard.check: {', '.join(unused)} only apply to @leakguard.check, which "
                "repeats a function; a `with leakguard.check():` block runs once and fails when "
                f"survivors={self.options.survivors} objects of one of your types outlive it. "
                "Drop them, or move the block into a function decorated with @leakguard.check(...)"
            )
        caller = sys._getframe(1)
        subject = f"the block at {caller.f_code.co_filename}:{caller.f_lineno}"
        del caller
        rep = Repetition(self.options, once=True)
        rep.start()
        self._active.append((rep, subject))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        rep, subject = self._active.pop()
        if exc_type is not None:
            rep.close()  # the block failed: its exception keeps objects alive, nothing to judge
            return
        rep.repeat(None)
        _raise_on_leak(subject, rep.verdict(), self.options)


def _raise_on_leak(subject: str, verdict: Verdict, options: RepeatOptions) -> None:
    if verdict.leaked:
        hint = "silence a type with check(ignore=['TypeName'])"
        raise LeakError(render(subject, verdict, options, hint), to_report(verdict), verdict)


@overload
def check(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def check(
    func: None = None,
    /,
    *,
    iterations: int = ...,
    warmup: int = ...,
    min_growth: int = ...,
    min_blocks: int = ...,
    traced_runs: int = ...,
    trace_frames: int = ...,
    survivors: int = ...,
    ignore: Sequence[str] = ...,
    path_seconds: float = ...,
) -> Checker: ...


def check(func: Callable[P, R] | None = None, /, **options: Any) -> Callable[P, R] | Checker:
    """Fail when a function leaks (repeated calls) or a block leaves objects alive (one run).

    Spellings: ``@check``, ``@check(iterations=5, ...)`` and ``with check(): ...``. They
    do not judge alike:

    - **Decorator**: each call runs the function ``warmup`` times, then ``iterations``
      measured times, and fails when something grows on every measured run (one
      leaked object per call is enough). The first run's result is returned.
    - **with block**: the body runs **once**, so growth per run cannot be seen; it
      fails only when at least ``survivors`` (default 10) objects of one of your own
      types, or a thread or file descriptor, made by the block are still alive after
      it. Fewer survivors pass. Repetition-only options are refused with a TypeError.

    Args:
        func: the function, when used as ``@check`` without parentheses.
        **options: as :class:`leakguard._repeat.engine.RepeatOptions` (``iterations``,
            ``warmup``, ``min_growth``, ``min_blocks``, ``traced_runs``,
            ``trace_frames``, ``survivors``, ``ignore``, ``path_seconds``).

    Returns:
        The checked function, or a :class:`Checker` usable as decorator or ``with`` block.

    Raises:
        ValueError: a bad option, naming it.
        TypeError: a misuse, saying how to fix it (also on entering a block given
            ``iterations``, ``warmup``, ``min_growth``, ``min_blocks``, ``traced_runs``
            or ``trace_frames``).
    """
    checker = Checker(build(options, {}), frozenset(options))
    if func is None:
        return checker
    return checker(func)

"""Shared fixtures: every test must leave the interpreter as it found it."""

from __future__ import annotations

import gc
import importlib
import sys
import textwrap
import threading
import tracemalloc
import types
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import leakguard
from tests.helpers import LoadModule


def _guard_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "leakguard" and t.is_alive()}


def _stop_process_guard() -> None:
    """Stop the process-wide guard a failing test left behind, so later tests start clean."""
    stop = getattr(leakguard, "stop", None)
    if stop is not None:
        stop()


@pytest.fixture(autouse=True)
def _interpreter_left_clean() -> Iterator[None]:
    """Fail a test that leaves a ``leakguard`` thread running or tracemalloc switched on.

    gc.callbacks are put back as they were found whatever the test did, so that one
    test's stray callback cannot change what later tests measure.
    """
    threads_before = _guard_threads()
    tracing_before = tracemalloc.is_tracing()
    callbacks_before = list(gc.callbacks)
    yield
    problems = []
    left_running = _guard_threads() - threads_before
    if left_running:
        problems.append(f"left {len(left_running)} 'leakguard' thread(s) running")
        _stop_process_guard()
    if tracemalloc.is_tracing() and not tracing_before:
        problems.append("left tracemalloc tracing switched on")
        tracemalloc.stop()
    gc.callbacks[:] = callbacks_before
    if problems:
        pytest.fail("test " + " and ".join(problems), pytrace=False)


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[LoadModule]:
    """Write source to a uniquely named module in tmp_path and import it for real."""
    names: list[str] = []
    sys.path.insert(0, str(tmp_path))

    def load(source: str) -> types.ModuleType:
        name = f"lg_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        return importlib.import_module(name)

    yield load
    sys.path.remove(str(tmp_path))
    for name in names:
        sys.modules.pop(name, None)

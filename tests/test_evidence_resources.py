"""Evidence for resource suspects: leaked threads, fds and asyncio tasks, grouped and held."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard._config import Options
from leakguard._evidence.gather import Evidence
from leakguard._model.suspect import Suspect
from tests.helpers import LoadModule, suspect

WEBHOOKS = """
import threading

release = threading.Event()
_workers = []

def deliver(url):
    release.wait()

def start(n, keep):
    for i in range(n):
        t = threading.Thread(target=deliver, args=("u",), name=f"webhook-{i}", daemon=True)
        t.start()
        if keep:
            _workers.append(t)
"""

AUDIT = """
import asyncio

_background = set()
replies = {}

async def audit(n):
    await asyncio.sleep(0)
    return n

async def call(n):
    fut = asyncio.get_running_loop().create_future()
    replies[n] = fut
    return await fut

async def handle(n):
    return await call(n)
"""


def enrich(kind: str, name: str) -> Suspect:
    """The one suspect of this kind and name, enriched with default options."""
    (out,) = Evidence(Options()).enrich([suspect(kind, name)])
    return out


@pytest.fixture
def webhooks(load_module: LoadModule) -> Iterator[types.ModuleType]:
    """A module whose deliver() threads block forever until the test releases them."""
    mod = load_module(WEBHOOKS)
    before = set(threading.enumerate())
    yield mod
    mod.release.set()
    for t in set(threading.enumerate()) - before:
        t.join()


def test_threads_are_grouped_by_where_they_are_blocked(webhooks: types.ModuleType) -> None:
    """Leaked threads are counted by name pattern and the program line they wait at."""
    webhooks.start(6, keep=False)
    out = enrich("threads", "threads")
    wait = "Event.wait" if sys.version_info >= (3, 11) else "wait"  # co_qualname is 3.11+
    line = f"{os.path.basename(webhooks.__file__)}:8 in deliver() → {wait}()"
    assert f"6 threads 'webhook-*' blocked at {line}" in out.notes
    assert out.path == ()  # only threading's own registries hold them
    assert out.signature is not None


def test_a_thread_kept_by_the_program_gets_its_holder(webhooks: types.ModuleType) -> None:
    """The path of a leaked thread names the program's container, not threading's registries."""
    webhooks.start(3, keep=True)
    out = enrich("threads", "threads")
    assert out.path == (f"{webhooks.__name__} (module)", "_workers (list)", "Thread")


def test_fds_are_grouped_by_directory_and_name_pattern(tmp_path: Path) -> None:
    """Open files are counted per directory and name pattern, sockets and pipes per kind."""
    spool = tmp_path / "spool"
    spool.mkdir()
    files = [open(spool / f"upload-{i}.bin", "wb") for i in range(7)]
    pipes = [os.pipe() for _ in range(5)]
    try:
        out = enrich("fds", "open fds")
    finally:
        for f in files:
            f.close()
        for r, w in pipes:
            os.close(r)
            os.close(w)
    assert f"7 fds → {spool}/upload-*.bin (regular files)" in out.notes
    assert any(n.endswith("fds → pipes") and int(n.split()[0]) >= 10 for n in out.notes)


def test_pending_tasks_are_grouped_by_where_they_wait(load_module: LoadModule) -> None:
    """Pending tasks are counted by coroutine and the program line they are suspended at."""
    mod = load_module(AUDIT)

    async def main() -> Suspect:
        tasks = [asyncio.create_task(mod.handle(n)) for n in range(4)]
        await asyncio.sleep(0)
        try:
            return enrich("tasks", "pending tasks")
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    out = asyncio.run(main())
    where = f"{os.path.basename(mod.__file__ or '')}:14 in call(), awaiting Future"
    assert f"4 pending tasks of handle() suspended at {where}" in out.notes


def test_done_tasks_get_their_coroutine_and_holder(load_module: LoadModule) -> None:
    """Done tasks kept alive are named by coroutine, and one's path names who keeps it."""
    mod = load_module(AUDIT)

    async def main() -> None:
        for n in range(5):
            mod._background.add(asyncio.create_task(mod.audit(n)))
        await asyncio.sleep(0.01)

    asyncio.run(main())
    try:
        out = enrich("tasks", "done tasks retained")
    finally:
        mod._background.clear()
    assert f"5 done tasks of audit() ({os.path.basename(mod.__file__ or '')}:7)" in out.notes
    assert out.path[:2] == (f"{mod.__name__} (module)", "_background (set)")
    assert out.path[-1] in ("Task", "_PyTask")

"""Leaks of every shape: each test here must fail under pytest --leakguard."""

import asyncio
import functools
import itertools
import os
import threading
import uuid

import pytest


class OrderDTO:
    def __init__(self, n):
        self.n = n


class Result:
    def __init__(self, key):
        self.key = key


class Listener:
    def notify(self, event):
        return event


class Entry:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Registry:
    by_id = {}


class Bus:
    def __init__(self):
        self.listeners = []

    def subscribe(self, listener):
        self.listeners.append(listener)


_recent = []
_cache = {}
_bus = Bus()
_callbacks = []
_log = []
_blobs = {}
_stop = threading.Event()
_done_tasks = set()
_files = []
_counter = itertools.count()
_loop = asyncio.new_event_loop()


@functools.lru_cache(maxsize=None)  # noqa: UP033 - the unbounded spelling users write
def lookup(key):
    return Result(key)


def test_leak_global_list():
    _recent.append(OrderDTO(1))


def test_leak_dict_cache_unique_ids():
    key = uuid.uuid4().hex
    _cache[key] = Result(key)


def test_leak_listener_never_unsubscribed():
    _bus.subscribe(Listener())


def test_leak_unbounded_lru_cache():
    assert lookup(next(_counter)).key >= 0


def test_leak_closures_in_registry():
    n = next(_counter)
    _callbacks.append(lambda: n)


def test_leak_slow_under_churn():
    garbage = [{"i": i, "s": str(i)} for i in range(20_000)]
    _recent.append(Entry(len(garbage)))


def test_leak_str_accumulation():
    _log.append("request handled: " + "x" * 300 + str(next(_counter)))


def test_leak_bytes_accumulation():
    _blobs[next(_counter)] = os.urandom(512)


def test_leak_class_attribute_dict():
    Registry.by_id[next(_counter)] = Entry(1)


def test_leak_thread_never_joined():
    threading.Thread(target=_stop.wait, daemon=True).start()


def test_leak_pending_asyncio_tasks():
    async def spawn():
        _loop.create_task(asyncio.sleep(3600))  # noqa: RUF006 - the leak under test
        await asyncio.sleep(0)

    _loop.run_until_complete(spawn())


def test_leak_done_tasks_kept():
    async def work():
        task = asyncio.ensure_future(asyncio.sleep(0))
        await task
        _done_tasks.add(task)

    asyncio.run(work())


def test_leak_open_files(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("x")
    _files.append(open(path))


@pytest.mark.parametrize("size", [1, 3])
def test_leak_parametrized(size):
    _recent.extend(OrderDTO(i) for i in range(size))


def test_leak_with_module_fixture(table):
    _recent.append(OrderDTO(len(table)))

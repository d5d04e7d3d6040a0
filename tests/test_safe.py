"""The safe readers read what objects hold without running any of the program's code."""

from __future__ import annotations

import types

from leakguard._census.safe import (
    c_attribute,
    coroutine_code,
    module_dict,
    own_dict,
)


class Hostile:
    """Every attribute access, and every dunder a reader might call, fails the test."""

    def __getattribute__(self, name):
        raise AssertionError(f"read {name}")

    def __getattr__(self, name):
        raise AssertionError(f"read {name}")

    @property
    def cr_code(self):
        raise AssertionError("ran the cr_code property")


def test_an_awaitable_with_hooks_has_no_code_and_runs_none():
    """coroutine_code of an object with __getattr__ and a cr_code property reads neither."""
    assert coroutine_code(Hostile()) is None
    assert c_attribute(Hostile(), "cr_code") is None


def test_the_code_of_coroutines_and_generators():
    """A coroutine's and a generator's code is read from their C slots."""

    async def job():
        pass

    def gen():
        yield 1

    coro = job()
    try:
        assert coroutine_code(coro) is job.__code__
    finally:
        coro.close()
    assert coroutine_code(gen()) is gen.__code__


def test_own_dict_never_calls_a_dict_property():
    """An instance whose class defines a __dict__ property is said to have no dict."""

    class Sneaky:
        @property
        def __dict__(self):
            raise AssertionError("ran the __dict__ property")

    assert own_dict(Sneaky()) is None

    class Plain:
        def __init__(self):
            self.a = 1

    assert own_dict(Plain()) == {"a": 1}


def test_module_dict_of_anything_in_sys_modules():
    """Only a module has a namespace; any other object gets None, unread."""
    assert module_dict(Hostile()) is None
    assert module_dict(types)["__name__"] == "types"

"""leakguard.watch: call counts per function, with behaviour left unchanged."""

from __future__ import annotations

import asyncio
import inspect

import pytest

import leakguard
from leakguard._watch import Registry, watch, watched_counts


def test_counts_calls_by_qualified_name():
    """Each call adds one to the function's counter, named module.QualName."""
    reg = Registry()

    @watch(registry=reg)
    def checkout(n: int) -> int:
        return n * 2

    assert [checkout(i) for i in range(3)] == [0, 2, 4]
    assert reg.counts() == {f"{__name__}.test_counts_calls_by_qualified_name.<locals>.checkout": 3}


def test_reading_counts_does_not_advance_them():
    """Reading the counts twice gives the same numbers."""
    reg = Registry()
    f = watch(lambda: None, name="f", registry=reg)
    f()
    assert reg.counts() == reg.counts() == {"f": 1}


def test_process_registry_feeds_watched_counts():
    """The bare decorator counts into the registry the guard reads."""

    @leakguard.watch
    def ping() -> str:
        return "pong"

    name = f"{__name__}.test_process_registry_feeds_watched_counts.<locals>.ping"
    before = watched_counts().get(name, 0)
    ping()
    assert watched_counts()[name] == before + 1


def test_async_function_stays_a_coroutine_function():
    """An async function is counted per call and stays awaitable and detectable."""
    reg = Registry()

    @watch(name="fetch", registry=reg)
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    assert inspect.iscoroutinefunction(fetch)
    assert asyncio.run(fetch(1)) == 2
    assert reg.counts() == {"fetch": 1}


def test_generator_passes_send_and_return_through():
    """A generator function keeps send() and its return value."""
    reg = Registry()

    @watch(name="acc", registry=reg)
    def acc():
        total = 0
        while True:
            got = yield total
            if got is None:
                return total
            total += got

    gen = acc()
    next(gen)
    assert gen.send(5) == 5
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == 5
    assert reg.counts() == {"acc": 1}


def test_methods_classmethods_and_staticmethods():
    """Methods of every kind are counted and bound as before."""
    reg = Registry()

    class Shop:
        @watch(name="m", registry=reg)
        def m(self) -> Shop:
            return self

        @watch(name="c", registry=reg)
        @classmethod
        def c(cls) -> type:
            return cls

        @watch(name="s", registry=reg)
        @staticmethod
        def s(x: int) -> int:
            return x

    shop = Shop()
    assert shop.m() is shop and Shop.c() is Shop and Shop.s(3) == 3
    assert reg.counts() == {"m": 1, "c": 1, "s": 1}


def test_exceptions_pass_through_unchanged():
    """The function's own exception reaches the caller, and the call still counts."""
    reg = Registry()
    err = ValueError("bad order")

    @watch(name="fail", registry=reg)
    def fail() -> None:
        raise err

    with pytest.raises(ValueError) as info:
        fail()
    assert info.value is err
    assert reg.counts() == {"fail": 1}


def test_signature_and_metadata_are_kept():
    """functools.wraps keeps the name, docstring and signature."""

    @leakguard.watch
    def order(item: str, qty: int = 1) -> str:
        """Place an order."""
        return item * qty

    assert order.__name__ == "order" and order.__doc__ == "Place an order."
    assert inspect.signature(order) == inspect.signature(order.__wrapped__)
    assert list(inspect.signature(order).parameters) == ["item", "qty"]


def test_non_callable_is_refused_with_advice():
    """Decorating something that cannot be called says what watch is for."""
    with pytest.raises(TypeError, match="decorates functions and methods"):
        watch(42)  # type: ignore[call-overload]

"""Classes whose metaclass defines ``__hash__``/``__eq__`` never reach user code or blind the guard.

Everything the guard keys by type (the census, @check's probe, evidence) keys by
identity: a metaclass ``__hash__`` is never called, and a metaclass ``__eq__``
without ``__hash__`` (which makes its classes unhashable) changes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import leakguard
from leakguard._census import census as _census
from leakguard._heap import pathrender
from leakguard._repeat import probe

pytest_plugins = ["pytester"]


class LoudMeta(type):
    """A metaclass whose ``__hash__`` and ``__eq__`` record every call and then raise."""

    calls: ClassVar[list[str]] = []

    def __hash__(cls) -> int:
        LoudMeta.calls.append("__hash__")
        raise RuntimeError("metaclass __hash__ called")

    def __eq__(cls, other: object) -> bool:
        LoudMeta.calls.append("__eq__")
        raise RuntimeError("metaclass __eq__ called")


class UnhashableMeta(type):  # noqa: PLW1641 (unhashable on purpose)
    """Defining ``__eq__`` without ``__hash__`` makes every class of this metaclass unhashable."""

    def __eq__(cls, other: object) -> bool:
        LoudMeta.calls.append("__eq__")
        return cls is other


class Loud(metaclass=LoudMeta):
    """Instances of a class with a loud metaclass."""


class Unhashable(metaclass=UnhashableMeta):
    """Instances of a class that cannot be a dict key."""


class LoudStr(str, metaclass=LoudMeta):
    """A str subclass: a plain dict key whose type compares loudly."""

    __slots__ = ()


_kept: list[object] = []


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    LoudMeta.calls.clear()
    yield
    _kept.clear()
    LoudMeta.calls.clear()


def _name(tp: type) -> str:
    return f"{__name__}.{type.__dict__['__qualname__'].__get__(tp, type)}"


def test_unhashable_class_really_is_unhashable() -> None:
    """The premise: a metaclass __eq__ without __hash__ makes the class unhashable."""
    with pytest.raises(TypeError):
        hash(Unhashable)


@pytest.mark.parametrize("native", [True, False], ids=["c", "python"])
def test_census_counts_them_without_calling_the_metaclass(native: bool) -> None:
    """Both census engines count these classes' instances and never call their metaclass."""
    if native and not _census.native_available():
        pytest.skip("the C census extension is not built here")
    made = [Loud() for _ in range(300)] + [Unhashable() for _ in range(200)]
    census = _census._take(8, 64, native=native)
    assert census.types[_name(Loud)][0] >= 300
    assert census.types[_name(Unhashable)][0] >= 200
    assert LoudMeta.calls == []
    del made


def test_census_counts_the_classes_themselves() -> None:
    """The classes (instances of the metaclasses) are counted by their metaclass's name."""
    census = _census.take_census()
    assert census.types[_name(LoudMeta)][0] >= 2
    assert census.types[_name(UnhashableMeta)][0] >= 1
    assert LoudMeta.calls == []


def test_guard_sample_sees_them() -> None:
    """Guard.sample() works and counts them while such classes are alive."""
    made = [Unhashable() for _ in range(100)] + [Loud() for _ in range(100)]
    guard = leakguard.Guard(interval=None)
    snap = guard.sample()
    assert snap.census is not None
    assert snap.census.types[_name(Unhashable)][0] >= 100
    assert LoudMeta.calls == []
    del made


def test_check_names_a_leak_of_unhashable_instances() -> None:
    """@check raises LeakError naming the class, not TypeError, and calls no metaclass code."""

    @leakguard.check
    def leaky() -> None:
        _kept.append(Unhashable())

    with pytest.raises(leakguard.LeakError) as info:
        leaky()
    assert info.value.report.suspects[0].name == _name(Unhashable)
    assert LoudMeta.calls == []


def test_probe_counts_and_finds_by_identity() -> None:
    """The @check probe counts and finds instances of such classes without hashing them."""
    made = [Loud() for _ in range(10)] + [Unhashable() for _ in range(10)]
    assert probe.count_types(made) == {_name(Loud): 10, _name(Unhashable): 10}
    found = probe.ids_of([_name(Loud)])[_name(Loud)]
    assert {id(m) for m in made[:10]} <= found
    assert LoudMeta.calls == []
    del made


def test_path_key_text_never_compares_the_key_type() -> None:
    """A retention path through a dict keyed by such an instance names the key by type."""
    assert pathrender._key_text(LoudStr("k")) == "<LoudStr>"
    assert LoudMeta.calls == []


UNHASHABLE_TEST = """
class Meta(type):
    def __eq__(cls, other):
        return cls is other

class Order(metaclass=Meta):
    pass

_kept = []

def test_keeps_orders():
    _kept.append(Order())
"""


def test_pytest_plugin_reports_the_leak_instead_of_internal_error(
    pytester: pytest.Pytester,
) -> None:
    """pytest --leakguard fails the leaking test (exit 1), with no INTERNALERROR."""
    pytester.makepyfile(test_unhashable=UNHASHABLE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--leakguard")
    result.assert_outcomes(failed=1)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*test_keeps_orders leaked 1 Order per run*"])


def test_the_search_for_capped_holders_never_compares_a_hostile_class() -> None:
    """bound_of() on an instance of a class whose metaclass defines __eq__ runs none of it."""
    from leakguard._heap.bounds import bound_of

    calls: list[str] = []

    class Meta(type):
        def __eq__(cls, other: object) -> bool:
            calls.append("eq")
            raise RuntimeError("metaclass __eq__")

        __hash__ = None  # type: ignore[assignment]

    class Holder(metaclass=Meta):
        pass

    assert bound_of(Holder()) is None
    assert calls == []

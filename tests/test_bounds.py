"""Capped holders: which containers bound what they keep, read without running user code."""

from __future__ import annotations

import functools
from collections import OrderedDict, deque

import pytest

from leakguard._heap.bounds import bound_of, bounded_holders
from leakguard._model.suspect import Bound


class Item:
    """A cached value with parts of its own."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.parts = [n]


class Memo:
    """A cachetools-like memo: its cap and its data in private attributes."""

    def __init__(self, cap: int) -> None:
        self.__maxsize = cap
        self._data: dict[int, Item] = {}


class Boobytrapped:
    """A holder whose properties must never run."""

    calls = 0

    def __init__(self) -> None:
        self._data: dict[int, Item] = {}
        self.capacity = 9

    @property
    def maxsize(self) -> int:
        Boobytrapped.calls += 1
        raise AssertionError("a user property ran")


def test_a_deque_with_maxlen_bounds_its_items_and_their_parts() -> None:
    """Items of deque(maxlen=10), and lists inside them, are held by a deque capped at 10."""
    held: deque[Item] = deque((Item(i) for i in range(4)), maxlen=10)
    expected = (Bound("collections.deque", "maxlen", 10, 4),)
    assert bounded_holders([held[-1], held[-2]]) == expected
    assert bounded_holders([held[-1].parts]) == expected


def test_a_deque_without_maxlen_bounds_nothing() -> None:
    """A plain deque() is a known uncapped holder."""
    held = deque(Item(i) for i in range(4))
    assert bounded_holders([held[-1]]) == ()
    assert bound_of(held) == "uncapped"


def test_a_bounded_lru_cache_is_read_through_its_c_cache_info() -> None:
    """Results of lru_cache(maxsize=8) are held by a cache capped at 8, filled to 3."""
    cached = functools.lru_cache(maxsize=8)(Item)
    results = [cached(i) for i in range(3)]
    assert bounded_holders(results, ignore=(id(results),)) == (
        Bound("functools.lru_cache", "maxsize", 8, 3),
    )


def test_an_unbounded_lru_cache_bounds_nothing() -> None:
    """Results of lru_cache(maxsize=None) are not held by a capped holder."""
    cached = functools.lru_cache(maxsize=None)(Item)
    results = [cached(i) for i in range(3)]
    assert bounded_holders(results, ignore=(id(results),)) == ()


def test_a_cap_in_a_name_mangled_attribute_bounds_the_dict_beside_it() -> None:
    """A memo keeping ``__maxsize`` and a data dict is capped at that size, sized by the dict."""
    memo = Memo(50)
    for i in range(4):
        memo._data[i] = Item(i)
    sample = [memo._data[1], memo._data[2]]
    (bound,) = bounded_holders(sample, ignore=(id(sample),))
    assert (bound.attribute, bound.limit, bound.size) == ("_Memo__maxsize", 50, 4)


def test_a_capped_ordered_dict_subclass_is_its_own_bounded_holder() -> None:
    """``class LRU(OrderedDict)`` with a class-level ``maxsize`` bounds its values."""

    class LRU(OrderedDict[int, Item]):
        maxsize = 30

    cache = LRU()
    cache[1] = Item(1)
    sample = [cache[1]]
    (bound,) = bounded_holders(sample, ignore=(id(sample),))
    assert (bound.attribute, bound.limit, bound.size) == ("maxsize", 30, 1)


def test_a_module_level_list_bounds_nothing() -> None:
    """Objects held by a module global list reach a root with no cap on the way."""
    _GLOBAL.append(Item(1))
    try:
        assert bounded_holders([_GLOBAL[-1]]) == ()
    finally:
        _GLOBAL.clear()


def test_a_user_property_named_like_a_cap_is_never_called() -> None:
    """A ``maxsize`` property is not read; the plain ``capacity`` attribute is the cap."""
    holder = Boobytrapped()
    holder._data[1] = Item(1)
    sample = [holder._data[1]]
    (bound,) = bounded_holders(sample, ignore=(id(sample),))
    assert (bound.attribute, bound.limit) == ("capacity", 9)
    assert Boobytrapped.calls == 0


def test_a_full_holder_says_so() -> None:
    """A holder at its cap is full: growth past it is not explained by filling."""
    held: deque[Item] = deque((Item(i) for i in range(3)), maxlen=3)
    (bound,) = bounded_holders([held[-1]])
    assert bound.full


@pytest.mark.parametrize("cap", [0, -1, True, 2.5, "10"])
def test_only_positive_integers_are_caps(cap: object) -> None:
    """A cap attribute that is not a positive int (bool, float, str, 0) bounds nothing."""
    holder = Memo(1)
    holder._Memo__maxsize = cap  # type: ignore[attr-defined]
    holder._data[1] = Item(1)
    sample = [holder._data[1]]
    assert bounded_holders(sample, ignore=(id(sample),)) == ()


_GLOBAL: list[Item] = []

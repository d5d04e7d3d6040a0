"""The suspect book: one announcement per leak, rank order, refreshed levels."""

from __future__ import annotations

from dataclasses import replace

from leakguard._detect.book import SuspectBook
from leakguard._model.suspect import Suspect
from tests.helpers import history_of, trend_of

N = 20
CLIMB = [1000 + 20 * i for i in range(N)]


def _suspect(kind: str, name: str) -> Suspect:
    return Suspect(kind, name, 0, 0, None, None, 1.0, 0)  # type: ignore[arg-type]


def test_a_lockstep_climb_of_another_type_is_the_same_leak() -> None:
    """A container growing at the slope of an announced type is recorded but not announced."""
    book = SuspectBook(confirm=2, verify_gc=False)
    first = trend_of(CLIMB, name="shop.OrderDTO")
    second = trend_of(CLIMB, kind="container", name="builtins.list#1", unit="items")
    assert first is not None and second is not None
    history, _ = history_of(CLIMB)
    fresh, _ = book.classify([first], 5)
    book.add(fresh, [first], history)
    fresh, _ = book.classify([first, second], 6)
    book.add(fresh, [first, second], history)
    assert [s.name for s in book.announced_at(5)] == ["shop.OrderDTO"]
    assert book.announced_at(6) == [] and ("container", "builtins.list#1") in book


def test_a_climb_at_another_rate_is_a_new_leak() -> None:
    """A second type growing 3.65 times faster (no whole ratio) is a leak of its own."""
    book = SuspectBook(confirm=2, verify_gc=False)
    first = trend_of(CLIMB, name="shop.OrderDTO")
    other = trend_of([1000 + 73 * i for i in range(N)], name="shop.Session")
    assert first is not None and other is not None
    history, _ = history_of(CLIMB)
    book.add(book.classify([first], 5)[0], [first], history)
    book.add(book.classify([first, other], 6)[0], [first, other], history)
    assert [s.name for s in book.announced_at(6)] == ["shop.Session"]


def test_object_climbs_wait_for_verification_when_asked() -> None:
    """With verify_gc, an unverified object climb stays a candidate."""
    book = SuspectBook(confirm=2, verify_gc=True)
    t = trend_of(CLIMB, name="shop.OrderDTO")
    assert t is not None and not t.verified
    fresh, candidates = book.classify([t], 5)
    assert fresh == [] and candidates == [t]


def test_allocation_sites_rank_just_before_the_memory_they_explain() -> None:
    """A site suspect sorts after the object leak and right before the memory it explains."""
    book = SuspectBook(confirm=2, verify_gc=False)
    history, _ = history_of(CLIMB)
    fresh = [
        replace(_suspect("memory", "rss"), growth=5e6, unit="bytes"),
        replace(_suspect("site", "a.py:1"), growth=1e6, unit="bytes"),
        replace(_suspect("type", "shop.OrderDTO"), growth=100),
    ]
    book.add(fresh, [], history)
    assert [s.name for s in book.values()] == ["shop.OrderDTO", "a.py:1", "rss"]


def test_a_type_held_through_another_ranks_right_after_it() -> None:
    """OrderLine, bigger than OrderDTO but held by it, is listed after OrderDTO."""
    book = SuspectBook(confirm=2, verify_gc=False)
    history, _ = history_of(CLIMB)
    path = ("shop (module)", "_recent (list)", "OrderDTO", "lines (list)", "OrderLine")
    fresh = [
        replace(_suspect("type", "shop.OrderLine"), growth=900, path=path),
        replace(_suspect("type", "shop.Other"), growth=500),
        replace(_suspect("type", "shop.OrderDTO"), growth=100),
    ]
    book.add(fresh, [], history)
    assert [s.name for s in book.values()] == ["shop.Other", "shop.OrderDTO", "shop.OrderLine"]


def test_a_builtin_type_in_a_path_is_not_taken_for_a_holder() -> None:
    """A path step '_recent (list)' does not make OrderDTO held through a builtins.list."""
    book = SuspectBook(confirm=2, verify_gc=False)
    history, _ = history_of(CLIMB)
    fresh = [
        replace(_suspect("type", "builtins.list"), growth=5000),
        replace(
            _suspect("type", "shop.OrderDTO"),
            growth=100,
            path=("shop (module)", "_recent (list)", "OrderDTO"),
        ),
    ]
    book.add(fresh, [], history)
    assert [s.name for s in book.values()] == ["shop.OrderDTO", "builtins.list"]


def test_objects_held_through_an_announced_type_are_the_same_leak() -> None:
    """OrderLine held via OrderDTO.lines, growing at another rate, is part of the OrderDTO leak."""
    book = SuspectBook(confirm=2, verify_gc=False)
    dto = trend_of(CLIMB, name="shop.OrderDTO")
    line = trend_of([1000 + 55 * i for i in range(N)], name="shop.OrderLine")
    assert dto is not None and line is not None
    history, _ = history_of(CLIMB)
    fresh, _ = book.classify([dto, line], 5)
    path = ("shop (module)", "_recent (list)", "OrderDTO", "lines (list)", "OrderLine")
    fresh = [replace(s, path=path) if s.name == "shop.OrderLine" else s for s in fresh]
    book.add(fresh, [dto, line], history)
    assert [s.name for s in book.announced_at(5)] == ["shop.OrderDTO"]
    assert ("type", "shop.OrderLine") in book


def test_memory_that_climbs_with_an_object_leak_is_not_announced_again() -> None:
    """RSS confirmed in the same sample as a type leak is reported, not announced."""
    book = SuspectBook(confirm=2, verify_gc=False)
    dto = trend_of(CLIMB, name="shop.OrderDTO")
    mem = trend_of(
        [100e6 + (1 << 20) * i for i in range(N)], kind="memory", name="rss", unit="bytes"
    )
    assert dto is not None and mem is not None
    history, _ = history_of(CLIMB)
    book.add(book.classify([dto, mem], 5)[0], [dto, mem], history)
    assert [s.name for s in book.announced_at(5)] == ["shop.OrderDTO"]


def test_parts_that_grow_in_a_whole_ratio_are_one_leak() -> None:
    """Three locks per leaked thread: the lock climb is part of the announced threads leak."""
    book = SuspectBook(confirm=2, verify_gc=False)
    threads = trend_of(
        [10 + 2 * i for i in range(N)], kind="threads", name="threads", unit="threads"
    )
    locks = trend_of([100 + 6 * i for i in range(N)], name="_thread.lock")
    other = trend_of([100 + 7.3 * i for i in range(N)], name="shop.Session")
    assert threads is not None and locks is not None and other is not None
    history, _ = history_of(CLIMB)
    trends = [threads, locks, other]
    book.add(book.classify(trends, 5)[0], trends, history)
    assert [s.name for s in book.announced_at(5)] == ["shop.Session", "threads"]

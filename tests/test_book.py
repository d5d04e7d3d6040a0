"""The suspect book: one announcement per leak, rank order, refreshed levels."""

from __future__ import annotations

from leakguard._book import SuspectBook, rank_key
from leakguard._suspect import Suspect
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
    """A second type growing five times faster is announced as a leak of its own."""
    book = SuspectBook(confirm=2, verify_gc=False)
    first = trend_of(CLIMB, name="shop.OrderDTO")
    other = trend_of([1000 + 100 * i for i in range(N)], name="shop.Session")
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
    """A site suspect sorts right before the first memory suspect."""
    mem = trend_of(
        [100e6 + (1 << 20) * i for i in range(N)], kind="memory", name="rss", unit="bytes"
    )
    typ = trend_of(CLIMB, name="shop.OrderDTO")
    assert mem is not None and typ is not None
    key = rank_key([typ, mem])
    items = [
        (("memory", "rss"), _suspect("memory", "rss")),
        (("site", "a.py:1"), _suspect("site", "a.py:1")),
        (("type", "shop.OrderDTO"), _suspect("type", "shop.OrderDTO")),
    ]
    assert [k for k, _ in sorted(items, key=key)] == [
        ("type", "shop.OrderDTO"),
        ("site", "a.py:1"),
        ("memory", "rss"),
    ]

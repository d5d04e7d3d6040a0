"""The service guard on capped holders, withdrawn suspects, and evidence kept current."""

from __future__ import annotations

import functools
from collections import deque

import pytest

from leakguard import Guard, Report
from leakguard._integrations.metrics import LeakguardCollector


class Event:
    """An event kept for a status page."""

    def __init__(self, n: int) -> None:
        self.n = n


class Pattern:
    """A parsed date pattern, as Babel caches them."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.parts = [key, key + 1]


class Order:
    """A leaked order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = [n]


# Budgets no loaded machine runs out of: the evidence that finds a holder's bound is
# time-boxed, and these tests are about what it finds, not how fast (CI runs -n auto).
ROOMY = {"max_pause": 30.0, "evidence_seconds": 30.0}


@pytest.fixture(autouse=True)
def _roomy_bound_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift the 0.5 s cap of one search for capped holders, for the same reason."""
    import leakguard._evidence.gather as gather
    import leakguard._evidence.memory as memory

    monkeypatch.setattr(gather, "BOUND_SECONDS", 30.0)
    monkeypatch.setattr(memory, "BOUND_SECONDS", 30.0)


def _names(guard: Guard) -> list[str]:
    return [s.name for s in guard.suspects()]


def test_a_deque_with_maxlen_filling_over_28_samples_is_never_reported() -> None:
    """deque(maxlen=700) filled 25 items a sample is held back, with its bound in the report."""
    recent: deque[Event] = deque(maxlen=700)
    with Guard(interval=None, **ROOMY) as g:
        for i in range(34):
            recent.extend(Event(i * 25 + k) for k in range(25))
            g.tick(25)
            g.sample()
            assert g.suspects() == [], i
        bounded = g.report().bounded
    assert any(s.name.endswith(".Event") for s in bounded)
    bound = next(s for s in bounded if s.name.endswith(".Event")).bounds[0]
    assert (bound.holder, bound.attribute, bound.limit) == ("collections.deque", "maxlen", 700)


def _babel_like(guard: Guard, samples: int, resolved: list[Report]) -> list[int]:
    """An lru_cache(maxsize=1024) filled over ~10 samples, then only hit; suspects per sample."""
    guard.on_resolved(resolved.append)

    @functools.lru_cache(maxsize=1024)
    def pattern(key: int) -> Pattern:
        return Pattern(key)

    listed = []
    for i in range(samples):
        for k in range(100):
            pattern(min(i * 100 + k, 1023) if i < 11 else k)
        guard.sample()
        listed.append(len(guard.suspects()))
    return listed


def test_a_filled_bounded_lru_cache_is_never_raised_with_evidence() -> None:
    """Babel's case, evidence on: the cache is read as capped at 1024 and never reported."""
    resolved: list[Report] = []
    with Guard(interval=None, **ROOMY) as g:
        listed = _babel_like(g, 110, resolved)
    assert max(listed) == 0 and resolved == []


def test_a_filled_cache_is_withdrawn_once_flat_and_hooks_and_metrics_are_told() -> None:
    """Babel's case without evidence: raised while filling, withdrawn after `window` flat
    samples, on_resolved told once per suspect, and the metrics no longer list it."""
    resolved: list[Report] = []
    with Guard(interval=None, evidence=False) as g:
        listed = _babel_like(g, 110, resolved)
        collector = LeakguardCollector(g)
        families = {f.name: f for f in collector.collect()}
    assert max(listed) > 0 and listed[-1] == 0
    withdrawn_at = listed.index(0, listed.index(max(listed)))
    assert withdrawn_at <= 11 + 30 + 5  # filled by sample 11, then one window of flat levels
    names = [s.name for r in resolved for s in r.resolved]
    assert names and len(names) == len(set(names))
    assert families["leakguard_suspects"].samples[0].value == 0
    assert families["leakguard_suspect_level"].samples == []


def test_growth_past_a_full_capped_holder_is_reported() -> None:
    """Orders in a deque(maxlen=100) that are also kept in a list climb past the cap: a leak."""
    recent: deque[Order] = deque(maxlen=100)
    kept: list[Order] = []
    with Guard(interval=None, **ROOMY) as g:
        for i in range(40):
            for k in range(20):
                order = Order(i * 20 + k)
                recent.append(order)
                if i >= 4:
                    kept.append(order)
            g.sample()
        names = _names(g)
    assert any(n.endswith(".Order") for n in names)


def test_deep_size_and_count_follow_the_latest_sample() -> None:
    """A leak's deep size grows with its count after it was first measured."""
    kept: list[Order] = []
    # Budgets no loaded machine runs out of: the test is about what is measured, not when.
    with Guard(interval=None, **ROOMY) as g:
        sizes = []
        for i in range(36):
            kept.extend(Order(i * 50 + k) for k in range(50))
            g.sample()
            top = next((s for s in g.suspects() if s.name.endswith(".Order")), None)
            if top is not None and top.deep_size is not None:
                sizes.append((top.count, top.deep_size))
    assert sizes, "the leak was never measured"
    (first_count, first_size), (last_count, last_size) = sizes[0], sizes[-1]
    assert last_count == pytest.approx(len(kept), rel=0.05)
    assert last_size / last_count == pytest.approx(first_size / first_count, rel=0.5)
    assert last_size > 2 * first_size


def test_on_resolved_needs_a_callable() -> None:
    """on_resolved() refuses what it cannot call, naming the type."""
    with pytest.raises(TypeError, match=r"on_resolved.*int"):
        Guard(interval=None).on_resolved(3)  # type: ignore[type-var]


def test_the_text_report_names_the_cap_of_a_held_climb() -> None:
    """A climb held back by deque(maxlen=700) is listed as no leak, with the deque's cap."""
    recent: deque[Event] = deque(maxlen=700)
    with Guard(interval=None, **ROOMY) as g:
        for i in range(16):
            recent.extend(Event(i * 25 + k) for k in range(25))
            g.sample()
        text = g.report().to_text()
    assert "not a leak while below its cap: type " in text
    assert "held by collections.deque (maxlen=700)" in text

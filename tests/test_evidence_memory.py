"""Leaks only memory sees: growing lines are named once the window has seen enough samples."""

from __future__ import annotations

import tracemalloc
import types

from leakguard._config import Options
from leakguard._evidence.gather import Evidence
from leakguard._model.suspect import Suspect
from tests.helpers import LoadModule
from tests.helpers import suspect as make_suspect

# One receive buffer that only ever grows: a single traced block, reallocated on each feed.
BUFFER = """
class Connection:
    def __init__(self):
        self.rx = bytearray()

    def feed(self, n):
        self.rx += bytes(n)

conn = Connection()
"""
FEED_LINE = 7


def suspect(kind: str, name: str, count: float = 0.0) -> Suspect:
    """A confirmed memory suspect, in bytes."""
    return make_suspect(kind, name, count, unit="bytes")


def _feed(mod: types.ModuleType) -> None:
    # More than the buffer's 1/8 over-allocation: every feed reallocates the block.
    mod.conn.feed(max(1 << 20, len(mod.conn.rx) // 4))


def test_lines_come_late_when_the_climb_confirms_right_after_the_window_opens(
    load_module: LoadModule,
) -> None:
    """Confirmed one sample after the window opened, the growing line is returned by step()."""
    mod = load_module(BUFFER)
    evidence = Evidence(Options(trace_samples=3))
    try:
        evidence.watch([suspect("memory", "rss")])
        assert evidence.step(0) == []  # the sample that opened the window
        _feed(mod)
        evidence.enrich([suspect("memory", "rss", 1e7)])
        late: list[Suspect] = []
        for index in (1, 2, 3):
            late += evidence.step(index)
            _feed(mod)
    finally:
        evidence.close()
    sites = [s for s in late if s.kind == "site"]
    assert [s.name for s in sites] == [f"{mod.__file__}:{FEED_LINE}"]
    assert sites[0].first_seen == 3 and sites[0].growth >= 1 << 20
    assert [s.key for s in late if s.kind == "memory"] == [("memory", "rss")]
    assert not tracemalloc.is_tracing()


def test_a_memory_suspect_confirmed_with_no_window_opens_one(load_module: LoadModule) -> None:
    """With no window open at confirmation, tracing starts then and lines follow later."""
    mod = load_module(BUFFER)
    evidence = Evidence(Options(trace_samples=2))
    try:
        (memory,) = evidence.enrich([suspect("memory", "rss", 1e7)])
        assert tracemalloc.is_tracing()
        assert "tracing 2 more sample(s)" in memory.notes[-1]
        late: list[Suspect] = []
        for index in (1, 2, 3):
            late += evidence.step(index)
            _feed(mod)
    finally:
        evidence.close()
    assert [s.name for s in late if s.kind == "site"] == [f"{mod.__file__}:{FEED_LINE}"]


def test_a_line_with_one_big_block_is_a_site(load_module: LoadModule) -> None:
    """One growing buffer is one block: it is named by its bytes, not its block count."""
    mod = load_module(BUFFER)
    evidence = Evidence(Options(trace_samples=1))
    try:
        evidence.watch([suspect("memory", "rss")])
        evidence.step(0)
        _feed(mod)
        _feed(mod)
        found = evidence.enrich([suspect("memory", "rss", 1e7)])
    finally:
        evidence.close()
    assert [s.name for s in found if s.kind == "site"] == [f"{mod.__file__}:{FEED_LINE}"]


def test_the_window_stays_open_until_a_slow_buffer_reallocates(load_module: LoadModule) -> None:
    """A buffer that reallocates only every few samples still gets its line, a little later."""
    mod = load_module(BUFFER)
    evidence = Evidence(Options(trace_samples=2))
    try:
        evidence.watch([suspect("memory", "rss")])
        evidence.step(0)
        evidence.enrich([suspect("memory", "rss", 1e7)])
        assert evidence.step(1) == [] and evidence.step(2) == []  # nothing reallocated yet
        assert tracemalloc.is_tracing()
        _feed(mod)
        late = evidence.step(3)
    finally:
        evidence.close()
    assert [s.name for s in late if s.kind == "site"] == [f"{mod.__file__}:{FEED_LINE}"]
    assert evidence.closed_because == "2 samples"


def test_a_window_that_never_sees_a_line_gives_up_and_says_so(load_module: LoadModule) -> None:
    """With no growing line by twice trace_samples, the window closes with a note."""
    load_module(BUFFER)
    evidence = Evidence(Options(trace_samples=1))
    try:
        evidence.enrich([suspect("memory", "rss", 1e7)])
        late = [x for index in range(1, 4) for x in evidence.step(index)]
    finally:
        evidence.close()
    assert [s.kind for s in late] == ["memory"]
    assert late[0].notes[-1] == "no line grew enough while traced"
    assert not tracemalloc.is_tracing()


# A rendered-price cache that churns (capped at 300, far more keys) beside a log that leaks.
CHURN = """
import functools

@functools.lru_cache(maxsize=300)
def rendered(key):
    return "price %d " % key + "-" * 200

log = []

def serve(step):
    for k in range(2000):
        rendered(step * 2000 + k)
    for k in range(200):
        log.append("receipt %d-%d " % (step, k) + "x" * 300)
"""
CACHE_LINE, LOG_LINE = 6, 14


def test_a_churning_bounded_cache_line_is_no_site_beside_a_real_leak(
    load_module: LoadModule,
) -> None:
    """The lru_cache(maxsize=300) line is noted as held by the capped cache, not a site
    suspect; the leaking line is one."""
    mod = load_module(CHURN)
    evidence = Evidence(Options(trace_samples=2))
    try:
        evidence.watch([make_suspect("memory", "blocks", unit="blocks")])
        evidence.step(0)
        late: list[Suspect] = []
        for index in (1, 2, 3):
            mod.serve(index)
            if index == 1:
                evidence.enrich([make_suspect("memory", "blocks", 1500.0, unit="blocks")])
            late += evidence.step(index)
    finally:
        evidence.close()
    sites = [s.name for s in late if s.kind == "site"]
    assert sites == [f"{mod.__file__}:{LOG_LINE}"]
    (memory,) = [s for s in late if s.kind == "memory"]
    assert f"{mod.__file__}:{CACHE_LINE}" in {f"{x.filename}:{x.lineno}" for x in memory.sites}
    assert any("held by functools.lru_cache (maxsize=300)" in n for n in memory.notes)

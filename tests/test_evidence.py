"""The evidence orchestrator: a budgeted trace window and enriched suspects on real leaks."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
import weakref

import pytest

import leakguard
from leakguard._config import Options
from leakguard._evidence.gather import Evidence, deep_size
from leakguard._evidence.signature import signature
from leakguard._heap.deepsize import measure
from tests.helpers import LoadModule, suspect

SHOP = """
class OrderDTO:
    def __init__(self, n):
        self.n = n
        self.lines = [n] * 8

_recent = []

def take_orders(n):
    for i in range(n):
        _recent.append(OrderDTO(i))
"""


def test_watch_opens_a_window_and_step_closes_it_after_trace_samples(
    load_module: LoadModule,
) -> None:
    """The window opens on suspicion and closes after trace_samples further samples."""
    mod = load_module(SHOP)
    evidence = Evidence(Options(trace_samples=2))
    evidence.watch([suspect("type", f"{mod.__name__}.OrderDTO")])
    assert tracemalloc.is_tracing()
    evidence.step()  # the sample that opened it does not count
    evidence.step()
    assert tracemalloc.is_tracing()
    evidence.step()
    assert not tracemalloc.is_tracing()
    assert evidence.closed_because == "2 samples"


def test_a_key_gets_one_window_in_the_guards_life(load_module: LoadModule) -> None:
    """A climb that never confirms cannot reopen the window sample after sample."""
    mod = load_module(SHOP)
    evidence = Evidence(Options(trace_samples=1))
    candidate = suspect("type", f"{mod.__name__}.OrderDTO")
    evidence.watch([candidate])
    evidence.step()
    evidence.step()
    evidence.watch([candidate])
    assert not tracemalloc.is_tracing()


def test_window_closes_once_every_watched_suspect_is_enriched(load_module: LoadModule) -> None:
    """When all watched suspects have their evidence, tracing stops at the next step."""
    mod = load_module(SHOP)
    name = f"{mod.__name__}.OrderDTO"
    evidence = Evidence(Options())
    evidence.watch([suspect("type", name)])
    mod.take_orders(50)
    evidence.enrich([suspect("type", name, 50)])
    evidence.step()
    assert not tracemalloc.is_tracing()
    assert evidence.closed_because == "done"


def test_no_window_when_evidence_is_off(load_module: LoadModule) -> None:
    """With evidence=False, watch never switches tracemalloc on."""
    mod = load_module(SHOP)
    evidence = Evidence(Options(evidence=False))
    evidence.watch([suspect("type", f"{mod.__name__}.OrderDTO")])
    assert not tracemalloc.is_tracing()


def test_no_window_for_ignored_or_process_level_suspects() -> None:
    """Suspects that are allowlisted, ignored or not traceable (fds) open no window."""
    evidence = Evidence(Options(ignore=("myapp.*",)))
    evidence.watch([suspect("type", "typing._GenericAlias"), suspect("type", "myapp.X"),
                    suspect("fds", "fds")])  # fmt: skip
    assert not tracemalloc.is_tracing()


def test_close_restores_the_users_tracing() -> None:
    """When the user traced already, closing evidence leaves tracing on with their limit."""
    tracemalloc.start(4)
    try:
        evidence = Evidence(Options())
        evidence.watch([suspect("memory", "rss")])
        evidence.close()
        assert tracemalloc.is_tracing()
        assert tracemalloc.get_traceback_limit() == 4
    finally:
        tracemalloc.stop()


def test_type_suspect_gets_site_path_signature_and_deep_size(load_module: LoadModule) -> None:
    """A leaked type is enriched with where it is born, who holds it, its signature and size."""
    mod = load_module(SHOP)
    name = f"{mod.__name__}.OrderDTO"
    evidence = Evidence(Options())
    evidence.watch([suspect("type", name)])
    try:
        mod.take_orders(500)
        (enriched,) = evidence.enrich([suspect("type", name, 500)])
    finally:
        evidence.close()
    path = (f"{mod.__name__} (module)", "_recent (list)", "OrderDTO")
    assert enriched.path == path
    assert enriched.signature == signature(path, name)
    assert enriched.sites[0].filename == mod.__file__
    assert enriched.sites[0].lineno == 11
    sixteen, _ = measure(mod._recent[-16:])  # what enrich samples: the newest 16
    assert enriched.deep_size == pytest.approx(500 * (sixteen or 0) / 16, rel=0.2)
    assert enriched.notes == ()  # how an ordinary sample was sized is no news


def test_instances_born_before_the_window_are_noted(load_module: LoadModule) -> None:
    """Without tracing at birth the suspect still gets a path, and a note says why no site."""
    mod = load_module(SHOP)
    name = f"{mod.__name__}.OrderDTO"
    mod.take_orders(20)
    (enriched,) = Evidence(Options()).enrich([suspect("type", name, 20)])
    assert enriched.sites == ()
    assert enriched.path[-1] == "OrderDTO"
    assert "tracemalloc was not on when these were born" in enriched.notes[0]


def test_container_suspect_gets_the_path_to_the_container(load_module: LoadModule) -> None:
    """A growing container is traced to its own holder, and its newest items to their line."""
    mod = load_module(SHOP)
    evidence = Evidence(Options())
    name = f"builtins.list#{id(mod._recent):x}"
    evidence.watch([suspect("container", name)])
    try:
        mod.take_orders(100)
        (enriched,) = evidence.enrich([suspect("container", name, 100)])
    finally:
        evidence.close()
    assert enriched.path == (f"{mod.__name__} (module)", "_recent (list)")
    assert enriched.sites[0].filename == mod.__file__
    assert enriched.deep_size is not None and enriched.deep_size > 0


def test_memory_suspect_brings_site_suspects_for_untracked_leaks(load_module: LoadModule) -> None:
    """A leak of str seen only by memory signals adds a site suspect naming the line."""
    mod = load_module(
        "_cache = []\n\ndef remember(n):\n    _cache.extend('x' * 200 + str(i) for i in range(n))\n"
    )
    opts = Options()
    evidence = Evidence(opts)
    evidence.watch([suspect("memory", "blocks")])
    try:
        for _ in range(opts.trace_samples):  # the window has seen enough samples to tell
            evidence.step()
        mod.remember(3000)
        found = evidence.enrich([suspect("memory", "blocks", 3000)])
    finally:
        evidence.close()
    sites = [s for s in found if s.kind == "site"]
    assert found[0].kind == "memory" and found[0].sites
    assert sites[0].name == f"{mod.__file__}:4"
    assert sites[0].unit == "bytes" and sites[0].growth >= 3000 * 200


def test_a_young_window_names_no_lines_for_memory_yet(load_module: LoadModule) -> None:
    """Confirmed right after the window opened, a memory suspect waits for its lines."""
    mod = load_module(
        "_cache = []\n\ndef remember(n):\n    _cache.extend(str(i) * 50 for i in range(n))\n"
    )
    evidence = Evidence(Options())
    evidence.watch([suspect("memory", "blocks")])
    try:
        mod.remember(3000)
        found = evidence.enrich([suspect("memory", "blocks", 3000)])
    finally:
        evidence.close()
    assert [s.kind for s in found] == ["memory"] and found[0].sites == ()
    assert any("tracing" in note for note in found[0].notes)


def test_enrich_drops_suspects_silenced_by_signature(load_module: LoadModule) -> None:
    """A sig: rule computed from a first report silences the same leak the next time."""
    mod = load_module(SHOP)
    name = f"{mod.__name__}.OrderDTO"
    mod.take_orders(10)
    (first,) = Evidence(Options()).enrich([suspect("type", name, 10)])
    again = Evidence(Options(ignore=(f"sig:{first.signature}",)))
    assert again.enrich([suspect("type", name, 10)]) == []


def test_enrich_drops_allowlisted_holders() -> None:
    """A container held by the re module's cache is known noise and is dropped."""
    import re

    re.compile(r"lg-evidence-\d+")
    name = f"builtins.dict#{id(re._cache):x}"  # type: ignore[attr-defined]
    assert Evidence(Options()).enrich([suspect("container", name, 10)]) == []


def test_spent_budget_skips_evidence_with_a_note(load_module: LoadModule) -> None:
    """Past the round's time budget, suspects are passed on with a note instead of evidence."""
    mod = load_module(SHOP)
    ticks = itertools.count(step=10.0)
    evidence = Evidence(Options(evidence_seconds=2.0), clock=lambda: float(next(ticks)))
    (skipped,) = evidence.enrich([suspect("type", f"{mod.__name__}.OrderDTO", 1)])
    assert skipped.path == ()
    assert skipped.notes == ("evidence skipped: the 2 s budget was spent",)


def test_gone_container_and_bad_names_are_noted_not_raised() -> None:
    """A container that no longer exists, or a malformed name, yields a note."""
    found = Evidence(Options()).enrich(
        [suspect("container", "builtins.list#1", 5), suspect("container", "builtins.list#zz", 5)]
    )
    assert [s.notes[0].startswith("the container is gone") for s in found] == [True, True]


def test_enrich_keeps_no_reference_to_the_leak(load_module: LoadModule) -> None:
    """After enrich returns, the leaked objects die as soon as their holder lets go."""
    mod = load_module(SHOP)
    mod.take_orders(30)
    alive = weakref.ref(mod._recent[-1])
    evidence = Evidence(Options())
    evidence.enrich([suspect("type", f"{mod.__name__}.OrderDTO", 30),
                     suspect("container", f"builtins.list#{id(mod._recent):x}", 30)])  # fmt: skip
    mod._recent.clear()
    gc.collect()
    assert alive() is None


def test_deep_size_never_calls_user_sizeof() -> None:
    """Deep size uses the builtin __sizeof__, never a Python-level override."""
    calls: list[str] = []

    class Lying:
        def __sizeof__(self) -> int:
            calls.append("sizeof")
            return 10**9

    size = deep_size([Lying(), Lying()])
    assert calls == []
    assert size is not None and 0 < size < 10_000


def test_guard_reports_a_leak_with_its_evidence(load_module: LoadModule) -> None:
    """A real Guard in manual mode reports the leaked type with its site and holder."""
    mod = load_module(SHOP)
    guard = leakguard.Guard(interval=None, log=False)
    try:
        for _ in range(40):
            mod.take_orders(200)
            guard.sample()
            if any(s.kind == "type" for s in guard.suspects()):
                break
        found = {s.name: s for s in guard.suspects()}
    finally:
        guard.stop()
    leak = found[f"{mod.__name__}.OrderDTO"]
    assert leak.path == (f"{mod.__name__} (module)", "_recent (list)", "OrderDTO")
    assert leak.sites and leak.sites[0].filename == mod.__file__
    assert not tracemalloc.is_tracing()

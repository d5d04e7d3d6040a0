"""Evidence never mistakes leakguard's own allocations for the program's leak."""

from __future__ import annotations

import itertools
import os

import leakguard
from leakguard._config import Options
from leakguard._evidence.gather import Evidence, newest_items
from leakguard._heap.paths import iter_instances
from leakguard._heap.tracing import TraceWindow
from tests.helpers import LoadModule, suspect

LEAKGUARD_DIR = os.path.dirname(os.path.abspath(leakguard.__file__)) + os.sep

NESTED = """
_recent = []

def take(n):
    for i in range(n):
        _recent.append([i, i + 1])
"""


def _keep_lists_made_by_leakguard(n: int) -> list[object]:
    # Each newest_items call returns a list leakguard allocates: called from this file.
    items = [1, 2, 3]
    return [newest_items(items, 2) for _ in range(n)]


def test_a_builtin_type_suspect_is_sampled_from_the_programs_instances(
    load_module: LoadModule,
) -> None:
    """For builtins.list, the lists evidence itself makes are not the instances examined."""
    mod = load_module(NESTED)
    evidence = Evidence(Options())
    evidence.watch([suspect("type", "builtins.list")])
    try:
        mod.take(300)
        (enriched,) = evidence.enrich([suspect("type", "builtins.list", 300)])
    finally:
        evidence.close()
    assert enriched.path == (f"{mod.__name__} (module)", "_recent (list)", "list")
    assert enriched.sites[0].filename == mod.__file__
    assert [s for s in enriched.sites if s.filename.startswith(LEAKGUARD_DIR)] == []


def test_leakguard_allocations_called_from_user_code_are_not_sites() -> None:
    """With several frames, an object leakguard allocated is not blamed on its caller's line."""
    window = TraceWindow(nframes=5)
    window.open()
    try:
        kept = _keep_lists_made_by_leakguard(200)
        sites = window.sites_of(kept, 5)
        lines = window.growing_lines(None, 20)
    finally:
        window.close()
    assert sites == []
    assert [s for s in lines if s.filename == __file__ and s.count >= 200] == []


def test_no_site_or_growing_line_points_into_leakguard() -> None:
    """Lines inside leakguard's package are never reported, whatever the frame depth."""
    window = TraceWindow(nframes=1)
    window.open()
    try:
        kept = _keep_lists_made_by_leakguard(200)
        sites = window.sites_of(kept, 5)
        lines = window.growing_lines(None, 50)
    finally:
        window.close()
    assert sites == []
    assert [s for s in lines if s.filename.startswith(LEAKGUARD_DIR)] == []


def test_without_tracing_the_evidence_rounds_own_objects_are_skipped(
    load_module: LoadModule,
) -> None:
    """Untraced, objects born during the evidence round are still not taken as instances."""
    mod = load_module(NESTED)
    mod.take(300)
    (enriched,) = Evidence(Options()).enrich([suspect("type", "builtins.list", 300)])
    assert enriched.path == (f"{mod.__name__} (module)", "_recent (list)", "list")


def test_iter_instances_skips_what_was_born_after_the_marker() -> None:
    """Walking newest first, objects tracked after the marker are not yielded."""
    before = [[1], [2]]
    marker: list[object] = []
    after = [[3], [4]]
    walk = iter_instances("builtins.list", born_before=marker)
    try:
        seen = {id(x) for x in itertools.islice(walk, 10_000)}
    finally:
        walk.close()
    assert {id(x) for x in before} <= seen
    assert not {id(x) for x in after} & seen

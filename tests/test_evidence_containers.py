"""Evidence for growing containers the gc cannot see: untracked dicts and lru caches."""

from __future__ import annotations

import gc
from collections.abc import Callable

from leakguard._config import Options
from leakguard._evidence.gather import Evidence
from leakguard._model.suspect import Suspect
from tests.helpers import LoadModule, suspect

CACHES = """
import functools

_seen = {}

class Store:
    by_key = {}

def remember(n):
    for i in range(n):
        key = "idem-" + str(i)
        _seen[key] = 200
        Store.by_key[key] = 404

@functools.lru_cache(maxsize=None)
def quote(n):
    return (n * 1.5, "EUR", n)
"""


def traced(name: str, fill: Callable[[], object]) -> Suspect:
    """Open a window for a container suspect, fill it, and enrich it."""
    evidence = Evidence(Options())
    evidence.watch([suspect("container", name)])
    try:
        fill()
        (out,) = evidence.enrich([suspect("container", name, 300)])
    finally:
        evidence.close()
    return out


def test_an_untracked_module_dict_gets_its_holder_and_the_keys_line(
    load_module: LoadModule,
) -> None:
    """A dict of str keys and small ints is found at its global; its keys name the line."""
    mod = load_module(CACHES)
    mod.remember(300)
    assert not gc.is_tracked(mod._seen)
    out = traced(f"builtins.dict#{id(mod._seen):x}", lambda: mod.remember(600))
    assert out.path == (f"{mod.__name__} (module)", "_seen (dict)")
    assert (out.sites[0].filename, out.sites[0].lineno) == (mod.__file__, 11)
    assert not out.notes


def test_an_untracked_class_attribute_dict_gets_its_holder(load_module: LoadModule) -> None:
    """A dict held by a class attribute is found there, not reported as gone."""
    mod = load_module(CACHES)
    mod.remember(300)
    out = traced(f"builtins.dict#{id(mod.Store.by_key):x}", lambda: mod.remember(600))
    assert out.path == (f"{mod.__name__} (module)", "Store (class)", "by_key (dict)")


def test_an_lru_cache_gets_the_line_of_its_results_and_a_deep_size(
    load_module: LoadModule,
) -> None:
    """An unbounded lru_cache's newest results name the cached function's line."""
    mod = load_module(CACHES)
    out = traced(
        f"functools._lru_cache_wrapper#{id(mod.quote):x}",
        lambda: [mod.quote(n) for n in range(300)],
    )
    assert (out.sites[0].filename, out.sites[0].lineno) == (mod.__file__, 17)
    assert out.deep_size is not None and out.deep_size > 0
    assert out.path == (f"{mod.__name__} (module)", "quote (_lru_cache_wrapper)")

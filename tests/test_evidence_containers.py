"""Evidence for growing containers the gc cannot see: untracked dicts and lru caches."""

from __future__ import annotations

import gc
import importlib
import sys
import textwrap
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leakguard._config import Options
from leakguard._evidence import Evidence
from leakguard._suspect import Suspect

LoadModule = Callable[[str], types.ModuleType]

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


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[LoadModule]:
    """Write source to a uniquely named module in tmp_path and import it for real."""
    names: list[str] = []
    sys.path.insert(0, str(tmp_path))

    def load(source: str) -> types.ModuleType:
        name = f"lg_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)
        return importlib.import_module(name)

    yield load
    sys.path.remove(str(tmp_path))
    for name in names:
        sys.modules.pop(name, None)


def suspect(kind: str, name: str, count: float = 0.0) -> Suspect:
    """A confirmed suspect as the detector would hand it over."""
    return Suspect(kind=kind, name=name, count=count, growth=count, rate_per_work=None,
                   rate_per_minute=None, confidence=0.99, first_seen=5)  # fmt: skip


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

"""Where it is born: the tracemalloc window, allocation sites, growing lines, packages."""

from __future__ import annotations

import importlib
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard._heap import packages as _packages
from leakguard._heap.packages import package_of
from leakguard._heap.tracing import TraceWindow


@pytest.fixture
def user_tracing() -> Iterator[None]:
    """tracemalloc switched on by 'the user' for the length of one test."""
    tracemalloc.start(5)
    try:
        yield
    finally:
        tracemalloc.stop()


def _make_leak(n: int) -> list[object]:
    return [bytearray(64) for _ in range(n)]


def test_window_starts_and_stops_tracing_when_it_was_off() -> None:
    """Off before: the window switches tracing on, and off again on close."""
    window = TraceWindow(nframes=2)
    window.open()
    assert tracemalloc.is_tracing() and window.owned
    assert tracemalloc.get_traceback_limit() == 2
    window.close()
    assert not tracemalloc.is_tracing()
    assert not window.is_open


@pytest.mark.usefixtures("user_tracing")
def test_window_leaves_the_users_tracing_and_traces_intact() -> None:
    """On before: the window neither stops tracing nor clears the user's traces."""
    kept = _make_leak(10)
    before = tracemalloc.get_object_traceback(kept[0])
    window = TraceWindow(nframes=1)
    window.open()
    assert not window.owned
    window.close()
    assert tracemalloc.is_tracing()
    assert tracemalloc.get_traceback_limit() == 5
    assert tracemalloc.get_object_traceback(kept[0]) == before is not None


def test_open_and_close_are_idempotent() -> None:
    """Opening twice and closing twice leaves tracing off and raises nothing."""
    window = TraceWindow()
    window.open()
    window.open()
    window.close()
    window.close()
    assert not tracemalloc.is_tracing()


def test_bad_frame_count_is_rejected_with_one_line() -> None:
    """A non-positive frame count fails at construction, naming the value."""
    with pytest.raises(ValueError, match="trace frames must be a positive integer, got 0"):
        TraceWindow(0)


def test_sites_of_names_the_allocating_line() -> None:
    """Objects born while the window is open are attributed to the line that made them."""
    window = TraceWindow()
    window.open()
    try:
        leaked = _make_leak(20)
        sites = window.sites_of(leaked, limit=3)
    finally:
        window.close()
    assert len(sites) == 1
    assert sites[0].filename == __file__
    assert sites[0].count == 20
    assert sites[0].package is None


def test_sites_of_instances_with_a_managed_dict() -> None:
    """Plain class instances (a managed __dict__ on 3.11) get their allocation site too."""

    class Plain:
        def __init__(self) -> None:
            self.x = 1

    window = TraceWindow()
    window.open()
    try:
        leaked = [Plain() for _ in range(5)]
        sites = window.sites_of(leaked, limit=3)
    finally:
        window.close()
    assert [(s.filename, s.count) for s in sites] == [(__file__, 5)]


def test_sites_of_objects_born_before_the_window_is_empty() -> None:
    """Objects born before tracing have no traceback, so no site is invented."""
    old = _make_leak(5)
    window = TraceWindow()
    window.open()
    try:
        assert window.sites_of(old, limit=3) == []
    finally:
        window.close()


def test_growing_lines_finds_an_untracked_str_leak() -> None:
    """Strings kept alive while the window is open show up as the top growing line."""
    window = TraceWindow()
    window.open()
    try:
        kept = ["x" * 500 + str(i) for i in range(2000)]
        lines = window.growing_lines(None, limit=3)
    finally:
        window.close()
    assert lines[0].filename == __file__
    assert lines[0].count >= 2000
    assert lines[0].size >= 2000 * 500
    del kept


@pytest.mark.usefixtures("user_tracing")
def test_growing_lines_subtracts_the_users_older_traces() -> None:
    """When the user traced already, what existed at opening is not reported as growth."""
    old = ["o" * 500 + str(i) for i in range(2000)]
    window = TraceWindow()
    window.open(baseline=True)
    try:
        new = [b"n" * 300 + bytes(i % 7) for i in range(1000)]
        lines = window.growing_lines(None, limit=5)
    finally:
        window.close()
    grown = {(s.filename, s.lineno): s.size for s in lines}
    assert max(grown, key=grown.__getitem__) == (__file__, _line_of("new = [b"))
    assert (__file__, _line_of("old = [")) not in grown
    del old, new


def _line_of(text: str) -> int:
    source = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(source, 1) if line.strip().startswith(text))


@pytest.fixture
def installed_package(tmp_path: Path) -> Iterator[str]:
    """A small package with a .dist-info, installed into a temporary sys.path entry."""
    site = tmp_path / "site"
    (site / "leakypkg").mkdir(parents=True)
    (site / "leakypkg" / "__init__.py").write_text(
        textwrap.dedent(
            """
            class Pooled:
                pass

            _pool = []

            def connect(n):
                for _ in range(n):
                    _pool.append(Pooled())
                return _pool
            """
        )
    )
    info = site / "leakypkg-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leakypkg\nVersion: 1.2.3\n\n")
    (info / "RECORD").write_text(
        "leakypkg/__init__.py,,\nleakypkg-1.2.3.dist-info/METADATA,,\nleakypkg-1.2.3.dist-info/RECORD,,\n"
    )
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield str(site)
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("leakypkg", None)
        _packages.reset()


def test_package_of_names_distribution_and_version(installed_package: str) -> None:
    """A file inside an installed distribution is named with the distribution's version."""
    module = importlib.import_module("leakypkg")
    assert package_of(module.__file__ or "") == "leakypkg 1.2.3"


def test_package_of_own_code_and_stdlib_is_none() -> None:
    """The user's own files, the standard library and pseudo-files belong to no package."""
    assert package_of(__file__) is None
    assert package_of(textwrap.__file__ or "") is None
    assert package_of("<string>") is None


def test_sites_in_a_dependency_carry_the_package(installed_package: str) -> None:
    """Objects allocated inside an installed package are attributed to it, with its version."""
    module = importlib.import_module("leakypkg")
    window = TraceWindow()
    window.open()
    try:
        pool = module.connect(10)
        sites = window.sites_of(pool, limit=3)
    finally:
        window.close()
    assert len(sites) == 1
    assert sites[0].package == "leakypkg 1.2.3"
    assert str(sites[0]).startswith("leakypkg 1.2.3, ")
    assert sites[0].filename.endswith("leakypkg/__init__.py")

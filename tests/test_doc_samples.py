"""Every sample output in docs/ is what this version prints (docs/samples.py regenerates them)."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# ```text blocks that are not a program's output, or are made by another script.
NOT_SAMPLES = {
    ("cli.md", "leakguard run [--interval S]"): "the usage synopsis",
    ("configuration.md", "leakguard: unknown environment"): "tests/test_docs.py checks it",
    ("evidence.md", "1. type shop.orders.OrderDTO"): "an excerpt of a report paragraph",
    ("evidence.md", "1. threads threads"): "excerpts of resource notes",
    ("service.md", "leakguard audit for pid"): "an excerpt of an audit (tests/test_audit.py)",
}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("doc_samples", DOCS / "samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLES = _load()


@pytest.fixture(scope="module")
def samples() -> Iterator[ModuleType]:
    yield SAMPLES
    for page in SAMPLES._pages.values():
        page.close()
    SAMPLES._pages.clear()
    SAMPLES._made.clear()


def test_every_output_block_is_a_regenerated_sample() -> None:
    """Each ```text block in docs/ follows a sample marker, or is listed here with why not."""
    unmarked = []
    for page in sorted(DOCS.glob("*.md")):
        if page.name == "gallery.md":
            continue  # written whole by benchmarks/report_gallery.py
        text = page.read_text()
        for m in re.finditer(r"^```text\n(.*)$", text, re.M):
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            known = any(page.name == p and m.group(1).startswith(s) for p, s in NOT_SAMPLES)
            if not before.startswith("<!-- sample: ") and not known:
                unmarked.append(f"{page.name}: {m.group(1)[:60]}")
    assert not unmarked, unmarked


def test_every_marked_sample_has_a_producer() -> None:
    """docs/samples.py knows how to make every sample the pages mark, and no other."""
    assert set(SAMPLES.samples()) == set(SAMPLES.PRODUCERS)


def test_teaches_ignores_numbers_but_not_the_first_suspect() -> None:
    """Counts, ids and pids are volatile; another first suspect or line number is not."""
    old = (
        "leakguard report for pid 1: 2 suspect(s)\n1. type a.B: 5 objects\n"
        "    allocated at /x.py:7 (3 seen)\n"
    )
    assert not SAMPLES.differences(old, old.replace("5", "9").replace("pid 1", "pid 4"))
    assert SAMPLES.differences(old, old.replace("a.B", "a.C"))
    assert SAMPLES.differences(old, old.replace(":7", ":8"))


def test_teaches_reads_the_engines_line_as_part_of_the_header() -> None:
    """After the ``engines:`` line only the first suspect counts, as without it."""
    old = "leakguard report for pid 1: 2 suspect(s)\nengines: census C\n1. type a.B\n2. type a.C\n"
    assert not SAMPLES.differences(old, old.replace("a.C", "a.D"))
    assert SAMPLES.differences(old, old.replace("census C", "census pure-Python"))


@pytest.mark.parametrize("name", sorted(SAMPLES.PRODUCERS))
def test_sample_still_teaches_what_this_version_prints(samples: ModuleType, name: str) -> None:
    """The committed sample and a fresh run agree on what the sample teaches.

    A timed transcript that disagrees is made once more, its page's scratch anew: on a
    loaded machine a four-second demo takes fewer samples, and one short run is no news.
    """
    page, committed = samples.samples()[name]
    diffs = samples.differences(committed, samples.produce(name))
    if diffs:
        samples.forget(name)
        diffs = samples.differences(committed, samples.produce(name))
    assert not diffs, (
        f"{page.name} sample {name!r} is stale (python docs/samples.py {name}):\n"
        + "\n".join(diffs)
    )

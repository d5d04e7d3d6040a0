"""The docs tell the truth about this version: the API reference, links, and quoted output."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

import leakguard
from leakguard._config import resolve

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_every_guide_links_to_the_api_reference() -> None:
    """Each page in docs/ (and the README) links to the generated API reference."""
    pages = [p for p in DOCS.glob("*.md") if p.name != "api.md"]
    assert pages
    missing = [p.name for p in pages if "](api.md" not in p.read_text()]
    assert not missing, f"no link to api.md in {missing}"
    assert "](docs/api.md)" in (ROOT / "README.md").read_text()


def test_api_reference_renders_every_public_name() -> None:
    """docs/api.md has a mkdocstrings block for each name in leakguard.__all__, and no other."""
    blocks = set(re.findall(r"^::: leakguard\.(\w+)$", (DOCS / "api.md").read_text(), re.M))
    assert blocks == set(leakguard.__all__)


def test_unknown_environment_variable_warning_is_quoted_as_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """configuration.md quotes the warning an unknown LEAKGUARD_* variable really gets."""
    with caplog.at_level(logging.WARNING, logger="leakguard"):
        resolve({}, {"LEAKGUARD_INTERVALL_DOCS": "5"})
    logged = [r.getMessage() for r in caplog.records if "INTERVALL_DOCS" in r.getMessage()]
    assert logged
    quoted = logged[0].replace("LEAKGUARD_INTERVALL_DOCS", "LEAKGUARD_INTERVALL")
    assert quoted in (DOCS / "configuration.md").read_text()


def test_readme_quotes_the_path_search_benchmark_as_it_prints() -> None:
    """The README's path-search figure is a line in the format bench_evidence.py prints."""
    bench = (ROOT / "benchmarks" / "bench_evidence.py").read_text()
    assert 'f"retention_path: {ours * 1e3:.0f} ms; objgraph.find_backref_chain: "' in bench
    readme = " ".join((ROOT / "README.md").read_text().split())
    found = re.search(
        r"`retention_path: (\d+) ms; objgraph\.find_backref_chain: (\d+) ms \(x([\d.]+) ours\)`",
        readme,
    )
    assert found is not None
    ours, theirs, ratio = int(found[1]), int(found[2]), float(found[3])
    assert abs(theirs / ours - ratio) < 0.05


def test_readme_shows_the_venv_line_before_the_first_command() -> None:
    """The README's venv line (PEP 668) comes right before the demo command CI runs."""
    readme = (ROOT / "README.md").read_text()
    venv = readme.index("<!-- readme:venv-command -->")
    demo = readme.index("<!-- readme:demo-command -->")
    assert venv < demo
    assert "python3 -m venv .venv && . .venv/bin/activate" in readme[venv:demo]

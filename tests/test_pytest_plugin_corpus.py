"""The leak corpus under pytest --leakguard: every leak caught, no false alarm (also with xdist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CORPUS = Path(__file__).parent / "leak_corpus"
_OUTCOME = re.compile(r"^(PASSED|FAILED) (\S+?\.py::\S+)")


def install_corpus(pytester: pytest.Pytester) -> None:
    """Lay the corpus out as a test directory with its conftest."""
    pytester.makeconftest((CORPUS / "corpus_conftest.py").read_text())
    for name in ("leaks", "clean", "once"):
        pytester.makepyfile(**{f"test_{name}": (CORPUS / f"corpus_{name}.py").read_text()})


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Node id -> PASSED/FAILED, from the -rA summary."""
    found = {}
    for line in result.outlines:
        match = _OUTCOME.match(line)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def expected(nodeid: str) -> str:
    """The outcome a corpus test's name promises."""
    name = nodeid.split("::")[1]
    return "FAILED" if name.startswith(("test_leak_", "test_once_leak_")) else "PASSED"


@pytest.mark.parametrize("extra", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_corpus_verdicts(pytester: pytest.Pytester, extra: list[str]) -> None:
    """Each corpus test ends as its name says: leaks fail, everything else passes."""
    install_corpus(pytester)
    result = pytester.runpytest_subprocess("--leakguard", "-rA", "-p", "no:cacheprovider", *extra)
    seen = outcomes(result)
    assert len(seen) == 54
    wrong = {nodeid: got for nodeid, got in seen.items() if got != expected(nodeid)}
    assert wrong == {}
    assert sum(got == "FAILED" for got in seen.values()) == 17

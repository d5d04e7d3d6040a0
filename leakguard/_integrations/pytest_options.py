"""The plugin's settings: one help string per option, one precedence function.

Every setting can come from the ``@pytest.mark.leakguard(...)`` marker, the
command line (``--leakguard-NAME``) or the ini file (``leakguard_NAME``); the
first of these that gives a value wins, then the default. A bad value is
reported as one line naming the option and where it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from leakguard._repeat.engine import RepeatOptions
from leakguard._repeat.options import NAMES, build

HELP: dict[str, str] = {
    "warmup": "runs of a test's call before measuring, the real first run included (default 2)",
    "iterations": "measured runs; a leak must grow on every one of them (default 3)",
    "min_growth": "objects of one type a run must add to count as growth (default 1)",
    "min_blocks": "allocated memory blocks a run must add to count as growth (default 1)",
    "traced_runs": "extra runs under tracemalloc to find where growth is allocated; 0: none "
    "(default 3)",
    "trace_frames": "frames tracemalloc keeps in those runs (default 1)",
    "survivors": "single-run checks fail when this many objects of one of your own types "
    "outlive the test (default 10)",
    "ignore": "type names (fnmatch patterns, 'module:NAME' or 'sig:HEX') never reported",
    "path_seconds": "time budget for finding who holds a leaked object (default 1.0)",
}
ENABLE_HELP = "check every test for memory leaks by repeating its call (ini: leakguard = true)"
MARKER = (
    "leakguard(iterations=3, warmup=2, once=False, skip=False, ignore=[...], ...): check this "
    "test for leaks by repeating its call; once=True checks a single run (for tests that must "
    "not be repeated); skip=True opts the test out of --leakguard"
)
MARKER_ONLY = ("once", "skip")


@dataclass(frozen=True, slots=True)
class Plan:
    """How one test is checked.

    Attributes:
        options: the resolved settings.
        mode: ``repeat`` or ``once``.
    """

    options: RepeatOptions
    mode: str


def flag(name: str) -> str:
    """The command-line flag of an option: ``--leakguard-min-growth``."""
    return "--leakguard-" + name.replace("_", "-")


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--leakguard*`` flags and ``leakguard*`` ini keys."""
    group = parser.getgroup("leakguard", "memory-leak checks (leakguard)")
    group.addoption("--leakguard", action="store_true", default=None, help=ENABLE_HELP)
    parser.addini("leakguard", ENABLE_HELP, type="bool", default=False)
    for name in NAMES:
        if name == "ignore":
            group.addoption(
                flag(name), action="append", default=None, metavar="PATTERN", help=HELP[name]
            )
            parser.addini("leakguard_" + name, HELP[name], type="linelist", default=[])
        else:
            metavar = "SECONDS" if name == "path_seconds" else "N"
            group.addoption(flag(name), default=None, metavar=metavar, help=HELP[name])
            parser.addini("leakguard_" + name, HELP[name], type=_ini_type(name), default=None)


def _ini_type(name: str) -> Literal["string", "int", "float"]:
    """Typed ini keys where pytest has them (8.4+), so ``[tool.pytest]`` takes ``= 5``."""
    if pytest.version_tuple < (8, 4):
        return "string"
    return "float" if name == "path_seconds" else "int"


def enabled(config: pytest.Config) -> bool:
    """Whether every test is checked: ``--leakguard`` or ``leakguard = true`` in the ini file.

    Raises:
        pytest.UsageError: the ini value is not a truth value, naming it.
    """
    from_ini = read_ini(config, "leakguard")  # read first: a bad value is an error even so
    return bool(config.getoption("leakguard") or from_ini)


def read_ini(config: pytest.Config, key: str) -> Any:
    """One ini value, or a usage error naming the key when pytest cannot read it as its type."""
    try:
        return config.getini(key)
    except (ValueError, TypeError, pytest.UsageError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        why = why.removeprefix("ERROR: ")
        raise pytest.UsageError(f"leakguard: bad value for ini option {key}: {why}") from None


def command_line(config: pytest.Config) -> dict[str, Any]:
    """The options given on the command line (only those given)."""
    given = {n: config.getoption(flag(n).lstrip("-").replace("-", "_")) for n in NAMES}
    return {n: v for n, v in given.items() if v is not None}


def ini(config: pytest.Config) -> dict[str, Any]:
    """The options set in the ini file (only those set)."""
    found = {n: read_ini(config, "leakguard_" + n) for n in NAMES}
    return {n: v for n, v in found.items() if v not in ("", [], None)}


def resolve(
    marker: Mapping[str, Any] | None,
    cli: Mapping[str, Any],
    ini_values: Mapping[str, Any],
    where: str,
) -> RepeatOptions:
    """Settle every option: marker > command line > ini file > default.

    Args:
        marker: the marker's keyword arguments (without ``once``/``skip``), if any.
        cli: values from the command line.
        ini_values: values from the ini file.
        where: the test's node id, for messages about its marker.

    Raises:
        ValueError: one line naming the bad option and its source.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers: tuple[tuple[Mapping[str, Any], Callable[[str], str]], ...] = (
        (marker or {}, lambda n: f"marker @pytest.mark.leakguard({n}=...) on {where}"),
        (cli, lambda n: f"command line {flag(n)}"),
        (ini_values, lambda n: f"ini option leakguard_{n}"),
    )
    names = list(NAMES) + sorted(set(marker or {}) - set(NAMES))
    for name in names:
        for layer, source in layers:
            if name in layer:
                values[name], sources[name] = layer[name], source(name)
                break
    return build(values, sources)


def plan_for(item: pytest.Item, every_test: bool) -> Plan | None:
    """The plan for one test, or None when it is not checked.

    Raises:
        pytest.UsageError: a bad marker, option or ini value, naming its source.
    """
    marker = item.get_closest_marker("leakguard")
    if marker is None and not every_test:
        return None
    kwargs = dict(marker.kwargs) if marker else {}
    if marker is not None and marker.args:
        raise pytest.UsageError(
            f"leakguard: marker @pytest.mark.leakguard on {item.nodeid} takes keyword "
            "arguments only, e.g. @pytest.mark.leakguard(iterations=5)"
        )
    flags = {k: kwargs.pop(k, False) for k in MARKER_ONLY}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise pytest.UsageError(
                f"leakguard: bad value for {key!r} from marker @pytest.mark.leakguard on "
                f"{item.nodeid}: expected True or False, got {value!r}"
            )
    if flags["skip"]:
        return None
    try:
        options = resolve(kwargs, command_line(item.config), ini(item.config), item.nodeid)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Plan(options, "once" if flags["once"] or not repeatable(item) else "repeat")


def repeatable(item: pytest.Item) -> bool:
    """Whether a test's call can be repeated with its fixtures: plain test functions only."""
    if not isinstance(item, pytest.Function):
        return False
    cls = getattr(item, "cls", None)
    import unittest

    return not (isinstance(cls, type) and issubclass(cls, unittest.TestCase))


def header(config: pytest.Config) -> str | None:
    """The report header line saying what is enforced, when every test is checked."""
    if not enabled(config):
        return None
    try:
        o = resolve(None, command_line(config), ini(config), "")
    except ValueError:
        return None
    return (
        f"leakguard: every test's call runs {o.warmup} + {o.iterations} times "
        f"(+{o.traced_runs} traced on suspicion), gc between runs; fails when a type grows by "
        f">= {o.min_growth} object(s) or memory by >= {o.min_blocks} block(s) on every measured "
        "run and outlives teardown; mark.leakguard(once=True): single run, skip=True: opt out"
    )

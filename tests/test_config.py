"""Options: keyword arguments > LEAKGUARD_* environment > defaults, with clear errors."""

from __future__ import annotations

import pytest

from leakguard import Guard
from leakguard._config import Options, resolve


def test_defaults_apply_without_kwargs_or_environment() -> None:
    """With nothing given, every option has its documented default."""
    assert resolve({}, {}) == Options()


def test_keyword_arguments_win_over_the_environment() -> None:
    """A keyword argument beats the same option's environment variable."""
    assert resolve({"warmup": 4}, {"LEAKGUARD_WARMUP": "9"}).warmup == 4


def test_environment_variables_are_parsed_by_type() -> None:
    """Numbers, booleans, lists and 'none' are read from environment strings."""
    env = {
        "LEAKGUARD_INTERVAL": "none",
        "LEAKGUARD_BUDGET": "0.02",
        "LEAKGUARD_VERIFY_GC": "off",
        "LEAKGUARD_IGNORE": "shop.cache.*, module:vendor",
        "LEAKGUARD_SNAPSHOT_DIR": "/tmp/lg",
    }
    opts = resolve({}, env)
    assert opts.interval is None and opts.budget == 0.02 and opts.verify_gc is False
    assert opts.ignore == ("shop.cache.*", "module:vendor")
    assert opts.snapshot_dir == "/tmp/lg"


BAD = [
    ({"budget": 1.5}, {}, "option 'budget' from keyword argument must be between 0 and 1"),
    ({"interval": -1}, {}, "option 'interval' from keyword argument must be > 0"),
    ({"warmup": 1.5}, {}, "bad value for option 'warmup' from keyword argument: expected a whole"),
    ({"verify_gc": "yes"}, {}, "bad value for option 'verify_gc' from keyword argument"),
    ({"window": 2}, {}, "option 'window' from keyword argument must be >= 4"),
    ({"ignore": [1]}, {}, "bad value for option 'ignore' from keyword argument"),
    (
        {},
        {"LEAKGUARD_ALPHA": "abc"},
        "option 'alpha' from environment variable LEAKGUARD_ALPHA='abc'",
    ),
    (
        {},
        {"LEAKGUARD_LOG": "maybe"},
        "option 'log' from environment variable LEAKGUARD_LOG='maybe'",
    ),
    (
        {},
        {"LEAKGUARD_CONFIRM": "0"},
        "option 'confirm' from environment variable LEAKGUARD_CONFIRM='0' must be >= 1",
    ),
    ({"intervall": 5}, {}, "unknown option 'intervall'"),
    ({"ignore": ["sig:zz"]}, {}, "ignore rule 'sig:zz' from option 'ignore' from keyword argument"),
]


@pytest.mark.parametrize(("kwargs", "env", "message"), BAD)
def test_bad_values_name_the_option_and_its_source(
    kwargs: dict[str, object], env: dict[str, str], message: str
) -> None:
    """Each bad value raises ValueError naming the option and where it came from."""
    with pytest.raises(ValueError, match=r"^leakguard: ") as info:
        resolve(kwargs, env)
    assert message in str(info.value)


def test_guard_validates_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard() reads the real environment and rejects a bad value there."""
    monkeypatch.setenv("LEAKGUARD_MIN_SAMPLES", "2")
    with pytest.raises(ValueError, match="LEAKGUARD_MIN_SAMPLES"):
        Guard(interval=None)


def test_a_misspelled_environment_variable_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unknown LEAKGUARD_* variable is named in a warning instead of silently ignored."""
    with caplog.at_level("WARNING", logger="leakguard"):
        resolve({}, {"LEAKGUARD_INTERVALL": "5"})
    assert "LEAKGUARD_INTERVALL" in caplog.text


def test_the_configuration_reference_documents_every_option() -> None:
    """docs/configuration.md has a row per option with its default and environment variable."""
    import dataclasses
    import pathlib

    doc = pathlib.Path(__file__).parent.parent / "docs" / "configuration.md"
    rows = {}
    for line in doc.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    for f in dataclasses.fields(Options):
        assert f.name in rows, f"{f.name} has no row"
        assert rows[f.name][1].startswith(f"`{f.default!r}`"), f.name
        assert rows[f.name][2] == f"`LEAKGUARD_{f.name.upper()}`", f.name

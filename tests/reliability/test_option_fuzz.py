"""Option fuzzing: any value for any option, from any source, is accepted in range or refused
in one line naming the option and its source; nothing else ever escapes.

Hypothesis draws the hostile values (huge and non-finite numbers, numeric-looking text,
control characters, wrong types); ``max_examples`` stays small so the suite stays fast.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from leakguard._config import RANGES, resolve
from leakguard._model.options import Options
from leakguard._repeat.options import MAXIMUM, MINIMUM, NAMES, RepeatOptions, build

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
given, settings = hypothesis.given, hypothesis.settings

FAST = settings(max_examples=60, deadline=None, derandomize=True)
GUARD_OPTIONS = [f.name for f in dataclasses.fields(Options)]
_EDGES = [0, 1, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63), 65535, 65536]
_FLOATS = [math.inf, -math.inf, math.nan, 1e300, 1e-300, -0.0, 5e-324, 9.3e9]
_TEXTS = ["", " ", "inf", "-inf", "nan", "1e400", "1e3", "0x10", "1_000", "9" * 5000, "\x1b[2J"]

numbers = st.one_of(
    st.integers(),
    st.sampled_from(_EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(_FLOATS),
)
anything = st.one_of(
    numbers,
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.sampled_from(_TEXTS),
    st.lists(st.text(max_size=5), max_size=3),
    st.binary(max_size=8),
)
env_text = st.one_of(
    st.sampled_from(_TEXTS),
    st.text(max_size=30),
    numbers.map(str),
    st.sampled_from(_EDGES).map(str),
)


def _in_range(options: Options) -> None:
    for name, (low, high, low_open) in RANGES.items():
        value = getattr(options, name)
        if value is None:
            continue
        assert math.isfinite(value), name
        assert (value > low if low_open else value >= low) and value <= high, (name, value)


def _one_clear_line(exc: ValueError, name: str, where: str) -> None:
    message = str(exc)
    assert message.startswith("leakguard: ") and "\n" not in message
    assert repr(name) in message and where in message
    assert len(message) < 400, message


@FAST
@given(name=st.sampled_from(GUARD_OPTIONS), value=anything)
def test_any_keyword_value_is_in_range_or_one_line_naming_it(name: str, value: Any) -> None:
    """A keyword argument of any type or size is kept in range or refused with one line."""
    try:
        _in_range(resolve({name: value}, {}))
    except ValueError as exc:
        _one_clear_line(exc, name, "keyword argument")


@FAST
@given(name=st.sampled_from(GUARD_OPTIONS), text=env_text)
def test_any_environment_text_is_in_range_or_one_line_naming_it(name: str, text: str) -> None:
    """A LEAKGUARD_* string of any content is kept in range or refused naming its variable."""
    if "\0" in text:
        text = text.replace("\0", "")  # the OS cannot put NUL in an environment value
    var = "LEAKGUARD_" + name.upper()
    try:
        _in_range(resolve({}, {var: text}))
    except ValueError as exc:
        _one_clear_line(exc, name, var)


@FAST
@given(
    name=st.sampled_from(NAMES),
    value=anything,
    where=st.sampled_from(["command line --leakguard-x", "ini option leakguard_x", "marker"]),
)
def test_any_check_or_pytest_value_is_in_range_or_one_line(
    name: str, value: Any, where: str
) -> None:
    """@check, marker, command-line and ini values are in range or refused naming the source."""
    try:
        options = build({name: value}, {name: where})
    except ValueError as exc:
        _one_clear_line(exc, name, where)
        return
    got = getattr(options, name)
    if name != "ignore":
        assert math.isfinite(got) and MINIMUM[name] <= got <= MAXIMUM[name]
    assert isinstance(options, RepeatOptions)


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({"warmup": math.inf}, {}, "'warmup' from keyword argument: expected a whole number"),
        ({"history": 2**63}, {}, "'history' from keyword argument must be >= 2 and <= 100000"),
        ({"top_containers": 2**63}, {}, "'top_containers' from keyword argument must be >= 0"),
        ({"trace_frames": 65536}, {}, "'trace_frames' from keyword argument must be >= 1 and <="),
        ({"interval": math.inf}, {}, "'interval' from keyword argument must be > 0 and <= 86400"),
        ({"interval": 10**400}, {}, "'interval' from keyword argument: too large a number"),
        ({"history": 10**5000}, {}, "'history' from keyword argument must be >= 2"),
        ({}, {"LEAKGUARD_WINDOW": "inf"}, "LEAKGUARD_WINDOW='inf': expected a whole number"),
        ({}, {"LEAKGUARD_HISTORY": "9" * 30}, "LEAKGUARD_HISTORY='999"),
        ({"snapshot_dir": ""}, {}, "'snapshot_dir' from keyword argument: expected a path"),
    ],
)
def test_reported_bad_values_are_refused(
    kwargs: dict[str, Any], env: dict[str, str], message: str
) -> None:
    """Each value from the trial (inf for counts, 2**63, 65536 frames) is one ValueError."""
    with pytest.raises(ValueError, match=r"^leakguard: ") as info:
        resolve(kwargs, env)
    assert message in str(info.value)
    assert len(str(info.value)) < 300


def test_an_empty_environment_variable_is_unset() -> None:
    """LEAKGUARD_INTERVAL="" keeps the default (thread mode), as PYTHON* variables do."""
    assert resolve({}, {"LEAKGUARD_INTERVAL": "", "LEAKGUARD_LOG": " "}) == Options()


def test_start_with_a_manual_interval_from_the_environment_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """start() with LEAKGUARD_INTERVAL=none is a ValueError naming the variable, no thread."""
    import leakguard

    monkeypatch.setenv("LEAKGUARD_INTERVAL", "none")
    with pytest.raises(ValueError, match="LEAKGUARD_INTERVAL='none'"):
        leakguard.start()
    assert leakguard.current() is None

"""leakguard.check: one object, three spellings, LeakError on a leak."""

from __future__ import annotations

import gc

import pytest

import leakguard


class Invoice:
    pass


_kept: list[Invoice] = []


@pytest.fixture(autouse=True)
def _empty_kept():
    yield
    _kept.clear()


def test_bare_decorator_raises_leak_error_with_report():
    """@check repeats the call and raises LeakError carrying the report."""

    @leakguard.check
    def leaky() -> None:
        _kept.append(Invoice())

    with pytest.raises(leakguard.LeakError) as info:
        leaky()
    assert "leaked 1 Invoice per run" in str(info.value)
    assert info.value.report.suspects[0].name == f"{__name__}.Invoice"


def test_leak_error_is_an_assertion_error():
    """Test runners show a LeakError as a failure, not an error."""
    assert issubclass(leakguard.LeakError, AssertionError)


def test_decorator_with_options_uses_them():
    """@check(iterations=5) measures five runs."""

    @leakguard.check(iterations=5, traced_runs=0)
    def leaky() -> None:
        _kept.append(Invoice())

    with pytest.raises(leakguard.LeakError) as info:
        leaky()
    assert len(info.value.verdict.growths[0].per_run) == 5


def test_clean_function_returns_first_result():
    """A clean checked function returns what its first run returned."""
    calls = []

    @leakguard.check
    def add(a: int, b: int) -> int:
        calls.append(1)
        return a + b + len(calls)

    assert add(1, 2) == 4


def test_decorator_keeps_name_and_doc():
    """The checked function keeps its name and docstring."""

    @leakguard.check()
    def documented() -> None:
        """Docs."""

    assert documented.__name__ == "documented" and documented.__doc__ == "Docs."


def test_with_block_fails_on_survivors():
    """with check(survivors=...) fails when the block leaves that many objects alive."""
    frozen = gc.get_freeze_count()
    with pytest.raises(leakguard.LeakError) as info, leakguard.check(survivors=5):
        _kept.extend(Invoice() for _ in range(5))
    assert "left 5 Invoice alive after a single run" in str(info.value)
    assert gc.get_freeze_count() == frozen


def test_with_block_clean_passes():
    """A block that keeps nothing passes."""
    with leakguard.check(survivors=1):
        [Invoice() for _ in range(100)]


def test_with_block_exception_propagates_unjudged():
    """An exception from the block reaches the caller and nothing is judged."""
    frozen = gc.get_freeze_count()
    with pytest.raises(ZeroDivisionError), leakguard.check(survivors=1):
        _kept.extend(Invoice() for _ in range(5))
        _ = 1 / 0
    assert gc.get_freeze_count() == frozen


def test_bad_option_names_option_and_source():
    """A bad value raises ValueError naming the option and that it was a keyword argument."""
    with pytest.raises(ValueError, match=r"'iterations' from keyword argument: must be >= 2"):
        leakguard.check(iterations=1)


def test_unknown_option_is_named():
    """A misspelt option is named with the known ones."""
    with pytest.raises(ValueError, match="unknown option 'iteration'"):
        leakguard.check(iteration=3)  # type: ignore[call-overload]


def test_positional_option_says_how_to_fix():
    """check(5) tells the user to pass options by keyword."""
    with pytest.raises(TypeError, match=r"by keyword: use @leakguard.check\(iterations=5\)"):
        leakguard.check(5)  # type: ignore[call-overload]


def test_coroutine_function_is_refused_with_advice():
    """Decorating an async function explains what to do instead."""

    async def handler() -> None:
        pass

    with pytest.raises(TypeError, match=r"with leakguard\.check"):
        leakguard.check(handler)


def test_with_block_refuses_options_only_repetition_uses():
    """with check(iterations=5) raises TypeError saying a block runs once, not silently once."""
    with pytest.raises(TypeError, match=r"iterations only apply to @leakguard\.check.*runs once"):
        with leakguard.check(iterations=5):
            pass


def test_with_block_runs_once_and_passes_below_survivors():
    """A block leaving fewer than survivors (10) of a type alive passes: it is judged once."""
    calls = []
    with leakguard.check():
        calls.append(1)
        _kept.extend(Invoice() for _ in range(9))
    assert calls == [1]
    _kept.clear()


def test_decorator_repeats_and_catches_one_object_per_call():
    """@check calls the function repeatedly and fails on one kept object per call."""
    calls = []

    @leakguard.check
    def keep_one() -> None:
        calls.append(1)
        _kept.append(Invoice())

    with pytest.raises(leakguard.LeakError):
        keep_one()
    assert len(calls) > 1
    _kept.clear()

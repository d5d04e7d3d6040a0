"""The pytest plugin, run as real pytest in a subprocess (threads and gc state cannot bleed)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

LEAKY = """
class OrderDTO:
    pass

_recent = []

def test_checkout():
    _recent.append(OrderDTO())
"""

COUNTING = """
import gc, tracemalloc
calls = []
# CPython 3.12 starts with some immortal objects already frozen: compare, don't assume 0.
FROZEN_AT_IMPORT = gc.get_freeze_count()

def test_counted(pytestconfig):
    calls.append(1)
    assert not tracemalloc.is_tracing()
    assert gc.get_freeze_count() == FROZEN_AT_IMPORT
    assert not pytestconfig.pluginmanager.has_plugin("leakguard-runner")

def test_ran_once():
    assert calls == [1]
"""

TEARDOWN_WATCH = """
import tracemalloc
import pytest

seen = []
_kept = []

class Item:
    pass

@pytest.fixture
def tracing_at_teardown():
    yield
    seen.append(tracemalloc.is_tracing())

def test_grows(tracing_at_teardown):
    _kept.append(Item())

def test_teardown_saw_no_tracing():
    assert seen == [False]
"""

FIRST_RUN = """
import gc

FROZEN_AT_IMPORT = gc.get_freeze_count()
seen = []

def test_records_the_freeze_count():
    if not seen:
        seen.append(gc.get_freeze_count())

def test_first_run_saw_the_heap_as_it_was():
    assert seen[0] == FROZEN_AT_IMPORT
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_leaking_test_fails_with_what_where_and_who(pytester: pytest.Pytester) -> None:
    """A leaking test fails (exit 1) with the per-run growth, its site and its holder."""
    pytester.makepyfile(test_orders=LEAKY)
    result = run(pytester, "--leakguard")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*test_orders.py::test_checkout leaked 1 OrderDTO per run [[]1, 1, 1, 1, 1, 1[]]",
            "*allocated at test_orders.py:7*",
            "*held by test_orders (module) → _recent (list) → OrderDTO",
        ]
    )


def test_fixture_teardown_never_sees_the_trace_window(pytester: pytest.Pytester) -> None:
    """A test's own fixtures are torn down after leakguard's tracemalloc window has closed."""
    pytester.makepyfile(TEARDOWN_WATCH)
    result = run(pytester, "--leakguard", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["PASSED *test_teardown_saw_no_tracing*"])


def test_real_run_sees_the_heap_unfrozen(pytester: pytest.Pytester) -> None:
    """The test's real (first) run sees the gc as without leakguard; only repeats are frozen."""
    pytester.makepyfile(FIRST_RUN)
    run(pytester, "--leakguard").assert_outcomes(passed=2)


def test_clean_test_passes(pytester: pytest.Pytester) -> None:
    """A test that keeps nothing passes under --leakguard."""
    pytester.makepyfile("def test_sum():\n    assert sum(list(range(100))) == 4950\n")
    run(pytester, "--leakguard").assert_outcomes(passed=1)


def test_without_the_flag_nothing_is_repeated_or_traced(pytester: pytest.Pytester) -> None:
    """Without --leakguard a test runs once, untraced, unfrozen, with no per-test hooks."""
    pytester.makepyfile(test_counting=COUNTING)
    run(pytester).assert_outcomes(passed=2)


def test_marker_checks_one_test_without_the_flag(pytester: pytest.Pytester) -> None:
    """@pytest.mark.leakguard checks that test even when --leakguard is not given."""
    pytester.makepyfile(
        LEAKY
        + "\nimport pytest\n\n@pytest.mark.leakguard\ndef test_marked():\n"
        + "    _recent.append(OrderDTO())\n"
    )
    result = run(pytester, "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *::test_marked*"])


def test_skip_marker_opts_a_test_out(pytester: pytest.Pytester) -> None:
    """@pytest.mark.leakguard(skip=True) is not checked under --leakguard."""
    pytester.makepyfile(
        LEAKY.replace("def test_", "import pytest\n@pytest.mark.leakguard(skip=True)\ndef test_")
    )
    run(pytester, "--leakguard").assert_outcomes(passed=1)


def test_once_mode_runs_the_test_a_single_time(pytester: pytest.Pytester) -> None:
    """once=True runs the call once and still catches many survivors of the user's types."""
    pytester.makepyfile(
        """
        import pytest
        calls = []
        class Widget: pass
        kept = []

        @pytest.mark.leakguard(once=True)
        def test_once():
            calls.append(1)
            assert calls == [1]

        @pytest.mark.leakguard(once=True)
        def test_once_leaky():
            kept.extend(Widget() for _ in range(20))
        """
    )
    result = run(pytester, "--leakguard")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_once_leaky left 20 Widget alive after a single run"])


def test_changed_outcome_is_explained_and_not_failed(pytester: pytest.Pytester) -> None:
    """A test that fails only when repeated passes, with a warning saying what happened."""
    pytester.makepyfile(
        "calls = []\ndef test_once_only():\n    calls.append(1)\n    assert len(calls) == 1\n"
    )
    result = run(pytester, "--leakguard")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*passed its first run but run 2 raised AssertionError*judged by a single-run check*"]
    )


def test_failing_test_is_not_judged(pytester: pytest.Pytester) -> None:
    """A test whose call fails keeps its own failure and runs only once."""
    pytester.makepyfile(
        LEAKY
        + "\ndef test_fails():\n    _recent.append(OrderDTO())\n    assert len(_recent) == 99\n"
    )
    result = run(pytester, "--leakguard", "-k", "test_fails")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 99*"])
    result.stdout.no_fnmatch_line("*leaked*")


def test_help_lists_flags_and_ini_keys(pytester: pytest.Pytester) -> None:
    """--help shows every flag and ini key (typed where pytest types ini keys) with its help."""
    typed = "int" if pytest.version_tuple >= (8, 4) else "string"
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "*--leakguard *check every test for memory leaks*",
            "*--leakguard-iterations=N*",
            "*measured runs; a leak must grow on every one of them*",
            "*--leakguard-ignore=PATTERN*",
            f"*leakguard_iterations ({typed}):*",
            "*measured runs; a leak must grow on every one of them*",
        ]
    )


def test_markers_lists_the_marker(pytester: pytest.Pytester) -> None:
    """--markers documents @pytest.mark.leakguard and its once/skip options."""
    run(pytester, "--markers").stdout.fnmatch_lines(
        ["@pytest.mark.leakguard(*once=True*skip=True*"]
    )


def test_header_says_what_is_enforced(pytester: pytest.Pytester) -> None:
    """The report header states the runs and thresholds only when checking is on."""
    pytester.makepyfile("def test_x():\n    pass\n")
    run(pytester, "--leakguard").stdout.fnmatch_lines(
        ["leakguard: every test's call runs 2 + 3 times*fails when a type grows by >= 1*"]
    )
    run(pytester).stdout.no_fnmatch_line("leakguard:*")


def test_ini_enables_and_configures(pytester: pytest.Pytester) -> None:
    """leakguard = true and leakguard_iterations in the ini file take effect."""
    pytester.makeini("[pytest]\nleakguard = true\nleakguard_iterations = 4\n")
    pytester.makepyfile(test_orders=LEAKY)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["leakguard: every test's call runs 2 + 4 times*"])


def test_precedence_marker_over_command_line_over_ini(pytester: pytest.Pytester) -> None:
    """The marker beats the command line, which beats the ini file."""
    pytester.makeini("[pytest]\nleakguard_iterations = 4\nleakguard_traced_runs = 0\n")
    pytester.makepyfile(
        LEAKY.replace("def test_", "import pytest\n@pytest.mark.leakguard(iterations=6)\ndef test_")
    )
    result = run(pytester, "--leakguard", "--leakguard-iterations=5")
    result.stdout.fnmatch_lines(
        [
            "leakguard: every test's call runs 2 + 5 times*",
            "*leaked 1 OrderDTO per run [[]1, 1, 1, 1, 1, 1[]]",
        ]
    )


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            "",
            ["--leakguard-iterations=zero"],
            "*'iterations' from command line --leakguard-iterations: expected a whole number*",
        ),
        (
            "[pytest]\nleakguard_min_growth = -1\n",
            [],
            "*'min_growth' from ini option leakguard_min_growth: must be >= 1*",
        ),
        (
            "",
            ["-k", "marked"],
            "*'warmup' from marker @pytest.mark.leakguard(warmup=...) on test_bad.py::test_marked:"
            " must be >= 1*",
        ),
        ("", ["--leakguard-trace-frames=0"], "*'trace_frames' from command line *: must be >= 1*"),
        ("", ["--leakguard-trace-frames=100000"], "*'trace_frames' from *: must be <= 100 *"),
        ("", ["--leakguard-path-seconds=nan"], "*'path_seconds' from *: expected a number*"),
        ("", ["--leakguard-path-seconds=inf"], "*'path_seconds' from *: must be <= 3600*"),
        ("", ["--leakguard-iterations=99999999999999999999"], "*'iterations' *: must be <= 1000*"),
        ("[pytest]\nleakguard = maybe\n", [], "*bad value for ini option leakguard: *maybe*"),
        (
            "[pytest]\nleakguard_iterations = many\n",
            [],
            "*bad value for ini option leakguard_iterations: *many*",
        ),
    ],
)
def test_bad_values_name_their_source(
    pytester: pytest.Pytester, setup: str, args: list[str], message: str
) -> None:
    """A bad value stops the run with one line naming the option and where it came from."""
    if setup:
        pytester.makeini(setup)
    pytester.makepyfile(
        test_bad="import pytest\n@pytest.mark.leakguard(warmup=0)\ndef test_marked():\n    pass\n"
        if "marked" in args
        else "def test_x():\n    pass\n"
    )
    result = run(pytester, "--leakguard", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert len([line for line in result.stderr.lines if "leakguard" in line]) == 1


@pytest.mark.parametrize(
    "args",
    [["-W", "error"], ["-o", "filterwarnings=error"], ["-n", "2", "-W", "error"]],
)
def test_leakguard_warnings_never_break_the_session(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    """Under warnings-as-errors (and in xdist workers) leakguard's notice stays a warning."""
    pytester.makepyfile(
        "calls = []\n\ndef test_once_only():\n    calls.append(1)\n    assert len(calls) == 1\n"
    )
    result = run(pytester, "--leakguard", *args)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*passed its first run but run 2 raised AssertionError*"])

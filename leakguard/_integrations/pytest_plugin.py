"""The pytest plugin: ``pytest --leakguard`` and ``@pytest.mark.leakguard(...)``.

A checked test runs its protocol as usual, except that once its call has
passed, the call is repeated with the same fixtures (warm-up, then measured
runs) inside the same capture and logging. The verdict waits until teardown
has run, so growth held by function-scoped fixtures (``caplog`` records,
``monkeypatch`` undo lists, captured output) is not a leak; a leak turns the
passing call report into a failure carrying the report.

The verdict is drawn inside the protocol (when the teardown report is made), so
a plugin that runs the protocol itself (pytest-rerunfailures) sees the failed
call and reruns it. When no such plugin does, leakguard runs the protocol and
holds the reports back until the verdict is in.

Nothing leakguard does ever raises into pytest: a failure of its own becomes a
warning in the test's record, recorded without going through the warning
filters (``filterwarnings = error`` cannot turn it into an exception).

Without ``--leakguard`` (or the ini key) and without markers, only the option
and marker declarations run: no hook runs per test, no tracemalloc, no repetition.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from leakguard._integrations.pytest_options import (
    MARKER,
    Plan,
    add_options,
    command_line,
    enabled,
    header,
    ini,
    plan_for,
    resolve,
)
from leakguard._integrations.pytest_verdict import Checked, Summary

PLAN = pytest.StashKey[Plan]()
CHECK = pytest.StashKey[Checked]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare ``--leakguard*`` and the ``leakguard*`` ini keys."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker; count verdicts for the terminal summary when every test is checked."""
    config.addinivalue_line("markers", MARKER)
    if not enabled(config):
        return
    try:  # a bad value stops the run now, before any test is collected
        resolve(None, command_line(config), ini(config), "")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not config.pluginmanager.has_plugin("leakguard-summary"):
        config.pluginmanager.register(Summary(), "leakguard-summary")


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say what is enforced."""
    return header(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Plan each test; start the per-test hooks only when some test is checked."""
    every = enabled(config)
    planned = False
    for item in items:
        plan = plan_for(item, every)
        if plan is not None:
            item.stash[PLAN] = plan
            planned = True
    if planned and not config.pluginmanager.has_plugin("leakguard-runner"):
        Checked.prepare()
        config.pluginmanager.register(Runner(), "leakguard-runner")


def _protocol_owned_by_another(item: pytest.Item, runner: object) -> bool:
    """Whether a third-party plugin runs this test's protocol itself (reruns, flaky retries)."""
    for impl in item.ihook.pytest_runtest_protocol.get_hookimpls():
        name = getattr(impl.plugin, "__name__", "")
        if impl.plugin is runner or impl.hookwrapper or impl.wrapper:
            continue
        if not name.startswith(("_pytest.", "pytest_timeout", "xdist")):
            return True
    return False


class Runner:
    """The per-test hooks, registered only when a test is checked."""

    def __init__(self) -> None:
        self.active: dict[str, Checked] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        """Run a checked test's protocol, then log its reports once the verdict is in."""
        plan = item.stash.get(PLAN, None)
        if plan is None:
            return None
        checked = item.stash[CHECK] = self.active[item.nodeid] = Checked(item, plan)
        if _protocol_owned_by_another(item, self):
            return None  # the verdict lands on the call report before that plugin reads it
        checked.deferred = True
        try:
            from _pytest.runner import runtestprotocol

            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
            checked.judge()
            for report in reports:
                item.ihook.pytest_runtest_logreport(report=report)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        finally:
            checked.close()
            del item.stash[CHECK]
            self.active.pop(item.nodeid, None)
        return True

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """Repeat a checked test's call once its real first run has passed."""
        checked = item.stash.get(CHECK, None)
        if checked is not None:
            checked.start()
        result = yield
        if checked is not None:
            checked.repeat()  # before teardown: fixtures must not see tracemalloc or a freeze
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Judge after teardown; put the verdict on the call report (or teardown's, if logged)."""
        report = yield
        checked = item.stash.get(CHECK, None)
        if checked is not None:
            checked.reported(report)
            if checked.closed and not checked.deferred:
                del item.stash[CHECK]
                self.active.pop(item.nodeid, None)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note a call report logged before its verdict (another plugin logs as it goes)."""
        checked = self.active.get(report.nodeid)
        if checked is not None and report.when == "call":
            checked.call_logged = True


__all__ = ["CHECK", "PLAN", "Runner"]

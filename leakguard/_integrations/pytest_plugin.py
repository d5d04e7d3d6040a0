"""The pytest plugin: ``pytest --leakguard`` and ``@pytest.mark.leakguard(...)``.

A checked test runs its protocol as usual, except that once its call has
passed, the call is repeated with the same fixtures (warm-up, then measured
runs) inside the same capture and logging. The verdict waits until teardown
has run, so growth held by function-scoped fixtures (``caplog`` records,
``monkeypatch`` undo lists, captured output) is not a leak; a leak turns the
passing call report into a failure carrying the report.

Without ``--leakguard`` (or the ini key) and without markers, only the option
and marker declarations run: no hook runs per test, no tracemalloc, no repetition.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from _pytest.runner import runtestprotocol

from leakguard._integrations.pytest_options import (
    MARKER,
    Plan,
    add_options,
    enabled,
    header,
    plan_for,
)
from leakguard._repeat.engine import Repetition, Verdict
from leakguard._repeat.report import render

PLAN = pytest.StashKey[Plan]()
STATE = pytest.StashKey[Repetition]()
_HINT = (
    "opt out with @pytest.mark.leakguard(skip=True), silence a type with "
    "@pytest.mark.leakguard(ignore=['TypeName']), or check a single run with once=True"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare ``--leakguard*`` and the ``leakguard*`` ini keys."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker."""
    config.addinivalue_line("markers", MARKER)


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
        config.pluginmanager.register(Runner(), "leakguard-runner")


class Runner:
    """The per-test hooks, registered only when a test is checked."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        """Run a checked test's protocol, judge it after teardown, then log its reports."""
        plan = item.stash.get(PLAN, None)
        if plan is None:
            return None
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        reports = run_checked(item, nextitem, plan)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """Repeat a checked test's call once its real first run has passed."""
        rep = item.stash.get(STATE, None)
        if rep is not None:
            rep.begin(single=item.stash[PLAN].mode == "once")
        result = yield
        if rep is not None and item.stash[PLAN].mode == "repeat":
            try:
                rep.first_run_done()
                rep.repeat(item.runtest)
            finally:
                # Before teardown: fixtures must see neither leakguard's tracemalloc nor its freeze.
                rep.finish()
        return result


def run_checked(
    item: pytest.Item, nextitem: pytest.Item | None, plan: Plan
) -> list[pytest.TestReport]:
    """Run the protocol without logging, then turn a leak into a failed call report."""
    rep = Repetition(plan.options)
    item.stash[STATE] = rep
    try:
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        verdict = _judge(rep, plan, reports)
    finally:
        rep.end()
        del item.stash[STATE]
    if verdict is not None:
        _apply(item, verdict, plan, reports)
    return reports


def _judge(rep: Repetition, plan: Plan, reports: list[pytest.TestReport]) -> Verdict | None:
    by_phase = {r.when: r for r in reports}
    call, teardown = by_phase.get("call"), by_phase.get("teardown")
    # Judge only passing calls: a failure's traceback keeps objects alive.
    if call is None or not call.passed or teardown is None or not teardown.passed:
        return None
    if plan.mode == "once":
        return rep.survivors()
    return rep.confirm()


def _apply(
    item: pytest.Item, verdict: Verdict, plan: Plan, reports: list[pytest.TestReport]
) -> None:
    call = next(r for r in reports if r.when == "call")
    text = render(item.nodeid, verdict, plan.options, _HINT)
    if verdict.leaked:
        call.outcome = "failed"
        call.longrepr = text
        return
    if verdict.changed:
        item.warn(
            pytest.PytestWarning(
                f"leakguard: {item.nodeid} passed its first run but {verdict.changed} when "
                "repeated; it was judged by a single-run check instead. Mark it "
                "@pytest.mark.leakguard(once=True) if it must run only once."
            )
        )
    if verdict.growths:
        call.sections.append(("leakguard", text))

"""One checked test inside pytest: drive the engine, put its verdict on the reports, count it.

:class:`Checked` is the seam between pytest's phases and the repetition
engine; every call into the engine is guarded, so nothing leakguard does
raises into pytest (a timeout or an interrupt raised by the test's own run
passes through untouched). :class:`Summary` counts the verdicts from the
reports themselves, so it also works on the xdist controller.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import pytest

from leakguard._heap.packages import warm
from leakguard._heap.tracing import prepare
from leakguard._integrations.pytest_options import Plan
from leakguard._repeat.engine import Repetition, Verdict
from leakguard._repeat.report import headline, render

HINT = (
    "opt out with @pytest.mark.leakguard(skip=True), silence a type with "
    "@pytest.mark.leakguard(ignore=['TypeName']), or check a single run with once=True"
)
PROPERTY = "leakguard"


def safe_warn(item: pytest.Item, text: str) -> None:
    """Record a warning for a test without the warning filters (which may turn it into an error).

    Calls the same hook pytest's own warning capture calls, so the warning appears
    in the warnings summary (and on the xdist controller); never raises.
    """
    try:
        message = warnings.WarningMessage(
            pytest.PytestWarning(text), pytest.PytestWarning, item.location[0], 0
        )
        item.ihook.pytest_warning_recorded.call_historic(
            kwargs={
                "warning_message": message,
                "when": "runtest",
                "nodeid": item.nodeid,
                "location": None,
            }
        )
    except Exception:
        pass


class Checked:
    """The check of one test across its phases; holds counts, the item and its call report."""

    def __init__(self, item: pytest.Item, plan: Plan) -> None:
        self.item = item
        self.plan = plan
        self.rep = Repetition(plan.options, once=plan.mode == "once")
        self.call: pytest.TestReport | None = None
        self.teardown: pytest.TestReport | None = None
        self.call_logged = False
        self.deferred = False  # leakguard runs the protocol: judge once it has returned
        self.closed = False
        self.broken = False

    @staticmethod
    def prepare() -> None:
        """Build what the checks build on first use before the first test, so no test's runs see it.

        The 3.11 traceback reader (``ctypes``) and the map of installed packages (which
        names where a leak was allocated) are built once and kept for the process's life.
        """
        prepare()
        warm()

    def start(self) -> None:
        """The call phase begins: read the starting levels."""
        self._guard(self.rep.start)

    def repeat(self) -> None:
        """The real call passed: repeat it (a timeout raised by a repeat propagates)."""
        runtest = self.item.runtest
        self._guard(lambda: self.rep.repeat(runtest))

    def reported(self, report: pytest.TestReport) -> None:
        """A phase's report was made; after teardown, judge and close (unless :attr:`deferred`).

        Judged here, inside another plugin's protocol, the test's fixture values are
        already torn down but still listed in ``item.funcargs``, which pytest empties
        right after this hook: leakguard empties it first, or they would pass for leaks.
        """
        if report.when == "call":
            self.call = report
            return
        if report.when != "teardown":
            return
        self.teardown = report
        if self.deferred:
            return
        if isinstance(getattr(self.item, "funcargs", None), dict):
            self.item.funcargs = {}  # type: ignore[attr-defined]
        self.judge()

    def judge(self) -> None:
        """Judge after teardown, put the verdict on the reports, and close; never raises."""
        report = self.teardown
        if report is None or self.closed:
            self.close()
            return
        try:
            verdict = self._verdict(report)
            if verdict is not None:
                self._apply(verdict, report)
        except Exception as exc:
            safe_warn(self.item, f"leakguard could not check {self.item.nodeid}: {_why(exc)}")
        finally:
            self.close()

    def close(self) -> None:
        """Give the interpreter back (no tracing, no freeze); safe to call twice."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self.rep.close()
            self.call = self.teardown = None

    def _guard(self, step: Callable[[], None]) -> None:
        if self.broken or self.closed:
            return
        try:
            step()
        except Exception as exc:
            self.broken = True
            safe_warn(self.item, f"leakguard could not check {self.item.nodeid}: {_why(exc)}")
            self.rep.close()

    def _verdict(self, teardown: pytest.TestReport) -> Verdict | None:
        call = self.call
        # Judge only passing calls: a failure's traceback keeps objects alive.
        if self.broken or call is None or not call.passed or not teardown.passed:
            return None
        return self.rep.verdict()

    def _apply(self, verdict: Verdict, teardown: pytest.TestReport) -> None:
        call = self.call
        assert call is not None
        nodeid = self.item.nodeid
        text = render(nodeid, verdict, self.plan.options, HINT)
        word = "leaked" if verdict.leaked else "no leak"
        props: list[tuple[str, object]] = [(PROPERTY, word), ("leakguard_mode", verdict.mode)]
        props.append(("leakguard_runs", verdict.runs))
        if verdict.leaked:
            props.append(("leakguard_leak", headline(nodeid, verdict)))
        teardown.user_properties.extend(props)
        self.item.user_properties.extend(props)
        if verdict.leaked:
            target = teardown if self.call_logged else call
            target.outcome = "failed"
            target.longrepr = text
            return
        if verdict.changed:
            safe_warn(
                self.item,
                f"leakguard: {nodeid} passed its first run but {verdict.changed} when "
                "repeated; it was judged by a single-run check instead. Mark it "
                "@pytest.mark.leakguard(once=True) if it must run only once.",
            )
        if verdict.growths:
            call.sections.append(("leakguard", text))


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]


class Summary:
    """Counts checked, leaked and checked-once tests from the reports; prints one line."""

    def __init__(self) -> None:
        self.counts = {"checked": 0, "leaked": 0, "once": 0}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count a test's verdict from its teardown report's properties."""
        if report.when != "teardown":
            return
        props = dict(report.user_properties)
        if PROPERTY not in props:
            return
        self.counts["checked"] += 1
        self.counts["leaked"] += props[PROPERTY] == "leaked"
        self.counts["once"] += props.get("leakguard_mode") == "once"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The summary line: how many tests were checked, leaked, or checked once only."""
        c = self.counts
        terminalreporter.write_line(
            f"leakguard: {c['checked']} tests checked, {c['leaked']} leaking, "
            f"{c['once']} checked by a single run"
        )

"""Which engine samples: the guard, its report, doctor and one log line say it."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import leakguard
from leakguard._census import census as _census
from leakguard._census import engine as _engine
from leakguard._cli.doctor import installed_engine

needs_c = pytest.mark.skipif(not _census.native_available(), reason="C census not built")


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C census as if it had not been built."""
    monkeypatch.setattr(_census, "_ccensus", None)
    monkeypatch.setattr(_census, "import_error", "No module named 'leakguard._ccensus'")
    monkeypatch.setattr(_engine, "free_threaded", lambda: False)


@needs_c
def test_guard_reports_the_c_census_when_built() -> None:
    """A default guard samples with the C census and says so in overhead() and its report."""
    g = leakguard.Guard(interval=None, evidence=False)
    g.sample()
    assert g.engine.census == "C" and g.engine.census_why == ""
    assert g.overhead()["native_census"] == 1.0
    report = g.report()
    assert report.to_text().splitlines()[1] == "engines: census C"
    assert report.to_dict()["engine"] == {"census": "C", "census_why": ""}


def test_option_native_false_samples_with_the_pure_python_census(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """native=False says "disabled" and never calls the C engine."""

    def refuse(*args: object) -> object:
        raise AssertionError("the C engine ran")

    monkeypatch.setattr(_census, "_tally_native", refuse)
    g = leakguard.Guard(interval=None, evidence=False, native=False)
    snap = g.sample()
    assert snap.census is not None and snap.census.objects > 0
    assert g.engine.census == "pure-Python"
    assert g.engine.census_why == "disabled by option 'native'"
    assert g.overhead()["native_census"] == 0.0


@pytest.mark.usefixtures("missing")
def test_missing_extension_is_named_as_not_built() -> None:
    """Without the extension the engine is pure-Python, "not built", with the import error."""
    engine = _engine.current()
    assert engine.census == "pure-Python"
    assert engine.census_why.startswith("not built")
    assert "leakguard._ccensus" in engine.census_why
    assert "pure-Python (not built" in leakguard.Guard(interval=None).report().to_text()


def test_free_threaded_build_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a free-threaded build the reason says so, not "not built"."""
    monkeypatch.setattr(_census, "_ccensus", None)
    monkeypatch.setattr(_engine, "free_threaded", lambda: True)
    assert _engine.current().census_why.startswith("free-threaded build")


@pytest.mark.usefixtures("missing")
def test_require_native_makes_start_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """LEAKGUARD_REQUIRE_NATIVE=1 makes start() raise RuntimeError naming the option and why."""
    monkeypatch.setenv("LEAKGUARD_REQUIRE_NATIVE", "1")
    with pytest.raises(RuntimeError, match=r"'require_native'.*not built"):
        leakguard.start(interval=60)
    assert leakguard.current() is None


def test_require_native_with_native_disabled_raises() -> None:
    """require_native=True with native=False is refused: the fallback was asked for."""
    with pytest.raises(RuntimeError, match="disabled by option 'native'"):
        leakguard.Guard(interval=None, native=False, require_native=True)


@needs_c
def test_require_native_passes_when_the_c_census_is_built() -> None:
    """require_native=True creates the guard normally when the C census serves."""
    assert leakguard.Guard(interval=None, require_native=True).engine.native


@pytest.mark.usefixtures("missing")
def test_one_log_line_per_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The engine is logged once per process: a WARNING for a fallback nobody chose."""
    monkeypatch.setattr(_engine, "_announced", False)
    with caplog.at_level(logging.INFO, logger="leakguard"):
        leakguard.Guard(interval=None)
        leakguard.Guard(interval=None)
    lines = [r for r in caplog.records if "sampling with" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert "pure-Python census" in lines[0].getMessage()


def test_doctor_reads_the_native_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """doctor's engine follows LEAKGUARD_NATIVE, as a guard started here would."""
    monkeypatch.setenv("LEAKGUARD_NATIVE", "0")
    assert installed_engine().census_why == "disabled by option 'native'"


def test_doctor_names_the_reason_without_the_extension() -> None:
    """``leakguard doctor`` without the extension prints the census line with why."""
    code = (
        "import sys; sys.modules['leakguard._ccensus'] = None\n"
        "sys.argv = ['leakguard', 'doctor']\n"
        "from leakguard.__main__ import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("census"))
    assert line.startswith("census      pure-Python (not built"), out.stdout + out.stderr
    assert line.endswith("about 5x slower per sample")

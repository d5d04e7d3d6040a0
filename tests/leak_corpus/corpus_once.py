"""Tests that must not be repeated, opted-out tests and single-run checks."""

import pytest


class Widget:
    pass


_created = []
_runs = {"n": 0}
_kept = []


@pytest.mark.leakguard(once=True)
def test_once_leak_many_widgets():
    _kept.extend(Widget() for _ in range(50))


@pytest.mark.leakguard(once=True)
def test_once_clean():
    assert sum(range(10)) == 45


def test_must_run_only_once():
    _runs["n"] += 1
    assert _runs["n"] == 1


@pytest.mark.leakguard(skip=True)
def test_skipped_leak_opted_out():
    _created.append(Widget())


@pytest.mark.leakguard(ignore=["Widget"])
def test_ignored_leak():
    _created.append(Widget())

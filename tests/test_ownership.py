"""Whose code is this: one policy for files and type names, as a table of cases."""

from __future__ import annotations

import asyncio
import collections
import importlib
import json
import os
import sys
import sysconfig
import tracemalloc
import types

import pytest

import leakguard
from leakguard._detect.trend import is_stdlib_type
from leakguard._heap.ownership import LEAKGUARD_DIR, file_owner, type_owner
from leakguard._heap.tracing import is_program_file
from leakguard._model.owner import Owner, name_owner
from leakguard._repeat.rank import is_user_type

STDLIB = sysconfig.get_paths()["stdlib"]
IMPORTLIB = os.path.dirname(importlib.__file__ or "")
SITE = sysconfig.get_paths()["purelib"]
HERE = os.path.abspath(__file__)

FILES = [
    ("", Owner.UNKNOWN),
    ("<string>", Owner.GENERATED),
    ("<stdin>", Owner.GENERATED),
    ("<ipython-input-3-a1b2>", Owner.GENERATED),
    ("<doctest shop.checkout[0]>", Owner.GENERATED),
    ("<frozen os>", Owner.STDLIB),
    ("<frozen runpy>", Owner.STDLIB),
    ("<frozen importlib._bootstrap>", Owner.MACHINERY),
    ("<frozen importlib._bootstrap_external>", Owner.MACHINERY),
    ("<frozen zipimport>", Owner.MACHINERY),
    (importlib.__file__, Owner.MACHINERY),
    (
        os.path.join(IMPORTLIB, "metadata", "__init__.py"),
        Owner.MACHINERY,
    ),
    (tracemalloc.__file__, Owner.MACHINERY),
    (json.__file__, Owner.STDLIB),
    (asyncio.__file__, Owner.STDLIB),
    (collections.__file__, Owner.STDLIB),
    (os.path.join(STDLIB, "not_a_module_yet.py"), Owner.STDLIB),
    (leakguard.__file__, Owner.LEAKGUARD),
    (os.path.join(LEAKGUARD_DIR, "_heap", "paths.py"), Owner.LEAKGUARD),
    (pytest.__file__, Owner.TOOLING),
    (os.path.join(SITE, "_pytest", "python.py"), Owner.TOOLING),
    (os.path.join(SITE, "pluggy", "_hooks.py"), Owner.TOOLING),
    (os.path.join(SITE, "objgraph.py"), Owner.TOOLING),
    (os.path.join(SITE, "pympler", "asizeof.py"), Owner.TOOLING),
    (os.path.join(SITE, "requests", "sessions.py"), Owner.THIRD_PARTY),
    (os.path.join(SITE, "six.py"), Owner.THIRD_PARTY),
    (os.path.join(SITE, "_cffi_backend.cpython-311-x86_64-linux-gnu.so"), Owner.THIRD_PARTY),
    # Site directories this interpreter does not know (another venv, Debian's layout).
    ("/opt/other-venv/lib/python3.12/site-packages/urllib3/poolmanager.py", Owner.THIRD_PARTY),
    ("/usr/lib/python3/dist-packages/apt/package.py", Owner.THIRD_PARTY),
    ("/usr/lib/python3/dist-packages/pytest/__init__.py", Owner.TOOLING),
    ("/srv/app/shop/orders.py", Owner.PROGRAM),
    ("/srv/app/site_packages_notes/orders.py", Owner.PROGRAM),
    ("relative/shop/orders.py", Owner.PROGRAM),
    (HERE, Owner.PROGRAM),
]


@pytest.mark.parametrize(("filename", "owner"), FILES)
def test_file_owner(filename, owner):
    """Each kind of file, real or not, has the one owner the policy gives it."""
    assert file_owner(filename) is owner


def test_symlinked_directories_are_resolved(tmp_path):
    """A file through a symlink to leakguard, the stdlib or site-packages keeps its owner."""
    cases = {"lg": (LEAKGUARD_DIR, Owner.LEAKGUARD), "lib": (STDLIB, Owner.STDLIB)}
    cases["site"] = (SITE, Owner.THIRD_PARTY)
    for name, (target, owner) in cases.items():
        (tmp_path / name).symlink_to(target)
        inner = "_guard.py" if owner is Owner.LEAKGUARD else "some_lib_file.py"
        assert file_owner(str(tmp_path / name / inner)) is owner, name


def test_a_program_symlinked_into_site_packages_is_judged_by_where_it_really_is(tmp_path):
    """A project linked into a site-packages directory (flit --symlink) stays the program's."""
    real = tmp_path / "project" / "shop"
    real.mkdir(parents=True)
    (real / "orders.py").write_text("")
    (tmp_path / "site-packages").mkdir()
    (tmp_path / "site-packages" / "shop").symlink_to(real)
    assert file_owner(str(tmp_path / "site-packages" / "shop" / "orders.py")) is Owner.PROGRAM


NAMES = [
    ("builtins.dict", Owner.STDLIB),
    ("collections.OrderedDict", Owner.STDLIB),
    ("_asyncio.Task", Owner.STDLIB),
    ("_thread.lock", Owner.STDLIB),
    ("asyncio.events.Handle", Owner.STDLIB),
    ("importlib.machinery.ModuleSpec", Owner.MACHINERY),
    ("_frozen_importlib.ModuleSpec", Owner.MACHINERY),
    ("tracemalloc.Snapshot", Owner.MACHINERY),
    ("leakguard._model.suspect.Suspect", Owner.LEAKGUARD),
    ("_pytest.reports.TestReport", Owner.TOOLING),
    ("pluggy._hooks.HookImpl", Owner.TOOLING),
    ("shop.orders.OrderDTO", None),
    ("__main__.OrderDTO", None),
]


@pytest.mark.parametrize(("name", "owner"), NAMES)
def test_name_owner(name, owner):
    """The top-level package alone decides for Python, the machinery, leakguard and the tools."""
    assert name_owner(name) is owner


def test_type_owner_reads_the_module_file(load_module):
    """A type of an imported module is judged by the module's file: here, the program's."""
    module = load_module("class OrderDTO:\n    pass\n")
    assert type_owner(f"{module.__name__}.OrderDTO") is Owner.PROGRAM
    assert type_owner(f"{module.__name__}.Outer.Inner") is Owner.PROGRAM


def test_type_owner_of_a_module_made_at_run_time(monkeypatch):
    """A module with no file is code made at run time; a module not imported is unknown."""
    monkeypatch.setitem(sys.modules, "made_at_run_time", types.ModuleType("made_at_run_time"))
    assert type_owner("made_at_run_time.Thing") is Owner.GENERATED
    assert type_owner("never_imported_anywhere.Thing") is Owner.UNKNOWN
    assert type_owner("builtins.dict") is Owner.STDLIB
    assert type_owner("_pytest.reports.TestReport") is Owner.TOOLING


def test_type_owner_never_runs_the_code_of_an_object_in_sys_modules(monkeypatch):
    """sys.modules may hold any object: its __dict__ or __getattr__ is never called."""
    calls = []

    class Hostile:
        def __getattribute__(self, name):
            calls.append(name)
            raise AssertionError(name)

    monkeypatch.setitem(sys.modules, "hostile_entry", Hostile())
    assert type_owner("hostile_entry.Thing") is Owner.GENERATED
    assert calls == []


def test_type_owner_of_an_installed_package(monkeypatch):
    """A module whose file is under site-packages is a third party's."""
    fake = types.ModuleType("fake_vendor")
    fake.__file__ = os.path.join(SITE, "fake_vendor", "__init__.py")
    monkeypatch.setitem(sys.modules, "fake_vendor", fake)
    assert type_owner("fake_vendor.Client") is Owner.THIRD_PARTY


def test_each_caller_counts_its_own_owners(load_module):
    """The four old rules, now choices over one policy, agree on the cases they share."""
    module = load_module("class OrderDTO:\n    pass\n")
    assert is_user_type(f"{module.__name__}.OrderDTO")
    assert not is_user_type("builtins.dict")
    assert not is_user_type("_pytest.reports.TestReport")
    assert is_stdlib_type("builtins.dict") and is_stdlib_type("importlib.machinery.ModuleSpec")
    assert not is_stdlib_type(f"{module.__name__}.OrderDTO")
    # tracemalloc sites may be in a third party's code or in code made at run time.
    assert is_program_file(os.path.join(SITE, "requests", "sessions.py"))
    assert is_program_file("<string>")
    assert not is_program_file("<frozen os>")
    assert not is_program_file(json.__file__)
    assert not is_program_file(leakguard.__file__)

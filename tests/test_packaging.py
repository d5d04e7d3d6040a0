"""Packaging: the version, license metadata, an sdist carrying its own tests, portability."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import leakguard
from leakguard._files.store import SnapshotDir

ROOT = Path(__file__).resolve().parents[1]
# Files a test run needs that live outside the package (tests read or import them).
NEEDED_TREES = ("tests", "benchmarks", "examples", "docs")
SKIPPED = ("__pycache__", ".pyc", ".so")
IGNORED = (
    ".git",
    "*.egg-info",
    "build",
    "dist",
    "site",
    "__pycache__",
    "*.so",
    ".*_cache",
    ".venv*",
)


def _pyproject() -> str:
    return (ROOT / "pyproject.toml").read_text()


def test_version_is_the_installed_distributions() -> None:
    """leakguard.__version__ is read from the package metadata, which pyproject.toml sets."""
    declared = re.search(r'^version = "([^"]+)"', _pyproject(), re.MULTILINE)
    assert declared is not None
    assert leakguard.__version__ == importlib.metadata.version("pyleakguard")
    assert leakguard.__version__ == declared.group(1)


def test_installed_metadata_has_an_spdx_license_and_the_license_file() -> None:
    """The metadata carries License-Expression MIT, ships LICENSE, and has no license classifier."""
    meta = importlib.metadata.metadata("pyleakguard")
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    classifiers = meta.get_all("Classifier") or []
    assert classifiers and not [c for c in classifiers if c.startswith("License ::")]
    assert "Programming Language :: Python :: 3.13" in classifiers
    assert {u.split(",")[0] for u in meta.get_all("Project-URL") or []} >= {"Source", "Issues"}


def _build_sdist(out: Path) -> Path:
    # From a copy without *.egg-info: setuptools would otherwise reuse the file list
    # of an earlier build (SOURCES.txt) and hide a MANIFEST.in that lost a line.
    # The backend is this environment's, without isolation (no download); the
    # caller checks that the declared build-system range admits it.
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*IGNORED))
    code = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1]


def _needed_files() -> set[str]:
    found = set()
    for tree in NEEDED_TREES:
        for path in (ROOT / tree).rglob("*"):
            rel = path.relative_to(ROOT).as_posix()
            if path.is_file() and not any(s in rel for s in SKIPPED):
                found.add(rel)
    return found | {"LICENSE", "README.md", "pyproject.toml", "setup.py", "mkdocs.yml"}


def test_the_sdist_carries_what_its_tests_need(tmp_path: Path) -> None:
    """The sdist holds tests/, benchmarks/, examples/, docs/ and LICENSE, and declares MIT."""
    import setuptools

    backend = re.search(r'^requires = \["(setuptools[^"]*)"', _pyproject(), re.MULTILINE)
    assert backend is not None
    assert Requirement(backend.group(1)).specifier.contains(setuptools.__version__), (
        f"setuptools {setuptools.__version__} is outside {backend.group(1)}"
    )
    sdist = _build_sdist(tmp_path)
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        top = tar.getnames()[0].split("/")[0]
        pkg_info = tar.extractfile(f"{top}/PKG-INFO")
        assert pkg_info is not None
        headers = pkg_info.read().decode()
    missing = sorted(_needed_files() - names)
    assert not missing, f"missing from the sdist: {missing[:20]}"
    assert "leakguard/_census/ccensus.c" in names
    assert not [n for n in names if n.endswith((".so", ".pyc")) or n.startswith(".ci/")]
    assert "License-Expression: MIT" in headers


def test_stale_temp_files_are_judged_without_os_kill_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows a snapshot directory asks psutil whether a writer lives, never os.kill."""
    psutil = pytest.importorskip("psutil")
    stale = tmp_path / f".x.snapshot.json.{os.getpid() + 1}.abc.tmp"
    live = tmp_path / f".y.snapshot.json.{os.getpid()}.abc.tmp"
    stale.write_bytes(b"{")
    live.write_bytes(b"{")

    def no_kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) would terminate the process on Windows")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "kill", no_kill)
    # psutil's own POSIX code calls os.kill; Windows' asks the kernel for a handle.
    monkeypatch.setattr(psutil, "pid_exists", lambda pid: pid == os.getpid())
    SnapshotDir(tmp_path, keep=10, max_bytes=1 << 20)
    assert not stale.exists()
    assert live.exists()


def test_import_loads_only_what_is_used() -> None:
    """`import leakguard` loads no stage; start() loads the guard but not the repetition
    engine, the CLI or the audit; every public name still resolves."""
    code = (
        "import sys, leakguard\n"
        "mods = lambda: sorted(m for m in sys.modules if m.startswith('leakguard.'))\n"
        "print(mods())\n"
        "leakguard.start(); leakguard.stop()\n"
        "print(mods())\n"
        "print(all(getattr(leakguard, n) is not None for n in leakguard.__all__))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    bare, started, every = done.stdout.splitlines()
    assert bare == "[]"
    assert "'leakguard._guard'" in started
    assert not [m for m in ("_repeat", "_cli", "_integrations", "_evidence.audit") if m in started]
    assert every == "True"

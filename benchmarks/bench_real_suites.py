"""Run real projects' own test suites plainly and with ``--leakguard``; print ratios and failures.

Not run by CI (it downloads sdists and takes minutes). Each pinned sdist is
downloaded into a cache directory outside the repository (the first argument,
default ``<tmp>/leakguard-real-suites``), unpacked, given a venv with its test
dependencies and this checkout installed editable, then run plain and with
``--leakguard``, interleaved, ``--rounds`` times. A failure seen only with
``--leakguard`` is re-run alone with ``--leakguard-iterations=10``: it is a
*verified* leak when it fails again there.

    python benchmarks/bench_real_suites.py [CACHE_DIR] [--rounds 1] [--only click]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# sdist pin -> extra test dependencies
SUITES: dict[str, tuple[str, ...]] = {
    "pluggy==1.7.0": (),
    "jinja2==3.1.6": ("trio",),
    "click==8.5.1": (),
    "cachetools==6.2.6": (),
    "packaging==26.4": ("pretend",),
    "toolz==1.2.0": (),
}
FAILED = re.compile(r"^FAILED (\S+)", re.M)


def sh(cmd: list[str], cwd: Path | None = None, timeout: float = 3600) -> tuple[int, str, float]:
    """Run a command; its exit code, output and wall time."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
        out, rc = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out", -1
    return rc, out, time.perf_counter() - start


def prepare(pin: str, extras: tuple[str, ...], cache: Path) -> tuple[Path, Path]:
    """Download, unpack and install one suite; its source dir and python."""
    name = pin.split("==", maxsplit=1)[0]
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    sh([*pip, "download", "-q", "--no-binary", ":all:", "--no-deps", "-d", str(sdists), pin])
    tarball = next(sdists.glob(f"{name}-{pin.split('==')[1]}.tar.gz"))
    src = cache / "src" / tarball.name.removesuffix(".tar.gz")
    if not src.exists():
        (cache / "src").mkdir(exist_ok=True)
        sh(["tar", "-xzf", str(tarball), "-C", str(cache / "src")])
    venv = cache / "venvs" / name
    python = venv / "bin" / "python"
    if not python.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(python), "-m", "pip", "install", "-q", "pytest", *extras])
        sh([str(python), "-m", "pip", "install", "-q", "-e", str(src)])
    sh([str(python), "-m", "pip", "install", "-q", "-e", str(REPO)])
    return src, python


def run_suite(src: Path, python: Path, rounds: int) -> None:
    """Plain and --leakguard runs, interleaved; prints the ratio and each failure's class."""
    base = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    plain: list[float] = []
    checked: list[float] = []
    failures: set[str] = set()
    plain_failures: set[str] = set()
    for _ in range(rounds):
        _, out, t = sh(base, cwd=src)
        plain.append(t)
        plain_failures |= set(FAILED.findall(out))
        rc, out, t = sh([*base, "--leakguard"], cwd=src)
        checked.append(t)
        failures |= set(FAILED.findall(out))
        if "INTERNALERROR" in out:
            print(f"  INTERNALERROR with --leakguard (exit {rc})")
    ratio = min(checked) / min(plain)
    print(f"{src.name}: plain {min(plain):.2f} s, --leakguard {min(checked):.2f} s (x{ratio:.1f})")
    for nodeid in sorted(failures - plain_failures):
        rc, _, _ = sh([*base, "--leakguard", "--leakguard-iterations=10", nodeid], cwd=src)
        print(f"  {nodeid}: {'verified leak' if rc == 1 else 'not reproduced alone'}")


def main() -> None:
    """Parse the arguments and run every selected suite."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(tempfile.gettempdir()) / "leakguard-real-suites"
    parser.add_argument("cache", nargs="?", type=Path, default=default)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    cache = args.cache.resolve()
    if cache.is_relative_to(REPO):
        parser.error(f"cache directory {cache} is inside the repository; choose one outside")
    for pin, extras in SUITES.items():
        if args.only and pin.split("==")[0] not in args.only:
            continue
        src, python = prepare(pin, extras, cache)
        run_suite(src, python, args.rounds)


if __name__ == "__main__":
    main()

"""``leakguard run``: run a program in this process under a Guard on a thread.

The program runs as ``__main__`` through :mod:`runpy` with its own ``sys.argv``,
as ``python script.py`` or ``python -m module`` would run it, and its exit code
is passed through. The report goes to stderr at exit and on each new leak;
stdout stays the program's.
"""

from __future__ import annotations

import argparse
import builtins
import importlib.util
import os
import runpy
import sys
import threading
import traceback
import types
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from leakguard._cli.main import BadInput
from leakguard._cli.output import check_output, write_output
from leakguard._evidence.audit import take_audit
from leakguard._files.store import dumps
from leakguard._guard import Guard
from leakguard._heap.ownership import LEAKGUARD_DIR
from leakguard._heap.packages import package_of
from leakguard._heap.tracing import prepare
from leakguard._model.audit import Audit
from leakguard._model.report import Report
from leakguard._render.text import human


def _path0(script: str | None) -> str:
    """``sys.path[0]`` as ``python script.py`` (its directory) or ``python -m`` (cwd) sets it."""
    return os.path.dirname(os.path.abspath(script)) if script is not None else os.getcwd()


def _check_target(script: str | None, module: str | None) -> None:
    if script is not None and os.path.isdir(script):
        if not os.path.isfile(os.path.join(script, "__main__.py")):
            raise BadInput(f"leakguard run: {script}: is a directory without a __main__.py")
    elif script is not None and not os.path.isfile(script):
        if os.path.exists(script):
            raise BadInput(f"leakguard run: {script}: not a regular file")
        raise BadInput(f"leakguard run: {script}: no such file")
    if module is not None:
        # The console script's sys.path[0] is its bin directory: look where the
        # program will run from, the current directory, as `python -m` does.
        saved = sys.path[0]
        sys.path[0] = _path0(None)
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            raise BadInput(f"leakguard run: -m {module}: {exc}") from None
        finally:
            sys.path[0] = saved
        if found is None:
            raise BadInput(f"leakguard run: -m {module}: no module named {module!r}")


class Console:
    """stderr shared by the status line and the reports, so that they never interleave.

    Args:
        stream: where to write (stderr).
        live: draw the status line (only on a terminal).
    """

    def __init__(self, stream: TextIO, live: bool) -> None:
        self.stream = stream
        self.live = live
        self.lock = threading.Lock()
        self._drawn = False

    def status(self, text: str) -> None:
        """Redraw the one-line status in place."""
        with self.lock:
            self.stream.write("\r\x1b[K" + text)
            self.stream.flush()
            self._drawn = True

    def say(self, text: str) -> None:
        """Print whole lines, clearing the status line first."""
        with self.lock:
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self._drawn = False
            self.stream.write(text.rstrip("\n") + "\n")
            self.stream.flush()


class StatusLine:
    """Draws RSS, the type that grew most since the first census, and the suspect count."""

    def __init__(self, guard: Guard, console: Console, every: float) -> None:
        self._guard = guard
        self._console = console
        self._every = every
        self._baseline: dict[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leakguard-status", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._console.status(self.line())
            except Exception:  # a status line is a nicety; the program must go on
                return

    def line(self) -> str:
        """The status text from the guard's latest snapshot."""
        snaps = self._guard.snapshots
        if not snaps:
            return "leakguard: waiting for the first sample"
        last = snaps[-1]
        text = f"leakguard: rss {human(last.process.rss, 'bytes')}"
        if last.census is not None:
            counts = {name: n for name, (n, _) in last.census.types.items()}
            if self._baseline is None:
                self._baseline = counts
            base = self._baseline
            name = max(counts, key=lambda k: counts[k] - base.get(k, 0), default=None)
            if name is not None and counts[name] > base.get(name, 0):
                text += f" · top growing {name} +{human(counts[name] - base.get(name, 0))}"
        n = len(self._guard.suspects())
        return text + f" · {n} suspect{'s' if n != 1 else ''}"


def _preload(html: bool) -> None:
    """Import now what leakguard itself imports or caches on first use, before the baseline.

    Otherwise the program's snapshots and reports show leakguard's own first-use growth
    as born after the start: ``html`` (for ``--html``) builds the entity tables of
    ``html/entities.py``; the trace window's traceback reader builds a ``ctypes`` function (3.11);
    naming a file's package reads every distribution's metadata (``email`` parsing);
    deep sizes import pympler.
    """
    import leakguard._render.text

    if html:
        import leakguard._render.html  # noqa: F401
    import pympler.asizeof  # noqa: F401

    prepare()
    package_of(__file__)


def write_reports(
    report: Report,
    html: Path | None,
    json_path: Path | None,
    audit: Audit | None = None,
    console: Console | None = None,
) -> None:
    """Write the HTML and JSON reports, atomically, mode 0600.

    A write that fails is one line on stderr: it never changes the program's exit code.
    """
    for flag, path in (("--html", html), ("--json", json_path)):
        if path is None:
            continue
        data = report.to_html(audit).encode() if flag == "--html" else dumps(report.to_dict())
        failed = write_output(path, data, flag, "run")
        if failed:
            (console.say if console is not None else _stderr)(failed)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _outside_us(tb: TracebackType | None) -> TracebackType | None:
    """Drop the leading frames of leakguard and runpy, as ``python script.py`` shows none."""
    ours = (
        LEAKGUARD_DIR,
        os.path.dirname(runpy.__file__ or "") + os.sep + "runpy",
        "<frozen runpy>",
    )
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(ours):
        tb = tb.tb_next
    return tb


def _exit_code(code: object) -> int:
    """What the interpreter does with ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code % 256
    print(code, file=sys.stderr)
    return 1


def _run_script(script: str) -> dict[str, Any]:
    """Run a script file as ``python script.py`` does: absolute ``__file__``, argv[0] as typed.

    ``runpy.run_path`` would set ``sys.argv[0]`` to its path argument; it still
    runs directories and zip files, which have a ``__main__`` inside.
    """
    path = os.path.abspath(script)
    if not path.endswith(".py") or not os.path.isfile(path):
        return runpy.run_path(script, run_name="__main__")
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __builtins__=builtins)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved
    return main.__dict__


def run_program(script: str | None, module: str | None, args: list[str]) -> tuple[int, object]:
    """Run the program as ``__main__``; return its exit code and its globals (kept alive)."""
    saved_argv, saved_path0 = sys.argv[:], sys.path[0]
    try:
        if script is not None:
            sys.argv = [script, *args]
            sys.path[0] = _path0(script)
            return 0, _run_script(script)
        assert module is not None
        sys.argv = [module, *args]
        sys.path[0] = _path0(None)
        return 0, runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return _exit_code(exc.code), None
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, _outside_us(exc.__traceback__))
        return (130 if isinstance(exc, KeyboardInterrupt) else 1), None
    finally:
        sys.argv, sys.path[0] = saved_argv, saved_path0


def run(
    args: argparse.Namespace, script: str | None, module: str | None, program: list[str]
) -> int:
    """``leakguard run``: the program's exit code; bad input raises :class:`BadInput`."""
    check_output(args.html, "--html", "run")
    check_output(args.json, "--json", "run")
    _check_target(script, module)
    options: dict[str, Any] = {"log": False}
    if args.snapshot_dir is not None:
        options["snapshot_dir"] = os.fspath(args.snapshot_dir)
    try:
        guard = Guard(interval=args.interval, **options)
    except ValueError as exc:
        raise BadInput(f"leakguard run: {exc}") from None
    console = Console(sys.stderr, live=sys.stderr.isatty())
    _preload(args.html is not None)

    @guard.on_leak
    def announce(report: Report) -> None:
        console.say("leakguard: new leak suspected\n" + report.to_text())
        write_reports(report, args.html, args.json, console=console)

    status = StatusLine(guard, console, every=min(args.interval, 1.0)) if console.live else None
    guard.start()
    if status is not None:
        status.start()
    try:
        code, kept = run_program(script, module, program)
        guard.sample()  # the state at exit, while the program's globals are still alive
        report = guard.report()
        audit = take_audit(main=kept if isinstance(kept, dict) else None) if args.audit else None
        del kept
    finally:
        if status is not None:
            status.stop()
        guard.stop()
    console.say("leakguard: report at exit\n" + report.to_text())
    if audit is not None:
        console.say("leakguard: audit at exit\n" + audit.to_text())
    write_reports(report, args.html, args.json, audit, console)
    return code

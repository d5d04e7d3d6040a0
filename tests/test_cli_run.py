"""``leakguard run`` end to end in a subprocess: the program runs as it would alone."""

from __future__ import annotations

import json
import os
import pty
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leakguard._files.store import report_from_dict

# Fast sampling for tests: a census every 0.05 s may take half the time of a tiny program.
FAST = {"LEAKGUARD_BUDGET": "0.5", "LEAKGUARD_EVIDENCE": "0"}


def leakguard(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **FAST, **(env or {})}
    cmd = [sys.executable, "-m", "leakguard", *args]
    return subprocess.run(
        cmd, check=False, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120
    )


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source))
    return path


def test_program_gets_its_argv_and_stdout(tmp_path: Path) -> None:
    """The script sees its own argv (options after the script are its own) and owns stdout."""
    write(
        tmp_path / "show.py",
        "import sys; print(sys.argv, __name__, __file__ == sys.path[0] + '/show.py')",
    )
    done = leakguard("run", "--interval", "0.05", "show.py", "a", "--interval", "x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['show.py', 'a', '--interval', 'x'] __main__ True\n"


def test_module_runs_as_main_with_dash_m(tmp_path: Path) -> None:
    """``run -m pkg.mod args`` runs the module as __main__ from the current directory."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    write(tmp_path / "pkg" / "mod.py", "import sys; print(__name__, sys.argv[1:])")
    done = leakguard("run", "--interval", "0.05", "-m", "pkg.mod", "x", "-v", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "__main__ ['x', '-v']\n"


def test_system_exit_code_passes_through(tmp_path: Path) -> None:
    """sys.exit(7) in the program makes leakguard exit 7."""
    write(tmp_path / "seven.py", "import sys; sys.exit(7)")
    assert leakguard("run", "seven.py", cwd=tmp_path).returncode == 7


def test_system_exit_message_goes_to_stderr_with_code_1(tmp_path: Path) -> None:
    """sys.exit("message") prints the message and exits 1, as Python does."""
    write(tmp_path / "msg.py", "import sys; sys.exit('bad config')")
    done = leakguard("run", "msg.py", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("bad config\n")


def test_exception_prints_traceback_without_leakguard_frames(tmp_path: Path) -> None:
    """An uncaught exception exits 1 with the traceback Python would print, from the script down."""
    write(
        tmp_path / "boom.py",
        """
        def fail():
            raise ValueError("boom")
        fail()
        """,
    )
    done = leakguard("run", "boom.py", cwd=tmp_path)
    assert done.returncode == 1
    tb = done.stderr.split("leakguard: report at exit")[0]
    assert tb.startswith("Traceback (most recent call last):\n")
    assert f'File "{tmp_path / "boom.py"}", line 4, in <module>' in tb
    assert "ValueError: boom" in tb
    assert "runpy" not in tb and "leakguard" not in tb


def test_report_printed_at_exit_and_files_written_0600(tmp_path: Path) -> None:
    """At exit the text report goes to stderr; the HTML and JSON reports are written 0600."""
    write(tmp_path / "ok.py", "print('hi')")
    done = leakguard("run", "--html", "r.html", "--json", "r.json", "ok.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "leakguard: report at exit\nleakguard report for pid" in done.stderr
    for name in ("r.html", "r.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    report = report_from_dict(json.loads((tmp_path / "r.json").read_text()), "r.json")
    assert report.samples >= 1
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_leak_is_reported_when_it_happens(tmp_path: Path) -> None:
    """A program that keeps objects in a global list gets a leak report naming the type."""
    write(
        tmp_path / "leak.py",
        """
        import time
        class OrderDTO:
            pass
        _recent = []
        for i in range(80):
            _recent.extend(OrderDTO() for _ in range(300))
            time.sleep(0.05)
        """,
    )
    done = leakguard("run", "--interval", "0.05", "leak.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    new, _, at_exit = done.stderr.partition("leakguard: report at exit")
    assert "leakguard: new leak suspected" in new
    assert "type __main__.OrderDTO" in new
    assert "type __main__.OrderDTO" in at_exit


def test_status_line_is_silent_without_a_terminal(tmp_path: Path) -> None:
    """With stderr not a TTY there is no status line, only whole lines."""
    write(tmp_path / "nap.py", "import time; time.sleep(1.5)")
    done = leakguard("run", "--interval", "0.1", "nap.py", cwd=tmp_path)
    assert "\r" not in done.stderr and "\x1b[" not in done.stderr


def test_status_line_is_drawn_on_a_terminal(tmp_path: Path) -> None:
    """With stderr a TTY the status line shows the RSS and the suspect count."""
    write(tmp_path / "nap.py", "import time; time.sleep(2.5)")
    parent, child = pty.openpty()
    cmd = [sys.executable, "-m", "leakguard", "run", "--interval", "0.1", "nap.py"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env={**os.environ, **FAST}, stdout=subprocess.DEVNULL, stderr=child
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(parent)
    assert proc.wait(timeout=60) == 0
    status = seen.decode(errors="replace")
    assert "\r\x1b[Kleakguard: rss " in status
    assert " suspects" in status


def test_missing_script_is_bad_input(tmp_path: Path) -> None:
    """A script that does not exist: exit 2, one line naming it."""
    done = leakguard("run", "--json", "r.json", "nope.py", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "leakguard run: nope.py: no such file\n"
    assert not (tmp_path / "r.json").exists()


def test_missing_module_is_bad_input(tmp_path: Path) -> None:
    """A module that cannot be found: exit 2, one line naming it."""
    done = leakguard("run", "-m", "no_such_module_xyz", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr
        == "leakguard run: -m no_such_module_xyz: no module named 'no_such_module_xyz'\n"
    )


def test_unknown_option_is_bad_input_and_program_not_run(tmp_path: Path) -> None:
    """An unknown option of run: exit 2, one line, and the program never starts."""
    write(tmp_path / "touch.py", "open('ran', 'w').close()")
    done = leakguard("run", "--bogus", "touch.py", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "leakguard run: unrecognized arguments: --bogus\n"
    assert not (tmp_path / "ran").exists()


def test_output_into_missing_directory_is_bad_input(tmp_path: Path) -> None:
    """--html into a directory that does not exist is refused before the program runs."""
    write(tmp_path / "touch.py", "open('ran', 'w').close()")
    done = leakguard("run", "--html", "missing/r.html", "touch.py", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "missing/r.html" in done.stderr
    assert not (tmp_path / "ran").exists()


def test_bad_environment_option_is_bad_input(tmp_path: Path) -> None:
    """A bad LEAKGUARD_* variable is one line naming it, exit 2."""
    write(tmp_path / "ok.py", "pass")
    done = leakguard("run", "ok.py", cwd=tmp_path, env={"LEAKGUARD_WINDOW": "two"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "LEAKGUARD_WINDOW" in done.stderr


def test_snapshot_dir_receives_snapshots(tmp_path: Path) -> None:
    """--snapshot-dir makes the guard write 0600 snapshot files there."""
    write(tmp_path / "nap.py", "import time; time.sleep(0.5)")
    done = leakguard("run", "--interval", "0.05", "--snapshot-dir", "snaps", "nap.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    files = list((tmp_path / "snaps").glob("*.snapshot.json"))
    assert files
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


def test_run_without_program_is_bad_input(tmp_path: Path) -> None:
    """``leakguard run`` with nothing to run: exit 2, one line saying what is missing."""
    done = leakguard("run", "--interval", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "leakguard run: no program given (a script.py or -m module)\n"


def test_console_script_shows_commands_and_exit_codes(tmp_path: Path) -> None:
    """The installed ``leakguard`` script lists its commands and documents its exit codes."""
    exe = shutil.which("leakguard")
    if exe is None:
        pytest.skip("the leakguard console script is not installed (pip install -e .)")
    done = subprocess.run([exe, "--help"], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "{run,report,diff,doctor}" in done.stdout
    assert "Exit codes: 0 ok, 1 leak found" in done.stdout

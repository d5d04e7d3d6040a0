"""The command line on hostile input: FIFOs, devices, huge or deeply nested files, paths it
cannot write, absurd numbers. Each answer is one line and a documented exit code, at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard._cli.main import EXIT_BAD_INPUT, main
from leakguard._files.safeio import MAX_FILE_BYTES
from tests.reliability.unprivileged import as_nobody, nobody_can_run, shared_directory
from tests.test_cli_report import leakguard, snapshot_dir

WAIT = 120  # a hang is what is tested: subprocess timeouts turn one into a failure


def run_main(*argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in this process; its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", ["report", "diff"])
def test_a_fifo_as_input_is_refused_without_waiting(tmp_path: Path, command: str) -> None:
    """A FIFO nobody writes to is refused at once (it used to block for ever)."""
    os.mkfifo(tmp_path / "pipe")
    args = ["pipe"] if command == "report" else ["pipe", "pipe"]
    done = leakguard(command, *args, cwd=tmp_path)
    assert done.returncode == EXIT_BAD_INPUT
    assert "pipe: is a FIFO (named pipe), expected a regular file" in one_line(done.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_device_is_refused_not_read(tmp_path: Path) -> None:
    """/dev/zero is refused as a device instead of being read into memory whole."""
    code, _, err = run_main("report", "/dev/zero")
    assert code == EXIT_BAD_INPUT
    assert "/dev/zero: is a character device, expected a regular file" in one_line(err)


def test_a_file_past_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    """A (sparse) file bigger than MAX_FILE_BYTES is refused by its size, never read."""
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    code, _, err = run_main("diff", str(big), str(big))
    assert code == EXIT_BAD_INPUT
    assert "larger than 64 MiB" in one_line(err)


def test_deeply_nested_json_is_one_line(tmp_path: Path) -> None:
    """JSON nested past the recursion limit is 'nested too deeply', not a RecursionError."""
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run_main("report", str(tmp_path / "deep.json"))
    assert code == EXIT_BAD_INPUT
    assert "deep.json: not valid JSON: nested too deeply" in one_line(err)


@pytest.mark.parametrize("index", [2**63, 2**64, 10**30])
def test_an_index_past_64_bits_is_one_line(tmp_path: Path, index: int) -> None:
    """A snapshot whose index does not fit 64 bits is refused naming the field."""
    snapshot_dir(tmp_path / "snaps", samples=1)
    (f,) = (tmp_path / "snaps").glob("*.snapshot.json")
    data = json.loads(f.read_text())
    data["index"] = index
    (tmp_path / "big.json").write_text(json.dumps(data))
    code, _, err = run_main("report", str(tmp_path / "big.json"))
    assert code == EXIT_BAD_INPUT
    assert "big.json: index: integer out of range (must fit in 64 bits)" in one_line(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["doctor", "--seconds", "inf"], "--seconds: must be > 0 and <= 3600"),
        (["doctor", "--seconds", "nan"], "--seconds: must be > 0 and <= 3600"),
        (["doctor", "--pid", str(2**63)], "--pid: must be >= 0 and <= 2147483647"),
        (["report", "x", "--pid", "9" * 5000], "--pid: expected a whole number"),
        (["run", "--interval", "1e300", "x.py"], "--interval: must be > 0 and <= 86400"),
        (["diff", "a", "b", "--fail-on-growth", str(2**64)], "--fail-on-growth: must be >= 0"),
    ],
)
def test_numbers_are_bounded_so_every_wait_ends(argv: list[str], message: str) -> None:
    """Every number a command waits on or compares with has an upper bound."""
    code, _, err = run_main(*argv)
    assert code == EXIT_BAD_INPUT
    assert message in one_line(err)
    assert len(err) < 300


def test_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    """-o naming an existing directory is one line before any work, exit 2."""
    snapshot_dir(tmp_path / "snaps")
    (tmp_path / "out.json").mkdir()
    code, _, err = run_main("report", str(tmp_path / "snaps"), "-o", str(tmp_path / "out.json"))
    assert code == EXIT_BAD_INPUT
    assert "out.json: is a directory, expected a file name" in one_line(err)


@pytest.mark.parametrize("length", [239, 250, 255])
def test_a_long_output_name_is_written(tmp_path: Path, length: int) -> None:
    """An -o name of up to 255 bytes is written (its temporary name used to be too long)."""
    snapshot_dir(tmp_path / "snaps")
    out = tmp_path / ("r" * (length - 5) + ".json")
    code, _, err = run_main("report", str(tmp_path / "snaps"), "-o", str(out))
    assert code == 0, err
    assert json.loads(out.read_text())["kind"] == "report"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_output_name_past_the_limit_is_one_line(tmp_path: Path) -> None:
    """An -o name longer than the file system allows is 'file name too long', exit 2."""
    snapshot_dir(tmp_path / "snaps")
    out = tmp_path / ("r" * 300 + ".json")
    code, _, err = run_main("report", str(tmp_path / "snaps"), "-o", str(out))
    assert code == EXIT_BAD_INPUT
    assert "file name too long" in one_line(err)


def test_a_failed_rename_is_one_line_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename refused by the system is exit 2 with one line; no partial or temporary file."""
    snapshot_dir(tmp_path / "snaps")

    def refuse(src: object, dst: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = run_main("report", str(tmp_path / "snaps"), "-o", str(tmp_path / "r.json"))
    assert code == EXIT_BAD_INPUT
    assert "-o" in one_line(err) and "cannot write: Invalid cross-device link" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snaps"]


@pytest.fixture
def shared() -> Iterator[Path]:
    """A directory nobody can reach, removed afterwards."""
    path = shared_directory()
    yield path
    for p in path.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)
    shutil.rmtree(path)


@pytest.mark.skipif(not nobody_can_run(), reason="needs root to drop to an unprivileged user")
def test_output_into_an_unwritable_directory_is_exit_2_as_an_unprivileged_user(
    shared: Path,
) -> None:
    """As a user who cannot write there, -o into a read-only directory is one line, exit 2."""
    snapshot_dir(shared / "snaps")
    (shared / "ro").mkdir()
    for p in [shared / "snaps", *(shared / "snaps").iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (shared / "ro").chmod(0o555)
    argv = ("report", str(shared / "snaps"), "-o", str(shared / "ro/r.json"))
    code, _, err = as_nobody(run_main, *argv)
    assert code == EXIT_BAD_INPUT
    assert f"directory {shared / 'ro'} is not writable" in one_line(err)
    assert list((shared / "ro").iterdir()) == []


def test_run_of_a_directory_says_what_it_is(tmp_path: Path) -> None:
    """run DIR without __main__.py says so (it said 'no such file'); with one, it runs."""
    (tmp_path / "app").mkdir()
    code, _, err = run_main("run", str(tmp_path / "app"))
    assert code == EXIT_BAD_INPUT
    assert "app: is a directory without a __main__.py" in one_line(err)
    (tmp_path / "app" / "__main__.py").write_text("import sys\nsys.exit(7)\n")
    done = leakguard("run", "--interval", "5", "app", cwd=tmp_path)
    assert done.returncode == 7, done.stderr


def test_a_failed_final_json_write_keeps_the_programs_exit_code(tmp_path: Path) -> None:
    """run --json PATH whose final write fails: the program's exit code stays, one line says why."""
    program = textwrap.dedent(
        """
        import os, sys
        os.mkdir(sys.argv[1])  # the --json path becomes a directory: the rename must fail
        """
    )
    (tmp_path / "prog.py").write_text(program)
    done = leakguard(
        "run", "--interval", "5", "--json", "out.json", "prog.py", "out.json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    failed = [ln for ln in done.stderr.splitlines() if "--json out.json: cannot write" in ln]
    assert len(failed) == 1, done.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_exit_code_of_a_failing_program_survives_a_failed_write(tmp_path: Path) -> None:
    """A program exiting 3 whose --html write fails still exits 3."""
    (tmp_path / "prog.py").write_text("import os, sys\nos.mkdir('out.html')\nsys.exit(3)\n")
    done = leakguard("run", "--interval", "5", "--html", "out.html", "prog.py", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "--html out.html: cannot write" in done.stderr


def test_bad_input_lines_stay_short(tmp_path: Path) -> None:
    """A path of thousands of characters in an error is cut, so the message stays one line."""
    code, _, err = run_main("report", "a" * 300)
    assert code == EXIT_BAD_INPUT
    assert len(one_line(err)) < 300

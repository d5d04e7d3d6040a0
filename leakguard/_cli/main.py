"""The ``leakguard`` command line: argument parsing, dispatch and exit codes.

Exit codes: 0 all is well, 1 a leak was found or something grew past the
threshold, 2 bad input (a bare ``leakguard`` too: the usage goes to stderr), 141 stdout
was closed early (``leakguard report ... | head``: quietly, as a Unix tool killed by
SIGPIPE); ``run`` passes the program's own exit code through. Bad input is one line
on stderr naming what is wrong and where, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from leakguard._model.options import shown

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`

RUN_VALUE_OPTIONS = ("--interval", "--html", "--json", "--snapshot-dir")


class BadInput(Exception):
    """Input the command cannot use; the message is the one line the user sees."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, raised as :class:`BadInput`."""

    def error(self, message: str) -> NoReturn:
        raise BadInput(f"{self.prog}: {message}")


def _seconds(most: float) -> Callable[[str], float]:
    """A number of seconds > 0 and <= ``most``: every wait the command makes ends."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {shown(text)}") from None
        if not 0 < value <= most:
            raise argparse.ArgumentTypeError(f"must be > 0 and <= {most:g}, got {shown(text)}")
        return value

    return parse


def _count(most: int) -> Callable[[str], int]:
    """A whole number from 0 to ``most``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {shown(text)}"
            ) from None
        if not 0 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be >= 0 and <= {most}, got {shown(text)}")
        return value

    return parse


PID_MAX = 2**31 - 1  # pid_t
DOCTOR_SECONDS = 3600.0


def build_parser() -> Parser:
    """The parser of every command (``run`` options only: its program arguments are split off)."""
    parser = Parser(
        prog="leakguard",
        description="Find memory leaks in Python programs: run, report, diff, doctor.",
        epilog="Exit codes: 0 ok, 1 leak found or growth past threshold, 2 bad input "
        "(no command too), 141 stdout closed early; 'run' passes the program's exit code "
        "through.",
    )
    parser.add_argument("--version", action="version", version=f"leakguard {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    run = commands.add_parser(
        "run",
        help="run a program under the guard",
        usage="leakguard run [options] (script.py | -m module) [args ...]",
        description="Run a Python program in this process under a Guard sampling on a thread.",
    )
    run.add_argument(
        "--interval", type=_seconds(86400), default=1.0, help="seconds between samples"
    )
    run.add_argument(
        "--html", type=Path, help="write the HTML report here at exit and on each leak"
    )
    run.add_argument(
        "--json", type=Path, help="write the JSON report here at exit and on each leak"
    )
    run.add_argument(
        "--snapshot-dir", type=Path, help="write snapshots and reports to this directory"
    )
    run.add_argument(
        "--audit",
        action="store_true",
        help="at exit, also look at the heap: top types, biggest containers, unbounded caches",
    )
    report = commands.add_parser("report", help="build a report from saved snapshots or a report")
    report.add_argument(
        "source", type=Path, help="a snapshot directory, snapshot file or report file"
    )
    report.add_argument("-o", "--output", type=Path, help="write .html or .json (default: text)")
    report.add_argument(
        "--pid", type=_count(PID_MAX), help="the process to read from a shared directory"
    )
    _format_option(report)
    diff = commands.add_parser("diff", help="compare two snapshot or report files")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument(
        "--fail-on-growth",
        type=_count(2**63 - 1),
        metavar="N",
        help="exit 1 when a type or site grew by more than N",
    )
    _format_option(diff)
    doctor = commands.add_parser("doctor", help="check system memory, the cgroup and OOM kills")
    doctor.add_argument("--pid", type=_count(PID_MAX), help="also watch this process's RSS")
    doctor.add_argument(
        "--seconds",
        type=_seconds(DOCTOR_SECONDS),
        default=5.0,
        help="how long to watch the RSS (at most an hour)",
    )
    _format_option(doctor)
    return parser


def _format_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="what to print on stdout: text, or JSON (schemas in docs/schema/)",
    )


def _version() -> str:
    import leakguard

    return leakguard.__version__


def split_run_args(argv: Sequence[str]) -> tuple[list[str], str | None, str | None, list[str]]:
    """Split ``run``'s arguments into its own options, the script or module, and the program's args.

    Returns:
        ``(options, script, module, program_args)``; one of script and module is set.

    Raises:
        BadInput: no program given, or ``-m`` without a module name.
    """
    options: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (argv[i + 1] if i + 1 < len(argv) else "")
            if not module:
                raise BadInput("leakguard run: -m needs a module name")
            return options, None, module, list(argv[i + (1 if arg[2:] else 2) :])
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        options.append(arg)
        if arg in RUN_VALUE_OPTIONS and i + 1 < len(argv):
            options.append(argv[i + 1])
            i += 1
        i += 1
    if "-h" in options or "--help" in options:
        return options, None, None, []
    if i >= len(argv):
        raise BadInput("leakguard run: no program given (a script.py or -m module)")
    return options, argv[i], None, list(argv[i + 1 :])


def _dispatch(argv: list[str]) -> int:
    # Commands are imported here: they import this module (BadInput), and a
    # command loads only what it needs (doctor never imports the Guard).
    parser = build_parser()
    if not argv:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    if argv[:1] == ["run"]:
        options, script, module, program_args = split_run_args(argv[1:])
        args, unknown = parser.parse_known_args(["run", *options])
        if unknown:
            raise BadInput(f"leakguard run: unrecognized arguments: {' '.join(unknown)}")
        from leakguard._cli.run import run

        return run(args, script, module, program_args)
    args = parser.parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}
    if args.command == "doctor":
        from leakguard._cli.doctor import doctor

        handlers["doctor"] = doctor
    else:
        from leakguard._cli.report import diff, report

        handlers.update(report=report, diff=diff)
    return handlers[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``leakguard`` command; return its exit code.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).
    """
    try:
        code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BadInput as exc:
        print(f"{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_CLOSED_PIPE
    except OSError as exc:  # a path the checks did not foresee (too long, a loop, gone)
        name = exc.filename
        name = os.fsdecode(name) if isinstance(name, (str, bytes)) else name
        where = f": {shown(name, 200)}" if name is not None else ""
        print(f"leakguard{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the final flush at exit cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no real stdout (pythonw, a replaced sys.stdout)
        pass

"""Regenerate the sample outputs in docs/ from the installed leakguard.

    python docs/samples.py            # rewrite every sample (and docs/schema/*.json)
    python docs/samples.py cli-run    # only these samples

A sample is the ```text block right after a ``<!-- sample: NAME -->`` line in a page.
A block whose lines start with ``$ `` is a transcript: its commands are run again, in
order, in one scratch directory per page, and their output (stdout and stderr) and
``echo $?`` replace the old. Other samples are made by the producer of that name
below. The programs run are the ``python`` blocks after ``<!-- program: FILE -->``
lines, so the program shown is the program run. Volatile paths are rewritten: the
scratch directory reads ``/tmp/lgdoc`` and the repository ``/home/me/leakguard``.

``tests/test_doc_samples.py`` runs the producers again and fails when a sample no
longer teaches what the version prints (see :func:`teaches`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WORK_ALIAS = "/tmp/lgdoc"
ROOT_ALIAS = "/home/me/leakguard"
SAMPLE = re.compile(r"^<!-- sample: ([\w-]+) -->\n```text\n(.*?)^```$", re.M | re.S)
PROGRAM = re.compile(r"^<!-- program: ([\w.]+) -->\n```python\n(.*?)^```$", re.M | re.S)
FAIL_PY = 'def load(path):\n    return open(path).read()\n\nload("/etc/shop.toml")\n'
TIMEOUT = 300


def samples() -> dict[str, tuple[Path, str]]:
    """Sample name -> (page, its text now)."""
    found = {}
    for page in sorted(DOCS.glob("*.md")):
        for m in SAMPLE.finditer(page.read_text()):
            found[m.group(1)] = (page, m.group(2))
    return found


def programs() -> dict[str, str]:
    """File name -> the source shown in the docs."""
    return {
        m.group(1): m.group(2) for p in DOCS.glob("*.md") for m in PROGRAM.finditer(p.read_text())
    }


def env() -> dict[str, str]:
    """The environment of every run: this interpreter's scripts first, unbuffered output."""
    bindir = os.path.dirname(sys.executable)
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEAKGUARD_")}
    return {**base, "PATH": bindir + os.pathsep + base.get("PATH", ""), "PYTHONUNBUFFERED": "1"}


def tidy(text: str, work: Path) -> str:
    """Rewrite the scratch directory and the repository to their stable aliases."""
    text = text.replace(str(work.resolve()), WORK_ALIAS).replace(str(work), WORK_ALIAS)
    return text.replace(str(ROOT), ROOT_ALIAS).rstrip("\n") + "\n"


def transcript(text: str, work: Path, pid: int | None = None) -> str:
    """Run the ``$ `` commands of a transcript in ``work``; return the new transcript."""
    out, rc = [], 0
    for line in text.splitlines():
        if not line.startswith("$ "):
            continue
        cmd = line[2:]
        if pid is not None:
            cmd = re.sub(r"--pid \d+", f"--pid {pid}", cmd)
        out.append(f"$ {cmd}")
        if cmd == "echo $?":
            out.append(str(rc))
            continue
        done = subprocess.run(
            cmd,
            shell=True,
            cwd=work,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        rc = done.returncode
        out.append(done.stdout.rstrip("\n"))
    return tidy("\n".join(s for s in out if s), work)


def run_python(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return done.stdout


class Page:
    """One scratch directory per page: transcripts of one page build on each other."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="lgdoc-"))
        for name, source in programs().items():
            (self.work / name).write_text(source)
        (self.work / "fail.py").write_text(FAIL_PY)

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def _demo(page: Page, text: str) -> str:
    return tidy(run_python([str(ROOT / "examples" / "leaky_service.py")], ROOT), page.work)


def _manual(page: Page, text: str) -> str:
    return tidy(run_python(["orders.py"], page.work), page.work)


def _diff_files(page: Page, text: str) -> str:
    snaps = sorted((page.work / "snaps2").glob("*.snapshot.json"))
    if len(snaps) < 4:
        raise RuntimeError("cli-diff needs the snapshots of cli-run (snaps2) first")
    shutil.copy(snaps[2], page.work / "before.json")
    shutil.copy(snaps[-1], page.work / "after.json")
    return transcript(text, page.work)


def _doctor_pid(page: Page, text: str) -> str:
    grow = "import time\nx = []\nwhile 1:\n    x.append(bytearray(1 << 20)); time.sleep(0.05)"
    child = subprocess.Popen([sys.executable, "-c", grow])
    try:
        return transcript(text, page.work, pid=child.pid)
    finally:
        child.kill()
        child.wait(timeout=60)


def _bad_input(page: Page, text: str) -> str:
    from leakguard._files.store import snapshot_to_dict
    from leakguard._model.snapshot import Snapshot

    good = snapshot_to_dict(Snapshot(index=0, time=0.0, work=0, census=None))
    (page.work / "old.json").write_text(json.dumps(good))
    (page.work / "v2.json").write_text(json.dumps({**good, "schema": 2}))
    (page.work / "bad.json").write_text(json.dumps({**good, "index": "zero"}))
    (page.work / "snaps").mkdir(exist_ok=True)
    return transcript(text, page.work)


def _config_errors(page: Page, text: str) -> str:
    from leakguard._config import resolve

    tries = [
        ({"budget": 2.0}, {}),
        ({}, {"LEAKGUARD_WINDOW": "3"}),
        ({}, {"LEAKGUARD_LOG": "maybe"}),
        ({"warmup": 1.5}, {}),
        ({"intervall": 5}, {}),
    ]
    lines = []
    for kwargs, environ in tries:
        try:
            resolve(kwargs, environ)
        except (ValueError, TypeError) as exc:
            lines.append(str(exc))
    return "\n".join(lines) + "\n"


def _reports_text(page: Page, text: str) -> str:
    run = produce("cli-run")
    after = run.split("leakguard: report at exit\n", 1)[1]
    return after.split("\n$ ", 1)[0].rstrip("\n") + "\n"


def _transcript(page: Page, text: str) -> str:
    return transcript(text, page.work)


PRODUCERS: dict[str, Callable[[Page, str], str]] = {
    "quickstart-demo": _demo,
    "quickstart-manual": _manual,
    "cli-run": _transcript,
    "cli-fail": _transcript,
    "cli-report": _transcript,
    "cli-diff": _diff_files,
    "cli-doctor": _transcript,
    "cli-doctor-pid": _doctor_pid,
    "cli-bad-input": _bad_input,
    "reports-text": _reports_text,
    "configuration-errors": _config_errors,
}
# Samples that need another sample's files first, in the order they run.
NEEDS = {"cli-report": ("cli-run",), "cli-diff": ("cli-run",), "reports-text": ("cli-run",)}
_made: dict[str, str] = {}
_pages: dict[Path, Page] = {}


def produce(name: str) -> str:
    """The sample ``name`` as the installed leakguard prints it now (cached per process)."""
    if name in _made:
        return _made[name]
    for first in NEEDS.get(name, ()):
        produce(first)
    page, text = samples()[name]
    scratch = _pages.setdefault(page, Page())
    _made[name] = PRODUCERS[name](scratch, text)
    return _made[name]


def forget(name: str) -> None:
    """Drop what was made on the page of ``name`` (its scratch and samples), to make it again."""
    page_path = samples()[name][0]
    for other, (path, _) in samples().items():
        if path == page_path:
            _made.pop(other, None)
    scratch = _pages.pop(page_path, None)
    if scratch is not None:
        scratch.close()


def teaches(text: str) -> list[str]:
    """What a sample teaches, without what changes from run to run.

    Numbers, ids, pids and signatures are blanked. Of a report, the header (with its
    ``engines:`` line) and the
    first suspect's paragraph are kept: its kind and name, where it is born
    (``allocated at``) and who holds it (``held by``); of a transcript, also the
    commands and every line outside a report; other samples are kept whole.
    """
    kept, state = [], ""
    for line in text.splitlines():
        if line.startswith("leakguard report for pid"):
            state = "report"
        elif state and line.startswith("engines: "):
            pass  # the header's second line
        elif state:
            number = re.match(r"^(\d+)\. ", line)
            if number:
                state = "first" if number.group(1) == "1" else "rest"
                if state == "rest":
                    continue
            elif line.startswith("    "):
                if state != "first" or not line.lstrip().startswith(EVIDENCE):
                    continue
            elif line != "no leak suspected":
                state = ""
        blanked = _blank(line)
        if not _volatile(blanked):
            kept.append(_diff_fail(blanked))
    return kept


def _volatile(line: str) -> bool:
    """Lines a run or a Python version changes: tracebacks' carets, diff rows not the program's.

    A diff's rows for builtins and the import system move with the interpreter (3.10
    to 3.13) and with what the run happened to import; its rows for the program's own
    types (``__main__.``) are the lesson.
    """
    if line.strip() and set(line.strip()) <= {"^", "~"}:
        return True
    row = re.match(r"^ +[+-]N +(\S+)  \(", line)
    return bool(row and not row.group(1).startswith("__main__.")) or line.startswith("  ... and ")


def _diff_fail(line: str) -> str:
    if not line.startswith("FAIL: "):
        return line
    head, _, names = line.partition(": ")[2].partition(": ")
    mine = sorted(set(re.findall(r"__main__\.\w+", names)))
    return f"FAIL: {head}: {', '.join(mine)}"


EVIDENCE = ("allocated at", "held by")
DOCTOR_LINE = re.compile(r"^(memory|swap|cgroup|kernel log|process|census|verdict|next) +\S")


def differences(old: str, new: str) -> list[str]:
    """What ``old`` teaches that ``new`` does not, and the reverse (empty: still true).

    Evidence lines of a kind the new run has none of are not compared: on a loaded
    machine the evidence of a first report may arrive a sample later.
    """
    a, b = teaches(old), teaches(new)
    for kind in EVIDENCE:
        if not any(line.lstrip().startswith(kind) for line in b):
            a = [line for line in a if not line.lstrip().startswith(kind)]
    return [f"- {line}" for line in a if line not in b] + [
        f"+ {line}" for line in b if line not in a
    ]


def _blank(line: str) -> str:
    if DOCTOR_LINE.match(line):
        return line[:12].rstrip()  # doctor's facts are the machine's: the sections teach
    line = re.sub(r"#[0-9a-f]{6,}", "#ID", line)
    line = re.sub(r"\b[0-9a-f]{12}\b", "SIG", line)
    line = re.sub(r"(?<=:)\d+(?=/)", "PORT", line)
    # Line numbers (after ':') stay: they say where; other numbers are the run's.
    return re.sub(r"(?<![\w:.])\d[\d.,]*[kM]?", "N", line)


def rewrite(names: list[str]) -> None:
    """Write the fresh samples into their pages."""
    found = samples()
    for name in names or list(PRODUCERS):
        page, old = found[name]
        new = produce(name)
        text = page.read_text()
        marker = f"<!-- sample: {name} -->\n```text\n"
        page.write_text(text.replace(marker + old, marker + new, 1))
        print(f"{page.relative_to(ROOT)}: {name} ({len(new.splitlines())} lines)")


def write_schemas() -> None:
    from leakguard._cli.schemas import published

    for name, schema in published().items():
        (DOCS / "schema" / name).write_text(json.dumps(schema, indent=2) + "\n")


if __name__ == "__main__":
    try:
        rewrite(sys.argv[1:])
        if not sys.argv[1:]:
            write_schemas()
    finally:
        for p in _pages.values():
            p.close()

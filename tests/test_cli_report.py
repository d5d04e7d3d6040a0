"""``leakguard report`` and ``leakguard diff`` end to end in a subprocess, bad input included."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from leakguard import Census, Process, Report, Snapshot, Suspect
from leakguard._files.store import SnapshotDir, report_from_dict, snapshot_to_dict

T0 = 1_700_000_000.0


def leakguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "leakguard", *args]
    return subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True, timeout=120)


def leaking_snapshot(i: int, orders_per_sample: int = 100) -> Snapshot:
    """Sample ``i`` of a process whose OrderDTO count climbs while dicts stay tidal."""
    orders = 50 + orders_per_sample * i
    dicts = 5000 + (i % 3) * 40
    return Snapshot(
        index=i,
        time=T0 + 10 * i,
        work=0,
        census=Census(
            types={"shop.OrderDTO": (orders, orders * 48), "builtins.dict": (dicts, dicts * 64)},
            containers=(),
            objects=orders + dicts,
        ),
        process=Process(rss=60_000_000 + 400_000 * i, blocks=100_000 + 200 * i),
    )


def snapshot_dir(path: Path, samples: int = 20) -> Path:
    d = SnapshotDir(path, keep=1000, max_bytes=10**8)
    for i in range(samples):
        d.write_snapshot(leaking_snapshot(i))
    return path


def test_report_from_directory_prints_text(tmp_path: Path) -> None:
    """Without -o, the report replayed from a snapshot directory is printed as text."""
    snapshot_dir(tmp_path / "snaps")
    done = leakguard("report", "snaps", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"leakguard report for pid {os.getpid()}:")
    assert "type shop.OrderDTO" in done.stdout
    assert "builtins.dict" not in done.stdout


def test_report_to_html_file_is_0600_page(tmp_path: Path) -> None:
    """-o report.html writes the HTML page, readable by its owner only."""
    snapshot_dir(tmp_path / "snaps")
    done = leakguard("report", "snaps", "-o", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "report.html"
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "shop.OrderDTO" in text


def test_report_to_json_reads_back(tmp_path: Path) -> None:
    """-o report.json writes a schema-1 report that reads back with the replayed suspect."""
    snapshot_dir(tmp_path / "snaps")
    assert leakguard("report", "snaps", "-o", "r.json", cwd=tmp_path).returncode == 0
    report = report_from_dict(json.loads((tmp_path / "r.json").read_text()), "r.json")
    assert ("type", "shop.OrderDTO") in [s.key for s in report.suspects]
    assert report.samples == 20 and len(report.timeline) == 20


def test_report_file_is_rerendered(tmp_path: Path) -> None:
    """A report JSON file given as the source is rendered again, not replayed."""
    snapshot_dir(tmp_path / "snaps")
    leakguard("report", "snaps", "-o", "r.json", cwd=tmp_path)
    done = leakguard("report", "r.json", "-o", "again.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "shop.OrderDTO" in (tmp_path / "again.html").read_text()


def test_report_reads_the_newest_process_of_a_shared_directory(tmp_path: Path) -> None:
    """Two processes in one directory: the newest is read, --pid picks the other, stderr says so."""
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    for i in range(4):
        for pid, offset in ((111, 0), (222, 1000)):
            name = f"20240101T0000{i:02d}.{offset:06d}Z-{pid}-000001.snapshot.json"
            data = snapshot_to_dict(leaking_snapshot(i), pid=pid)
            (snaps / name).write_text(json.dumps(data))
    done = leakguard("report", "snaps", cwd=tmp_path)
    assert done.stdout.startswith("leakguard report for pid 222:")
    assert "holds processes 111, 222" in done.stderr
    picked = leakguard("report", "snaps", "--pid", "111", cwd=tmp_path)
    assert picked.stdout.startswith("leakguard report for pid 111:")


def test_report_unknown_output_format_is_bad_input(tmp_path: Path) -> None:
    """-o report.txt: exit 2, one line, nothing written."""
    snapshot_dir(tmp_path / "snaps", samples=3)
    done = leakguard("report", "snaps", "-o", "report.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "leakguard report: -o report.txt: unknown format (use .html or .json)\n"
    assert not (tmp_path / "report.txt").exists()


def test_report_corrupt_file_is_bad_input(tmp_path: Path) -> None:
    """A corrupt snapshot file in the directory is named; exit 2; no report written."""
    snapshot_dir(tmp_path / "snaps", samples=3)
    broken = sorted((tmp_path / "snaps").iterdir())[1]
    broken.write_text('{"schema": 1, "kind": "snap')
    done = leakguard("report", "snaps", "-o", "r.html", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"leakguard report: snaps/{broken.name}: not valid JSON")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_report_wrong_schema_version_is_bad_input(tmp_path: Path) -> None:
    """A file of schema version 99: exit 2, one line with both versions."""
    (tmp_path / "s.json").write_text(
        json.dumps(snapshot_to_dict(leaking_snapshot(0)) | {"schema": 99})
    )
    done = leakguard("report", "s.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "leakguard report: s.json: schema version 99 is not supported "
        "(this leakguard reads version 1)\n"
    )


def test_report_missing_source_is_bad_input(tmp_path: Path) -> None:
    """A source that does not exist: exit 2, one line."""
    done = leakguard("report", "nowhere", "-o", "r.html", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "leakguard report: nowhere: no such file\n")
    assert not (tmp_path / "r.html").exists()


def write_snapshot(path: Path, snap: Snapshot) -> Path:
    path.write_text(json.dumps(snapshot_to_dict(snap)))
    return path


def test_diff_lists_per_type_growth(tmp_path: Path) -> None:
    """diff of two snapshots lists each type that changed, biggest growth first, and exits 0."""
    write_snapshot(tmp_path / "old.json", leaking_snapshot(0))
    write_snapshot(tmp_path / "new.json", leaking_snapshot(10))
    done = leakguard("diff", "old.json", "new.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "leakguard diff: old.json -> new.json"
    assert lines[1] == "types (objects or items):"
    assert lines[2].split() == ["+1.0k", "shop.OrderDTO", "(50", "->", "1.1k)"]


def test_diff_fails_on_growth_past_threshold(tmp_path: Path) -> None:
    """--fail-on-growth N exits 1 when a type grew by more than N, naming it."""
    write_snapshot(tmp_path / "old.json", leaking_snapshot(0))
    write_snapshot(tmp_path / "new.json", leaking_snapshot(10))
    done = leakguard("diff", "old.json", "new.json", "--fail-on-growth", "500", cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL: 1 grew by more than 500: shop.OrderDTO (+1.0k)" in done.stdout


def test_diff_passes_under_threshold(tmp_path: Path) -> None:
    """--fail-on-growth N exits 0 when nothing grew by more than N."""
    write_snapshot(tmp_path / "old.json", leaking_snapshot(0))
    write_snapshot(tmp_path / "new.json", leaking_snapshot(10))
    done = leakguard("diff", "old.json", "new.json", "--fail-on-growth", "5000", cwd=tmp_path)
    assert done.returncode == 0
    assert "ok: nothing grew by more than 5000" in done.stdout


def test_diff_of_reports_compares_sites_and_skips_unmeasured_types(tmp_path: Path) -> None:
    """Reports carry only top types: a type missing from one report is not counted as growth."""
    snapshot_dir(tmp_path / "a", samples=12)
    snapshot_dir(tmp_path / "b", samples=20)
    leakguard("report", "a", "-o", "a.json", cwd=tmp_path)
    leakguard("report", "b", "-o", "b.json", cwd=tmp_path)
    data = json.loads((tmp_path / "b.json").read_text())
    data["top_series"]["only.InNew"] = [1.0, 5000.0]
    (tmp_path / "b.json").write_text(json.dumps(data))
    done = leakguard("diff", "a.json", "b.json", "--fail-on-growth", "100", cwd=tmp_path)
    assert done.returncode == 1
    assert "measured in one file only (not compared): only.InNew" in done.stdout
    assert "FAIL: 1 grew by more than 100: shop.OrderDTO" in done.stdout


def test_diff_bad_input_is_one_line(tmp_path: Path) -> None:
    """A missing file and a negative threshold are bad input: exit 2, one line."""
    write_snapshot(tmp_path / "old.json", leaking_snapshot(0))
    missing = leakguard("diff", "old.json", "gone.json", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, "leakguard diff: gone.json: no such file\n")
    negative = leakguard("diff", "old.json", "old.json", "--fail-on-growth", "-3", cwd=tmp_path)
    assert negative.returncode == 2 and negative.stderr.count("\n") == 1
    assert "--fail-on-growth" in negative.stderr


def test_unknown_command_is_bad_input(tmp_path: Path) -> None:
    """An unknown command: exit 2, one line listing the commands."""
    done = leakguard("frobnicate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "run" in done.stderr and "doctor" in done.stderr


def test_report_from_directory_keeps_saved_evidence(tmp_path: Path) -> None:
    """Evidence in the latest saved report of the directory is shown on the replayed suspects."""
    snaps = snapshot_dir(tmp_path / "snaps")
    saved = Suspect(
        kind="type",
        name="shop.OrderDTO",
        count=1.0,
        growth=1.0,
        rate_per_work=None,
        rate_per_minute=None,
        confidence=0.99,
        first_seen=9,
        path=("shop.orders (module)", "_recent (list)", "OrderDTO"),
    )
    SnapshotDir(snaps, keep=1000, max_bytes=10**8).write_report(
        Report(suspects=(saved,), created=T0)
    )
    done = leakguard("report", "snaps", cwd=tmp_path)
    assert "held by shop.orders (module) → _recent (list) → OrderDTO" in done.stdout
    assert "type shop.OrderDTO: 1.9k objects" in done.stdout  # levels come from the replay


def test_report_of_a_real_run_is_the_guards_report_at_exit(tmp_path: Path) -> None:
    """``leakguard report DIR`` lists the suspects of the report printed at exit, in its order.

    Not the first leak's: the lines found late by the trace window are there too.
    """
    (tmp_path / "leak.py").write_text(
        "import pathlib, time\n"
        "class OrderDTO:\n"
        "    def __init__(self, n):\n"
        "        self.lines = [n, n + 1]\n"
        "_recent = []\n"
        "deadline = time.monotonic() + 90\n"
        "# Counted in samples, not seconds, so that a loaded machine sees the same run.\n"
        "while len(list(pathlib.Path('snaps').glob('*.snapshot.json'))) < 30:\n"
        "    _recent.extend(OrderDTO(j) for j in range(200))\n"
        "    time.sleep(0.05)\n"
        "    assert time.monotonic() < deadline\n"
    )
    run = [sys.executable, "-m", "leakguard", "run", "--interval", "0.1", "--json", "exit.json"]
    subprocess.run(
        [*run, "--snapshot-dir", "snaps", "leak.py"],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        env={**os.environ, "LEAKGUARD_BUDGET": "0.2", "LEAKGUARD_SNAPSHOT_KEEP": "1000"},
        timeout=120,
    )
    done = leakguard("report", "snaps", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    at_exit = report_from_dict(json.loads((tmp_path / "exit.json").read_text()), "exit.json")
    replayed = report_from_dict(json.loads(done.stdout), "stdout")
    assert [s.key for s in replayed.suspects] == [s.key for s in at_exit.suspects]
    assert ("type", "__main__.OrderDTO") in [s.key for s in at_exit.suspects]
    assert replayed.samples == at_exit.samples

"""Snapshot and report files: the schema, atomic 0600 writes, and the rotating directory."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leakguard import (
    Census,
    Container,
    GcStats,
    Process,
    Report,
    Resources,
    Site,
    Snapshot,
    Suspect,
)
from leakguard._files.store import (
    SnapshotDir,
    atomic_write,
    load,
    report_from_dict,
    snapshot_from_dict,
    snapshot_to_dict,
)
from leakguard._model.report import Point


def make_snapshot(index: int = 0, time: float = 1_700_000_000.0, orders: int = 10) -> Snapshot:
    return Snapshot(
        index=index,
        time=time + index,
        work=index * 5,
        census=Census(
            types={"shop.OrderDTO": (orders, orders * 56), "builtins.dict": (900, 900 * 64)},
            containers=(Container(key=140_000, type="builtins.list", length=orders),),
            objects=orders + 900,
            frozen=0,
            seconds=0.01,
        ),
        process=Process(rss=50_000_000 + index, blocks=1000, cgroup_usage=None, cgroup_limit=None),
        gc=GcStats(collections=(3, 2, 1), collected=40, garbage=0),
        resources=Resources(fds=7, threads=2),
        watched={"shop.handle": index},
        pause=0.002,
    )


def make_report() -> Report:
    suspect = Suspect(
        kind="type",
        name="shop.OrderDTO",
        count=500.0,
        growth=490.0,
        rate_per_work=1.0,
        rate_per_minute=60.0,
        confidence=0.999,
        first_seen=9,
        series=(10.0, 250.0, 500.0),
        nbytes=490 * 56.0,
        sites=(Site("shop/orders.py", 12, count=40, size=2240, package=None),),
        path=("shop.orders (module)", "_recent (list)", "OrderDTO"),
        signature="a1b2c3",
        attributed_to=(("shop.handle", 1.0),),
        deep_size=1e5,
        notes=("path search timed out",),
    )
    return Report(
        suspects=(suspect,),
        new=(suspect.key,),
        pid=42,
        created=1_700_000_100.0,
        samples=12,
        timeline=(Point(0, 1.0, 0, 100, 10, 5), Point(1, 2.0, 5, 120, 11, 6)),
        top_series={"shop.OrderDTO": (10.0, 250.0, 500.0)},
        process=Process(rss=120),
        overhead={"share": 0.001},
    )


def test_snapshot_round_trips_through_json() -> None:
    """A snapshot written as JSON reads back equal, census and all."""
    snap = make_snapshot(3)
    data = json.loads(json.dumps(snapshot_to_dict(snap)))
    assert snapshot_from_dict(data, "mem") == snap


def test_report_round_trips_through_json() -> None:
    """Report.to_dict() output reads back as an equal Report, evidence included."""
    report = make_report()
    data = json.loads(report.to_json())
    assert report_from_dict(data, "mem") == report


def test_wrong_schema_version_names_source_and_versions() -> None:
    """A file of another schema version is refused with its source and both versions."""
    data = snapshot_to_dict(make_snapshot()) | {"schema": 2}
    with pytest.raises(ValueError, match=r"^old\.json: schema version 2 is not supported .*1"):
        snapshot_from_dict(data, "old.json")


def test_missing_schema_is_not_a_leakguard_file() -> None:
    """JSON without a schema field is refused as not a leakguard file."""
    with pytest.raises(ValueError, match=r"^x\.json: no 'schema' field"):
        report_from_dict({"suspects": []}, "x.json")


def test_missing_field_is_named() -> None:
    """A missing required field is named with its path."""
    data = json.loads(json.dumps(snapshot_to_dict(make_snapshot())))
    del data["census"]["objects"]
    with pytest.raises(ValueError, match=r"^s\.json: census: missing field 'objects'$"):
        snapshot_from_dict(data, "s.json")


def test_wrong_field_type_is_named() -> None:
    """A field of the wrong type is named down to the list item."""
    data = json.loads(make_report().to_json())
    data["suspects"][0]["sites"][0]["lineno"] = "twelve"
    with pytest.raises(ValueError, match=r"suspects\[0\]\.sites\[0\]\.lineno: expected an integer"):
        report_from_dict(data, "r.json")


def test_report_file_is_not_read_as_a_snapshot() -> None:
    """A report handed where a snapshot is expected says which it is."""
    with pytest.raises(ValueError, match="is a leakguard report file, expected a snapshot"):
        snapshot_from_dict(make_report().to_dict(), "r.json")


def test_atomic_write_creates_file_readable_by_owner_only(tmp_path: Path) -> None:
    """atomic_write leaves the complete bytes in a file of mode 0600."""
    target = tmp_path / "r.json"
    atomic_write(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failed_write_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the final rename fails, the old file is intact and the temp file is gone."""
    target = tmp_path / "r.json"
    atomic_write(target, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["r.json"]


def test_process_killed_mid_write_leaves_no_partial_file(tmp_path: Path) -> None:
    """A writer killed between writing and renaming leaves the target untouched."""
    target = tmp_path / "snap.json"
    target.write_bytes(b"complete")
    child = textwrap.dedent(
        f"""
        import os, sys, time
        from leakguard._files.store import atomic_write
        def stall(fd):
            print("written", flush=True)
            time.sleep(60)
        os.fsync = stall
        atomic_write({str(target)!r}, b"x" * 1_000_000)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "written\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == b"complete"
    leftovers = [p for p in os.listdir(tmp_path) if p != "snap.json"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".snap.json.")
    SnapshotDir(tmp_path, keep=10, max_bytes=10**6)  # cleans temps of dead writers
    assert os.listdir(tmp_path) == ["snap.json"]


def test_snapshot_dir_names_sort_by_time_and_carry_pid(tmp_path: Path) -> None:
    """Files are named so that sorting by name sorts by time, with the writer's pid."""
    d = SnapshotDir(tmp_path / "snaps", keep=100, max_bytes=10**8)
    written = [d.write_snapshot(make_snapshot(i)) for i in (0, 1, 2)]
    assert sorted(p.name for p in written) == [p.name for p in written]
    assert all(f"-{os.getpid()}-" in p.name for p in written)
    assert stat.S_IMODE((tmp_path / "snaps").stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}


def test_snapshot_dir_keeps_at_most_keep_files(tmp_path: Path) -> None:
    """Past ``keep`` files, the oldest are deleted."""
    d = SnapshotDir(tmp_path, keep=3, max_bytes=10**8)
    written = [d.write_snapshot(make_snapshot(i)) for i in range(7)]
    assert d.files() == written[-3:]


def test_snapshot_dir_keeps_at_most_max_bytes(tmp_path: Path) -> None:
    """Past ``max_bytes``, the oldest files are deleted until the rest fit."""
    size = len(json.dumps(snapshot_to_dict(make_snapshot(), pid=1), indent=1))
    d = SnapshotDir(tmp_path, keep=100, max_bytes=int(size * 2.5))
    for i in range(6):
        d.write_snapshot(make_snapshot(i))
    files = d.files()
    assert len(files) == 2
    assert sum(p.stat().st_size for p in files) <= size * 2.5


def test_snapshot_dir_keeps_newest_file_even_when_too_big(tmp_path: Path) -> None:
    """A single file bigger than ``max_bytes`` is kept: the latest state survives."""
    d = SnapshotDir(tmp_path, keep=100, max_bytes=10)
    d.write_snapshot(make_snapshot(0))
    newest = d.write_report(make_report())
    assert d.files() == [newest]


def test_load_reads_a_directory_oldest_first(tmp_path: Path) -> None:
    """load() of a directory returns its snapshots in time order, skipping reports."""
    d = SnapshotDir(tmp_path, keep=100, max_bytes=10**8)
    snaps = [make_snapshot(i) for i in range(4)]
    for s in snaps:
        d.write_snapshot(s)
    d.write_report(make_report())
    assert load(tmp_path) == snaps


def test_load_reads_one_file_or_a_list(tmp_path: Path) -> None:
    """load() of a file accepts one snapshot object or a list of them."""
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    one.write_text(json.dumps(snapshot_to_dict(make_snapshot(0))))
    many.write_text(json.dumps([snapshot_to_dict(make_snapshot(i)) for i in range(3)]))
    assert load(one) == [make_snapshot(0)]
    assert load(many) == [make_snapshot(i) for i in range(3)]


def test_load_picks_the_newest_writer_of_a_shared_directory(tmp_path: Path) -> None:
    """Snapshots of several processes are not mixed: the newest writer's are read."""
    for pid, index in ((100, 0), (200, 1), (100, 2)):
        snap = make_snapshot(index)
        name = f"20240101T00000{index}.000000Z-{pid}-000001.snapshot.json"
        (tmp_path / name).write_text(json.dumps(snapshot_to_dict(snap, pid=pid)))
    assert [s.index for s in load(tmp_path)] == [0, 2]
    assert [s.index for s in load(tmp_path, pid=200)] == [1]


def test_load_names_the_corrupt_file(tmp_path: Path) -> None:
    """A corrupt file in a directory is named in the error."""
    d = SnapshotDir(tmp_path, keep=100, max_bytes=10**8)
    bad = d.write_snapshot(make_snapshot(0))
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=rf"^{bad}: not valid JSON"):
        load(tmp_path)


def test_load_of_missing_path_or_empty_dir_is_refused(tmp_path: Path) -> None:
    """A missing file and a directory without snapshots are both bad input."""
    with pytest.raises(ValueError, match="no such file"):
        load(tmp_path / "nope.json")
    with pytest.raises(ValueError, match="no leakguard snapshot files"):
        load(tmp_path)

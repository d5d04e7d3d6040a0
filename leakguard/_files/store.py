"""Snapshots and reports on disk: one versioned JSON schema, atomic writes, a rotating directory.

Files are written with mode 0600 because reports carry file paths, line numbers
and type names of the program, which are nobody else's business. A write goes to
a temporary file in the same directory, is flushed to disk, then renamed over
the target, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from leakguard._files.safeio import read_capped
from leakguard._files.schema import decode, encode
from leakguard._model.report import SCHEMA_VERSION, Report
from leakguard._model.snapshot import Snapshot

SNAPSHOT_SUFFIX = ".snapshot.json"
REPORT_SUFFIX = ".report.json"
# <UTC time>-<pid>-<sequence>.<kind>.json: the name sorts by time, then by writer.
_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)-(\d+)-(\d{6})\.(snapshot|report)\.json$")
_TEMP_STEM = 160  # target characters kept in a temporary's name: + pid, random, .tmp < 255
_TEMP = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def snapshot_to_dict(snap: Snapshot, pid: int | None = None) -> dict[str, Any]:
    """Return the JSON-ready form of a snapshot (schema in docs/reports.md).

    Args:
        snap: the snapshot.
        pid: the process it was taken in, recorded alongside (a Snapshot does not carry it).
    """
    data: dict[str, Any] = {"schema": SCHEMA_VERSION, "kind": "snapshot"}
    data.update(encode(snap))
    if pid is not None:
        data["pid"] = pid
    return data


def _check_header(data: object, source: str, kind: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    if "schema" not in data:
        raise ValueError(f"{source}: no 'schema' field: not a leakguard {kind} file")
    if data["schema"] != SCHEMA_VERSION:
        raise ValueError(
            f"{source}: schema version {data['schema']!r} is not supported "
            f"(this leakguard reads version {SCHEMA_VERSION})"
        )
    found = data.get("kind", "report" if "suspects" in data else "snapshot")
    if found != kind:
        raise ValueError(f"{source}: is a leakguard {found} file, expected a {kind}")
    return data


def snapshot_from_dict(data: object, source: str) -> Snapshot:
    """Rebuild a snapshot from its JSON form, checking every field.

    Args:
        data: the parsed JSON.
        source: where it came from, for error messages (a file name).

    Raises:
        ValueError: ``"<source>: <what is wrong>"`` for a wrong or missing schema
            version, a missing field or a field of the wrong type.
    """
    return decode(Snapshot, _check_header(data, source, "snapshot"), source)


def report_from_dict(data: object, source: str) -> Report:
    """Rebuild a report from :meth:`Report.to_dict` output, checking every field.

    Raises:
        ValueError: ``"<source>: <what is wrong>"`` as for :func:`snapshot_from_dict`.
    """
    return decode(Report, _check_header(data, source, "report"), source)


def load_report(path: str | os.PathLike[str]) -> Report:
    """Read a report written as JSON (``--json``, ``report --format json``, a snapshot dir).

    Args:
        path: the file (schema in ``docs/schema/report.schema.json``).

    Returns:
        The :class:`leakguard.Report`, with every field checked.

    Raises:
        ValueError: ``"<path>: <what is wrong>"`` for a missing, unreadable or corrupt
            file, another schema version, or a snapshot file instead of a report.
    """
    return report_from_dict(read_json(path), os.fspath(path))


def read_json(path: str | os.PathLike[str]) -> object:
    """Parse a JSON file.

    Only a regular file of at most :data:`MAX_FILE_BYTES` is read: a FIFO, a device or
    a huge file is refused at once, never waited on or read whole.

    Raises:
        ValueError: ``"<path>: <what is wrong>"`` when it is missing, unreadable, not a
            regular file, too big, or not JSON.
    """
    try:
        return json.loads(read_capped(path))
    except RecursionError:
        raise ValueError(f"{os.fspath(path)}: not valid JSON: nested too deeply") from None
    except FileNotFoundError:
        raise ValueError(f"{os.fspath(path)}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{os.fspath(path)}: is a directory, expected a file") from None
    except OSError as exc:
        raise ValueError(f"{os.fspath(path)}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{os.fspath(path)}: not valid JSON: {exc}") from None


def dumps(data: dict[str, Any]) -> bytes:
    """Serialise a schema dict as it is stored on disk."""
    return json.dumps(data, indent=1, sort_keys=True).encode()


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that the file is either complete or absent.

    The bytes go to a 0600 temporary file in the same directory, are fsync-ed,
    then renamed over ``path``. On any failure the temporary file is removed.

    Raises:
        OSError: the directory is missing or not writable, the disk is full...
    """
    target = Path(path)
    # The temporary name must fit NAME_MAX (255) whatever the target's length.
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name[:_TEMP_STEM]}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _unlink(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists, without signalling it on any platform."""
    if sys.platform == "win32":
        # os.kill(pid, 0) on Windows is TerminateProcess: it would kill the writer.
        # psutil is a dependency wherever /proc is missing (pyproject.toml).
        import psutil  # type: ignore[import-untyped,unused-ignore]

        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SnapshotDir:
    """A directory of snapshot and report files, bounded in count and bytes.

    Args:
        path: the directory; created (mode 0700) when missing.
        keep: the most files kept; the oldest go first.
        max_bytes: the most bytes kept; the oldest go first, but the newest file
            is always kept so that the latest state survives.
    """

    def __init__(self, path: str | os.PathLike[str], keep: int, max_bytes: int) -> None:
        self.path = Path(path)
        self.keep = keep
        self.max_bytes = max_bytes
        self._seq = 0
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._remove_stale_temps()

    def write_snapshot(self, snap: Snapshot) -> Path:
        """Write one snapshot, then rotate. Returns the file written.

        Raises:
            OSError: the file could not be written.
        """
        data = dumps(snapshot_to_dict(snap, pid=os.getpid()))
        return self._write(snap.time, "snapshot", data)

    def write_report(self, report: Report) -> Path:
        """Write one report, then rotate. Returns the file written.

        Raises:
            OSError: the file could not be written.
        """
        return self._write(report.created or time.time(), "report", dumps(report.to_dict()))

    def files(self) -> list[Path]:
        """Every snapshot and report file in the directory, oldest first."""
        return list_files(self.path)

    def _write(self, when: float, kind: str, data: bytes) -> Path:
        self._seq = (self._seq + 1) % 1_000_000
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(when))
        micros = int((when % 1) * 1_000_000)
        name = f"{stamp}.{micros:06d}Z-{os.getpid()}-{self._seq:06d}.{kind}.json"
        target = self.path / name
        atomic_write(target, data)
        self._rotate(target)
        return target

    def _rotate(self, newest: Path) -> None:
        sized = []
        for p in self.files():
            try:
                sized.append((p, p.stat().st_size))
            except OSError:
                continue  # another writer rotated it away first
        total = sum(size for _, size in sized)
        count = len(sized)
        for p, size in sized:
            if count <= self.keep and total <= self.max_bytes:
                break
            if p == newest:
                continue
            _unlink(p)
            count -= 1
            total -= size

    def _remove_stale_temps(self) -> None:
        """Remove temporary files left by writers that died mid-write."""
        for p in _entries(self.path):
            m = _TEMP.match(p.name)
            if m and not _pid_alive(int(m.group(1))):
                _unlink(p)


def _entries(directory: Path) -> Iterator[Path]:
    try:
        with os.scandir(directory) as it:
            yield from (Path(e.path) for e in it if e.is_file())
    except FileNotFoundError:
        return


def list_files(directory: Path) -> list[Path]:
    """Every snapshot and report file in ``directory``, oldest first."""
    return sorted((p for p in _entries(directory) if _NAME.match(p.name)), key=lambda p: p.name)


def file_pid(path: Path, data: object) -> int | None:
    """The pid a file was written by: its ``pid`` field, else the one in its name."""
    pid = data.get("pid") if isinstance(data, dict) else None
    if isinstance(pid, int):
        return pid
    m = _NAME.match(path.name)
    return int(m.group(2)) if m else None


def load(path: str | os.PathLike[str], pid: int | None = None) -> list[Snapshot]:
    """Read snapshots from a directory written by :class:`SnapshotDir`, or from one file.

    A file holds one snapshot object or a JSON list of them. A directory shared
    by several processes (a forking server) holds several timelines; one is read.

    Args:
        path: a directory or a file.
        pid: the process whose snapshots to read; None: the writer of the newest one.

    Returns:
        The snapshots, oldest first.

    Raises:
        ValueError: ``"<path>: <what is wrong>"`` for a missing, unreadable or
            corrupt file, a wrong schema version, or no snapshots (of ``pid``).
    """
    p = Path(path)
    loaded: list[tuple[int | None, Snapshot]] = []
    for f in _snapshot_files(p):
        data = read_json(f)
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            where = f"{f}[{i}]" if isinstance(data, list) else str(f)
            loaded.append((file_pid(f, item), snapshot_from_dict(item, where)))
    if not loaded:
        raise ValueError(f"{p}: holds no snapshots")
    wanted = loaded[-1][0] if pid is None else pid
    snaps = [s for owner, s in loaded if owner == wanted or owner is None]
    if not snaps:
        raise ValueError(f"{p}: holds no snapshots of pid {pid}")
    return snaps


def pids(path: str | os.PathLike[str]) -> list[int]:
    """The processes that wrote snapshots into a directory, the newest writer last."""
    order: dict[int, None] = {}
    for f in list_files(Path(path)):
        pid = file_pid(f, None)
        if pid is not None and f.name.endswith(SNAPSHOT_SUFFIX):
            order.pop(pid, None)
            order[pid] = None
    return list(order)


def _snapshot_files(p: Path) -> list[Path]:
    if not p.is_dir():
        return [p]
    files = [f for f in list_files(p) if f.name.endswith(SNAPSHOT_SUFFIX)]
    if not files:
        raise ValueError(f"{p}: no leakguard snapshot files (*{SNAPSHOT_SUFFIX}) in this directory")
    return files

"""A guard's snapshot directory as the guard writes it: never raising into the host, and
saving a report whenever it says something new, so the directory holds its latest word."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from leakguard._files.store import SnapshotDir
from leakguard._model.options import Options
from leakguard._model.report import Report
from leakguard._model.snapshot import Snapshot


class GuardWriter:
    """Snapshots and reports of one guard, in its ``snapshot_dir``.

    A report is saved on each new leak, when the suspects change (another face of a
    leak, lines found late, a suspect let go) and at the guard's end, so that
    ``leakguard report DIR`` finds the guard's latest word next to its snapshots.

    Args:
        directory: where the files go.
        failed: called with the error when a file cannot be written (a full disk).
    """

    def __init__(self, directory: SnapshotDir, failed: Callable[[OSError], None]) -> None:
        self.directory = directory
        self._failed = failed
        self.reset()

    @classmethod
    def open(cls, options: Options, failed: Callable[[OSError], None]) -> GuardWriter | None:
        """The writer of ``options.snapshot_dir`` (None when it is not set).

        Raises:
            ValueError: the directory cannot be made or used, naming the option.
        """
        if options.snapshot_dir is None:
            return None
        try:
            directory = SnapshotDir(
                options.snapshot_dir, options.snapshot_keep, options.snapshot_max_bytes
            )
        except OSError as exc:
            raise ValueError(
                f"leakguard: option 'snapshot_dir' ({options.snapshot_dir!r}) is not a usable "
                f"directory: {exc.strerror or exc}"
            ) from None
        return cls(directory, failed)

    def reset(self) -> None:
        """Forget the reports saved so far (a forked child starts its own timeline)."""
        self._keys: frozenset[tuple[str, str]] = frozenset()
        self._samples: int | None = None

    def snapshot(self, snap: Snapshot) -> None:
        """Write one snapshot."""
        try:
            self.directory.write_snapshot(snap)
        except OSError as exc:
            self._failed(exc)

    def changed(self, keys: Iterable[tuple[str, str]]) -> bool:
        """Whether the suspects ``keys`` are others than those of the last report saved."""
        return frozenset(keys) != self._keys

    def saved(self, samples: int) -> bool:
        """Whether the last report saved was made after ``samples`` samples."""
        return self._samples == samples

    def report(self, report: Report) -> None:
        """Save one report."""
        self._keys = frozenset(s.key for s in report.suspects)
        self._samples = report.samples
        try:
            self.directory.write_report(report)
        except OSError as exc:
            self._failed(exc)

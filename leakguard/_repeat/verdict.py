"""The values of a repeated check: how it repeats, what grew, and its verdict."""

from __future__ import annotations

from dataclasses import dataclass

from leakguard._model.suspect import Site


@dataclass(frozen=True, slots=True)
class RepeatOptions:
    """How one check repeats and judges.

    Attributes:
        warmup: runs before measuring, the real (first) run included.
        iterations: measured runs; a leak grows on every one of them.
        min_growth: objects of one type a run must add to count as growth.
        min_blocks: allocated blocks a run must add to count as memory growth.
        traced_runs: extra runs under tracemalloc when something grew (0: none).
        trace_frames: frames tracemalloc keeps during the traced runs.
        survivors: single-run checks fail when this many objects of one of the
            user's own types outlive the run.
        ignore: type-name patterns (fnmatch on the full or short name) never reported.
        path_seconds: time budget for finding who holds a leaked object.
    """

    warmup: int = 2
    iterations: int = 3
    min_growth: int = 1
    min_blocks: int = 1
    traced_runs: int = 3
    trace_frames: int = 1
    survivors: int = 10
    ignore: tuple[str, ...] = ()
    path_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class Growth:
    """One series that grew.

    Attributes:
        kind: ``type``, ``memory``, ``threads`` or ``fds``.
        name: the full type name, or ``blocks``/``threads``/``fds``.
        per_run: growth in each measured run, oldest first (single-run: one value).
        unit: what is counted: ``objects``, ``blocks``, ``threads``, ``fds``.
        survived: how many made by the runs after the mark (the traced runs, or the
            measured runs after the first) were still alive after the caller's
            cleanup (for threads and fds: the level above the start; None: not checked).
        sites: where the growth was allocated.
        path: who holds one leaked object, root first.
    """

    kind: str
    name: str
    per_run: tuple[int, ...]
    unit: str = "objects"
    survived: int | None = None
    sites: tuple[Site, ...] = ()
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one check.

    Attributes:
        leaked: whether the check fails.
        growths: what grew, the most telling first (may be non-empty when not leaked:
            survivors of a single run below the threshold are listed for information).
        mode: ``repeat`` or ``once``.
        runs: how many times the code ran.
        changed: why repetition was abandoned, when a repeated run failed.
    """

    leaked: bool
    growths: tuple[Growth, ...] = ()
    mode: str = "repeat"
    runs: int = 1
    changed: str | None = None


class RepeatFailed(Exception):
    """A repeated run raised: the code depends on running once."""

"""The values a repeated check hands back: what grew, and its verdict."""

from __future__ import annotations

from dataclasses import dataclass

from leakguard._model.suspect import Site


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

"""Options: every setting of the guard, with its default (resolved by ``leakguard._config``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Options:
    """Every setting of the guard, with its default.

    Attributes:
        interval: seconds between samples in thread mode; None for manual mode (no thread).
        budget: the largest share of wall time the guard may spend paused (0.01 = 1%).
        max_pause: seconds the optional work of one sample (evidence gathering) may add to its
            pause. The census itself is one C call that cannot be split: its pause is about
            45 ms per million objects, and the budget spaces samples to pay for it.
        warmup: samples ignored before the baseline is set.
        window: the most recent samples the trend test looks at.
        min_samples: fewest samples after warm-up before any verdict.
        confirm: consecutive samples a climb must hold before a hook fires.
        alpha: one-sided false-alarm rate of the trend test per series and verdict.
        min_growth: the smallest growth of objects (or container items) worth reporting.
        min_growth_bytes: the smallest growth of process memory worth reporting.
        top_containers: how many of the biggest containers are followed.
        max_series: how many type series are kept (bounded memory).
        history: samples of history kept per series (ring buffer size).
        verify_gc: confirm an object-count climb with one full ``gc.collect()`` on suspicion,
            so that uncollected cyclic garbage is not reported as a leak.
        evidence: gather allocation sites and retention paths for new suspects.
        trace_frames: frames tracemalloc keeps during an evidence window.
        evidence_seconds: time budget for one round of evidence gathering.
        trace_samples: how many samples a tracemalloc evidence window stays open at most.
        ignore: type-name patterns (fnmatch), module prefixes (``module:NAME``) or leak
            signatures (``sig:HEX``) never to report.
        log: log each new suspect at WARNING on the ``leakguard`` logger.
        snapshot_dir: directory to write snapshots and reports to (None: no files).
        snapshot_keep: how many snapshot files to keep in ``snapshot_dir``.
        snapshot_max_bytes: how many bytes of snapshot files to keep in ``snapshot_dir``.
        memory_limit: the last resort: process memory (RSS) past which the guard saves its
            evidence, as bytes (an int) or as a fraction of the cgroup limit detected at
            start (a float in (0, 1]); None: off.
        memory_limit_action: what to do past ``memory_limit`` once the evidence is saved and
            the ``on_limit`` hooks ran: ``"report"`` (nothing more) or ``"exit"`` (SIGTERM
            to this process, so that its supervisor restarts it).
        native: use the C engines where they were built; False forces the pure-Python
            census.
        require_native: make creating a guard (and so ``start()``) raise ``RuntimeError``
            when the C engines are not in use, rather than sample about 5x slower.
    """

    interval: float | None = 10.0
    budget: float = 0.01
    max_pause: float = 0.5
    warmup: int = 2
    window: int = 30
    min_samples: int = 7
    confirm: int = 2
    alpha: float = 0.005
    min_growth: int = 20
    min_growth_bytes: int = 8 * 1024 * 1024
    top_containers: int = 64
    max_series: int = 4096
    history: int = 120
    verify_gc: bool = True
    evidence: bool = True
    trace_frames: int = 1
    evidence_seconds: float = 2.0
    trace_samples: int = 3
    ignore: tuple[str, ...] = ()
    log: bool = True
    snapshot_dir: str | None = None
    snapshot_keep: int = 100
    snapshot_max_bytes: int = 64 * 1024 * 1024
    memory_limit: int | float | None = None
    memory_limit_action: str = "report"
    native: bool = True
    require_native: bool = False


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message stays one short line.

    Only built-in values are repr-ed; anything else is named by its type, so that a
    bad option never runs the user's ``__repr__``.
    """
    if type(value) not in (int, float, str, bytes, bool, type(None)):
        return f"<{type(value).__qualname__} object>"
    try:
        text = repr(value)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        text = f"<an int of {value.bit_length() if isinstance(value, int) else '?'} bits>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
